"""The scholarship report: one row per payment, and totals that balance to the base unit.

Every coin that entered the treasury is accounted for::

    funded = paid + fees + clawed back + balance

    funded       coins sent to the treasury address by anyone else (the donor), read from
                 the payout PSBTs' inputs and the node's view of the treasury address
    paid         outputs paid to students, less the tranches taken back
    fees         the fees of the payout, cancel and clawback transactions (a cancel spends a
                 waiting PSBT's coins back to the treasury: only its fee leaves the fund)
    clawed back  what the clawback transactions sent on (tranche less its fee)
    balance      what the node says the treasury holds now (mempool included)

The two sides are computed from different records (the registry's transactions against the
node's coins), so a payout missing from the chain, a coin spent behind the registry's back,
or a bug, shows up as a difference, and :attr:`Report.problems` says where.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edu_chain.hashing import display_hex
from edu_chain.node.client import NodeClient, NodeRefusedError
from edu_chain.psbt import Psbt
from edu_chain.scholarship.registry import Payment, Registry
from edu_chain.tx import OutPoint, Transaction, TxOut

COLUMNS = ("student", "address", "amount", "txid", "confirmations", "tranche", "status")


@dataclass
class Report:
    rows: list[dict[str, Any]] = field(default_factory=list)
    funded: int = 0
    paid: int = 0
    fees: int = 0
    clawed_back: int = 0
    balance: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def difference(self) -> int:
        return self.funded - (self.paid + self.fees + self.clawed_back + self.balance)

    @property
    def balanced(self) -> bool:
        return self.difference == 0 and not self.problems

    def totals(self) -> dict[str, int]:
        return {
            "funded": self.funded,
            "paid": self.paid,
            "fees": self.fees,
            "clawed_back": self.clawed_back,
            "balance": self.balance,
            "difference": self.difference,
        }

    def write_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)


def build_report(registry: Registry, node: NodeClient) -> Report:
    """Read the registry and ask ``node``; see the module docstring for the sums."""
    treasury = registry.treasury
    report = Report()
    clawbacks = registry.clawbacks()
    sent = registry.batches("signed", "broadcast")
    cancels = _cancels(registry)
    ours = {b.txid for b in sent} | {c[0] for c in clawbacks.values()} | set(cancels)
    tip = node.tip().height
    status_of = {b.txid: _tx_status(node, b.txid) for b in sent if b.txid}
    for batch in sent:
        confirmations, where = status_of[batch.txid]
        if where == "missing":
            report.problems.append(
                f"batch {batch.id}: transaction {batch.txid} is not on the node "
                "(run the payout again to resend it)"
            )
        psbt = Psbt.from_base64(batch.psbt)
        report.fees += psbt.fee() or 0
        for index, tx_input in enumerate(psbt.tx.inputs):
            if display_hex(tx_input.outpoint.txid) not in ours:
                spent = psbt.spent_output(index)
                report.funded += spent.amount if spent is not None else 0
    for txid, (tx, spent, fee, batches) in cancels.items():
        if _tx_status(node, txid)[1] == "missing":
            report.problems.append(
                f"batch {batches[0]}: its cancel transaction {txid} is not on the node "
                "(run `educhain scholarship cancel` again to resend it)"
            )
        report.fees += fee
        for tx_input in tx.inputs:
            if display_hex(tx_input.outpoint.txid) not in ours:
                report.funded += spent[tx_input.outpoint].amount
    address_view = node.address(treasury.address)
    outside = _OutsideSpends(node, treasury.address, ours)
    for utxo in address_view.get("utxos", []):
        if not utxo.get("spent_in_mempool") and outside.is_funding(utxo["txid"]):
            report.funded += int(utxo["amount"])
    for pending in address_view.get("mempool", []):
        if outside.is_funding(pending["txid"]):
            report.funded += int(pending["received"])
    report.problems += outside.problems
    report.balance = int(address_view["balance"]) + int(address_view.get("unconfirmed_delta", 0))
    unspent = _UnspentTranches(node)
    for payment in registry.payments():
        confirmations, where = status_of.get(payment.txid, (0, payment.state))
        status = where
        clawback = clawbacks.get(payment.id)
        if payment.state in ("broadcast", "signed"):
            report.paid += payment.amount
        if clawback is not None:
            status = "clawed-back"
            report.paid -= payment.amount
            report.clawed_back += clawback[2] - clawback[3]
            report.fees += clawback[3]
        elif payment.tranche and where in ("confirmed", "mempool"):
            status = _tranche_status(payment, where == "mempool" or unspent(payment), tip)
        report.rows.append(
            {
                "student": payment.student,
                "address": payment.address,
                "amount": payment.amount,
                "txid": payment.txid or "",
                "confirmations": confirmations,
                "tranche": payment.tranche,
                "status": status,
            }
        )
    if report.difference:
        report.problems.append(
            f"the totals differ by {report.difference} base units: funded {report.funded} != "
            f"paid {report.paid} + fees {report.fees} + clawed back {report.clawed_back} + "
            f"balance {report.balance}"
        )
    return report


def _cancels(
    registry: Registry,
) -> dict[str, tuple[Transaction, dict[OutPoint, TxOut], int, list[int]]]:
    """Each cancel transaction (of a batch ``cancelling`` or ``cancelled``): txid ->
    (transaction, the coins it spends as the cancelled PSBTs describe them, fee, batches)."""
    found: dict[str, tuple[Transaction, dict[OutPoint, TxOut], int, list[int]]] = {}
    recorded = registry.cancels()
    for batch in registry.batches("cancelling", "cancelled"):
        txid, tx_hex, fee = recorded[batch.id]
        if txid not in found:
            found[txid] = (Transaction.parse(bytes.fromhex(tx_hex)), {}, fee, [])
        psbt = Psbt.from_base64(batch.psbt)
        for index, tx_input in enumerate(psbt.tx.inputs):
            spent = psbt.spent_output(index)
            if spent is not None:
                found[txid][1][tx_input.outpoint] = spent
        found[txid][3].append(batch.id)
    return found


class _OutsideSpends:
    """Coins reaching the treasury in a transaction the registry did not make are funding,
    unless that transaction spends treasury coins itself: then someone signed a spend
    outside ``educhain scholarship`` (its change is not new money), and the report says so."""

    def __init__(self, node: NodeClient, treasury_address: str, ours: set[str | None]) -> None:
        self.node, self.treasury_address, self.ours = node, treasury_address, ours
        self.problems: list[str] = []

    def is_funding(self, txid: str) -> bool:
        if txid in self.ours:
            return False
        inputs = self.node.tx(txid).get("vin", [])
        if any(i.get("address") == self.treasury_address for i in inputs):
            self.problems.append(
                f"transaction {txid} spends treasury coins but is not in the registry "
                "(signed outside `educhain scholarship`)"
            )
            return False
        return True


class _UnspentTranches:
    """Is a tranche's output still unspent?  One ``GET /api/address`` per tranche address."""

    def __init__(self, node: NodeClient) -> None:
        self.node = node
        self.coins: dict[str, set[tuple[str, int]]] = {}

    def __call__(self, payment: Payment) -> bool:
        if payment.address not in self.coins:
            view = self.node.address(payment.address)
            self.coins[payment.address] = {
                (u["txid"], u["index"])
                for u in view.get("utxos", [])
                if not u.get("spent_in_mempool")
            }
        return (payment.txid, payment.vout) in self.coins[payment.address]


def _tranche_status(payment: Payment, unspent: bool, tip: int) -> str:
    if not unspent:
        return "claimed"
    if payment.unlock_height is not None and tip < payment.unlock_height:
        return f"locked until {payment.unlock_height}"
    return "claimable"


def _tx_status(node: NodeClient, txid: str | None) -> tuple[int, str]:
    if txid is None:
        return 0, "unsigned"
    try:
        reply = node.tx(txid)
    except NodeRefusedError as error:
        if error.status == 404:
            return 0, "missing"
        raise
    return int(reply.get("confirmations", 0)), str(reply.get("status", "unknown"))
