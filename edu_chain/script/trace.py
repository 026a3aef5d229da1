"""A step-by-step record of a script verification, for reading in a terminal or in Jupyter.

>>> from edu_chain.script.script import parse_notation
>>> trace = trace_script(parse_notation("2 3"), parse_notation("ADD 5 EQUAL"))
>>> trace.ok, len(trace.steps)
(True, 5)
>>> print(trace.text())  # doctest: +NORMALIZE_WHITESPACE
scriptSig
   1  byte 0   2                              stack: 02
   2  byte 1   3                              stack: 02 03
scriptPubKey
   3  byte 0   OP_ADD                         stack: 05
   4  byte 1   5                              stack: 05 05
   5  byte 2   OP_EQUAL                       stack: 01
OK

Each step records the operation, whether it ran (operations inside an IF branch not taken
are read but skipped), the stack and alt-stack before and after, and the open IF branches.
A failing step carries the :class:`ScriptError`.  ``Trace`` prints as text and renders as an
HTML table in Jupyter (``_repr_html_``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from edu_chain.script.checker import SignatureChecker
from edu_chain.script.errors import ScriptError
from edu_chain.script.interpreter import Machine
from edu_chain.script.script import read_op, script_asm
from edu_chain.script.sighash import SighashCache, TransactionLike
from edu_chain.script.verify import verify_input, verify_script


@dataclass(frozen=True)
class Step:
    """One operation of one script."""

    phase: str  # "scriptSig", "scriptPubKey", "redeemScript", "witnessScript", ...
    position: int  # byte offset in that script
    operation: str  # Core's asm for it: an opcode name, or the pushed value
    executed: bool  # False inside an IF branch not taken
    stack_before: tuple[bytes, ...]
    stack_after: tuple[bytes, ...]
    altstack_before: tuple[bytes, ...]
    altstack_after: tuple[bytes, ...]
    branches: tuple[bool, ...]  # after the step: one entry per open IF, True if running
    error: ScriptError | None = None


@dataclass
class Trace:
    """Every step of a verification, and how it ended (``error`` is None when it passed)."""

    steps: list[Step] = field(default_factory=list)
    phases: list[tuple[str, bytes]] = field(default_factory=list)
    error: ScriptError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    # --- the tracer protocol the interpreter and verify_script call -------------------

    def begin(self, phase: str, script: bytes, stack: list[bytes]) -> None:
        self.phases.append((phase, script))

    def snapshot(self, m: Machine) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
        return tuple(m.stack), tuple(m.altstack)

    def record(self, m: Machine, before: Any, executed: bool, error: Any = None) -> None:
        stack_before, alt_before = before
        self.steps.append(
            Step(
                phase=self.phases[-1][0] if self.phases else "script",
                position=m.position,
                operation=_describe(m.script, m.position),
                executed=executed,
                stack_before=stack_before,
                stack_after=tuple(m.stack),
                altstack_before=alt_before,
                altstack_after=tuple(m.altstack),
                branches=tuple(m.conditions),
                error=error,
            )
        )

    # --- reading it ---------------------------------------------------------------------

    def text(self) -> str:
        lines, phase = [], None
        for number, step in enumerate(self.steps, 1):
            if step.phase != phase:
                phase = step.phase
                lines.append(phase)
            state = "stack: " + " ".join(_short(item) for item in step.stack_after)
            if step.altstack_after:
                state += "   alt: " + " ".join(_short(item) for item in step.altstack_after)
            if not step.executed:
                state = "(skipped: inside a branch not taken)"
            lines.append(f"{number:4}  byte {step.position:<3} {step.operation:<30} {state}")
            if step.error is not None:
                lines.append(f"      -> {step.error.code}: {step.error.message}")
        if self.error is not None and (not self.steps or self.steps[-1].error is None):
            lines.append(f"-> {self.error.code}: {self.error.message}")
        lines.append("OK" if self.ok else f"FAILED ({self.error.code})")  # type: ignore[union-attr]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = []
        for number, step in enumerate(self.steps, 1):
            style = "" if step.executed else " style='color:#999'"
            if step.error is not None:
                style = " style='background:#fde2e2'"
            rows.append(
                f"<tr{style}><td>{number}</td><td>{html.escape(step.phase)}</td>"
                f"<td>{step.position}</td><td><code>{html.escape(step.operation)}</code></td>"
                f"<td>{_html_stack(step.stack_before)}</td><td>{_html_stack(step.stack_after)}"
                f"</td><td>{_html_stack(step.altstack_after)}</td>"
                f"<td>{html.escape(_branches(step))}</td></tr>"
            )
        verdict = (
            "<p style='color:#1a7f37'><b>OK</b>: the input may spend the output.</p>"
            if self.ok
            else f"<p style='color:#b42318'><b>{html.escape(self.error.code)}</b>: "  # type: ignore[union-attr]
            f"{html.escape(self.error.message)}</p>"  # type: ignore[union-attr]
        )
        head = "".join(
            f"<th>{name}</th>"
            for name in ("#", "script", "byte", "operation", "stack before", "stack after")
        )
        return (
            "<table class='edu-chain-trace'><thead><tr>"
            f"{head}<th>alt-stack</th><th>branches</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{verdict}"
        )


def _describe(script: bytes, position: int) -> str:
    """The operation at ``position`` in Core's asm, with long pushes shortened."""
    op = read_op(script, position)
    if op is None:
        return f"[push past the end: 0x{script[position]:02x}]"
    _, data, end = op
    if data is not None and len(data) > 4:
        return f"<{len(data)} bytes: {_short(data)}>"
    return script_asm(script[position:end])


def _short(item: bytes) -> str:
    """A stack item for people: short items in full, long ones by their ends."""
    if not item:
        return "[]"
    text = item.hex()
    return text if len(item) <= 8 else f"{text[:8]}..{text[-4:]}"


def _html_stack(items: Sequence[bytes]) -> str:
    return "<br>".join(f"<code>{html.escape(_short(item))}</code>" for item in reversed(items))


def _branches(step: Step) -> str:
    return " ".join("run" if running else "skip" for running in step.branches)


def trace_script(
    script_sig: bytes,
    script_pubkey: bytes,
    witness: Sequence[bytes] = (),
    flags: frozenset[str] | str = frozenset(),
    checker: SignatureChecker | None = None,
) -> Trace:
    """Run :func:`verify_script` recording every step; the Trace says how it ended."""
    trace = Trace()
    try:
        verify_script(script_sig, script_pubkey, witness, flags, checker, tracer=trace)
    except ScriptError as error:
        trace.error = error
    return trace


def trace_input(
    tx: TransactionLike,
    index: int,
    script_pubkey: bytes,
    amount: int,
    flags: frozenset[str],
    *,
    cache: SighashCache | None = None,
) -> Trace:
    """Run :func:`verify_input` recording every step; the Trace says how it ended."""
    trace = Trace()
    try:
        verify_input(tx, index, script_pubkey, amount, flags, cache=cache, tracer=trace)
    except ScriptError as error:
        trace.error = error
    return trace
