"""The host's classroom API and page, added to the node's FastAPI app by ``install``.

Public (the projector page and participants read them; the join token is meant to be seen
by the room, it is on the page)::

    GET  /classroom                          the projector page (static/, same-origin only)
    GET  /api/classroom/info                 name, session, network, join command, reorgs,
                                             pace (target, measured seconds per block)
    GET  /api/classroom/leaderboard          **fixed**: [{"name", "address", "blocks", ...}]
    GET  /api/classroom/challenges           the scoreboard: who solved what, first marked
    POST /api/classroom/join {"name", "address", "node", "token"}    register (join token)
    GET  /api/classroom/directives?name=N    what N's agent must do now (mining, peers)

Instructor only (the node's own token, printed at start, never on the page)::

    POST /api/classroom/control {"action": "pause"|"resume"|"pace"|"partition"|"heal"|"reset",
                                 "interval"?: seconds, "group_b"?: [names]}
    POST /api/classroom/challenges {"toml": text}                  load a challenge set

The host also listens to its node's mempool refusals (``Node.on_tx_refused``) and keeps the
ones a loaded challenge asks about (``non-final`` for the starter set) in the classroom's
record (:meth:`~edu_chain.classroom.registry.Classroom.record_refusal`).

Refusals are the node's JSON error shape with a stable code (``bad-join-token`` 403,
``name-taken`` 409, ``bad-challenge-file`` 400...); a refused call changes nothing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from edu_chain.classroom.challenges import (
    ChainView,
    Challenge,
    ChallengeFileError,
    parse_challenges,
    recorded_reasons,
    scoreboard,
)
from edu_chain.classroom.leaderboard import Scanner, block_pace, leaderboard
from edu_chain.classroom.registry import Classroom, ClassroomError
from edu_chain.node.api_errors import ApiError, error_responses
from edu_chain.node.explorer import static_routes
from edu_chain.node.routes.deps import CONTROL, NodeDep
from edu_chain.node.service import Node, host_port

STATIC_FILES = {
    "classroom.css": "text/css; charset=utf-8",
    "classroom.js": "text/javascript; charset=utf-8",
}
CACHE_SECONDS = 1.0  # the leaderboard is recomputed at most once a second per chain state
MAX_ARRIVALS = 2_000  # first-seen times kept (the measured pace reads the last few)


class ClassroomHost:
    """Everything the classroom routes share on the host: the registry, the challenges,
    the chain scanner and a short cache, and the reorgs seen (for the page)."""

    def __init__(self, node: Node, classroom: Classroom, challenges: list[Challenge]) -> None:
        self.node = node
        self.classroom = classroom
        self.challenges = challenges
        self.scanner = Scanner(node.chain)
        self.reorgs: deque[dict] = deque(maxlen=20)
        self.arrivals: dict[bytes, float] = {}  # block hash -> when this node first saw it
        self.pace_height = 0  # the tip height when the pace last changed
        self._cache: dict[str, tuple[tuple, Any]] = {}
        self._lock = threading.Lock()
        node.chain.subscribe(self._on_chain_event)
        node.on_tx_refused(self._on_tx_refused)

    def _on_tx_refused(self, tx, error, origin: str | None) -> None:
        """The node refused a transaction: keep it if a challenge asks about that reason."""
        if error.code in recorded_reasons(self.challenges):
            self.classroom.record_refusal(tx.id, error.code, origin, self.node.chain.height)

    def _on_chain_event(self, event) -> None:
        if event.kind == "block_accepted":
            self.arrivals.setdefault(event.entry.hash, time.time())
            if len(self.arrivals) > MAX_ARRIVALS:
                del self.arrivals[next(iter(self.arrivals))]
        elif event.kind == "block_disconnected":
            if self.reorgs and time.time() - self.reorgs[-1]["at"] < 1.0:
                self.reorgs[-1]["disconnected"].append(event.entry.id)
            else:
                entry = event.entry
                self.reorgs.append(
                    {"at": time.time(), "height": entry.height, "disconnected": [entry.id]}
                )

    def _cached(self, what: str, compute) -> Any:
        chain = self.node.chain
        with self.node.lock:
            key = (chain.tip.hash, len(chain.index), self.classroom.version, int(time.time()))
            with self._lock:
                hit = self._cache.get(what)
            if hit is not None and hit[0] == key:
                return hit[1]
            value = compute()
        with self._lock:
            self._cache[what] = (key, value)
        return value

    def leaderboard(self) -> list[dict]:
        return self._cached(
            "leaderboard", lambda: leaderboard(self.classroom, self.node.chain, self.scanner)
        )

    def pace(self) -> dict:
        """The instructor's pace (``target``, None when unpaced) beside the interval the
        chain's timestamps show (:func:`~edu_chain.classroom.leaderboard.block_pace`)."""
        since = max(self.classroom.start_height, self.pace_height)
        with self.node.lock:
            measured = block_pace(self.node.chain, since, self.arrivals)
        return {"target": self.classroom.controls.interval, **measured}

    def reset(self) -> None:
        """The next group: a new session from the current height, and the page forgets the
        last group's reorgs and pace."""
        with self.node.lock:
            height = self.node.chain.height
        self.classroom.reset(height)
        self.reorgs.clear()
        self.pace_height = height
        if self.node.config.mine:  # the host's miner back to the defaults too
            self.node.miner.set_pace(None)
            self.node.miner.configure(enabled=True)

    def scoreboard(self) -> dict:
        view = ChainView(self.classroom, self.node.chain, self.scanner)
        return self._cached("scoreboard", lambda: scoreboard(view, self.challenges))

    def host_address(self, request: Request | None = None) -> str:
        """``host:port`` of this node as the caller reached it (the node may listen on
        0.0.0.0, which is no address to connect to)."""
        if request is not None and request.url.hostname:
            default = 443 if request.url.scheme == "https" else 80
            return host_port(request.url.hostname, request.url.port or default)
        return self.node.self_address

    def join_command(self) -> str:
        host = self.node.config.host
        shown = "HOST_IP" if host in ("0.0.0.0", "::") else host
        url = f"http://{host_port(shown, self.node.port)}"
        return (
            f"educhain classroom join {url} --token {self.classroom.join_token} "
            "--name YOUR_NAME --data-dir ~/educhain-class --port 8340 --host 0.0.0.0 --mine"
        )


class JoinBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: Annotated[str, Field(strict=True, max_length=100)]
    address: Annotated[str, Field(strict=True, max_length=100)]
    node: Annotated[str, Field(strict=True, max_length=300)]
    token: Annotated[str, Field(strict=True, max_length=200)]


class ControlBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action: Literal["pause", "resume", "pace", "partition", "heal", "reset"]
    interval: Annotated[float | None, Field(gt=0, le=3600)] = None
    group_b: Annotated[list[str] | None, Field(max_length=200)] = None


class ChallengesBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    toml: Annotated[str, Field(strict=True, max_length=200_000)]


router = APIRouter(tags=["classroom"])


def get_host(request: Request) -> ClassroomHost:
    return request.app.state.classroom


HostDep = Annotated[ClassroomHost, Depends(get_host)]


def _refused(exc: ClassroomError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message)


@router.get("/api/classroom/info")
def get_info(host: HostDep, node: NodeDep, request: Request) -> dict:
    """The classroom's name, session, network, the join command and recent reorgs."""
    return {
        **host.classroom.summary(),
        "network": node.params.name,
        "host": host.host_address(request),
        "join_token": host.classroom.join_token,
        "join_command": host.join_command(),
        "tip": node.tip_info(),
        "pace": host.pace(),
        "reorgs": list(host.reorgs),
    }


@router.get("/api/classroom/leaderboard")
def get_leaderboard(host: HostDep) -> list[dict]:
    """Per participant, from the chain: best-chain blocks paying its address, stale blocks,
    estimated hash rate, balance (see edu_chain.classroom.leaderboard)."""
    return host.leaderboard()


