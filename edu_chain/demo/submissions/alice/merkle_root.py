# A correct student: Bitcoin's Merkle rule, an odd level duplicates its last hash.
import hashlib


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle_root(txids):
    if not txids:
        raise ValueError("no txids")
    level = list(txids)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]
