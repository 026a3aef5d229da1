"""A vesting tranche: one output the student may spend after a height, or the treasury may
take back after an expiry.  The script, in Bitcoin Script, reads top to bottom:

    OP_IF                                         # the student's branch
        <unlock_height> OP_CHECKLOCKTIMEVERIFY OP_DROP      # BIP65: not before that block
        OP_DUP OP_HASH160 <student_pubkey_hash> OP_EQUALVERIFY OP_CHECKSIG
    OP_ELSE                                       # the treasury's branch
        <expiry_blocks> OP_CHECKSEQUENCEVERIFY OP_DROP      # BIP112: only after the output
                                                            # has aged expiry_blocks blocks
        OP_m <key_1> .. <key_n> OP_n OP_CHECKMULTISIG        # m of the treasury's signers
    OP_ENDIF

It is locked in a P2WSH output (``OP_0 <sha256(script)>``), so the script itself only appears
on the chain when a tranche is spent.  The witness that spends it picks the branch:

    student:   <signature> <pubkey> 1 <script>      (tx locktime >= unlock_height, and the
                                                     input's sequence not final)
    treasury:  "" <sig_1> .. <sig_m> "" <script>    (tx version 2, input sequence =
                                                     expiry_blocks, BIP68)

Every spend built here is verified with :func:`edu_chain.script.verify_input` before it is
returned, so a wrong witness fails here, not at the node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edu_chain.errors import EduChainError
from edu_chain.hashing import hash160
from edu_chain.keys import PrivateKey
from edu_chain.script import STANDARD_FLAGS, SighashCache, script_pubkey_to_address, verify_input
from edu_chain.script.checker import (
    LOCKTIME_THRESHOLD,
    SEQUENCE_FINAL,
    SEQUENCE_LOCKTIME_MASK,
    SIGVERSION_WITNESS_V0,
)
from edu_chain.script.number import decode_num
from edu_chain.script.opcodes import Opcode
from edu_chain.script.script import iter_ops, push_data, push_int
from edu_chain.script.sign import create_signature
from edu_chain.script.standard import classify, multisig, p2wsh_for
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut
from edu_chain.wallet import NETWORK, Multisig, WalletError, decode_address

TX_VERSION = 2  # BIP68/112: relative locktimes only count from version 2


@dataclass(frozen=True)
class Tranche:
    """The terms of one tranche: who, from when, and until when it is the student's alone."""

    student_pubkey_hash: bytes  # 20 bytes: hash160 of the student's compressed key
    unlock_height: int  # the student may spend it in the blocks after this height (CLTV)
    expiry_blocks: int  # confirmations after which the treasury may take it back (CSV)
    treasury: Multisig  # the m-of-n signers who may claw it back

    def __post_init__(self) -> None:
        if len(self.student_pubkey_hash) != 20:
            raise WalletError("a student's public key hash is 20 bytes")
        if not 1 <= self.unlock_height < LOCKTIME_THRESHOLD:
            raise WalletError(f"unlock height must be 1..{LOCKTIME_THRESHOLD - 1}")
        if not 1 <= self.expiry_blocks <= SEQUENCE_LOCKTIME_MASK:
            raise WalletError(f"expiry must be 1..{SEQUENCE_LOCKTIME_MASK} blocks (BIP68)")

    @classmethod
    def for_address(
        cls, address: str, unlock_height: int, expiry_blocks: int, treasury: Multisig
    ) -> Tranche:
        """Terms for a student registered with a P2WPKH (bcrt1q, 20-byte) or P2PKH address."""
        kind, solutions = classify(decode_address(address))
        if kind not in ("witness_v0_keyhash", "pubkeyhash"):
            raise WalletError(
                f"{address}: a vesting tranche needs a single-key address (P2WPKH or P2PKH), "
                f"not {kind}"
            )
        return cls(solutions[0], unlock_height, expiry_blocks, treasury)

    @classmethod
    def parse(cls, script: bytes, address_type: str = "p2wsh") -> Tranche:
        """The terms written in a tranche ``script`` (what a student's laptop receives);
        :class:`WalletError` if it is not exactly the script this class writes."""
        try:
            ops = [(op, data) for op, data, _ in iter_ops(script)]
            items = [data if data is not None and op > Opcode.OP_0 else op for op, data in ops]
            unlock, expiry, required = (_number(items[i]) for i in (1, 10, 13))
            key_hash = items[6]
            keys = items[14:-3]
            made = cls(key_hash, unlock, expiry, Multisig(required, keys, address_type))  # type: ignore[arg-type]
        except (IndexError, TypeError, ValueError, EduChainError):
            raise WalletError(
                "not a tranche script (see edu_chain/scholarship/vesting.py)"
            ) from None
        if made.script != script:
            raise WalletError("not a tranche script (see edu_chain/scholarship/vesting.py)")
        return made

    @property
    def script(self) -> bytes:
        """The witness script drawn in the module docstring."""
        return b"".join(
            [
                bytes([Opcode.OP_IF]),
                push_int(self.unlock_height),
                bytes([Opcode.OP_CHECKLOCKTIMEVERIFY, Opcode.OP_DROP]),
                bytes([Opcode.OP_DUP, Opcode.OP_HASH160]),
                push_data(self.student_pubkey_hash),
                bytes([Opcode.OP_EQUALVERIFY, Opcode.OP_CHECKSIG]),
                bytes([Opcode.OP_ELSE]),
                push_int(self.expiry_blocks),
                bytes([Opcode.OP_CHECKSEQUENCEVERIFY, Opcode.OP_DROP]),
                multisig(self.treasury.required, self.treasury.pubkeys),
                bytes([Opcode.OP_ENDIF]),
            ]
        )

    @property
    def script_pubkey(self) -> bytes:
        return p2wsh_for(self.script)

    @property
    def address(self) -> str:
        return script_pubkey_to_address(self.script_pubkey, NETWORK)

    # --- spending -------------------------------------------------------------------------

    def claim(
        self,
        outpoint: OutPoint,
        amount: int,
        key: PrivateKey,
        to_address: str,
        fee: int,
        *,
        locktime: int | None = None,
    ) -> Transaction:
        """The student's spend of this tranche to ``to_address`` (``amount - fee``), signed
        with ``key``.  ``locktime`` defaults to the unlock height; a node refuses the
        transaction until the chain reaches it (``bad-txns-nonfinal``)."""
        if hash160(key.public_key.sec()) != self.student_pubkey_hash:
            raise WalletError("this key is not the student's of the tranche")
        tx = _one_input(
            outpoint,
            amount - fee,
            to_address,
            locktime=self.unlock_height if locktime is None else locktime,
            sequence=SEQUENCE_FINAL - 1,  # not final, or the locktime is ignored (BIP65)
        )
        signature = create_signature(
            key, tx, 0, self.script, amount=amount, sigversion=SIGVERSION_WITNESS_V0
        )
        witness = (signature, key.public_key.sec(), b"\x01", self.script)
        return self._checked(tx.with_input(0, witness=witness), amount)

    def clawback(
        self,
        outpoint: OutPoint,
        amount: int,
        keys: Sequence[PrivateKey],
        to_address: str,
        fee: int,
        *,
        sequence: int | None = None,
    ) -> Transaction:
        """The treasury's spend of this tranche, signed by ``keys`` (at least ``required`` of
        the treasury's).  The input's sequence is the expiry (or ``sequence``): a node refuses
        it until the output is that many blocks deep (``non-BIP68-final``)."""
        tx = _one_input(
            outpoint,
            amount - fee,
            to_address,
            locktime=0,
            sequence=self.expiry_blocks if sequence is None else sequence,
        )
        signatures = treasury_signatures(self.treasury, keys, tx, self.script, amount)
        witness = (b"", *signatures, b"", self.script)
        return self._checked(tx.with_input(0, witness=witness), amount)

    def _checked(self, tx: Transaction, amount: int) -> Transaction:
        # the interpreter is the judge; the locktimes are the node's to check against its chain
        verify_input(tx, 0, self.script_pubkey, amount, STANDARD_FLAGS, cache=SighashCache(tx))
        return tx


