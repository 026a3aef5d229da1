"""Consensus rules: what makes a header, a block or a transaction valid.

The checks follow Bitcoin Core's ``validation.cpp`` and ``consensus/tx_check.cpp`` and use the
same reject reasons, so what students learn here transfers.  Every failure raises a
:class:`~edu_chain.errors.ValidationError` subclass whose ``code`` is stable (tests, the HTTP
API and graders match on it) and whose message names the field, the expected value and the
value found.

Checks come in layers, cheapest and least contextual first:

=============================  ============================================================
function                       needs / codes
=============================  ============================================================
check_header_pow               the header only: ``high-hash``, ``bad-diffbits``
check_header_context           the parent: ``bad-diffbits``, ``time-too-old``,
                               ``time-too-new``
check_transaction              the tx only: ``bad-txns-vin-empty``, ``bad-txns-vout-empty``,
                               ``bad-txns-oversize``, ``bad-txns-vout-negative``,
                               ``bad-txns-vout-toolarge``, ``bad-txns-txouttotal-toolarge``,
                               ``bad-txns-inputs-duplicate``, ``bad-cb-length``,
                               ``bad-txns-prevout-null``
check_block                    the block only: ``bad-merkle-root``, ``bad-txns-duplicate``,
                               ``bad-blk-length``, ``bad-cb-missing``, ``bad-cb-multiple``,
                               and check_transaction for each tx
check_block_context            its height and parent's median time: ``bad-cb-height``,
                               ``bad-txns-nonfinal``, the BIP141 witness commitment
                               (``bad-witness-nonce-size``, ``bad-witness-merkle-match``,
                               ``unexpected-witness``) and ``bad-blk-weight``
check_tx_inputs                the UTXO set: ``bad-txns-inputs-missingorspent``,
                               ``bad-txns-premature-spend-of-coinbase``,
                               ``bad-txns-inputvalues-outofrange``, ``bad-txns-in-belowout``
check_sequence_locks           BIP68 relative locks of the coins spent: ``bad-txns-nonfinal``
script checks (connect.py)     every input's scripts with the consensus flags:
                               ``mandatory-script-verify-flag-failed (<why>)``; the block's
                               sigop cost: ``bad-blk-sigops``
check_coinbase_amount          subsidy and fees: ``bad-cb-amount``
=============================  ============================================================

The chain state adds ``duplicate`` (block already known), ``prev-blk-not-found`` (unknown
parent) and ``bad-prevblk`` (parent is invalid); the mempool adds its policy codes.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from edu_chain import locktime
from edu_chain.block import Block, BlockHeader
from edu_chain.chain import segwit
from edu_chain.chain.coins import Coin, CoinView
from edu_chain.chain.params import ChainParams
from edu_chain.encoding import encode_varint
from edu_chain.errors import BlockValidationError, TxValidationError, ValidationError
from edu_chain.hashing import display_hex
from edu_chain.merkle import merkle_root
from edu_chain.pow.target import bits_to_target
from edu_chain.script.checker import LOCKTIME_THRESHOLD as LOCKTIME_THRESHOLD
from edu_chain.script.errors import SCRIPT_ERRORS
from edu_chain.script.script import push_int
from edu_chain.tx import COIN, MAX_MONEY

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.tx import Transaction

COINBASE_DATA_MIN, COINBASE_DATA_MAX = 2, 100  # bytes of coinbase scriptSig (Core's bad-cb-length)


def _coins(amount: int) -> str:
    """Base units shown with the coin amount beside them, for messages."""
    return f"{amount} ({amount / COIN:.8f} coins)"


# --- headers ------------------------------------------------------------------------------


def check_header_pow(header: BlockHeader, params: ChainParams) -> None:
    """Proof-of-work: the target decodes, is not easier than the limit, and the hash meets it."""
    try:
        target = bits_to_target(header.bits)
    except ValidationError as exc:
        raise BlockValidationError(
            "bad-diffbits", f"header field bits 0x{header.bits:08x} is not a valid target: {exc}"
        ) from None
    if target == 0 or target > params.pow_limit:
        raise BlockValidationError(
            "bad-diffbits",
            f"header field bits 0x{header.bits:08x} encodes a target outside what chain "
            f"{params.name} allows: expected 0 < target <= pow limit 0x{params.pow_limit:064x} "
            f"(bits 0x{params.pow_limit_bits:08x}), got 0x{target:064x}",
        )
    value = header.hash_int()
    if value > target:
        raise BlockValidationError(
            "high-hash",
            f"block hash {header.id} is above the target: expected a hash <= 0x{target:064x}, "
            f"got 0x{value:064x} (proof-of-work not done; try more nonces)",
        )


def median_time_past(timestamps: Sequence[int]) -> int:
    """The median of the last (up to 11) block timestamps, the chain's notion of "now".

    >>> median_time_past([5, 1, 9, 3, 7])
    5
    """
    return int(statistics.median_low(sorted(timestamps)))


def check_header_context(
    header: BlockHeader,
    *,
    height: int,
    expected_bits: int,
    median_time: int,
    now: int,
    params: ChainParams,
) -> None:
    """Rules that need the parent: the retarget rule and both timestamp rules."""
    if header.bits != expected_bits:
        raise BlockValidationError(
            "bad-diffbits",
            f"header field bits at height {height}: expected 0x{expected_bits:08x} from the "
            f"retarget rule, got 0x{header.bits:08x}",
        )
    if header.timestamp <= median_time:
        raise BlockValidationError(
            "time-too-old",
            f"header field timestamp at height {height} is not after the median time of the "
            f"previous {params.median_time_span} blocks: expected > {median_time}, "
            f"got {header.timestamp}",
        )
    if header.timestamp > now + params.max_future_drift:
        raise BlockValidationError(
            "time-too-new",
            f"header field timestamp {header.timestamp} is more than {params.max_future_drift} s "
            f"ahead of this node's clock: expected <= {now + params.max_future_drift}, "
            f"got {header.timestamp}",
        )


# --- transactions without context ---------------------------------------------------------


class _LazyTxid:
    """Formats as ``tx.id``, computed when (and only when) a message is built."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx

    def __format__(self, spec: str) -> str:
        return format(self.tx.id, spec)


