"""HTML views for Jupyter: headers, blocks, Merkle trees and proofs, transactions, chains.

Jupyter shows an object by calling its ``_repr_html_()`` method when it has one (IPython's
"rich display" protocol).  The library's classes keep that method to one line that delegates
here, so all the drawing code sits in this one module and the data classes stay about data.

Rules every function here follows:

* plain HTML and inline SVG with inline styles: no JavaScript, no external CSS, so a notebook
  renders the same offline, in JupyterLab, in VS Code and on GitHub;
* every value that comes from data goes through :func:`html.escape`;
* hashes are shown in displayed (reversed) hex, as block explorers do (see ``hashing.py``);
* each function takes the data it draws: a header's target, a block's recomputed Merkle root,
  a tree's levels are computed by the caller (the value type's ``_repr_html_``), and objects
  owned by other modules (transactions, chain state, grading results) are read by duck typing,
  so this module imports nothing of edu_chain but ``hashing`` and sits in the lowest layer
  (``docs/architecture.md``, "Layers").

:class:`Progress` is a progress bar that updates in place in a notebook (through IPython's
display handles, no widgets needed) and falls back to ``rich`` in a terminal.
"""

from __future__ import annotations

import dataclasses
import html
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from edu_chain.hashing import display_hex, hash_to_int

_BOX = "border-collapse:collapse;font-family:monospace;font-size:12px;margin:4px 0"
_CELL = "border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top"
_HEAD = _CELL + ";background:#f0f0f0"
_OK, _BAD, _MUTED = "#2e7d32", "#c62828", "#777"

# Colours of the Merkle drawing: the proven leaf, the siblings in its proof, the path above it.
_LEAF, _SIBLING, _PATH, _PLAIN = "#ffd54f", "#81d4fa", "#c5e1a5", "#fafafa"


def esc(value: object) -> str:
    """``str(value)`` made safe to put inside HTML."""
    return html.escape(str(value), quote=True)


def short_hex(internal: bytes, width: int = 8) -> str:
    """The first ``width`` digits of a hash's displayed hex."""
    return display_hex(internal)[:width]


def table_html(
    rows: Iterable[Sequence[object]], *, header: Sequence[str] = (), title: str = ""
) -> str:
    """A small escaped HTML table; cells wrapped in :class:`Raw` are inserted as they are."""
    parts = [f'<table style="{_BOX}">']
    if title:
        parts.append(f'<caption style="text-align:left;font-weight:bold">{esc(title)}</caption>')
    if header:
        parts.append(
            "<tr>" + "".join(f'<th style="{_HEAD}">{esc(h)}</th>' for h in header) + "</tr>"
        )
    for row in rows:
        parts.append(
            "<tr>" + "".join(f'<td style="{_CELL}">{_cell(c)}</td>' for c in row) + "</tr>"
        )
    parts.append("</table>")
    return "".join(parts)


class Raw(str):
    """A string of HTML built by this module, inserted into a table without escaping again."""


def _cell(value: object) -> str:
    return value if isinstance(value, Raw) else esc(value)


def _verdict(ok: bool, yes: str = "yes", no: str = "no") -> Raw:
    colour, text = (_OK, yes) if ok else (_BAD, no)
    return Raw(f'<span style="color:{colour};font-weight:bold">{esc(text)}</span>')


def _utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- headers and blocks -----------------------------------------------------------------


def header_html(header: Any, *, target: int | None, title: str = "Block header") -> str:
    """The six header fields, the id, and with ``target`` (``bits_to_target(header.bits)``;
    None when the bits encode no valid target) whether the proof-of-work holds."""
    rows: list[tuple[str, Any]] = [
        ("id (displayed hash)", header.id),
        ("version", header.version),
        ("prev_hash", display_hex(header.prev_hash)),
        ("merkle_root", display_hex(header.merkle_root)),
        ("timestamp", f"{header.timestamp} ({_utc(header.timestamp)})"),
        ("bits", f"0x{header.bits:08x}"),
        ("target", "bits encode no valid target" if target is None else f"{target:064x}"),
        ("nonce", header.nonce),
    ]
    if target is not None:
        rows.append(("hash <= target", _verdict(hash_to_int(header.hash()) <= target)))
    return table_html(rows, header=("field", "value"), title=title)


