"""Exercise target: Bitcoin's compact target encoding ("bits").

bits = 0xEEMMMMMM: exponent E (1 byte), mantissa M (3 bytes).
target = M * 256**(E - 3), or M >> 8*(3 - E) when E < 3.
Check your work:   educhain check target.py
"""

SIGN_BIT = 0x00800000
MANTISSA_MASK = 0x007FFFFF


def bits_to_target(bits: int) -> int:
    """Decode compact `bits` into the 256-bit target."""
    # Step 1: exponent = bits >> 24; mantissa = bits & MANTISSA_MASK.
    # Step 2: if exponent <= 3, shift the mantissa RIGHT by 8 * (3 - exponent) bits.
    # Step 3: if the mantissa (after step 2) is non-zero and bits & SIGN_BIT is set, the
    #   target would be negative: raise ValueError.
    # Step 4: if the mantissa is non-zero and the target would not fit in 256 bits
    #   (exponent > 34, or mantissa > 0xFF and exponent > 33, or mantissa > 0xFFFF and
    #   exponent > 32): raise ValueError.
    # Step 5: return the mantissa if exponent <= 3, else mantissa << 8 * (exponent - 3).
    raise NotImplementedError("bits_to_target: follow steps 1-5")


def target_to_bits(target: int) -> int:
    """Encode a target (0 <= target < 2**256) in compact form, keeping its top 3 bytes."""
    # Step 1: size = number of bytes of target: (target.bit_length() + 7) // 8.
    # Step 2: mantissa = target << 8 * (3 - size) if size <= 3 else target >> 8 * (size - 3).
    # Step 3: if mantissa & SIGN_BIT: shift the mantissa right by 8 and add 1 to size
    #   (otherwise the result would read back as a negative number).
    # Step 4: return (size << 24) | mantissa.
    raise NotImplementedError("target_to_bits: follow steps 1-4")
