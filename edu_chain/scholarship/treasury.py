"""The treasury and its payouts: signers' key files, an m-of-n P2WSH address, batched PSBTs.

How a payout runs (:func:`run_payout`), and why it never pays a student twice:

1. :func:`resume` first settles what an earlier run left (see ``registry.py``): a batch
   whose signed transaction was recorded is sent again (the same txid: a node that has it
   says so); a batch that never got signed is abandoned, its students planned again.
2. :func:`plan_batches` builds one PSBT (BIP174) per batch of unpaid students, as many
   students per transaction as fit the size limit (``MAX_STANDARD_TX_WEIGHT``, and the
   chain's maximum transaction size).  Each later batch spends the change of the one before,
   so the batches can all go to the node at once.
3. Each batch is recorded (``planned``) before it is signed, signed by the given signer
   files (:meth:`Wallet.sign_psbt`), finalized and extracted (each input verified by the
   script interpreter), recorded with its txid (``signed``), then sent (``broadcast``);
   a node that refuses it and does not hold it: ``abandoned``, its students unpaid again.

Fewer signers than the threshold: refused before anything is planned or sent.

Cancelling a PSBT the signers never bring back (:func:`cancel_waiting`): marking it abandoned
would not do, since a signed copy may sit on a laptop and reach any node later.  Instead the
threshold of signers spends every coin the waiting PSBT spends back to the treasury (less
the fee), recorded (``cancelling``) before it is sent, then ``cancelled`` once the node takes
it: the old PSBT can never be mined.  Until the cancel is confirmed, the next payout spends
the cancel's own output, so the new payout can be mined only if the cancel is (and then the
old PSBT cannot): the batch's students are paid once whichever transaction a miner sees.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from edu_chain.hashing import from_display_hex, hash160
from edu_chain.node.client import NodeClient, NodeRefusedError
from edu_chain.policy import MAX_STANDARD_TX_WEIGHT
from edu_chain.psbt import Psbt, extract, finalize
from edu_chain.scholarship.registry import TREASURY_FILE, Batch, Registry, RegistryError
from edu_chain.scholarship.vesting import Tranche
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut
from edu_chain.wallet import (
    DEFAULT_FEE_RATE,
    Multisig,
    Wallet,
    WalletError,
    create_psbt,
    decode_address,
    fee_for,
)

SIGNER_FILE = "signer{}.json"
R = TypeVar("R")
ALREADY_THERE = ("txn-already-in-mempool", "txn-already-known")


def init_treasury(directory: str | Path, signers: int, threshold: int) -> Multisig:
    """Create ``signer1.json .. signerN.json`` (one fresh key each, mode 0600), the
    ``threshold``-of-``signers`` P2WSH treasury, ``treasury.json`` and the registry.

    Refuses (:class:`RegistryError`) a folder that has a registry already."""
    directory = Path(directory)
    if (directory / "registry.sqlite").exists():
        raise RegistryError(f"{directory} holds a scholarship already")
    if not 1 <= threshold <= signers:
        raise RegistryError(f"the threshold must be 1..{signers} signers, got {threshold}")
    directory.mkdir(parents=True, exist_ok=True)
    wallets = [Wallet.create(directory / SIGNER_FILE.format(i)) for i in range(1, signers + 1)]
    treasury = Multisig.create(threshold, [w.public_keys[0] for w in wallets])
    description = json.dumps(treasury.to_dict(), indent=2)
    (directory / TREASURY_FILE).write_text(description + "\n", encoding="utf-8")
    with Registry(directory, create=True) as registry:
        registry.set_meta("treasury", description)
    return treasury


def load_signers(paths: Sequence[str | Path], treasury: Multisig) -> list[Wallet]:
    """The signer files, each checked to hold one of the treasury's keys; at least the
    threshold of different signers, or :class:`WalletError` (nothing else happens)."""
    wallets, seen = [], set()
    for path in paths:
        wallet = Wallet.load(path)
        keys = set(wallet.public_keys) & set(treasury.pubkeys)
        if not keys:
            raise WalletError(f"{path} holds no key of this treasury: not one of its signers")
        if keys <= seen:
            raise WalletError(f"{path} is a signer given twice")
        seen |= keys
        wallets.append(wallet)
    if len(seen) < treasury.required:
        raise WalletError(
            f"{len(seen)} signer(s) given, the treasury needs {treasury.required} of "
            f"{len(treasury.pubkeys)}: refused, nothing was sent"
        )
    return wallets


# --- planning --------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """What each student gets: ``amount`` base units, in ``tranches`` outputs (1: paid
    outright to the student's address), tranche i unlocking at ``start_height + i*every``
    and returning to the treasury's reach ``expiry`` blocks after that."""

    amount: int
    tranches: int = 1
    every: int = 0
    expiry: int = 0
    start_height: int = 0
    fee_rate: float | None = None

    def outputs_for(self, student: str, address: str, treasury: Multisig) -> list[dict]:
        if self.tranches == 1:
            return [{"student": student, "address": address, "amount": self.amount, "tranche": 0}]
        share, rest = divmod(self.amount, self.tranches)
        rows = []
        for i in range(1, self.tranches + 1):
            unlock = self.start_height + i * self.every
            tranche = Tranche.for_address(address, unlock, i * self.every + self.expiry, treasury)
            rows.append(
                {
                    "student": student,
                    "address": tranche.address,
                    "amount": share + (rest if i == self.tranches else 0),
                    "tranche": i,
                    "script": tranche.script.hex(),
                    "unlock_height": unlock,
                    "expiry_blocks": tranche.expiry_blocks,
                }
            )
        return rows


@dataclass
class Plan:
    psbt: Psbt
    payments: list[dict] = field(default_factory=list)


def signed_size(psbt: Psbt, treasury: Multisig) -> tuple[int, int]:
    """(size, weight) the transaction of ``psbt`` will have once signed."""
    script_sig, witness = treasury.placeholder_unlock()
    inputs = [TxIn(i.outpoint, script_sig, witness=witness) for i in psbt.tx.inputs]
    tx = Transaction(psbt.tx.version, inputs, psbt.tx.outputs, psbt.tx.locktime)
    return tx.size, tx.weight


def plan_batches(
    treasury: Multisig,
    coins: dict[OutPoint, TxOut],
    students: Sequence[tuple[str, str]],
    terms: Terms,
    *,
    max_size: int = MAX_STANDARD_TX_WEIGHT // 4,
) -> list[Plan]:
    """PSBTs paying ``students`` (``(id, address)``) by ``terms`` from ``coins`` (the
    treasury's, which this updates as each batch spends them and adds its change).

    A batch holds as many students as keep the signed transaction's size under ``max_size``
    bytes and its weight under ``MAX_STANDARD_TX_WEIGHT``.  :class:`InsufficientFundsError`
    when the treasury cannot pay them all (then nothing is planned)."""
    plans: list[Plan] = []
    remaining = list(students)
    while remaining:
        count = len(remaining)
        while True:
            rows = [row for s, a in remaining[:count] for row in terms.outputs_for(s, a, treasury)]
            psbt = create_psbt(
                treasury,
                coins,
                [(r["address"], r["amount"]) for r in rows],
                fee_rate=terms.fee_rate,
            )
            size, weight = signed_size(psbt, treasury)
            if size <= max_size and weight <= MAX_STANDARD_TX_WEIGHT:
                break
            if count == 1:
                raise WalletError(f"one student's payment alone is {size} bytes, over {max_size}")
            count = max(1, min(count - 1, int(count * max_size / size * 0.95)))
        for vout, row in enumerate(rows):
            row["vout"] = vout  # create_psbt keeps the payments' order, change last
        plans.append(Plan(psbt, rows))
        _spend(coins, psbt, treasury)
        remaining = remaining[count:]
    return plans


def _spend(coins: dict[OutPoint, TxOut], psbt: Psbt, treasury: Multisig) -> None:
    for tx_input in psbt.tx.inputs:
        coins.pop(tx_input.outpoint, None)
    for index, output in enumerate(psbt.tx.outputs):
        if output.script_pubkey == treasury.script_pubkey:
            coins[OutPoint(psbt.tx.txid, index)] = output


def sign(psbt: Psbt, signers: Sequence[Wallet]) -> Transaction:
    """Each signer signs in turn; finalized and extracted (every input verified)."""
    for wallet in signers:
        psbt = wallet.sign_psbt(psbt)
    return extract(finalize(psbt))


def treasury_coins(
    node: NodeClient, treasury: Multisig, registry: Registry | None = None
) -> dict[OutPoint, TxOut]:
    """The treasury's coins a payout may spend: the confirmed ones the node's mempool does
    not spend, and (with ``registry``) the change of this registry's own payouts still in
    the mempool, so a payout interrupted between two batches is finished at once rather
    than after the next block."""
    coins = dict(node.coins(treasury.address, treasury.script_pubkey).spendable)
    if registry is None:
        return coins
    pending = {entry["txid"] for entry in node.address(treasury.address).get("mempool", [])}
    ours = [
        Transaction.parse(bytes.fromhex(batch.tx_hex))
        for batch in registry.batches("signed", "broadcast")
        if batch.txid in pending and batch.tx_hex
    ]
    cancels = {txid: tx_hex for txid, tx_hex, _ in registry.cancels().values()}
    ours += [Transaction.parse(bytes.fromhex(h)) for t, h in cancels.items() if t in pending]
    for tx in ours:
        for index, output in enumerate(tx.outputs):
            if output.script_pubkey == treasury.script_pubkey:
                coins[OutPoint(tx.txid, index)] = output
    for tx in ours:
        for tx_input in tx.inputs:
            coins.pop(tx_input.outpoint, None)
    return coins


# --- running a payout ------------------------------------------------------------------

Broadcast = Callable[[NodeClient, Transaction], None]


def send(node: NodeClient, tx: Transaction) -> None:
    """Submit ``tx``; a node that has it already (pool or chain) counts as accepted."""
    try:
        node.submit_tx(tx.serialize().hex())
    except NodeRefusedError as error:
        if error.code not in ALREADY_THERE:
            raise


def _send_or_forget(
    registry: Registry, node: NodeClient, batch: int, tx: Transaction, broadcast: Broadcast
) -> None:
    """Send the transaction just signed (by this run, or brought back by the signers).
    Should the node refuse it (a fee below its minimum, a coin spent meanwhile) and not
    hold it, the batch is abandoned, so its students are planned again by the next payout
    rather than held by a transaction no node takes, and the refusal is raised.  Any other
    failure leaves it ``signed``, for the next run to send again."""
    try:
        broadcast(node, tx)
    except NodeRefusedError:
        try:
            node.tx(tx.id)
        except NodeRefusedError as missing:
            if missing.status == 404:
                registry.set_batch(batch, state="abandoned")
        raise


def resume(registry: Registry, node: NodeClient, broadcast: Broadcast = send) -> list[str]:
    """Settle what an interrupted run left; the txids sent (again)."""
    sent = []
    for batch in registry.batches("planned", "signed"):
        if batch.state == "planned":  # never signed: nothing of it can be on the chain
            registry.set_batch(batch.id, state="abandoned")
            continue
        assert batch.tx_hex is not None and batch.txid is not None
        broadcast(node, Transaction.parse(bytes.fromhex(batch.tx_hex)))
        registry.set_batch(batch.id, state="broadcast")
        sent.append(batch.txid)
    return sent


def waiting_batches(registry: Registry) -> list[int]:
    return [batch.id for batch in registry.batches("waiting")]


def _exclusive(function: Callable[..., R]) -> Callable[..., R]:
    """Run ``function(registry, ...)`` holding the folder's payout lock (registry.py)."""

    @functools.wraps(function)
    def locked(registry: Registry, *args: Any, **kwargs: Any) -> R:
        with registry.exclusive():
            return function(registry, *args, **kwargs)

    return locked


@_exclusive
def run_payout(
    registry: Registry,
    node: NodeClient,
    terms: Terms,
    signers: Sequence[Wallet] | None,
    *,
    students: Sequence[tuple[str, str]] | None = None,
    max_size: int | None = None,
    broadcast: Broadcast = send,
    progress: Callable[[str], None] = lambda line: None,
) -> tuple[list[str], int, list[Plan]]:
    """Pay every unpaid student (or those of ``students``): (txids, students paid, plans).

    ``signers`` None: the PSBTs are only recorded (``waiting``) and returned, for
    ``--psbt-out``."""
    treasury = registry.treasury
    waiting = waiting_batches(registry)
    if waiting:
        raise RegistryError(
            f"batch {waiting[0]} waits for signatures: finish it with `educhain scholarship "
            "broadcast` before a new payout (`payout --psbt-out FILE` writes it out again; "
            "`scholarship cancel` cancels it)"
        )
    cancelling = registry.batches("cancelling")
    if cancelling:
        raise RegistryError(
            f"batch {cancelling[0].id} is being cancelled: run `educhain scholarship cancel` "
            "again to finish before a new payout"
        )
    txids = resume(registry, node, broadcast)
    unpaid = registry.unpaid()
    if students is not None:
        chosen = {s for s, _ in students}
        unpaid = [pair for pair in unpaid if pair[0] in chosen]
    if not unpaid:
        return txids, 0, []
    coins = treasury_coins(node, treasury, registry)
    limit = max_size or max_tx_size(node)
    plans = _plan_after_cancels(registry, node, treasury, coins, unpaid, terms, limit)
    paid = 0
    for number, plan in enumerate(plans, start=1):
        state = "planned" if signers is not None else "waiting"
        batch = registry.add_batch(plan.psbt.to_base64(), plan.payments, state=state)
        if signers is None:
            continue
        tx = sign(plan.psbt, signers)
        registry.set_batch(batch, state="signed", txid=tx.id, tx_hex=tx.serialize().hex())
        _send_or_forget(registry, node, batch, tx, broadcast)
        registry.set_batch(batch, state="broadcast")
        txids.append(tx.id)
        paid += len({row["student"] for row in plan.payments})
        progress(f"batch {number}/{len(plans)}: {tx.id} pays {len(plan.payments)} outputs")
    return txids, paid, plans


@_exclusive
def broadcast_signed(
    registry: Registry, node: NodeClient, psbt: Psbt, broadcast: Broadcast = send
) -> tuple[str, int]:
    """A waiting batch's PSBT, signed by enough signers: finalize, record, send.
    (txid, students paid)."""
    unsigned_txid = psbt.tx.txid
    for batch in registry.batches("cancelling", "cancelled"):
        if Psbt.from_base64(batch.psbt).tx.txid == unsigned_txid:
            cancel_txid = registry.cancels()[batch.id][0]
            raise RegistryError(
                f"batch {batch.id} was cancelled: transaction {cancel_txid} spends its coins, "
                "so this PSBT can never be mined; nothing was sent (its students are paid by "
                "a new payout)"
            )
    for batch in registry.batches("waiting"):
        recorded = Psbt.from_base64(batch.psbt)
        if recorded.tx.txid != unsigned_txid:
            continue
        tx = extract(finalize(psbt))
        registry.set_batch(batch.id, state="signed", txid=tx.id, tx_hex=tx.serialize().hex())
        _send_or_forget(registry, node, batch.id, tx, broadcast)
        registry.set_batch(batch.id, state="broadcast")
        students = {p.student for p in registry.payments() if p.batch == batch.id}
        return tx.id, len(students)
    raise RegistryError("this PSBT is not a payout waiting for signatures in this registry")


def max_tx_size(node: NodeClient) -> int:
    """The largest transaction the node's chain takes (its preset's ``max_tx_size``), at
    most the standard weight's worth of bytes."""
    limit = MAX_STANDARD_TX_WEIGHT // 4
    try:
        return min(limit, node.chain_params().max_tx_size)
    except ValueError:  # a chain this library has no preset for
        return limit


# --- cancelling a PSBT the signers never brought back ------------------------------------


@dataclass(frozen=True)
class Cancel:
    """What :func:`cancel_waiting` did: the cancel's txid, the batches it cancelled, and how
    many students are unpaid again."""

    txid: str
    batches: list[int]
    students: int


@_exclusive
def cancel_waiting(
    registry: Registry,
    node: NodeClient,
    signers: Sequence[Wallet],
    *,
    batch: int | None = None,
    fee_rate: float = DEFAULT_FEE_RATE,
    broadcast: Broadcast = send,
) -> Cancel:
    """Cancel waiting batch ``batch`` (None: every waiting batch) by spending all its coins
    back to the treasury, signed by ``signers``; a later waiting batch that spends its change
    dies with it and is cancelled too.  A cancel interrupted earlier is finished first, with
    the same bytes.  :class:`RegistryError`, with nothing sent, when there is nothing to
    cancel or a batch's own transaction reached the node (recorded ``broadcast``: paid)."""
    cancels = registry.cancels()
    doomed = batches_to_cancel(registry, batch)
    if doomed[0].state == "cancelling":  # an interrupted cancel: the same bytes again
        txid, tx_hex, _ = cancels[doomed[0].id]
        tx = Transaction.parse(bytes.fromhex(tx_hex))
        _refuse_if_sent(registry, node, doomed, cancel_txid=txid)
    else:
        doomed, coins = _doomed(registry, batch)
        _refuse_if_sent(registry, node, doomed)
        tx, fee = _cancel_transaction(registry.treasury, coins, signers, fee_rate)
        registry.add_cancel([b.id for b in doomed], tx.id, tx.serialize().hex(), fee)
    try:
        broadcast(node, tx)
    except NodeRefusedError:
        _refuse_if_sent(registry, node, doomed, cancel_txid=tx.id)  # the PSBT came first?
        raise
    with registry.transaction() as db:
        for each in doomed:
            db.execute("UPDATE batches SET state = 'cancelled' WHERE id = ?", (each.id,))
    ids = {b.id for b in doomed}
    students = {p.student for p in registry.payments(include_abandoned=True) if p.batch in ids}
    return Cancel(tx.id, sorted(ids), len(students))


def batches_to_cancel(registry: Registry, number: int | None = None) -> list[Batch]:
    """The batches ``scholarship cancel --batch number`` would cancel (those of an unfinished
    cancel first), or :class:`RegistryError` saying why there is none; asks no node."""
    unfinished = registry.batches("cancelling")
    if not unfinished:
        return _doomed(registry, number)[0]
    if number is not None and number not in {b.id for b in unfinished}:
        raise RegistryError(
            f"the cancel of batch {unfinished[0].id} is unfinished: run `educhain scholarship "
            "cancel` without --batch to finish it first"
        )
    txid = registry.cancels()[unfinished[0].id][0]
    return [b for b in unfinished if registry.cancels()[b.id][0] == txid]


def _doomed(registry: Registry, number: int | None) -> tuple[list[Batch], dict[OutPoint, TxOut]]:
    """The waiting batches a cancel of ``number`` (None: all) takes down (it, and every
    waiting batch that spends the change of one taken down), and the coins to spend to take
    them down: those they spend that no waiting batch creates (amounts from the PSBTs'
    ``witness_utxo``)."""
    waiting = registry.batches("waiting")
    made = {_unsigned(b).txid: b.id for b in waiting}  # outputs that do not exist yet
    if number is not None:
        chosen = registry.batch(number)
        if chosen.state != "waiting":
            raise RegistryError(
                f"batch {number} is {chosen.state}, not waiting for signatures: nothing to cancel"
            )
        for tx_input in _unsigned(chosen).inputs:
            if tx_input.outpoint.txid in made:
                earlier = made[tx_input.outpoint.txid]
                raise RegistryError(
                    f"batch {number} spends the change of batch {earlier}, which waits for "
                    f"signatures too: cancel batch {earlier} (that cancels batch {number} too)"
                )
        doomed = [chosen]
    elif not waiting:
        raise RegistryError("no batch waits for signatures: nothing to cancel")
    else:
        doomed = list(waiting)
    grew = True
    while grew:
        gone = {_unsigned(b).txid for b in doomed}
        more = [
            b
            for b in waiting
            if b not in doomed and any(i.outpoint.txid in gone for i in _unsigned(b).inputs)
        ]
        doomed += more
        grew = bool(more)
    coins = {}
    for each in doomed:
        psbt = Psbt.from_base64(each.psbt)
        for index, tx_input in enumerate(psbt.tx.inputs):
            spent = psbt.spent_output(index)
            if tx_input.outpoint.txid not in made and spent is not None:
                coins[tx_input.outpoint] = spent
    return sorted(doomed, key=lambda b: b.id), coins


def _unsigned(batch: Batch) -> Transaction:
    return Psbt.from_base64(batch.psbt).tx


def _refuse_if_sent(
    registry: Registry, node: NodeClient, doomed: Sequence[Batch], cancel_txid: str | None = None
) -> None:
    """Should the node hold a doomed batch's own transaction (its txid is the unsigned
    one's: P2WSH inputs sign outside it), its students are paid: record it ``broadcast``,
    put the others back to ``waiting``, forget the cancel, and refuse."""
    found = {}
    for each in doomed:
        txid = _unsigned(each).id
        try:
            found[each.id] = (txid, node.tx(txid))
        except NodeRefusedError as missing:
            if missing.status != 404:
                raise
    if not found:
        return
    with registry.transaction() as db:
        for each in doomed:
            txid, reply = found.get(each.id, (None, {}))
            state = "broadcast" if txid else "waiting"
            db.execute(
                "UPDATE batches SET state = ?, txid = ?, tx_hex = ? WHERE id = ?",
                (state, txid, reply.get("hex"), each.id),
            )
        if cancel_txid is not None:
            db.execute("DELETE FROM cancels WHERE txid = ?", (cancel_txid,))
    first, (txid, reply) = next(iter(found.items()))
    where = "on the chain" if reply.get("status") == "confirmed" else "in the mempool"
    raise RegistryError(
        f"batch {first} was broadcast already (transaction {txid} is {where}): its students "
        "are paid; recorded as broadcast, nothing cancelled"
    )


def _cancel_transaction(
    treasury: Multisig, coins: dict[OutPoint, TxOut], signers: Sequence[Wallet], fee_rate: float
) -> tuple[Transaction, int]:
    """Every coin of ``coins`` back to the treasury address in one transaction, less its
    fee; signed and verified.  (transaction, fee)."""
    total = sum(output.amount for output in coins.values())
    draft = create_psbt(treasury, dict(coins), [(treasury.address, total)], fee=0)
    _, weight = signed_size(draft, treasury)
    fee = fee_for(-(-weight // 4), fee_rate)
    psbt = create_psbt(treasury, dict(coins), [(treasury.address, total - fee)], fee=fee)
    if len(psbt.tx.inputs) != len(coins):  # create_psbt picks coins; a cancel needs them all
        raise WalletError("the cancel transaction must spend every coin of the batch")
    return sign(psbt, signers), fee


def _plan_after_cancels(
    registry: Registry,
    node: NodeClient,
    treasury: Multisig,
    coins: dict[OutPoint, TxOut],
    unpaid: Sequence[tuple[str, str]],
    terms: Terms,
    limit: int,
) -> list[Plan]:
    """:func:`plan_batches`, but while a cancel is unconfirmed and its output unspent, from
    that output alone: a payout that spends it can be mined only if the cancel is, so a
    cancelled PSBT and its students' new payout can never both be."""
    unconfirmed = set()
    for txid, _, _ in set(registry.cancels().values()):
        try:
            if node.tx(txid).get("status") == "mempool":
                unconfirmed.add(from_display_hex(txid))
        except NodeRefusedError as missing:
            if missing.status != 404:
                raise
    fresh = {op: out for op, out in coins.items() if op.txid in unconfirmed}
    if not fresh:
        return plan_batches(treasury, coins, unpaid, terms, max_size=limit)
    try:
        return plan_batches(treasury, fresh, unpaid, terms, max_size=limit)
    except WalletError as error:
        raise RegistryError(
            f"until the cancel transaction is confirmed a payout spends only its coins, and "
            f"they do not cover this one ({error}): wait for the next block"
        ) from None


# --- clawing back expired tranches -------------------------------------------------------


@_exclusive
def run_clawback(
    registry: Registry,
    node: NodeClient,
    signers: Sequence[Wallet],
    to_address: str,
    *,
    fee_rate: float = DEFAULT_FEE_RATE,
    broadcast: Broadcast = send,
) -> list[str]:
    """Take back every tranche still unspent after its expiry, one transaction each (signed
    by ``signers``' keys through the script's CSV branch), paid to ``to_address``.  Each is
    recorded before it is sent, as payouts are.  The txids sent."""
    treasury = registry.treasury
    if decode_address(to_address) == treasury.script_pubkey:
        raise RegistryError(
            "send clawed-back tranches to the donor's address, not the treasury's: the report "
            "counts them as leaving the fund"
        )
    keys = [key for wallet in signers for key in wallet.keys]
    done = registry.clawbacks()
    next_height = node.tip().height + 1
    txids = []
    for payment in registry.payments():
        if not payment.tranche or payment.id in done or payment.state != "broadcast":
            continue
        assert payment.txid and payment.unlock_height and payment.expiry_blocks
        confirmed_at = node.tx(payment.txid).get("block_height")
        if not isinstance(confirmed_at, int) or next_height - confirmed_at < payment.expiry_blocks:
            continue  # not yet expired (BIP68 counts from the block that confirmed it)
        outpoint = OutPoint(from_display_hex(payment.txid), payment.vout)
        unspent = {
            (u["txid"], u["index"])
            for u in node.address(payment.address).get("utxos", [])
            if not u.get("spent_in_mempool")
        }
        if (payment.txid, payment.vout) not in unspent:
            continue  # the student claimed it
        tranche = Tranche.parse(payment.script or b"")
        if tranche.treasury.pubkeys != treasury.pubkeys:
            raise RegistryError(f"payment {payment.id}: its tranche script is not this treasury's")
        draft = tranche.clawback(outpoint, payment.amount, keys, to_address, 0)
        fee = fee_for(draft.vsize, fee_rate)
        tx = tranche.clawback(outpoint, payment.amount, keys, to_address, fee)
        registry.add_clawback(
            payment.id, tx.id, tx.serialize().hex(), payment.amount, fee, to_address
        )
        broadcast(node, tx)
        txids.append(tx.id)
    return txids


# --- a student's side: the tranches, and claiming them -----------------------------------


def student_tranches(registry: Registry, student: str) -> list[dict[str, Any]]:
    """What a student needs to claim their tranches on their own laptop (no secret):
    where each is, how much, from when, and its witness script."""
    registry.address_of(student)  # RegistryError for an unknown student
    return [
        {
            "student": p.student,
            "tranche": p.tranche,
            "txid": p.txid,
            "vout": p.vout,
            "amount": p.amount,
            "address": p.address,
            "unlock_height": p.unlock_height,
            "expiry_blocks": p.expiry_blocks,
            "script": p.script.hex() if p.script else None,
        }
        for p in registry.payments()
        if p.student == student and p.tranche and p.state == "broadcast"
    ]


def claim_tranches(
    tranches: Sequence[dict[str, Any]],
    wallet: Wallet,
    node: NodeClient,
    to_address: str | None = None,
    *,
    fee_rate: float = DEFAULT_FEE_RATE,
) -> tuple[list[str], list[str]]:
    """Claim every tranche of ``tranches`` that is unlocked and unspent with ``wallet``'s
    key, to ``to_address`` (default: the wallet's address): (txids, why the others wait)."""
    next_height = node.tip().height + 1
    sent, waiting = [], []
    for entry in tranches:
        tranche = Tranche.parse(bytes.fromhex(entry["script"]))
        key_hash = tranche.student_pubkey_hash
        key = next((k for k in wallet.keys if hash160(k.public_key.sec()) == key_hash), None)
        if key is None:
            raise WalletError(f"tranche {entry['tranche']} is not for a key of {wallet.path}")
        if next_height <= tranche.unlock_height:
            waiting.append(
                f"tranche {entry['tranche']} unlocks after height {tranche.unlock_height} "
                f"(the next block is {next_height})"
            )
            continue
        unspent = {
            (u["txid"], u["index"])
            for u in node.address(entry["address"]).get("utxos", [])
            if not u.get("spent_in_mempool")
        }
        if (entry["txid"], entry["vout"]) not in unspent:
            waiting.append(f"tranche {entry['tranche']} is spent already (or not confirmed)")
            continue
        outpoint = OutPoint(from_display_hex(entry["txid"]), entry["vout"])
        destination = to_address or wallet.address
        draft = tranche.claim(outpoint, entry["amount"], key, destination, 0)
        tx = tranche.claim(
            outpoint, entry["amount"], key, destination, fee_for(draft.vsize, fee_rate)
        )
        send(node, tx)
        sent.append(tx.id)
    return sent, waiting