def block_html(block: Any, *, target: int | None, computed_root: bytes | None) -> str:
    """A block: its header, then its transaction ids (the first is the coinbase) and whether
    ``computed_root`` (the Merkle root of those txids; None without transactions) matches
    the header's."""
    txids = [tx.txid() for tx in block.transactions]
    root_ok = computed_root is not None and computed_root == block.header.merkle_root
    rows = [
        (index, display_hex(txid), "coinbase" if index == 0 else "")
        for index, txid in enumerate(txids)
    ]
    rows.append(
        ("", Raw("<i>Merkle root of these txids equals the header's</i>"), _verdict(root_ok))
    )
    return header_html(block.header, target=target, title=f"Block {block.id}") + table_html(
        rows, header=("#", "txid", ""), title=f"{len(txids)} transaction(s)"
    )


def chain_html(headers: Sequence[Any], *, start_height: int = 0, title: str = "Chain") -> str:
    """A table of consecutive headers, oldest first, checking that each links to the last."""
    rows = []
    previous = None
    for offset, header in enumerate(headers):
        linked = previous is None or header.prev_hash == previous.hash()
        rows.append(
            (
                start_height + offset,
                header.id,
                short_hex(header.prev_hash, 16),
                _utc(header.timestamp),
                f"0x{header.bits:08x}",
                _verdict(linked, "linked", "BROKEN LINK"),
            )
        )
        previous = header
    return table_html(rows, header=("height", "id", "prev", "time", "bits", "link"), title=title)


# --- Merkle trees and proofs ------------------------------------------------------------


