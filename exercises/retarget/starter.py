"""Exercise retarget: the rule that keeps blocks coming at a steady pace.

You need your bits_to_target and target_to_bits from the `target` exercise: paste them below.
Check your work:   educhain check retarget.py
"""

CLAMP = 4  # one window may change the difficulty by at most this factor, either way


def bits_to_target(bits: int) -> int:
    """Paste your solution of the `target` exercise here."""
    raise NotImplementedError("paste bits_to_target from the target exercise")


def target_to_bits(target: int) -> int:
    """Paste your solution of the `target` exercise here."""
    raise NotImplementedError("paste target_to_bits from the target exercise")


def retarget(old_bits: int, actual_timespan: int, target_timespan: int, pow_limit_bits: int) -> int:
    """The bits of the next window, given how long the last one took (in seconds)."""
    # Step 1: clamp: timespan = actual_timespan, but at least target_timespan // CLAMP and at
    #         most target_timespan * CLAMP.
    # Step 2: new_target = bits_to_target(old_bits) * timespan // target_timespan
    #         (multiply first, then divide: integers keep every bit exact).
    #         Too fast (timespan < target_timespan) -> a smaller target -> harder. Good.
    # Step 3: never easier than the limit: new_target = min(new_target,
    #         bits_to_target(pow_limit_bits)).
    # Step 4: return target_to_bits(new_target)  (the compact form rounds it, as in Bitcoin).
    raise NotImplementedError("retarget: follow steps 1-4")
