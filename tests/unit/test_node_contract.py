"""The node answers as its OpenAPI document says (in process, with FastAPI's TestClient).

Oracles: the document itself (``/openapi.json``: the published pattern of a field, the
methods listed for a path) and JSON Schema's own rules (``2.0`` is an integer).  The full
fuzzing of the contract is tests/functional/test_node_openapi.py.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from edu_chain.node import Node, NodeConfig
from edu_chain.node.api import create_app


@pytest.fixture
def client():
    node = Node(NodeConfig(network="unittest"))
    yield TestClient(create_app(node), raise_server_exceptions=False)
    node.stop()


def test_a_whole_number_written_as_a_float_is_an_integer(client):
    reply = client.post("/api/mine", json={"count": 2.0})
    assert reply.status_code == 200 and reply.json()["count"] == 2
    for bad in ("2", True, 2.5):
        reply = client.post("/api/mine", json={"count": bad})
        assert reply.status_code == 400 and reply.json()["error"]["code"] == "invalid-request"
    assert client.get("/api/tip").json()["height"] == 2


def test_wrong_method_lists_every_method_of_the_path(client):
    document = client.get("/openapi.json").json()
    for path in ("/api/blocks", "/api/peers", "/api/tip"):
        reply = client.put(path)
        assert reply.status_code == 405
        documented = {m.upper() for m in document["paths"][path]}
        assert set(reply.headers["allow"].split(", ")) == documented


@pytest.mark.parametrize(
    ("path", "field", "good", "bad", "code"),
    [
        ("/p2p/bye", "address", "p:1/", "p:1//", "bad-peer-address"),
        ("/p2p/bye", "address", "http://a.b:65535", "a.b:65536", "bad-peer-address"),
        ("/api/tx", "hex", None, "0", "decode-bad-hex"),
    ],
)
def test_body_fields_follow_their_published_pattern(client, path, field, good, bad, code):
    document = client.get("/openapi.json").json()
    body_ref = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    model = body_ref["schema"]["$ref"].rsplit("/", 1)[1]
    pattern = document["components"]["schemas"][model]["properties"][field]["pattern"]
    assert not re.fullmatch(pattern, bad)
    reply = client.post(path, json={field: bad})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == code
    if good is not None:
        assert re.fullmatch(pattern, good)
        assert client.post(path, json={field: good}).status_code == 200


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/blocks/zz", "decode-bad-hex"),
        ("/api/tx/" + "0" * 63, "decode-bad-hex"),
        ("/api/address/0OIl", "bad-address"),
        ("/api/peers/a:0", "bad-peer-address"),
    ],
)
def test_path_parameters_follow_their_published_pattern(client, path, code):
    method = "DELETE" if path.startswith("/api/peers") else "GET"
    reply = client.request(method, path)
    assert reply.status_code == 400 and reply.json()["error"]["code"] == code