def merkle_tree_svg(
    levels: Sequence[Sequence[bytes]], *, proof_index: int | None = None, width: int = 8
) -> str:
    """An SVG drawing of the Merkle tree whose ``levels`` (leaves first, root last, as
    ``merkle.merkle_levels`` returns them) are given, root at the top.

    With ``proof_index`` the proven leaf, the sibling hashes of its proof and the path to the
    root are coloured (yellow, blue, green).  Duplicated nodes (Bitcoin's odd-level rule) are
    drawn dashed.
    """
    on_path: set[tuple[int, int]] = set()
    siblings: set[tuple[int, int]] = set()
    if proof_index is not None:
        position = proof_index
        for depth, level in enumerate(levels):
            on_path.add((depth, position))
            if depth < len(levels) - 1:
                siblings.add((depth, min(position ^ 1, len(level))))
            position //= 2

    box_w, box_h, gap_y = 9 * width + 12, 22, 46
    step = box_w + 10
    svg_h = len(levels) * gap_y + 10
    # Leaves sit side by side; each parent is centred over its two children; a duplicated
    # odd node sits one step right of the node it copies.
    centres: dict[tuple[int, int], tuple[float, float]] = {}
    for depth, level in enumerate(levels):
        y = svg_h - (depth + 1) * gap_y + 10
        drawn = len(level) + (1 if len(level) > 1 and len(level) % 2 else 0)
        for position in range(drawn):
            if position == len(level):
                x = centres[(depth, position - 1)][0] + step * 2**depth
            elif depth == 0:
                x = 5 + step / 2 + step * position
            else:
                x = (
                    centres[(depth - 1, 2 * position)][0]
                    + centres[(depth - 1, 2 * position + 1)][0]
                ) / 2
            centres[(depth, position)] = (x, y)
    svg_w = max(x for x, _ in centres.values()) + step / 2 + 5
    shapes: list[str] = []
    for (depth, position), (x, y) in centres.items():
        level = levels[depth]
        duplicate = position == len(level)
        node = level[min(position, len(level) - 1)]
        if (depth, position) == (0, proof_index):
            fill = _LEAF
        elif (depth, position) in siblings:
            fill = _SIBLING
        elif (depth, position) in on_path:
            fill = _PATH
        else:
            fill = _PLAIN
        dash = ' stroke-dasharray="4,3"' if duplicate else ""
        label = short_hex(node, width) + ("*" if duplicate else "")
        shapes.append(
            f'<rect x="{x - box_w / 2:.1f}" y="{y:.1f}" width="{box_w}" height="{box_h}" '
            f'rx="4" fill="{fill}" stroke="#555"{dash}/>'
            f'<text x="{x:.1f}" y="{y + 15:.1f}" text-anchor="middle" '
            f'font-family="monospace" font-size="12">{esc(label)}</text>'
        )
    lines = []
    for (depth, position), (x, y) in centres.items():
        parent = centres.get((depth + 1, position // 2))
        if parent is not None:
            px, py = parent
            lines.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{px:.1f}" y2="{py + box_h:.1f}" '
                'stroke="#999"/>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{svg_w:.0f}" height="{svg_h}" '
        f'viewBox="0 0 {svg_w:.0f} {svg_h}">' + "".join(lines) + "".join(shapes) + "</svg>"
    )


def merkle_tree_html(levels: Sequence[Sequence[bytes]], *, proof_index: int | None = None) -> str:
    """The tree drawing (see :func:`merkle_tree_svg`) with a caption saying what the colours
    mean."""
    caption = f"Merkle tree of {len(levels[0])} leaves, root {display_hex(levels[-1][0])}"
    legend = ""
    if proof_index is not None:
        legend = (
            f'<div style="font-size:12px">leaf #{esc(proof_index)} '
            f'<span style="background:{_LEAF}">&nbsp;proven&nbsp;</span> '
            f'<span style="background:{_SIBLING}">&nbsp;proof (siblings)&nbsp;</span> '
            f'<span style="background:{_PATH}">&nbsp;recomputed path&nbsp;</span> '
            "dashed = duplicated odd node</div>"
        )
    return (
        f'<div><div style="font-family:monospace;font-size:12px">{esc(caption)}</div>'
        f"{merkle_tree_svg(levels, proof_index=proof_index)}{legend}</div>"
    )


def merkle_proof_html(proof: Any) -> str:
    """A proof step by step: at each level, which side the sibling sits on."""
    rows = [("leaf", f"#{proof.index}", display_hex(proof.leaf))]
    position = proof.index
    for depth, sibling in enumerate(proof.siblings):
        side = "left" if position & 1 else "right"
        rows.append((f"level {depth}", f"sibling on the {side}", display_hex(sibling)))
        position >>= 1
    rows.append(
        ("root", _verdict(proof.verify(), "verifies", "does NOT verify"), display_hex(proof.root))
    )
    return table_html(rows, header=("step", "", "hash"), title="Merkle proof")


# --- transactions, fork trees, records --------------------------------------------------


def _first_attr(obj: Any, names: Sequence[str], default: object = "") -> Any:
    for name in names:
        if hasattr(obj, name):
            value = getattr(obj, name)
            return value() if callable(value) else value
    return default


def _hexish(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return display_hex(bytes(value)) if len(value) == 32 else bytes(value).hex()
    return str(value)


def transaction_html(tx: Any) -> str:
    """A transaction's id, inputs (the outpoints they spend) and outputs (amount, recipient).

    Read by duck typing: ``txid``, ``inputs`` with ``outpoint`` (``txid``, ``index``) and
    ``script_sig`` / ``witness`` (or a teaching-format ``signature``), and ``outputs`` with
    ``amount`` and ``address`` (or the ``script_pubkey`` when it has no address).
    """
    inputs = list(_first_attr(tx, ("inputs", "vin"), ()))
    outputs = list(_first_attr(tx, ("outputs", "vout"), ()))
    rows = []
    for index, txin in enumerate(inputs):
        outpoint = _first_attr(txin, ("outpoint", "prevout"), txin)
        if _first_attr(outpoint, ("is_null",), False) is True:
            rows.append((f"in {index}", "coinbase: no coin spent, new coins created", ""))
            continue
        spent = _first_attr(outpoint, ("txid", "hash"), "?")
        vout = _first_attr(outpoint, ("index", "vout", "n"), "?")
        proof = [_first_attr(txin, (name,), b"") for name in ("signature", "script_sig", "witness")]
        signed = "signed" if any(proof) else "NOT signed"
        rows.append((f"in {index}", f"spends {_hexish(spent)}:{vout}", signed))
    for index, txout in enumerate(outputs):
        amount = _first_attr(txout, ("amount", "value"), "?")
        to = _first_attr(txout, ("address", "pubkey_hash", "pkh"), None)
        if to is None:
            to = _first_attr(txout, ("script_pubkey",), "?")
        rows.append(
            (
                f"out {index}",
                f"pays {_hexish(to)}",
                f"{amount:,}" if isinstance(amount, int) else amount,
            )
        )
    txid = _first_attr(tx, ("txid",), "?")
    return table_html(rows, header=("", "", "amount"), title=f"Transaction {_hexish(txid)}")


def utxo_set_html(coins: Iterable[tuple[Any, Any]], *, title: str = "Unspent outputs") -> str:
    """``(outpoint, coin)`` pairs as a table: where each coin is, its amount and its owner.

    ``coin`` may be a chain ``Coin`` (``output``, ``height``, ``is_coinbase``) or a ``TxOut``.
    """
    rows = []
    total = 0
    for outpoint, coin in coins:
        output = getattr(coin, "output", coin)
        amount = _first_attr(output, ("amount", "value"), 0)
        total += amount if isinstance(amount, int) else 0
        owner = _first_attr(output, ("address", "pubkey_hash"), None)
        if owner is None:
            owner = _first_attr(output, ("script_pubkey",), "?")
        origin = "coinbase" if getattr(coin, "is_coinbase", False) else ""
        height = getattr(coin, "height", "")
        rows.append((str(outpoint), _hexish(owner), f"{amount:,}", height, origin))
    rows.append(("total", "", f"{total:,}", "", ""))
    header = ("outpoint (txid:index)", "owner", "amount", "height", "")
    return table_html(rows, header=header, title=title)


def fork_tree_svg(
    headers: Iterable[Any],
    *,
    active_tip: bytes | None = None,
    invalid: Iterable[bytes] = (),
    width: int = 6,
) -> str:
    """Draw the block tree that ``headers`` form through ``prev_hash``.

    One column per height, one lane per branch; blocks on the chain ending at ``active_tip``
    (internal-order hash) are green, stale branches grey, hashes in ``invalid`` red.
    """
    parents = {h.hash(): h.prev_hash for h in headers}
    return tree_svg(parents, active_tip=active_tip, invalid=invalid, width=width)


def tree_svg(
    parents: Mapping[bytes, bytes],
    *,
    active_tip: bytes | None = None,
    invalid: Iterable[bytes] = (),
    width: int = 6,
) -> str:
    """The drawing behind :func:`fork_tree_svg`, from ``{block hash: parent hash}``."""
    invalid = set(invalid)
    children: dict[bytes, list[bytes]] = {}
    roots = []
    for block_hash, prev in parents.items():
        if prev in parents:
            children.setdefault(prev, []).append(block_hash)
        else:
            roots.append(block_hash)
    active: set[bytes] = set()
    cursor = active_tip
    while cursor in parents:
        active.add(cursor)
        cursor = parents[cursor]

    # Depth first, without recursion (chains are long): the active child continues its
    # parent's lane, every other child opens a new lane once the branches above it are placed.
    place: dict[bytes, tuple[int, int]] = {}  # hash -> (height column, lane)
    next_lane = -1
    stack: list[tuple[bytes, int, int | None]] = [
        (root, 0, None) for root in sorted(roots, key=lambda r: (r not in active, r), reverse=True)
    ]
    while stack:
        block_hash, column, lane = stack.pop()
        if lane is None:
            next_lane += 1
            lane = next_lane
        place[block_hash] = (column, lane)
        kids = sorted(children.get(block_hash, []), key=lambda k: (k not in active, k))
        stack.extend((kid, column + 1, None) for kid in reversed(kids[1:]))
        if kids:
            stack.append((kids[0], column + 1, lane))
    box_w, box_h, step_x, step_y = 8 * width + 14, 22, 8 * width + 34, 34
    columns = max((c for c, _ in place.values()), default=0) + 1
    lanes = max((lane for _, lane in place.values()), default=0) + 1
    svg_w, svg_h = columns * step_x + 10, lanes * step_y + 10
    parts = []
    for block_hash, (column, lane) in place.items():
        prev = parents[block_hash]
        if prev in place:
            pc, pl = place[prev]
            parts.append(
                f'<line x1="{pc * step_x + 5 + box_w}" y1="{pl * step_y + 5 + box_h / 2}" '
                f'x2="{column * step_x + 5}" y2="{lane * step_y + 5 + box_h / 2}" stroke="#999"/>'
            )
    for block_hash, (column, lane) in place.items():
        fill = (
            "#ef9a9a" if block_hash in invalid else "#a5d6a7" if block_hash in active else "#e0e0e0"
        )
        x, y = column * step_x + 5, lane * step_y + 5
        parts.append(
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="4" fill="{fill}" '
            f'stroke="#555"/><text x="{x + box_w / 2}" y="{y + 15}" text-anchor="middle" '
            f'font-family="monospace" font-size="12">{esc(short_hex(block_hash, width))}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{svg_w}" height="{svg_h}" '
        f'viewBox="0 0 {svg_w} {svg_h}">' + "".join(parts) + "</svg>"
    )


def fork_tree_json_html(blocks: Iterable[Mapping[str, Any]], *, tip: str) -> str:
    """The tree from a node's ``GET /api/forks`` JSON: dicts with displayed-hex ``hash`` and
    ``prev_hash`` (and ``invalid`` or ``status``), ``tip`` the displayed id of the active tip."""
    from edu_chain.hashing import from_display_hex

    parents, invalid = {}, []
    for block in blocks:
        block_hash = from_display_hex(block["hash"])
        parents[block_hash] = from_display_hex(block["prev_hash"])
        if block.get("invalid") or block.get("status") == "invalid":
            invalid.append(block_hash)
    svg = tree_svg(parents, active_tip=from_display_hex(tip), invalid=invalid)
    caption = f"{len(parents)} blocks known; tip {tip} (green: active chain, grey: stale)"
    return f'<div><div style="font-family:monospace;font-size:12px">{esc(caption)}</div>{svg}</div>'


def block_tree_html(chain: Any) -> str:
    """A node's whole block tree, read from a chain state by duck typing.

    Needs ``chain.index`` (hash -> entry with ``header`` and ``status``) and ``chain.tip``
    (with ``hash``, ``height``); ready to be a chain state's ``_repr_html_``.
    """
    entries = list(chain.index.values())
    invalid = [e.hash for e in entries if getattr(e, "status", "") == "invalid"]
    tip = chain.tip
    caption = (
        f"{len(entries)} blocks known; active tip at height {tip.height}: {display_hex(tip.hash)}"
        f" (green: active chain, grey: stale, red: invalid)"
    )
    svg = fork_tree_svg([e.header for e in entries], active_tip=tip.hash, invalid=invalid)
    return f'<div><div style="font-family:monospace;font-size:12px">{esc(caption)}</div>{svg}</div>'


def record_html(record: Any, *, title: str = "") -> str:
    """Any dataclass, mapping or object with ``to_dict()`` as a two-column table.

    Meant for objects of other modules (grading results, chain tips) until they grow their own
    view.  A field named ``passed`` or ``ok`` is shown in colour.
    """
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    elif isinstance(record, Mapping):
        fields = dict(record)
    elif hasattr(record, "to_dict"):
        fields = dict(record.to_dict())
    else:
        fields = dict(vars(record))
    rows = []
    for name, value in fields.items():
        if name in ("passed", "ok") and isinstance(value, bool):
            rows.append((name, _verdict(value)))
        else:
            rows.append((name, _hexish(value)))
    return table_html(rows, header=("field", "value"), title=title or type(record).__name__)


# --- a progress bar that works in notebooks and terminals -------------------------------


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """A progress bar: an HTML bar updated in place in Jupyter, ``rich`` in a terminal.

    >>> with Progress(total=3, description="hashing", enabled=False) as bar:
    ...     for _ in range(3):
    ...         bar.advance()
    >>> bar.done
    3
    """

    def __init__(self, total: int, description: str = "", *, enabled: bool = True) -> None:
        self.total = max(int(total), 1)
        self.description = description
        self.done = 0
        self._enabled = enabled
        self._handle: Any = None
        self._rich: Any = None
        self._task: Any = None
        self._started = time.perf_counter()
        self._last_draw = 0.0

    def __enter__(self) -> Progress:
        if not self._enabled:
            return self
        if _in_notebook():
            from IPython.display import HTML, display

            self._handle = display(HTML(self._html()), display_id=True)
        else:
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(transient=False)
            self._rich.start()
            self._task = self._rich.add_task(self.description, total=self.total)
        return self

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if self._rich is not None:
            self._rich.update(self._task, completed=self.done)
        elif self._handle is not None:
            now = time.perf_counter()
            if now - self._last_draw > 0.1 or self.done >= self.total:  # ~10 redraws a second
                self._last_draw = now
                self._draw()

    def _draw(self) -> None:
        from IPython.display import HTML

        self._handle.update(HTML(self._html()))

    def _html(self) -> str:
        fraction = min(self.done / self.total, 1.0)
        elapsed = time.perf_counter() - self._started
        return (
            f'<div style="font-family:monospace;font-size:12px">{esc(self.description)} '
            f'<span style="display:inline-block;width:240px;height:10px;background:#eee;'
            f'border:1px solid #aaa;vertical-align:middle"><span style="display:block;'
            f'height:100%;width:{100 * fraction:.1f}%;background:#66bb6a"></span></span> '
            f"{self.done:,}/{self.total:,} ({elapsed:.1f} s)</div>"
        )

    def __exit__(self, *exc_info: object) -> None:
        if self._rich is not None:
            self._rich.stop()
        elif self._handle is not None:
            self._draw()


def track(
    iterable: Iterable[Any], total: int | None = None, description: str = ""
) -> Iterator[Any]:
    """Iterate with a progress bar: ``for x in track(items, description="mining"): ...``."""
    items = iterable if total is not None else list(iterable)
    count = total if total is not None else len(items)  # type: ignore[arg-type]
    with Progress(count, description) as bar:
        for item in items:
            yield item
            bar.advance()
