"""Challenges checked by the chain: a TOML file of tasks, each scored by a checker.

A challenge file (the starter set ships as ``starter_challenges.toml`` beside this module)::

    [[challenge]]
    id = "three-classmates"              # unique; letters, digits, '-'
    title = "Send coins to three classmates in one transaction"
    points = 3
    check = "pay-classmates"             # one of CHECKERS below
    classmates = 3                       # options the checker reads

Each checker walks the host's best chain above the session's start height, oldest block
first, and returns who solved the challenge where (block height, and the txid or block hash
as evidence).  The first solver is the one whose evidence is earliest on the best chain, so a
reorg can change the winner, as it would change any on-chain fact.  Nothing a participant
*claims* is trusted: only blocks and transactions count, plus, for a challenge about a
refusal, the host's own record of what its mempool refused (``Classroom.refused``).

======================  ==================================================  ===============
check                   solved by                                           credited to
======================  ==================================================  ===============
``coinbase-name``       a block whose coinbase data contains the name       the coinbase's
                                                                            payee
``pay-classmates``      one transaction paying ``classmates`` (3) others    whose coins it
                                                                            spends
``reorg-someone``       a block replacing another participant's block       its payee
``multisig-spend``      an input unlocking a ``required``-of-``keys``       the first
                        (2-of-3) P2SH / P2WSH / P2SH-P2WSH multisig         participant its
                                                                            outputs pay
``low-fee``             a confirmed fee rate below ``below`` (1) sat/vB     whose coins it
                                                                            spends
``refused-then-mined``  a txid the host refused for ``reason``              whose coins it
                        (``non-final``), later in a block                   spends, or who
                                                                            sent it
======================  ==================================================  ===============

"Whose coins it spends": the participant whose registered address the output spent by the
transaction's first input pays.

A malformed file raises :class:`ChallengeFileError` with one line naming the file and the
problem, before anything is replaced.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from edu_chain.classroom.leaderboard import Scanner
from edu_chain.classroom.registry import Classroom
from edu_chain.errors import EduChainError

STARTER_FILE = "starter_challenges.toml"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9\-]{0,39}$")


class ChallengeFileError(EduChainError):
    """A challenge file that cannot be used: not TOML, a missing or wrong field, an unknown
    checker, a duplicate id.  The message is one line naming the file."""


@dataclass(frozen=True)
class Challenge:
    id: str
    title: str
    points: int
    check: str
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Solve:
    name: str
    height: int
    evidence: str  # txid or block hash (displayed hex)


@dataclass(frozen=True)
class ChainView:
    """What a checker reads: the classroom's participants and the best chain's blocks."""

    classroom: Classroom
    chain: object  # ChainState, read under its lock
    scanner: Scanner

    def session_blocks(self):
        """(entry, block) for each best-chain block of the session, oldest first."""
        for entry in self.session_entries():
            block = self.chain.get_block(entry.hash)
            if block is not None:
                yield entry, block

    def session_entries(self):
        """The index entries of the session's best-chain blocks, oldest first."""
        start = min(self.classroom.start_height, self.chain.height)
        return self.chain.active[start + 1 :]

    def session_transactions(self):
        """(entry, facts) for each non-coinbase transaction of the session's best chain, in
        chain order, with what it spent (:mod:`edu_chain.classroom.txfacts`, cached)."""
        for entry in self.session_entries():
            for facts in self.scanner.transactions(entry.hash):
                yield entry, facts


def check_coinbase_name(view: ChainView, challenge: Challenge) -> list[Solve]:
    """A best-chain block whose coinbase pays a participant and whose coinbase data
    contains that participant's name (UTF-8, as typed when joining)."""
    solves: dict[str, Solve] = {}
    owners = view.classroom.by_script()
    for entry, block in view.session_blocks():
        coinbase = block.transactions[0]
        text = coinbase.inputs[0].script_sig
        for out in coinbase.outputs:
            name = owners.get(out.script_pubkey)
            if name and name not in solves and name.encode() in text:
                solves[name] = Solve(name, entry.height, entry.id)
    return list(solves.values())


def check_pay_classmates(view: ChainView, challenge: Challenge) -> list[Solve]:
    """One confirmed transaction, spending a participant's coins, whose outputs pay at least
    ``classmates`` (default 3) *other* participants."""
    needed = int(challenge.options.get("classmates", 3))
    owners = view.classroom.by_script()
    solves: dict[str, Solve] = {}
    for entry, block in view.session_blocks():
        for tx in block.transactions[1:]:
            paid = {owners.get(out.script_pubkey) for out in tx.outputs} - {None}
            if len(paid) < needed:  # cheap test first: most transactions stop here
                continue
            sender = _sender(view, tx, owners)
            if sender is None or sender in solves:
                continue
            if len(paid - {sender}) >= needed:
                solves[sender] = Solve(sender, entry.height, tx.id)
    return list(solves.values())


