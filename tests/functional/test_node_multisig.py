"""Real node processes running real Bitcoin transactions: a 2-of-3 P2WSH multisig spent through
a PSBT, and a CLTV-locked output refused before its height and accepted after.

Oracles: the nodes' own consensus and relay checks (``POST /api/tx`` accepts or refuses with
Bitcoin Core's code), the second node's view after gossip (the transaction confirms in a block
both nodes agree on), and the balances the nodes report for each address.
"""

from __future__ import annotations

import pytest

from edu_chain.keys import PrivateKey
from edu_chain.node.client import NodeClient, NodeRefusedError
from edu_chain.psbt import Psbt, combine, extract, finalize
from edu_chain.script.address import REGTEST, script_pubkey_to_address
from edu_chain.script.checker import SIGVERSION_WITNESS_V0
from edu_chain.script.errors import SCRIPT_ERRORS
from edu_chain.script.script import push_data, push_int
from edu_chain.script.sign import create_signature
from edu_chain.script.standard import p2wsh_for
from edu_chain.tx import COIN, OutPoint, Transaction, TxIn, TxOut
from edu_chain.wallet import Multisig, Wallet, create_psbt
from tests.functional.harness import NodeHarness, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

OP_CHECKLOCKTIMEVERIFY, OP_DROP, OP_CHECKSIG = b"\xb1", b"\x75", b"\xac"


def _wallet(name: str, secret: int) -> Wallet:
    return Wallet(f"{name}.json", [PrivateKey(secret)])  # never saved


def _balance(node, address: str) -> int:
    return node.get(f"/api/address/{address}")["balance"]


def _coins(node, address: str, script_pubkey: bytes) -> dict[OutPoint, TxOut]:
    """What a wallet may spend of ``address``, as the node reports it."""
    with NodeClient(node.url) as client:
        return client.coins(address, script_pubkey).spendable


def _fund(h: NodeHarness, node, address: str, amount: int) -> None:
    """The node's faucet pays ``address``; the payment is mined and seen by every node."""
    paid = node.faucet(address, amount)
    h.sync_mempools()
    node.mine(1)
    h.sync_blocks()
    assert paid.txid not in node.mempool_txids()


def test_2_of_3_p2wsh_signed_on_two_wallets_broadcast_by_a_third_party(tmp_path):
    with NodeHarness(tmp_path, nodes=2) as h:
        a, b = h.nodes
        h.connect(a, b)
        maturity = a.info()["network"]["coinbase_maturity"]
        a.mine(maturity + 1)  # the faucet (node a's wallet) owns mature coins
        h.sync_blocks()

        alice, bob, carol = _wallet("a", 0xA1), _wallet("b", 0xB2), _wallet("c", 0xC3)
        pubkeys = [w.keys[0].public_key.sec() for w in (alice, bob, carol)]
        treasury = Multisig.create(2, reversed(pubkeys))  # any order: BIP67 sorts them
        assert treasury == Multisig.create(2, pubkeys)
        assert treasury.address.startswith("bcrt1q") and len(treasury.address) == 64
        _fund(h, a, treasury.address, 3 * COIN)
        assert _balance(b, treasury.address) == 3 * COIN

        h.log.info("the coordinator builds the PSBT; Alice and Bob sign their own copies")
        dave = _wallet("d", 0xD4)
        view = _coins(b, treasury.address, treasury.script_pubkey)
        unsigned = create_psbt(treasury, view, [(dave.address, COIN)], fee=5_000).to_base64()
        from_alice = alice.sign_psbt(Psbt.from_base64(unsigned)).to_base64()
        from_bob = bob.sign_psbt(Psbt.from_base64(unsigned)).to_base64()
        with pytest.raises(Exception, match="2 signatures"):
            finalize(Psbt.from_base64(from_alice))  # one signature is not enough

        h.log.info("a third party combines, finalizes and broadcasts through node b")
        tx = extract(finalize(combine(Psbt.from_base64(from_alice), Psbt.from_base64(from_bob))))
        accepted = b.submit_tx(tx.serialize().hex())
        assert accepted.txid == tx.id and accepted.fee == 5_000
        wait_until(lambda: tx.id in a.mempool_txids(), what="the spend to reach node a")
        a.mine(1)
        h.sync_blocks()
        confirmed = b.tx(tx.id)
        assert confirmed["status"] == "confirmed"
        assert len(confirmed["vin"][0]["txinwitness"]) == 4  # dummy, 2 signatures, script
        assert _balance(b, dave.address) == COIN
        assert _balance(b, treasury.address) == 2 * COIN - 5_000  # the change


def test_cltv_output_refused_before_its_height_and_accepted_after(tmp_path):
    with NodeHarness(tmp_path, nodes=2) as h:
        a, b = h.nodes
        h.connect(a, b)
        maturity = a.info()["network"]["coinbase_maturity"]
        a.mine(maturity + 1)
        h.sync_blocks()

        owner = PrivateKey(0xC17)
        unlock_height = a.tip()["height"] + 5
        script = (
            push_int(unlock_height)
            + OP_CHECKLOCKTIMEVERIFY
            + OP_DROP
            + push_data(owner.public_key.sec())
            + OP_CHECKSIG
        )
        address = script_pubkey_to_address(p2wsh_for(script), REGTEST)
        _fund(h, a, address, COIN)
        (outpoint, coin), *_ = _coins(b, address, p2wsh_for(script)).items()

        def spend(locktime: int) -> Transaction:
            payee = p2wsh_for(b"\x51")  # any standard output will do
            tx = Transaction(
                2, [TxIn(outpoint, sequence=0xFFFFFFFE)], [TxOut(COIN - 2_000, payee)], locktime
            )
            signature = create_signature(
                owner, tx, 0, script, amount=coin.amount, sigversion=SIGVERSION_WITNESS_V0
            )
            return tx.with_input(0, witness=(signature, script))

        h.log.info("locktime %d, tip %d: not final yet", unlock_height, a.tip()["height"])
        with pytest.raises(NodeRefusedError) as refused:
            b.submit_tx(spend(unlock_height).serialize().hex())
        assert refused.value.code == "non-final"
        early = spend(a.tip()["height"])  # final now, but below what the script demands
        with pytest.raises(NodeRefusedError) as refused:
            b.submit_tx(early.serialize().hex())
        why = SCRIPT_ERRORS["UNSATISFIED_LOCKTIME"]
        assert refused.value.code == f"mandatory-script-verify-flag-failed ({why})"
        assert b.mempool_txids() == set()

        a.mine(unlock_height - a.tip()["height"])
        h.sync_blocks()
        h.log.info("tip %d: the same spend is accepted and confirms", a.tip()["height"])
        late = spend(unlock_height)
        assert b.submit_tx(late.serialize().hex()).txid == late.id
        wait_until(lambda: late.id in a.mempool_txids(), what="the spend to reach node a")
        a.mine(1)
        h.sync_blocks()
        assert b.tx(late.id)["status"] == "confirmed"
        assert _balance(b, address) == 0
