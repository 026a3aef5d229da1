# A classic mistake: target_to_bits forgets the sign bit (a mantissa >= 0x800000 must shift).


def bits_to_target(bits):
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if exponent <= 3:
        mantissa >>= 8 * (3 - exponent)
    if mantissa and bits & 0x00800000:
        raise ValueError("negative target")
    if mantissa and (
        exponent > 34 or (mantissa > 0xFF and exponent > 33) or (mantissa > 0xFFFF and exponent > 32)
    ):
        raise ValueError("target overflows 256 bits")
    return mantissa if exponent <= 3 else mantissa << (8 * (exponent - 3))


def target_to_bits(target):
    size = (target.bit_length() + 7) // 8
    mantissa = target << (8 * (3 - size)) if size <= 3 else target >> (8 * (size - 3))
    return (size << 24) | mantissa