def _sender(view: ChainView, tx, owners: dict[bytes, str]) -> str | None:
    """The participant whose coins the first input spends (found in the chain)."""
    outpoint = tx.inputs[0].outpoint
    found = view.chain.find_tx(outpoint.txid)
    if found is None:
        return None
    spent_tx, _ = found
    if outpoint.index >= len(spent_tx.outputs):
        return None
    return owners.get(spent_tx.outputs[outpoint.index].script_pubkey)


def check_reorg_someone(view: ChainView, challenge: Challenge) -> list[Solve]:
    """A best-chain block paying a participant at a height where the host once had
    *another* participant's block on its best chain (status ``valid``: connected, then
    disconnected by a reorg): the solver's branch removed someone else's block."""
    chain = view.chain
    owners = view.classroom.by_script()
    start = min(view.classroom.start_height, chain.height)
    solves: dict[str, Solve] = {}
    removed = sorted(
        (
            e
            for e in chain.index.values()
            if start < e.height <= chain.height and e.status == "valid" and not chain.contains(e)
        ),
        key=lambda e: e.height,
    )
    for entry in removed:
        losers = _payees(view, entry.hash, owners)
        winner_entry = chain.active[entry.height]
        for winner in sorted(_payees(view, winner_entry.hash, owners)):
            if winner not in solves and losers - {winner}:
                solves[winner] = Solve(winner, entry.height, winner_entry.id)
    return list(solves.values())


def _payees(view: ChainView, block_hash: bytes, owners: dict[bytes, str]) -> set[str]:
    facts = view.scanner.facts(block_hash)
    if facts is None:
        return set()
    return {owners[s] for s in facts.payees if s in owners}


def check_multisig_spend(view: ChainView, challenge: Challenge) -> list[Solve]:
    """A best-chain transaction with an input that unlocks a ``required``-of-``keys``
    (default 2-of-3) multisig behind P2SH, P2WSH or P2SH-P2WSH (bare multisig has no
    address and does not count), credited to the participant its first output paying a
    registered address pays: spend from the multisig *to yourself*."""
    required = challenge.options.get("required", 2)
    keys = challenge.options.get("keys", 3)
    owners = view.classroom.by_script()
    solves: dict[str, Solve] = {}
    for entry, facts in view.session_transactions():
        if not any(m.required == required and m.keys == keys for m in facts.multisig):
            continue
        payee = next((owners[s] for s in facts.outputs if s in owners), None)
        if payee is not None and payee not in solves:
            solves[payee] = Solve(payee, entry.height, facts.txid)
    return list(solves.values())


def check_low_fee(view: ChainView, challenge: Challenge) -> list[Solve]:
    """A best-chain transaction paying less than ``below`` (default 1) satoshi per virtual
    byte: fee = the outputs it spends (from the block's undo data) minus its outputs,
    over ``tx.vsize``.  The mempool refuses such a fee (``min-relay-fee-not-met``), so its
    owner has to mine it in a block of their own.  Credited to the participant whose coins
    it spends (its first input spends an output paying their registered address)."""
    below = challenge.options.get("below", 1)
    owners = view.classroom.by_script()
    solves: dict[str, Solve] = {}
    for entry, facts in view.session_transactions():
        if facts.fee_rate >= below:
            continue
        sender = owners.get(facts.spends_from)
        if sender is not None and sender not in solves:
            solves[sender] = Solve(sender, entry.height, facts.txid)
    return list(solves.values())


def check_refused_then_mined(view: ChainView, challenge: Challenge) -> list[Solve]:
    """A transaction the *host's* mempool refused for ``reason`` (default ``non-final``: its
    locktime was not reached yet), recorded by the host at the time, that later sits in a
    best-chain block above the height where it was refused.  Credited to the participant
    whose coins it spends, or else to the participant whose node sent it (the request came
    from the address that participant's node registered)."""
    refused = view.classroom.refused(challenge.options.get("reason", "non-final"))
    if not refused:
        return []
    owners = view.classroom.by_script()
    solves: dict[str, Solve] = {}
    for entry, facts in view.session_transactions():
        refusal = refused.get(facts.txid)
        if refusal is None or entry.height <= refusal.height:
            continue
        name = owners.get(facts.spends_from) or view.classroom.participant_at(refusal.origin)
        if name is not None and name not in solves:
            solves[name] = Solve(name, entry.height, facts.txid)
    return list(solves.values())


CHECKERS: dict[str, Callable[[ChainView, Challenge], list[Solve]]] = {
    "coinbase-name": check_coinbase_name,
    "pay-classmates": check_pay_classmates,
    "reorg-someone": check_reorg_someone,
    "multisig-spend": check_multisig_spend,
    "low-fee": check_low_fee,
    "refused-then-mined": check_refused_then_mined,
}

