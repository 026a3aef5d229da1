# A classic mistake: an odd level carries its last hash up instead of duplicating it.
import hashlib


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle_root(txids):
    if not txids:
        raise ValueError("no txids")
    level = list(txids)
    while len(level) > 1:
        carried = [level.pop()] if len(level) % 2 else []
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)] + carried
    return level[0]