@router.get("/api/classroom/challenges")
def get_challenges(host: HostDep) -> dict:
    """Each challenge, its solvers in chain order (the first marked) and points."""
    return host.scoreboard()


@router.post("/api/classroom/join", responses=error_responses(400, 403, 409, 413))
def post_join(body: JoinBody, request: Request, host: HostDep) -> dict:
    """Register a display name and the wallet address its node mines to."""
    node_address = body.node
    client = request.client.host if request.client is not None else None
    if node_address.rsplit(":", 1)[0] in ("0.0.0.0", "[::]") and client is not None:
        node_address = f"{client}:{node_address.rsplit(':', 1)[1]}"  # reach it where it is
    try:
        participant = host.classroom.join(body.name, body.address, node_address, body.token)
    except ClassroomError as exc:
        raise _refused(exc) from None
    return {
        "name": participant.name,
        "address": participant.address,
        "node": participant.node,
        "session": host.classroom.session,
        "host": host.host_address(request),
        "network": host.node.params.name,
    }


@router.get("/api/classroom/directives", responses=error_responses(400, 404))
def get_directives(
    host: HostDep, request: Request, name: Annotated[str, Query(max_length=100)]
) -> dict:
    """What participant ``name``'s agent must do now (polled about once a second)."""
    try:
        directives = host.classroom.directives(name, host.host_address(request))
    except ClassroomError as exc:
        raise _refused(exc) from None
    if directives["group"] == "B":  # the host keeps its side of a partition too
        node_address = host.classroom.participants[name].node
        if node_address in host.node.peers.addresses():
            host.node.peers.remove(node_address)
    return directives


@router.post(
    "/api/classroom/control",
    dependencies=CONTROL,
    responses=error_responses(400, 401, 403, 413),
)
def post_control(body: ControlBody, host: HostDep, node: NodeDep) -> dict:
    """The instructor's controls: pause/resume mining, pace, partition/heal, reset."""
    classroom = host.classroom
    try:
        if body.action in ("pause", "resume"):
            classroom.set_controls(mining=body.action == "resume")
            if node.config.mine:  # the host mines too (--mine): it follows the room
                node.miner.configure(enabled=body.action == "resume")
        elif body.action == "pace":
            classroom.set_controls(interval=body.interval, clear_interval=body.interval is None)
            with node.lock:
                host.pace_height = node.chain.height  # measure the new pace from here
            if node.config.mine:  # the host mines too: it keeps the room's pace
                node.miner.set_pace(body.interval, max(1, len(classroom.participants)))
        elif body.action == "partition":
            group_b = classroom.partition(body.group_b)
            for name in group_b:
                node.peers.remove(classroom.participants[name].node)
        elif body.action == "heal":
            classroom.heal()
        else:
            host.reset()
    except ClassroomError as exc:
        raise _refused(exc) from None
    return classroom.summary()


@router.post(
    "/api/classroom/challenges",
    dependencies=CONTROL,
    responses=error_responses(400, 401, 403, 413),
)
def post_challenges(body: ChallengesBody, host: HostDep) -> dict:
    """Replace the challenge set with a TOML text; a malformed one changes nothing."""
    try:
        challenges = parse_challenges(body.toml, "the uploaded challenges")
    except ChallengeFileError as exc:
        raise ApiError(400, "bad-challenge-file", str(exc)) from None
    host.challenges = challenges
    host.classroom.version += 1  # invalidates the cached scoreboard
    return {"challenges": [c.id for c in challenges]}


def install(app: Any, node: Node, classroom: Classroom, challenges: list[Challenge]) -> None:
    """Add the classroom routes and page to a node's app (``run_node(extend_app=...)``)."""
    app.state.classroom = ClassroomHost(node, classroom, challenges)
    app.include_router(router)
    page, asset = static_routes(__package__, "classroom.html", STATIC_FILES, "classroom")
    app.add_api_route("/classroom", page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/classroom/static/{name}", asset, methods=["GET"], include_in_schema=False)
    app.openapi_schema = None  # the document now includes the classroom routes


__all__ = ["ClassroomHost", "install", "router"]
