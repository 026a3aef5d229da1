"""Schemathesis hook for the node contract test: generated peers point at a closed port.

``POST /api/peers`` and ``POST /p2p/hello`` make the node connect to the address they name.
Schemathesis generates any host the published pattern allows (``a.b:80``, ``8.8.8.8:53``),
which would make the fuzzed node look up and contact hosts off this machine.  Before each
call, a schema-valid peer address is rewritten to ``127.0.0.1:PORT``, where PORT
(``EDUCHAIN_ST_CLOSED_PORT``) is a loopback port the test holds bound without listening: the
request stays schema-valid, and the node's peer thread is refused at once.  Addresses that
break the pattern are left alone (they are the negative cases).

A generated case whose path and query, percent-encoded, would not fit in the node's request
head (``MAX_REQUEST_HEAD_BYTES``, with room left for the request line and headers) is dropped:
the HTTP parser answers it with its own plain-text 400 before the API sees it, which is the
transport's limit, not the API's contract.  (Schemathesis' negative phase once generated a
1,400-character path of four-byte characters: 16 KiB encoded, uvicorn's default limit, which
the node used then.)
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

import schemathesis

from edu_chain.node.api_models import PEER_PATTERN
from edu_chain.node.server import MAX_REQUEST_HEAD_BYTES

PEER_ADDING = {("POST", "/api/peers"), ("POST", "/p2p/hello")}
_PEER = re.compile(PEER_PATTERN)
HEAD_ROOM_BYTES = 2048  # the method, the path template, the HTTP version and the headers


def encoded_url_bytes(case: Any) -> int:
    """The bytes the case's path parameters and query take once percent-encoded."""
    values = [*(case.path_parameters or {}).values(), *(case.query or {}).values()]
    flat = [item for value in values for item in (value if isinstance(value, list) else [value])]
    return sum(len(quote(str(item), safe="")) for item in flat)


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    return encoded_url_bytes(case) <= MAX_REQUEST_HEAD_BYTES - HEAD_ROOM_BYTES


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if (case.method.upper(), case.path) not in PEER_ADDING or not isinstance(case.body, dict):
        return
    address = case.body.get("address")
    if isinstance(address, str) and _PEER.fullmatch(address):
        case.body["address"] = f"127.0.0.1:{os.environ['EDUCHAIN_ST_CLOSED_PORT']}"
