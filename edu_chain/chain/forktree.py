"""Draw the block tree as text: the active chain and every stale branch beside it.

A notebook or a terminal can show what a reorg did::

    height  active            branch 1
         3  5d1e0c2a
         4  9f00aa31          77c2e611 x
         5  0b6f4e90          1a2b3c4d
         6  c0ffee12 *

Column 0 is the active chain (``*`` marks the tip); every other column is a branch that left
it, starting at its first block.  ``x`` marks a block found invalid, ``?`` one stored but never
validated (a side branch with less work is not checked against the UTXO set).
"""

from __future__ import annotations

from edu_chain.chain.index import INVALID, STORED, BlockIndexEntry
from edu_chain.chain.state import ChainState

_MARK = {INVALID: " x", STORED: " ?"}


def branches(chain: ChainState) -> list[list[BlockIndexEntry]]:
    """The active chain, then each stale branch (oldest first) as its own list of blocks."""
    with chain.lock:  # one consistent picture while a node connects blocks
        result = [list(chain.active)]
        stale_tips = chain.stale_tips()
    placed = {entry.hash for entry in result[0]}
    for tip in sorted(stale_tips, key=lambda e: e.sequence):
        branch = []
        cursor: BlockIndexEntry | None = tip
        while cursor is not None and cursor.hash not in placed:
            branch.append(cursor)
            cursor = cursor.parent
        placed.update(entry.hash for entry in branch)
        result.append(branch[::-1])
    return result


def render_fork_tree(chain: ChainState, *, last: int = 20) -> str:
    """Text drawing of the last ``last`` heights of the block tree (see the module doc)."""
    columns = branches(chain)
    tip = columns[0][-1]
    top = max(entry.height for column in columns for entry in column)
    bottom = max(0, top - last + 1)
    heads = ["active"] + [f"branch {n}" for n in range(1, len(columns))]
    lines = ["height  " + "".join(f"{head:<18}" for head in heads).rstrip()]
    by_height = [{entry.height: entry for entry in column} for column in columns]
    for height in range(bottom, top + 1):
        cells = []
        for column in by_height:
            entry = column.get(height)
            if entry is None:
                cells.append(" " * 18)
                continue
            mark = " *" if entry is tip else _MARK.get(entry.status, "")
            cells.append(f"{entry.id[:8] + mark:<18}")
        lines.append(f"{height:>6}  " + "".join(cells).rstrip())
    return "\n".join(lines)
