"""The host's classroom state: who joined, the join token, the instructor's controls.

Kept in ``DATA_DIR/classroom.json`` (rewritten atomically after every change), so a host
restarted during a session keeps its participants.  A participant is a display name bound to
one wallet address (where its node's coinbases pay) and the ``host:port`` of its node.

The host also keeps a small record of transactions its mempool *refused* for a reason a
challenge asks about (``non-final``: "refused, then mined"): txid, reason, who sent it (the
HTTP client's address), when, and the tip height then.  It is bounded (``MAX_REFUSALS``, at
most ``MAX_REFUSALS_PER_ORIGIN`` per sender, the oldest dropped first) and fed by the node's
refusal listener (``Node.on_tx_refused``), so the mempool knows nothing of classrooms.

Refusals carry a stable code (:class:`ClassroomError`): ``bad-join-token``, ``name-taken``,
``address-taken``, ``bad-name``, ``bad-address``, ``bad-node-address``, ``not-registered``,
``bad-control``.  A refused call changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from edu_chain.errors import EduChainError
from edu_chain.node.p2p import parse_peer_address
from edu_chain.node.state import parse_address

STATE_FILE = "classroom.json"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,23}$")
ONLINE_SECONDS = 10.0  # a participant whose agent polled this recently is "online"
MAX_REFUSALS = 1_000  # refusals remembered per session (the oldest go first)
MAX_REFUSALS_PER_ORIGIN = 100  # so one laptop's flood cannot push out the others' records


class ClassroomError(EduChainError):
    """A classroom call was refused; ``code`` is stable, ``status`` the HTTP status."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Participant:
    name: str
    address: str  # the wallet address its coinbases pay
    node: str  # host:port of its node, as the host and the other participants reach it
    joined_at: float
    script_pubkey: bytes = field(default=b"", repr=False)  # parsed from address, not stored


@dataclass
class Controls:
    """What the instructor decided; participants' agents read it (``directives``)."""

    mining: bool = True  # False: every participant's miner pauses
    interval: float | None = None  # the room's target seconds per block (pace); None: no pace
    partition: list[str] | None = None  # names cut off with group B; None: one room


@dataclass(frozen=True)
class Refusal:
    """One transaction the host's mempool refused."""

    txid: str  # displayed hex
    reason: str  # the mempool's reason code, e.g. "non-final"
    origin: str | None  # the sender: HTTP client address or peer host:port; None if unknown
    at: float  # unix time
    height: int  # the host's tip height when it refused


def origin_host(address: str | None) -> str | None:
    """``"1.2.3.4"``, ``"1.2.3.4:8340"`` or ``"[::1]:8340"`` -> the host part."""
    if not address:
        return None
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