def check_transaction(tx: Transaction, params: ChainParams) -> None:
    """Rules a transaction must meet on its own (Bitcoin Core's ``CheckTransaction``)."""
    txid = _LazyTxid(tx)  # hashing a transaction costs; only an error message needs the id
    if not tx.inputs:
        raise TxValidationError(
            "bad-txns-vin-empty", f"transaction {txid} has no inputs: expected at least 1, got 0"
        )
    if not tx.outputs:
        raise TxValidationError(
            "bad-txns-vout-empty", f"transaction {txid} has no outputs: expected at least 1, got 0"
        )
    size = _stripped_size(tx)
    if size > params.max_tx_size:
        raise TxValidationError(
            "bad-txns-oversize",
            f"transaction {txid} is {size} bytes without its witnesses: expected at most "
            f"{params.max_tx_size}",
        )
    total = 0
    for index, output in enumerate(tx.outputs):
        # Amounts are uint64 on the wire, so TxOut already refuses negatives; the check stays
        # for parity with Bitcoin Core (whose amounts are signed) and for hand-made objects.
        if output.amount < 0:
            raise TxValidationError(
                "bad-txns-vout-negative",
                f"transaction {txid} output {index} amount: expected >= 0, got {output.amount}",
            )
        if output.amount > MAX_MONEY:
            raise TxValidationError(
                "bad-txns-vout-toolarge",
                f"transaction {txid} output {index} amount: expected <= MAX_MONEY "
                f"{_coins(MAX_MONEY)}, got {_coins(output.amount)}",
            )
        total += output.amount
        if total > MAX_MONEY:
            raise TxValidationError(
                "bad-txns-txouttotal-toolarge",
                f"transaction {txid} outputs add up to {_coins(total)} after output {index}: "
                f"expected <= MAX_MONEY {_coins(MAX_MONEY)}",
            )
    seen: set = set()
    for index, tx_in in enumerate(tx.inputs):
        if tx_in.outpoint in seen:
            raise TxValidationError(
                "bad-txns-inputs-duplicate",
                f"transaction {txid} input {index} spends "
                f"{display_hex(tx_in.outpoint.txid)}:{tx_in.outpoint.index} a second time: "
                "expected each outpoint at most once",
            )
        seen.add(tx_in.outpoint)
    if tx.is_coinbase():
        data = _coinbase_data(tx)
        if not COINBASE_DATA_MIN <= len(data) <= COINBASE_DATA_MAX:
            raise TxValidationError(
                "bad-cb-length",
                f"coinbase {txid} scriptSig is {len(data)} bytes: expected "
                f"{COINBASE_DATA_MIN}..{COINBASE_DATA_MAX}",
            )
    else:
        for index, tx_in in enumerate(tx.inputs):
            if tx_in.outpoint.is_null():
                raise TxValidationError(
                    "bad-txns-prevout-null",
                    f"transaction {txid} input {index} spends the null outpoint: expected a real "
                    "output (only a coinbase, the first transaction of a block, with exactly "
                    "one input, spends the null outpoint)",
                )


def _stripped_size(tx: Transaction) -> int:
    """Bytes without witnesses (Core's size limit)."""
    return len(tx.serialize_legacy())


def _coinbase_data(tx: Transaction) -> bytes:
    """The coinbase input's scriptSig (its "coinbase data": height, extra nonce, anything)."""
    return tx.inputs[0].script_sig


