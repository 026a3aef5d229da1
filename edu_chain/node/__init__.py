"""The node: HTTP API, peer-to-peer gossip and sync, miner thread, faucet (DESIGN.md section 7).

Modules:

    service.py   Node, NodeConfig: chain state + mempool + wallet + miner + peers, one lock
    miner.py     Miner: continuous mining (pause, resume, restart on a new tip), mine on demand
    p2p.py       PeerManager: gossip of blocks/transactions, sync with block locators
    faucet.py    Faucet: rate-limited payments from the node's wallet
    views.py     the JSON the API returns (blocks, transactions, addresses, statistics)
    api.py       create_app(node): the FastAPI app (every endpoint, the token, /docs)
    api_models.py    the request bodies (strict, bounded pydantic models)
    api_errors.py    the JSON error shape, one handler per error type, the body size limit
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
