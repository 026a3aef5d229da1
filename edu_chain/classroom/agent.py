"""The participant's side: register with the host, then follow the instructor's controls.

``register(...)`` is one ``POST /api/classroom/join`` (refusals become a one-line
:class:`~edu_chain.classroom.registry.ClassroomError`).  :class:`Agent` is a daemon thread in
the participant's node process that polls ``GET /api/classroom/directives`` about once a
second and applies what it reads to its own node:

* ``mining``: pause or resume the miner (only if the participant joined with ``--mine``);
* ``pace``: the room's target seconds per block: the miner starts on a new tip only that long
  after the tip's block was made (:mod:`edu_chain.node.miner`, "Pace"), whoever mines it;
* ``connect`` / ``drop``: the peers to keep and to cut.  Normally the only peer is the host;
  during a partition group B connects to its first member instead, so the two halves mine
  separate branches, and on heal everyone reconnects to the host and the lighter branch
  is reorganised away.

If the host is unreachable the node simply keeps mining and gossiping; if the session was
reset the agent pauses mining and says so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from edu_chain.classroom.registry import ClassroomError
from edu_chain.errors import NodeError
from edu_chain.node.client import NodeClient, NodeClientError, NodeRefusedError

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def register(url: str, *, name: str, address: str, node: str, token: str) -> dict:
    """Join the classroom at ``url``; the host's reply, or a one-line ClassroomError."""
    with NodeClient(url, timeout=10.0) as client:
        try:
            return client.post(
                "/api/classroom/join",
                {"name": name, "address": address, "node": node, "token": token},
            )
        except NodeRefusedError as exc:
            raise ClassroomError(exc.code, exc.message.split(": ", 2)[-1]) from None
        except NodeClientError as exc:
            raise ClassroomError(exc.code, exc.message) from None


def classroom_info(url: str) -> dict:
    """``GET /api/classroom/info`` of the host, or a one-line ClassroomError."""
    with NodeClient(url, timeout=10.0) as client:
        try:
            return client.get("/api/classroom/info")
        except NodeClientError as exc:
            raise ClassroomError(
                exc.code, f"{url} is not a classroom host: {exc.message}"
            ) from None


class Agent:
    """Polls the host and applies its directives to ``node`` (see the module docstring)."""

    def __init__(
        self,
        node,  # edu_chain.node.service.Node, running
        url: str,
        name: str,
        session: str,
        *,
        mine: bool,
        echo: Callable[[str], None] = print,
        interval: float = POLL_SECONDS,
    ) -> None:
        self.node = node
        self.client = NodeClient(url, timeout=5.0)
        self.name = name
        self.session = session
        self.mine = mine
        self.echo = echo
        self.interval = interval
        self.last: dict | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="classroom-agent", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # never let the agent die: the node keeps going on its own
                log.exception("classroom agent step failed")
            self._stop.wait(self.interval)

    def step(self) -> None:
        try:
            directives = self.client.get("/api/classroom/directives", name=self.name)
        except NodeRefusedError as exc:
            if exc.code == "not-registered" and self.mine and self.node.miner.enabled:
                self.node.miner.configure(enabled=False)
                self.echo("the instructor reset the classroom: mining paused; join again")
            return
        except NodeClientError:
            return  # host unreachable: keep mining and gossiping with what we have
        if directives.get("session") != self.session:
            return
        self.apply(directives)

    def apply(self, directives: dict) -> None:
        node = self.node
        if self.mine and bool(directives["mining"]) != node.miner.enabled:
            node.miner.configure(enabled=bool(directives["mining"]))
            state = "resumed" if directives["mining"] else "paused by the instructor"
            self.echo(f"mining {state}")
        pace = directives.get("pace")
        node.miner.set_pace(None if pace is None else float(pace), int(directives.get("miners", 1)))
        peers = set(node.peers.addresses())
        for address in directives["drop"]:
            if address in peers:
                node.peers.remove(address)
        for address in directives["connect"]:
            if address not in peers:
                try:
                    node.peers.add(address)
                except NodeError as exc:
                    log.warning("cannot connect to %s: %s", address, exc)
        if self.last is None or self.last.get("partitioned") != directives["partitioned"]:
            if directives["partitioned"]:
                self.echo(f"the room is partitioned: you are in group {directives['group']}")
            elif self.last is not None:
                self.echo("the partition healed: back on one network")
        self.last = directives


__all__ = ["Agent", "classroom_info", "register"]
