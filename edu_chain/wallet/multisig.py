"""m-of-n multisig addresses, and spending them with a PSBT that each signer signs in turn.

A multisig output needs ``m`` signatures from ``n`` public keys.  The keys come from several
wallets (``educhain wallet pubkey`` on each laptop); anyone who has them builds the same
address.  The script is always Bitcoin's ``OP_m <key_1> .. <key_n> OP_n OP_CHECKMULTISIG``;
what differs is where it hides behind a hash:

    type          scriptPubKey                         the multisig script travels in
    p2wsh         OP_0 <sha256(script)>                the witness (witness script, BIP141)
    p2sh          OP_HASH160 <hash160(script)> OP_EQUAL the scriptSig (redeem script, BIP16)
    p2sh-p2wsh    OP_HASH160 <hash160(p2wsh program)>  the witness; the scriptSig pushes the
                  OP_EQUAL                             P2WSH program (for old wallets)

Keys are sorted by default (BIP67: lexicographic order of the compressed keys), so every
signer who types the keys in any order gets the same address.

Spending, BIP174's roles (``edu_chain/psbt/``), one file passed from laptop to laptop:

1. :func:`create_psbt` (Creator + Updater): chooses the multisig's coins and the fee like a
   single-key payment (``selection.py``), and writes into the PSBT what signers need: the
   output spent (and for legacy P2SH the whole transaction that created it, as a legacy
   signature commits to no amount) and the redeem/witness script.
2. :meth:`Wallet.sign_psbt` (Signer), on each signer's laptop, on its own copy.
3. ``psbt.combine`` (Combiner) merges the copies; ``psbt.finalize`` (Input Finalizer) orders
   the signatures as CHECKMULTISIG wants, or says how many are missing; ``psbt.extract``
   gives the transaction, verified input by input, ready to broadcast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edu_chain.errors import KeyFormatError
from edu_chain.keys import PublicKey
from edu_chain.psbt import Psbt, create, update_input, update_output
from edu_chain.script.script import push_data
from edu_chain.script.standard import multisig, p2sh_for, p2wsh_for
from edu_chain.tx import OutPoint, Transaction, TxOut
from edu_chain.wallet.addresses import address_of, decode_address
from edu_chain.wallet.amounts import WalletError
from edu_chain.wallet.selection import (
    MAX_SIGNATURE_SIZE,
    as_txout,
    fee_arguments,
    largest_first,
    payment_outputs,
    plan_payment,
    unsigned_transaction,
)
from edu_chain.wallet.wallet import UtxoView, is_mature, utxos_paying

MULTISIG_TYPES = ("p2wsh", "p2sh", "p2sh-p2wsh")
DEFAULT_MULTISIG_TYPE = "p2wsh"
MAX_KEYS = 15
"""A standard P2SH redeem script has at most 15 signature operations (policy.py), and a
redeem script of 15 compressed keys (513 bytes) fits the 520-byte push limit."""


@dataclass(frozen=True)
class Multisig:
    """An ``required``-of-``len(pubkeys)`` multisig address of ``address_type``."""

    required: int  # m: signatures needed
    pubkeys: tuple[bytes, ...]  # n compressed SEC keys (33 bytes each), in script order
    address_type: str = DEFAULT_MULTISIG_TYPE  # p2wsh, p2sh or p2sh-p2wsh

    def __post_init__(self) -> None:
        object.__setattr__(self, "pubkeys", tuple(self.pubkeys))
        if self.address_type not in MULTISIG_TYPES:
            raise WalletError(
                f"unknown multisig type {self.address_type!r}; "
                f"choose one of {', '.join(MULTISIG_TYPES)}"
            )
        count = len(self.pubkeys)
        if not 1 <= count <= MAX_KEYS:
            raise WalletError(f"a multisig has 1 to {MAX_KEYS} public keys, got {count}")
        if isinstance(self.required, bool) or not isinstance(self.required, int):
            raise WalletError(f"required signatures must be a number, got {self.required!r}")
        if not 1 <= self.required <= count:
            raise WalletError(f"required signatures must be 1..{count}, got {self.required}")
        for position, key in enumerate(self.pubkeys):
            _check_pubkey(position, key)
        if len(set(self.pubkeys)) != count:
            raise WalletError("the same public key is given twice")

    @classmethod
    def create(
        cls,
        required: int,
        pubkeys: Iterable[bytes | str],
        address_type: str = DEFAULT_MULTISIG_TYPE,
        *,
        sort: bool = True,
    ) -> Multisig:
        """From public keys as bytes or hex; sorted as BIP67 says unless ``sort=False``."""
        keys = [_pubkey_bytes(position, key) for position, key in enumerate(pubkeys)]
        return cls(required, tuple(sorted(keys) if sort else keys), address_type)

    # --- scripts and address --------------------------------------------------------------

    @property
    def script(self) -> bytes:
        """``OP_m <keys> OP_n OP_CHECKMULTISIG``: the witness script or redeem script."""
        return multisig(self.required, self.pubkeys)

    @property
    def witness_script(self) -> bytes | None:
        return None if self.address_type == "p2sh" else self.script

    @property
    def redeem_script(self) -> bytes | None:
        """What the P2SH hash commits to (the multisig, or the P2WSH program it wraps)."""
        if self.address_type == "p2sh":
            return self.script
        if self.address_type == "p2sh-p2wsh":
            return p2wsh_for(self.script)
        return None

    @property
    def script_pubkey(self) -> bytes:
        if self.address_type == "p2wsh":
            return p2wsh_for(self.script)
        assert self.redeem_script is not None
        return p2sh_for(self.redeem_script)

    @property
    def address(self) -> str:
        return address_of(self.script_pubkey)

    # --- a file the signers share ---------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The public description (no secret): enough to rebuild the address anywhere."""
        data: dict[str, Any] = {
            "format": "edu_chain-multisig",
            "required": self.required,
            "type": self.address_type,
            "pubkeys": [key.hex() for key in self.pubkeys],
            "address": self.address,
            "script_pubkey": self.script_pubkey.hex(),
            "script": self.script.hex(),
        }
        if self.redeem_script is not None:
            data["redeem_script"] = self.redeem_script.hex()
        if self.witness_script is not None:
            data["witness_script"] = self.witness_script.hex()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Multisig:
        """Read :meth:`to_dict`'s shape; the keys keep their order; the recorded address
        must be the one they make (:class:`WalletError` otherwise)."""
        if not isinstance(data, Mapping) or data.get("format") != "edu_chain-multisig":
            raise WalletError("not an edu_chain multisig description (format edu_chain-multisig)")
        keys = data.get("pubkeys")
        if not isinstance(keys, list):
            raise WalletError("a multisig description lists its pubkeys as hex strings")
        made = cls.create(data.get("required"), keys, data.get("type", ""), sort=False)  # type: ignore[arg-type]
        if "address" in data and data["address"] != made.address:
            raise WalletError(
                f"the description records address {data['address']!r}, but its keys make "
                f"{made.address}"
            )
        return made

    # --- size of a spend ------------------------------------------------------------------

    def placeholder_unlock(self) -> tuple[bytes, tuple[bytes, ...]]:
        """A scriptSig and witness as large as a spend with ``required`` signatures."""
        signatures = [bytes(MAX_SIGNATURE_SIZE)] * self.required
        if self.address_type == "p2sh":
            pushes = b"\x00" + b"".join(push_data(s) for s in signatures)
            return pushes + push_data(self.script), ()
        witness = (b"", *signatures, self.script)
        wrapper = push_data(self.redeem_script) if self.redeem_script is not None else b""
        return wrapper, witness


