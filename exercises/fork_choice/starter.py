"""Exercise fork_choice: which of several competing chains does a node follow?

A chain is given as the list of its blocks' bits (compact targets), oldest first.
You need your bits_to_target from the `target` exercise: paste it below.
Check your work:   educhain check fork_choice.py
"""


def bits_to_target(bits: int) -> int:
    """Paste your solution of the `target` exercise here."""
    raise NotImplementedError("paste bits_to_target from the target exercise")


def block_work(bits: int) -> int:
    """Expected number of hashes to find a block with these bits: 2**256 // (target + 1)."""
    # Step 1: target = bits_to_target(bits).
    # Step 2: a random hash is <= target with probability (target + 1) / 2**256, so on
    #         average it takes 2**256 / (target + 1) hashes: return 2**256 // (target + 1).
    raise NotImplementedError("block_work: follow steps 1-2")


def chain_work(bits_list: list[int]) -> int:
    """Total work of a chain: the sum of its blocks' work (0 for an empty chain)."""
    # Step 1: return the sum of block_work(bits) for every bits in bits_list.
    raise NotImplementedError("chain_work: follow step 1")


def best_chain(chains: list[list[int]]) -> int:
    """Index of the chain with the most work; on a tie, the lowest index (seen first)."""
    # Step 1: best = 0.
    # Step 2: for every other index i: switch to i only if chain_work(chains[i]) is STRICTLY
    #         greater than the best so far (equal work keeps the chain seen first).
    # Step 3: return best.
    raise NotImplementedError("best_chain: follow steps 1-3")
