"""The one exception tree of edu_chain.

Every error the library raises on purpose is an :class:`EduChainError`, so a notebook or a
node can catch "anything edu_chain refused" in one place.  Errors about bad *values* also
subclass :class:`ValueError`, the Python convention for "the argument has the right type but
the wrong content".

    EduChainError
     +-- ValidationError (+ ValueError)   carries a stable reason ``code``
     |    +-- DecodeError                 bytes that do not parse (truncated, trailing, too long)
     |    +-- BlockValidationError        a header or block breaks a consensus rule
     |    +-- TxValidationError           a transaction breaks a consensus or policy rule
     |    +-- MerkleError                 (merkle.py) empty leaf list, a leaf not 32 bytes
     +-- KeyFormatError (+ ValueError)    a key, signature or address is malformed
     +-- MiningError                      the miner cannot run the job it was given
     +-- StoreError                       (chain/store.py) the chain database is unusable
     +-- WalletError                      (wallet/) keystore or payment problems
     +-- NodeError                        a node, peer or testnet operation failed
     |                                    (TestnetError, PeerError, FaucetError in node/)
     +-- GradingError                     an exercise manifest or submission set is unusable
                                          (ManifestError, SubmissionError in grading/)

Subclasses marked with a module live next to the code that raises them, so this module
stays at the bottom of the layers and imports nothing.

Reason codes are short, stable, kebab-case strings in the style of Bitcoin Core's reject
reasons (``high-hash``, ``bad-merkle-root``, ``bad-txns-inputs-missingorspent``).  Tests,
the HTTP API and instructors' scripts match on the code; people read the message, which says
which field was wrong, what was expected and what was found.
"""

from __future__ import annotations


class EduChainError(Exception):
    """Base class of every error edu_chain raises deliberately."""


class ValidationError(EduChainError, ValueError):
    """Something failed a rule.  ``code`` is the stable reason, ``message`` the explanation.

    >>> err = ValidationError("high-hash", "block hash is above the target")
    >>> err.code, str(err)
    ('high-hash', 'high-hash: block hash is above the target')
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The JSON shape the node's HTTP API uses for errors."""
        return {"code": self.code, "message": self.message}


class DecodeError(ValidationError):
    """Bytes that cannot be parsed: wrong length, truncated, trailing data, bad checksum.

    Codes used: ``decode-truncated``, ``decode-trailing-bytes``, ``decode-bad-length``,
    ``decode-non-canonical``, ``decode-too-large``, ``decode-bad-checksum``,
    ``decode-bad-character``, ``decode-bad-hex``; for transactions also
    ``decode-superfluous-witness`` (segwit marker, every witness empty) and
    ``decode-unknown-flag`` (segwit flag bits other than 01), Bitcoin Core's two refusals;
    for addresses (bech32.py, script/address.py) ``decode-bad-type``, ``decode-mixed-case``,
    ``decode-no-separator``, ``decode-bad-hrp``, ``decode-bad-witness-version``,
    ``decode-bad-padding``, ``decode-bad-version``, ``decode-wrong-network``; for PSBTs
    (psbt/) ``decode-psbt-magic``, ``decode-psbt-duplicate-key``, ``decode-psbt-key-size``,
    ``decode-psbt-bad-value``, ``decode-psbt-bad-pubkey``, ``decode-psbt-missing-tx``,
    ``decode-psbt-unsigned-tx-signed``, ``decode-psbt-version``, ``decode-bad-base64``.
    """


class BlockValidationError(ValidationError):
    """A block header or block breaks a consensus rule (``high-hash``, ``bad-merkle-root``...)."""


class TxValidationError(ValidationError):
    """A transaction breaks a consensus or policy rule (``bad-txns-...``, ``bad-signature``...)."""


class KeyFormatError(EduChainError, ValueError):
    """A key, signature or address is malformed.

    Causes: a private key outside ``[1, n-1]``; SEC bytes with a bad prefix, the wrong length
    or a point that is not on secp256k1; DER that is truncated, has trailing bytes, bad
    integer encodings, or ``r``/``s`` outside ``[1, n-1]``; an address with a bad checksum or
    an unexpected version byte.
    """


class MiningError(EduChainError):
    """The miner was given a job it cannot run (bad nonce range, unknown backend...)."""


class NodeError(EduChainError):
    """A node, peer or testnet operation failed (port in use, peer unreachable...)."""


class GradingError(EduChainError):
    """An exercise manifest or a submission folder cannot be used for grading."""
