"""Schemathesis hook for the node contract test: generated peers point at a closed port.

``POST /api/peers`` and ``POST /p2p/hello`` make the node connect to the address they name.
Schemathesis generates any host the published pattern allows (``a.b:80``, ``8.8.8.8:53``),
which would make the fuzzed node look up and contact hosts off this machine.  Before each
call, a schema-valid peer address is rewritten to ``127.0.0.1:PORT``, where PORT
(``EDUCHAIN_ST_CLOSED_PORT``) is a loopback port the test holds bound without listening: the
request stays schema-valid, and the node's peer thread is refused at once.  Addresses that
break the pattern are left alone (they are the negative cases).
"""

from __future__ import annotations

import os
import re
from typing import Any

import schemathesis

from edu_chain.node.api_models import PEER_PATTERN

PEER_ADDING = {("POST", "/api/peers"), ("POST", "/p2p/hello")}
_PEER = re.compile(PEER_PATTERN)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if (case.method.upper(), case.path) not in PEER_ADDING or not isinstance(case.body, dict):
        return
    address = case.body.get("address")
    if isinstance(address, str) and _PEER.fullmatch(address):
        case.body["address"] = f"127.0.0.1:{os.environ['EDUCHAIN_ST_CLOSED_PORT']}"
