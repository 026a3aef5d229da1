# A broken submission: it does not even parse (the colon after the signature is missing).
# Carol has no target.py at all: the grader reports that exercise as missing.
def merkle_root(txids)
    return txids[0]
