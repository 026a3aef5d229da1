"""The node's HTTP routes, one FastAPI ``APIRouter`` per concern.

    deps.py          the node of the request, the token check, finding a block
    chain.py         the tip, blocks (by hash, height, recent, raw, submit), forks, statistics
    transactions.py  submit a transaction, look one up, the mempool
    wallet.py        an address's balance and coins, the faucet
    control.py       node info, mining now and continuously, the peer list

The peer protocol's endpoints (``/p2p/*``, ``/api/headers``) live with its client half in
:mod:`edu_chain.node.p2p`.  :func:`edu_chain.node.api.create_app` assembles the routers.
"""