def is_final(tx: Transaction, height: int, median_time: int) -> bool:
    """Locktime rule: 0, or a height/time already passed (as Bitcoin's ``IsFinalTx``)."""
    return locktime.is_final(tx, height, median_time)


def check_final(tx: Transaction, height: int, median_time: int) -> None:
    """:func:`is_final`, or ``bad-txns-nonfinal`` naming the height or time awaited."""
    if not is_final(tx, height, median_time):
        kind = "height" if tx.locktime < LOCKTIME_THRESHOLD else "median time"
        now = height if kind == "height" else median_time
        raise TxValidationError(
            "bad-txns-nonfinal",
            f"transaction {tx.id} field locktime {tx.locktime} is a {kind} not yet reached: "
            f"expected locktime < {now} (or every input's sequence 0xffffffff)",
        )


# --- blocks without UTXO context ----------------------------------------------------------


def check_block(block: Block, params: ChainParams) -> None:
    """Rules a block must meet on its own (Bitcoin Core's ``CheckBlock``), after the PoW."""
    txs = block.transactions
    if not txs:
        raise BlockValidationError(
            "bad-cb-missing", f"block {block.id} has no transactions: expected a coinbase first"
        )
    txids = block.txids()
    computed = merkle_root(txids)
    if computed != block.header.merkle_root:
        raise BlockValidationError(
            "bad-merkle-root",
            f"header field merkle_root: expected {display_hex(computed)} (computed from the "
            f"{len(txs)} transactions), got {display_hex(block.header.merkle_root)}",
        )
    seen: set[bytes] = set()
    for position, txid in enumerate(txids):
        if txid in seen:
            raise BlockValidationError(
                "bad-txns-duplicate",
                f"block {block.id} contains transaction {display_hex(txid)} twice (again at "
                f"position {position}): expected every transaction at most once",
            )
        seen.add(txid)
    size = 80 + len(encode_varint(len(txs))) + sum(_stripped_size(tx) for tx in txs)
    if size > params.max_block_size:
        raise BlockValidationError(
            "bad-blk-length",
            f"block {block.id} is {size} bytes without witnesses: expected at most "
            f"{params.max_block_size}",
        )
    if not txs[0].is_coinbase():
        raise BlockValidationError(
            "bad-cb-missing",
            f"block {block.id} transaction 0 ({txs[0].id}) is not a coinbase: expected the "
            "first transaction to have exactly one input spending the null outpoint",
        )
    for position, tx in enumerate(txs[1:], start=1):
        if tx.is_coinbase():
            raise BlockValidationError(
                "bad-cb-multiple",
                f"block {block.id} transaction {position} ({tx.id}) is a second coinbase: "
                "expected exactly one coinbase, at position 0",
            )
    for position, tx in enumerate(txs):
        try:
            check_transaction(tx, params)
        except TxValidationError as exc:
            raise as_block_error(exc, block, position) from None


def as_block_error(exc: ValidationError, block: Block, position: int) -> BlockValidationError:
    """Report a transaction's failure as its block's failure, with the same code."""
    return BlockValidationError(exc.code, f"block {block.id} transaction {position}: {exc.message}")


def coinbase_height_prefix(height: int) -> bytes:
    """What a coinbase scriptSig at ``height`` starts with (BIP34): the height pushed as a
    script number, as Core's ``CScript() << height`` writes it."""
    return push_int(height)


def coinbase_height(tx: Transaction) -> int | None:
    """The height the coinbase scriptSig's first push commits to (None if it starts with
    something else)."""
    from edu_chain.script.number import decode_num
    from edu_chain.script.script import read_op

    data = _coinbase_data(tx)
    op = read_op(data, 0) if data else None
    if op is None:
        return None
    opcode, pushed, _ = op
    if pushed is not None:
        try:
            return decode_num(pushed, max_size=8)
        except ValueError:
            return None
    if opcode == 0:
        return 0
    if 0x51 <= opcode <= 0x60:  # OP_1..OP_16
        return opcode - 0x50
    return None


def check_block_context(block: Block, height: int, median_time: int) -> None:
    """Core's ``ContextualCheckBlock``: the coinbase starts with the height (BIP34), every
    transaction is final, the coinbase commits to the witnesses (BIP141), and the block's
    weight is at most 4,000,000."""
    data = _coinbase_data(block.transactions[0])
    prefix = coinbase_height_prefix(height)
    if not data.startswith(prefix):
        found = coinbase_height(block.transactions[0])
        raise BlockValidationError(
            "bad-cb-height",
            f"block {block.id} coinbase scriptSig must start with the block height pushed as "
            f"a script number (BIP34): expected {height} ({prefix.hex()}...), got {found} "
            f"({data[:6].hex()}...)",
        )
    for position, tx in enumerate(block.transactions):
        try:
            check_final(tx, height, median_time)
        except TxValidationError as exc:
            raise as_block_error(exc, block, position) from None
    try:
        segwit.check_witness_commitment(block.transactions)
        segwit.check_block_weight(block.transactions)
    except BlockValidationError as exc:
        raise BlockValidationError(exc.code, f"block {block.id}: {exc.message}") from None


