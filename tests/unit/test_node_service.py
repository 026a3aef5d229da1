"""The Node under concurrent use: HTTP workers, the miner and peers share one lock.

Oracle: after threads submit transactions through the API while another thread mines, every
transaction is either confirmed on the active chain or waiting in the mempool (none lost, none
twice), the mempool holds only transactions valid on the tip, and the chain passes
``check_consistency`` (an independent replay of every block into a fresh UTXO set).
"""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from edu_chain.chain import ChainParams
from edu_chain.chain.builder import ChainBuilder
from edu_chain.keys import PrivateKey
from edu_chain.node import Node, NodeConfig
from edu_chain.node.api import create_app
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import OutPoint

PARAMS = ChainParams.for_tests()


def test_concurrent_submissions_while_mining_lose_nothing():
    node = Node(NodeConfig(network="unittest"))
    try:
        client = TestClient(create_app(node), raise_server_exceptions=False)
        client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
        owner = node.wallet.keys[0]
        builder = ChainBuilder(chain=node.chain, key=owner)
        # Split one mature coinbase into 40 coins that can be spent independently.
        (coinbase_coin, *_) = builder.spendable_coins()
        split = builder.spend(
            [coinbase_coin], [(p2wpkh(owner.public_key.pubkey_hash()), 1_000)] * 40
        )
        assert client.post("/api/tx", json={"hex": split.serialize().hex()}).status_code == 200
        client.post("/api/mine", json={"count": 1})
        payee = p2wpkh(PrivateKey(555).public_key.pubkey_hash())
        spends = [
            builder.spend([(OutPoint(split.txid, i), split.outputs[i])], [(payee, 500)])
            for i in range(40)
        ]

        statuses: list[int] = []
        lock = threading.Lock()

        def submit(chunk) -> None:
            for tx in chunk:
                reply = client.post("/api/tx", json={"hex": tx.serialize().hex()})
                with lock:
                    statuses.append(reply.status_code)

        def mine() -> None:
            for _ in range(5):
                client.post("/api/mine", json={"count": 1})

        workers = [threading.Thread(target=submit, args=(spends[i::4],)) for i in range(4)]
        workers.append(threading.Thread(target=mine))
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

        assert statuses == [200] * 40
        confirmed = {tx.txid for tx in spends if node.chain.find_tx(tx.txid) is not None}
        waiting = {tx.txid for tx in spends if tx.txid in node.mempool}
        assert confirmed | waiting == {tx.txid for tx in spends}
        assert not confirmed & waiting
        client.post("/api/mine", json={"count": 1})
        assert len(node.mempool) == 0
        assert all(node.chain.find_tx(tx.txid) is not None for tx in spends)
        assert node.chain.check_consistency().ok
    finally:
        node.stop()