def _number(item: bytes | int) -> int:
    """A number pushed by ``push_int``: OP_1..OP_16, or a script number's bytes."""
    if isinstance(item, int):
        if not Opcode.OP_1 <= item <= Opcode.OP_16:
            raise ValueError(f"opcode {item:#x} is not a number")
        return item - Opcode.OP_1 + 1
    return decode_num(item, max_size=5)


def treasury_signatures(
    treasury: Multisig, keys: Sequence[PrivateKey], tx: Transaction, script: bytes, amount: int
) -> list[bytes]:
    """``required`` signatures of input 0 by ``keys``, in the order of the treasury's keys
    (OP_CHECKMULTISIG walks keys and signatures in step)."""
    mine = {key.public_key.sec(): key for key in keys}
    chosen = [mine[pub] for pub in treasury.pubkeys if pub in mine][: treasury.required]
    if len(chosen) < treasury.required:
        raise WalletError(
            f"{len(chosen)} treasury key(s) given, {treasury.required} signatures are needed"
        )
    return [
        create_signature(key, tx, 0, script, amount=amount, sigversion=SIGVERSION_WITNESS_V0)
        for key in chosen
    ]


def _one_input(
    outpoint: OutPoint, value: int, to_address: str, *, locktime: int, sequence: int
) -> Transaction:
    if value <= 0:
        raise WalletError("the fee is larger than the tranche")
    output = TxOut(value, decode_address(to_address))
    return Transaction(TX_VERSION, [TxIn(outpoint, sequence=sequence)], [output], locktime)


def describe(script: bytes) -> str:
    """The script one operation per line, indented inside OP_IF/OP_ELSE (for the notebook)."""
    lines, depth = [], 0
    for opcode, data, _ in iter_ops(script):
        if opcode in (Opcode.OP_ELSE, Opcode.OP_ENDIF):
            depth -= 1
        text = data.hex() if data is not None and opcode > Opcode.OP_0 else Opcode(opcode).name
        if data is not None and len(data) <= 4 and opcode > Opcode.OP_0:
            text = str(int.from_bytes(data, "little"))
        lines.append("    " * depth + text)
        if opcode in (Opcode.OP_IF, Opcode.OP_ELSE):
            depth += 1
    return "\n".join(lines)
