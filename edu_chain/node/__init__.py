"""The node: HTTP API, peer-to-peer gossip and sync, miner thread, faucet
(docs/architecture.md#node-and-testnet).

Modules (imports run one way, top to bottom; tests/unit/test_node_structure.py checks it):

    client.py    NodeClient: one typed HTTP client for the API (wallet CLI, testnet, peers)
    state.py     NodeState: chain + mempool + their one lock, shared by the parts below
    miner.py     Miner: continuous mining (pause, resume, restart on a new tip), mine on demand
    faucet.py    Faucet: rate-limited payments from the node's wallet
    p2p.py       the peer protocol, both halves: PeerManager (gossip, sync with block
                 locators) and the router serving /p2p/* and /api/headers
    service.py   Node, NodeConfig: builds the state and hands it to the parts above
    views.py     the JSON the API returns (blocks, transactions, addresses, statistics)
    api_models.py    the request bodies and parameters (strict, bounded, published patterns)
                     and the error model
    api_errors.py    the JSON error shape, one handler per error type, the body size limit
    routes/      one APIRouter per concern: chain, transactions, wallet, control
    api.py       create_app(node): assembles the routers, /docs, the OpenAPI contract
    server.py    run_node(config): serve with uvicorn until SIGINT/SIGTERM, stop cleanly
    explorer/    the web explorer served at / (mounted by api.py)
    testnet.py   `educhain testnet up/status/down`: several nodes on one machine

>>> from edu_chain.node import Node, NodeConfig
>>> node = Node(NodeConfig(network="unittest"))
>>> node.tip_info()["height"]
0
"""

from edu_chain.node.service import Node as Node
from edu_chain.node.service import NodeConfig as NodeConfig
from edu_chain.node.service import network_params as network_params

__all__ = ["Node", "NodeConfig", "network_params"]
