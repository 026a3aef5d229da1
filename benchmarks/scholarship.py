"""Scholarship payout benchmark: one batched payout against one transaction per student.

A 2-of-3 P2WSH treasury pays ``--students`` students (P2WPKH addresses), offline: coins in
a dict, no node.  Both ways are planned with the same coin selection and fee rate
(``edu_chain.wallet.create_psbt``) and signed by two signer wallets through PSBT (sign,
finalize, extract with every input verified by the script interpreter):

* **batched**: ``edu_chain.scholarship.plan_batches`` (as many students per transaction as
  fit ``MAX_STANDARD_TX_WEIGHT``), what ``educhain scholarship payout`` does;
* **one per student** (the competitor, in the same run): a PSBT per student, each spending
  the change of the one before.

Printed: transactions, total vbytes and total fees of each way, the seconds to plan and
sign, and the ratios ``fee_ratio`` (per-student fees / batched fees) and ``time_ratio``.
JSON keys: ``students``, ``batched_txs``, ``batched_vbytes``, ``batched_fee``,
``batched_seconds``, ``single_txs``, ``single_vbytes``, ``single_fee``, ``single_seconds``,
``fee_ratio``, ``time_ratio``.

Run from the repository root: ``python benchmarks/scholarship.py [--json] [--students N]``.
"""

from __future__ import annotations

import time

from _common import emit, parser

from edu_chain.keys import PrivateKey
from edu_chain.scholarship import Terms, plan_batches
from edu_chain.scholarship.treasury import sign
from edu_chain.tx import OutPoint, TxOut
from edu_chain.wallet import Multisig, Wallet, create_psbt

COIN = 100_000_000


def setup(students: int):
    keys = [PrivateKey(0xB0_0000 + i) for i in range(3)]
    treasury = Multisig.create(2, [k.public_key.sec() for k in keys])
    signers = [Wallet("a.json", [keys[0]]), Wallet("b.json", [keys[1]])]
    coins = {
        OutPoint(bytes([i + 1]) * 32, 0): TxOut(50 * COIN, treasury.script_pubkey) for i in range(4)
    }
    payees = [
        (f"s{i}", Wallet("s.json", [PrivateKey(0x5_0000 + i)]).address) for i in range(students)
    ]
    return treasury, signers, coins, payees


def batched(students: int) -> tuple[list, float, int]:
    treasury, signers, coins, payees = setup(students)
    funded = dict(coins)
    start = time.perf_counter()
    plans = plan_batches(treasury, coins, payees, Terms(COIN // 100))
    txs = [sign(plan.psbt, signers) for plan in plans]
    return txs, time.perf_counter() - start, fees(txs, funded)


def one_per_student(students: int) -> tuple[list, float, int]:
    treasury, signers, coins, payees = setup(students)
    funded = dict(coins)
    start = time.perf_counter()
    txs = []
    for _, address in payees:
        psbt = create_psbt(treasury, coins, [(address, COIN // 100)])
        txs.append(sign(psbt, signers))
        for tx_input in psbt.tx.inputs:
            coins.pop(tx_input.outpoint)
        change = len(psbt.tx.outputs) - 1
        if psbt.tx.outputs[change].script_pubkey == treasury.script_pubkey:
            coins[OutPoint(psbt.tx.txid, change)] = psbt.tx.outputs[change]
    return txs, time.perf_counter() - start, fees(txs, funded)


def fees(txs: list, coins: dict[OutPoint, TxOut]) -> int:
    """Sum over the transactions of inputs minus outputs (the treasury's coins, then each
    transaction's outputs, are the inputs' amounts)."""
    known = {outpoint: output.amount for outpoint, output in coins.items()}
    total = 0
    for tx in txs:
        for index, output in enumerate(tx.outputs):
            known[OutPoint(tx.txid, index)] = output.amount
        total += sum(known[i.outpoint] for i in tx.inputs) - sum(o.amount for o in tx.outputs)
    return total


def main() -> None:
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--students", type=int, default=300)
    args = args_parser.parse_args()
    batch_txs, batch_seconds, batch_fee = batched(args.students)
    single_txs, single_seconds, single_fee = one_per_student(args.students)
    result = {
        "students": args.students,
        "batched_txs": len(batch_txs),
        "batched_vbytes": sum(tx.vsize for tx in batch_txs),
        "batched_fee": batch_fee,
        "batched_seconds": round(batch_seconds, 3),
        "single_txs": len(single_txs),
        "single_vbytes": sum(tx.vsize for tx in single_txs),
        "single_fee": single_fee,
        "single_seconds": round(single_seconds, 3),
    }
    result["fee_ratio"] = round(result["single_fee"] / result["batched_fee"], 2)
    result["time_ratio"] = round(single_seconds / batch_seconds, 2)

    def table(r: dict) -> str:
        return "\n".join(
            [
                f"{r['students']} students, 2-of-3 P2WSH treasury",
                f"{'':<18}{'txs':>6}{'vbytes':>10}{'fee':>10}{'seconds':>10}",
                f"{'batched':<18}{r['batched_txs']:>6}{r['batched_vbytes']:>10}"
                f"{r['batched_fee']:>10}{r['batched_seconds']:>10}",
                f"{'one per student':<18}{r['single_txs']:>6}{r['single_vbytes']:>10}"
                f"{r['single_fee']:>10}{r['single_seconds']:>10}",
                f"fee ratio {r['fee_ratio']}x, time ratio {r['time_ratio']}x",
            ]
        )

    emit(result, args.json, table)


if __name__ == "__main__":
    main()