REASON_PATTERN = re.compile(r"^[a-z0-9][a-z0-9\-]{0,60}$")
# The options each checker reads: (type, check, what a good value is).
OPTIONS: dict[str, dict[str, tuple[type | tuple[type, ...], Callable[[Any], bool], str]]] = {
    "pay-classmates": {"classmates": (int, lambda v: 1 <= v <= 100, "1..100")},
    "multisig-spend": {
        "required": (int, lambda v: 1 <= v <= 15, "1..15"),
        "keys": (int, lambda v: 1 <= v <= 15, "1..15"),
    },
    "low-fee": {"below": ((int, float), lambda v: 0 < v <= 1_000_000, "above 0 sat/vB")},
    "refused-then-mined": {
        "reason": (str, REASON_PATTERN.match, "a mempool reason code such as non-final")
    },
}


def _check_options(where: str, check: str, options: dict) -> None:
    for key, (kind, good, expected) in OPTIONS.get(check, {}).items():
        if key not in options:
            continue
        value = options[key]
        if isinstance(value, bool) or not isinstance(value, kind) or not good(value):
            raise ChallengeFileError(f"{where}: option {key!r} must be {expected}, got {value!r}")
    if check == "multisig-spend" and options.get("required", 2) > options.get("keys", 3):
        raise ChallengeFileError(f"{where}: 'required' signatures cannot exceed 'keys'")


def recorded_reasons(challenges: list[Challenge]) -> set[str]:
    """The refusal reasons the host must record for these challenges."""
    return {
        c.options.get("reason", "non-final") for c in challenges if c.check == "refused-then-mined"
    }


def parse_challenges(text: str, source: str = "challenges") -> list[Challenge]:
    """The challenges in TOML ``text``; :class:`ChallengeFileError` (one line) if malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChallengeFileError(f"{source}: not valid TOML: {exc}") from None
    items = data.get("challenge")
    if not isinstance(items, list) or not items:
        raise ChallengeFileError(f"{source}: no [[challenge]] tables found")
    challenges: list[Challenge] = []
    for number, item in enumerate(items, start=1):
        where = f"{source}: challenge #{number}"
        if not isinstance(item, dict):
            raise ChallengeFileError(f"{where}: expected a table")
        for key, kind in (("id", str), ("title", str), ("check", str), ("points", int)):
            if not isinstance(item.get(key), kind) or isinstance(item.get(key), bool):
                raise ChallengeFileError(f"{where}: '{key}' must be a {kind.__name__}")
        if not ID_PATTERN.match(item["id"]):
            raise ChallengeFileError(f"{where}: id {item['id']!r} must be lowercase a-z, 0-9, -")
        if item["check"] not in CHECKERS:
            raise ChallengeFileError(
                f"{where}: unknown check {item['check']!r}; known: {', '.join(sorted(CHECKERS))}"
            )
        if not 0 <= item["points"] <= 1000:
            raise ChallengeFileError(f"{where}: points must be between 0 and 1000")
        if any(c.id == item["id"] for c in challenges):
            raise ChallengeFileError(f"{where}: duplicate id {item['id']!r}")
        options = {k: v for k, v in item.items() if k not in ("id", "title", "check", "points")}
        _check_options(where, item["check"], options)
        challenges.append(
            Challenge(item["id"], item["title"], item["points"], item["check"], options)
        )
    return challenges


def load_challenges(path: str | Path | None = None) -> list[Challenge]:
    """The challenges in ``path`` (the starter set when None)."""
    if path is None:
        text = resources.files(__package__).joinpath(STARTER_FILE).read_text(encoding="utf-8")
        return parse_challenges(text, STARTER_FILE)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChallengeFileError(f"{path}: cannot read: {exc}") from None
    return parse_challenges(text, str(path))


def scoreboard(view: ChainView, challenges: list[Challenge]) -> dict:
    """Per challenge, who solved it (first solver marked), and points per participant."""
    rows = []
    points: dict[str, int] = {}
    for challenge in challenges:
        solves = sorted(CHECKERS[challenge.check](view, challenge), key=lambda s: s.height)
        for solve in solves:
            points[solve.name] = points.get(solve.name, 0) + challenge.points
        rows.append(
            {
                "id": challenge.id,
                "title": challenge.title,
                "points": challenge.points,
                "first": solves[0].name if solves else None,
                "solvers": [
                    {"name": s.name, "height": s.height, "evidence": s.evidence, "first": i == 0}
                    for i, s in enumerate(solves)
                ],
            }
        )
    ranking = sorted(points.items(), key=lambda item: (-item[1], item[0]))
    return {"challenges": rows, "points": [{"name": n, "points": p} for n, p in ranking]}


__all__ = [
    "CHECKERS",
    "ChainView",
    "Challenge",
    "ChallengeFileError",
    "Solve",
    "load_challenges",
    "parse_challenges",
    "recorded_reasons",
    "scoreboard",
]