@dataclass(frozen=True)
class MultisigCoin:
    """An unspent output locked to a :class:`Multisig`."""

    outpoint: OutPoint
    output: TxOut
    multisig: Multisig

    @property
    def amount(self) -> int:
        return self.output.amount

    def placeholder_unlock(self) -> tuple[bytes, tuple[bytes, ...]]:
        return self.multisig.placeholder_unlock()


def multisig_coins(
    ms: Multisig, utxos: UtxoView, *, spendable_only: bool = False
) -> list[MultisigCoin]:
    """The coins of ``utxos`` locked to ``ms``, largest first."""
    found = [
        MultisigCoin(outpoint, as_txout(value), ms)
        for outpoint, value in utxos_paying(utxos, [ms.script_pubkey])
        if as_txout(value).script_pubkey == ms.script_pubkey
        and (not spendable_only or is_mature(utxos, value))
    ]
    return largest_first(found)


def create_psbt(
    ms: Multisig,
    utxos: UtxoView,
    payments: Sequence[tuple[str, int]],
    fee: int | None = None,
    *,
    fee_rate: float | None = None,
    change_address: str | None = None,
    data: bytes | None = None,
    previous_txs: Iterable[Transaction] = (),
) -> Psbt:
    """A PSBT paying ``payments`` from ``ms``'s coins in ``utxos``, ready for its signers.

    Coins, fee and change as in ``Wallet.build_transaction`` (change goes back to the
    multisig address unless ``change_address``).  ``previous_txs`` are the transactions that
    created the coins: required for ``p2sh`` coins (:class:`WalletError` names the missing
    one), added for the others when given.
    """
    fee, rate = fee_arguments(fee, fee_rate)
    outputs = payment_outputs(payments, data)
    change_script = decode_address(change_address) if change_address else ms.script_pubkey
    coins = multisig_coins(ms, utxos, spendable_only=True)
    plan = plan_payment(coins, outputs, change_script, fee=fee, fee_rate=rate)
    by_txid = {tx.txid: tx for tx in previous_txs}
    psbt = create(unsigned_transaction(plan.coins, plan.outputs))
    for index, coin in enumerate(plan.coins):
        previous = by_txid.get(coin.outpoint.txid)
        if previous is None and ms.address_type == "p2sh":
            raise WalletError(
                f"coin {coin.outpoint} is a legacy P2SH output: signers need the transaction "
                "that created it (a legacy signature commits to no amount, BIP174); pass it "
                "in previous_txs (--prev-tx)"
            )
        fields: dict[str, Any] = {
            "redeem_script": ms.redeem_script,
            "witness_script": ms.witness_script,
        }
        if ms.address_type != "p2sh":
            fields["witness_utxo"] = coin.output
        if previous is not None:
            fields["non_witness_utxo"] = previous  # checked against the outpoint
        psbt = update_input(psbt, index, **fields)
    for index, output in enumerate(plan.outputs):
        if output.script_pubkey == ms.script_pubkey:  # our change: say so, for the signers
            psbt = update_output(
                psbt, index, redeem_script=ms.redeem_script, witness_script=ms.witness_script
            )
    return psbt


def _pubkey_bytes(position: int, key: bytes | str) -> bytes:
    if isinstance(key, str):
        try:
            return bytes.fromhex(key.strip())
        except ValueError:
            raise WalletError(f"public key #{position} is not hex: {key[:70]!r}") from None
    if isinstance(key, bytes | bytearray):
        return bytes(key)
    raise WalletError(f"public key #{position} must be bytes or hex, got {type(key).__name__}")


def _check_pubkey(position: int, key: object) -> None:
    if not isinstance(key, bytes) or len(key) != 33:
        size = f"{len(key)} bytes" if isinstance(key, bytes) else type(key).__name__
        raise WalletError(
            f"public key #{position} must be a 33-byte compressed key (segwit accepts no "
            f"other), got {size}"
        )
    try:
        PublicKey.from_sec(key)
    except KeyFormatError as error:
        raise WalletError(f"public key #{position} is not on the curve: {error}") from None