# --- transactions against the UTXO set ---------------------------------------------------


def missing_input(
    tx: Transaction, index: int, why: str = "it never existed, or it was already spent"
) -> TxValidationError:
    """The ``missingorspent`` error for input ``index`` (``why`` lists what may have happened)."""
    outpoint = tx.inputs[index].outpoint
    return TxValidationError(
        "bad-txns-inputs-missingorspent",
        f"transaction {tx.id} input {index} spends {display_hex(outpoint.txid)}:"
        f"{outpoint.index}: expected an unspent output, but it is not in the UTXO set ({why})",
    )


def spent_coins(tx: Transaction, view: CoinView) -> list[Coin]:
    """Look up every coin a transaction spends, or fail with ``missingorspent``."""
    coins = []
    for index, tx_in in enumerate(tx.inputs):
        coin = view.get_coin(tx_in.outpoint)
        if coin is None:
            raise missing_input(tx, index)
        coins.append(coin)
    return coins


def check_tx_inputs(
    tx: Transaction, coins: Sequence[Coin], spend_height: int, params: ChainParams
) -> int:
    """Amount rules against the spent coins; returns the fee (inputs - outputs)."""
    total_in = 0
    for index, coin in enumerate(coins):
        if coin.is_coinbase and spend_height - coin.height < params.coinbase_maturity:
            confirmations = spend_height - coin.height
            raise TxValidationError(
                "bad-txns-premature-spend-of-coinbase",
                f"transaction {tx.id} input {index} spends a coinbase output created at height "
                f"{coin.height}; a block at height {spend_height} would give it {confirmations} "
                f"confirmations, expected at least {params.coinbase_maturity} (coinbase "
                "maturity: newly mined coins wait so a reorg cannot make them vanish after "
                "they were spent)",
            )
        total_in += coin.amount
        if not 0 <= coin.amount <= MAX_MONEY or total_in > MAX_MONEY:
            raise TxValidationError(
                "bad-txns-inputvalues-outofrange",
                f"transaction {tx.id} inputs add up to {_coins(total_in)} at input {index}: "
                f"expected <= MAX_MONEY {_coins(MAX_MONEY)}",
            )
    total_out = sum(output.amount for output in tx.outputs)
    if total_in < total_out:
        raise TxValidationError(
            "bad-txns-in-belowout",
            f"transaction {tx.id} spends {_coins(total_in)} but its outputs pay "
            f"{_coins(total_out)}: expected inputs >= outputs (the difference is the fee)",
        )
    return total_in - total_out


def check_sequence_locks(
    tx: Transaction,
    coins: Sequence[Coin],
    height: int,
    median_time_at: Callable[[int], int],
) -> None:
    """BIP68: the relative locks of ``tx``'s inputs have expired in a block at ``height``.
    ``median_time_at(h)`` is the median-time-past of the active block at height ``h``
    (below ``height``)."""
    locks = locktime.sequence_locks(tx, [coin.height for coin in coins], median_time_at)
    try:
        locktime.check_sequence_locks(tx, locks, height, median_time_at(height - 1))
    except TxValidationError as exc:
        raise TxValidationError(exc.code, f"transaction {tx.id}: {exc.message}") from None


def script_failure(
    tx: Transaction, index: int, code: str, message: str, *, mandatory: bool = True
) -> TxValidationError:
    """Core's reject reason for a failed script: ``mandatory-script-verify-flag-failed (...)``
    for a consensus flag, ``non-mandatory-script-verify-flag (...)`` for a policy-only one,
    with Core's sentence for the script error in the brackets."""
    prefix = (
        "mandatory-script-verify-flag-failed" if mandatory else "non-mandatory-script-verify-flag"
    )
    why = SCRIPT_ERRORS.get(code, code)
    return TxValidationError(
        f"{prefix} ({why})",
        f"transaction {tx.id} input {index}: the scripts fail with {code}: {message}",
    )


def check_coinbase_amount(block: Block, height: int, fees: int, params: ChainParams) -> None:
    paid = sum(output.amount for output in block.transactions[0].outputs)
    allowed = params.block_subsidy(height) + fees
    if paid > allowed:
        raise BlockValidationError(
            "bad-cb-amount",
            f"block {block.id} coinbase pays {_coins(paid)}: expected at most "
            f"{_coins(allowed)} = subsidy {_coins(params.block_subsidy(height))} at height "
            f"{height} + fees {_coins(fees)}",
        )