class Classroom:
    """Participants and controls of one classroom session (thread-safe)."""

    def __init__(
        self,
        data_dir: Path | None,
        *,
        name: str = "classroom",
        join_token: str | None = None,
        start_height: int = 0,
    ) -> None:
        self.path = None if data_dir is None else Path(data_dir) / STATE_FILE
        self.name = name
        self.join_token = join_token or secrets.token_hex(4)
        self.session = secrets.token_hex(6)
        self.start_height = start_height  # blocks above this height count for this session
        self.participants: dict[str, Participant] = {}
        self.controls = Controls()
        self.last_seen: dict[str, float] = {}
        self.refusals: dict[str, Refusal] = {}  # txid -> its first refusal, oldest first
        self.version = 0  # bumped on every change: caches key on it
        self._lock = threading.Lock()
        if self.path is not None and self.path.exists():
            self._load(join_token)

    # --- persistence ----------------------------------------------------------------------

    def _load(self, join_token: str | None) -> None:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.session = str(data["session"])
            self.start_height = int(data["start_height"])
            self.join_token = join_token or str(data["join_token"])
            self.controls = Controls(**data["controls"])
            for item in data["participants"]:
                p = Participant(**item)
                p.script_pubkey = parse_address(p.address)
                self.participants[p.name] = p
            for item in data.get("refusals", []):  # absent in files of older versions
                refusal = Refusal(**item)
                self.refusals[refusal.txid] = refusal
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ClassroomError(
                "bad-state-file", f"cannot read {self.path}: {exc}; move it away to start afresh"
            ) from None

    def _save(self) -> None:
        self.version += 1
        if self.path is None:
            return
        data = {
            "session": self.session,
            "start_height": self.start_height,
            "join_token": self.join_token,
            "controls": asdict(self.controls),
            "participants": [
                {"name": p.name, "address": p.address, "node": p.node, "joined_at": p.joined_at}
                for p in self.participants.values()
            ],
            "refusals": [asdict(r) for r in self.refusals.values()],
        }
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the token
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, self.path)

    # --- joining --------------------------------------------------------------------------

    def check_token(self, token: object) -> None:
        if not isinstance(token, str) or not secrets.compare_digest(
            token.encode(), self.join_token.encode()
        ):
            raise ClassroomError(
                "bad-join-token",
                "the join token does not match this classroom's (it is on the classroom page)",
                status=403,
            )

    def join(self, name: str, address: str, node: str, token: str) -> Participant:
        """Register ``name`` -> ``address``; the same name and address again is a rejoin."""
        self.check_token(token)
        if not NAME_PATTERN.match(name or ""):
            raise ClassroomError(
                "bad-name",
                f"{name[:40]!r} is not a display name: 1-24 letters, digits, spaces, "
                "'.', '_' or '-', starting with a letter or digit",
            )
        try:
            script_pubkey = parse_address(address)
        except EduChainError as exc:
            raise ClassroomError("bad-address", str(exc)) from None
        try:
            node = parse_peer_address(node)
        except EduChainError as exc:
            raise ClassroomError("bad-node-address", str(exc)) from None
        with self._lock:
            existing = self.participants.get(name)
            if existing is not None and existing.address != address:
                raise ClassroomError(
                    "name-taken",
                    f"{name!r} has already joined this classroom; choose another --name",
                    status=409,
                )
            for other in self.participants.values():
                if other.address == address and other.name != name:
                    raise ClassroomError(
                        "address-taken",
                        f"this wallet address is already registered as {other.name!r}",
                        status=409,
                    )
            participant = Participant(name, address, node, time.time(), script_pubkey)
            if existing is not None:
                participant.joined_at = existing.joined_at
            self.participants[name] = participant
            self.last_seen[name] = time.time()
            self._save()
            return participant

    def by_script(self) -> dict[bytes, str]:
        """scriptPubKey -> participant name: how chain data is attributed."""
        with self._lock:
            return {p.script_pubkey: p.name for p in self.participants.values()}

    def roster(self) -> list[Participant]:
        with self._lock:
            return sorted(self.participants.values(), key=lambda p: p.joined_at)

    def participant_at(self, origin: str | None) -> str | None:
        """The participant whose node registered from ``origin``'s host, when exactly one
        did (several participants on one machine cannot be told apart: None)."""
        host = origin_host(origin)
        if host is None:
            return None
        with self._lock:
            names = [p.name for p in self.participants.values() if origin_host(p.node) == host]
        return names[0] if len(names) == 1 else None

    # --- refusals the challenges ask about ------------------------------------------------

    def record_refusal(
        self, txid: str, reason: str, origin: str | None, height: int, at: float | None = None
    ) -> bool:
        """Remember that the host refused ``txid`` for ``reason``; False when it already
        was (the first refusal is the one kept).  Bounded: see the module docstring."""
        with self._lock:
            if txid in self.refusals:
                return False
            same_origin = [r.txid for r in self.refusals.values() if r.origin == origin]
            if len(same_origin) >= MAX_REFUSALS_PER_ORIGIN:
                del self.refusals[same_origin[0]]
            elif len(self.refusals) >= MAX_REFUSALS:
                del self.refusals[next(iter(self.refusals))]
            self.refusals[txid] = Refusal(txid, reason, origin, at or time.time(), height)
            self._save()
            return True

    def refused(self, reason: str) -> dict[str, Refusal]:
        """txid -> refusal, for the refusals with ``reason``."""
        with self._lock:
            return {t: r for t, r in self.refusals.items() if r.reason == reason}

    def online(self, name: str) -> bool:
        return time.time() - self.last_seen.get(name, 0.0) < ONLINE_SECONDS

    # --- the instructor's controls and what agents read -----------------------------------

    def set_controls(
        self,
        *,
        mining: bool | None = None,
        interval: float | None = None,
        clear_interval: bool = False,
    ) -> None:
        with self._lock:
            if mining is not None:
                self.controls.mining = mining
            if interval is not None or clear_interval:
                self.controls.interval = interval
            self._save()

    def partition(self, group_b: list[str] | None = None) -> list[str]:
        """Cut the room in two: ``group_b`` (default: every other participant in join order)
        forms its own network around its first member (the hub); the host stays with the
        rest."""
        roster = [p.name for p in self.roster()]
        if group_b is None:
            group_b = roster[1::2]
        unknown = [n for n in group_b if n not in self.participants]
        if unknown or not group_b:
            raise ClassroomError(
                "bad-control",
                f"group B must name registered participants (unknown: {unknown})"
                if unknown
                else "group B is empty: at least two participants must have joined",
            )
        with self._lock:
            self.controls.partition = list(dict.fromkeys(group_b))  # its first member: the hub
            self._save()
            return list(self.controls.partition)

    def heal(self) -> None:
        with self._lock:
            self.controls.partition = None
            self._save()

    def reset(self, start_height: int) -> str:
        """A new session for the next group: participants and scores start afresh from
        blocks above ``start_height`` (the chain itself cannot be rewound)."""
        with self._lock:
            self.session = secrets.token_hex(6)
            self.start_height = start_height
            self.participants.clear()
            self.last_seen.clear()
            self.refusals.clear()
            self.controls = Controls()
            self._save()
            return self.session

    def group_b(self) -> list[str]:
        return list(self.controls.partition or [])

    def directives(self, name: str, host_address: str) -> dict:
        """What participant ``name``'s agent must do now: mine or not, its pace, which peer
        to keep (``connect``) and which to drop (``drop``)."""
        with self._lock:
            participant = self.participants.get(name)
            if participant is None:
                raise ClassroomError(
                    "not-registered",
                    f"{name!r} is not registered in this session (the instructor may have "
                    "reset the classroom): join again",
                    status=404,
                )
            self.last_seen[name] = time.time()
            group_b = self.controls.partition or []
            miners = max(1, len(self.participants))
            nodes = {p.name: p.node for p in self.participants.values()}
            interval = self.controls.interval
            if name in group_b:
                hub = nodes[group_b[0]]
                connect = [] if name == group_b[0] else [hub]
                drop = [host_address] + [nodes[n] for n in nodes if n not in group_b]
            else:
                connect = [host_address]
                drop = [nodes[n] for n in group_b]
            return {
                "session": self.session,
                "mining": self.controls.mining,
                # every miner waits until `interval` after the tip's block before mining on
                # it: about one block per `interval` for the room (edu_chain.node.miner's
                # "Pace"; not a consensus rule).  `miners` centres their random start offsets.
                "pace": interval,
                "miners": miners,
                "connect": connect,
                "drop": [a for a in drop if a != participant.node],
                "partitioned": bool(group_b),
                "group": "B" if name in group_b else "A",
            }

    def summary(self) -> dict:
        with self._lock:
            return {
                "name": self.name,
                "session": self.session,
                "start_height": self.start_height,
                "controls": asdict(self.controls),
                "participants": len(self.participants),
            }


__all__ = ["Classroom", "ClassroomError", "Participant", "Refusal"]
