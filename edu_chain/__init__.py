"""edu_chain: a teaching blockchain you can read, mine, break and grade.

The public API is re-exported here; everything else is an implementation detail of its
module.  Start with :func:`sha256d`, :func:`merkle_root`, :class:`BlockHeader` and
:func:`mine`, then open the modules next to the notebooks in ``notebooks/``.

Layers, lowest first (a module only imports from layers below it)::

    errors, encoding, hashing, sha256_kernels   bytes and hashes
    merkle, keys/                               Merkle trees; secp256k1 and ECDSA
    script/                                     Bitcoin Script: interpreter, sighash, verify
    block, tx                                   the data model in Bitcoin's formats
    pow/                                        targets, work, the miner
    chain/                                      consensus rules, fork choice, SQLite store
    mempool, wallet                             unconfirmed transactions; keys and payments
    node/                                       HTTP API, peers, testnet, explorer
    cli/                                        the ``educhain`` command
    grading/                                    the autograder (the core never imports it)
"""

from edu_chain.block import Block as Block
from edu_chain.block import BlockHeader as BlockHeader
from edu_chain.chain import ChainParams as ChainParams
from edu_chain.chain import ChainState as ChainState
from edu_chain.encoding import base58check_decode as base58check_decode
from edu_chain.encoding import base58check_encode as base58check_encode
from edu_chain.errors import BlockValidationError as BlockValidationError
from edu_chain.errors import DecodeError as DecodeError
from edu_chain.errors import EduChainError as EduChainError
from edu_chain.errors import KeyFormatError as KeyFormatError
from edu_chain.errors import MiningError as MiningError
from edu_chain.errors import TxValidationError as TxValidationError
from edu_chain.errors import ValidationError as ValidationError
from edu_chain.hashing import display_hex as display_hex
from edu_chain.hashing import from_display_hex as from_display_hex
from edu_chain.hashing import hash160 as hash160
from edu_chain.hashing import ripemd160 as ripemd160
from edu_chain.hashing import sha256 as sha256
from edu_chain.hashing import sha256d as sha256d
from edu_chain.keys import PrivateKey as PrivateKey
from edu_chain.keys import PublicKey as PublicKey
from edu_chain.keys import Signature as Signature
from edu_chain.mempool import Mempool as Mempool
from edu_chain.merkle import MerkleProof as MerkleProof
from edu_chain.merkle import merkle_proof as merkle_proof
from edu_chain.merkle import merkle_root as merkle_root
from edu_chain.merkle import verify_merkle_proof as verify_merkle_proof
from edu_chain.pow import bits_to_target as bits_to_target
from edu_chain.pow import block_work as block_work
from edu_chain.pow import mine as mine
from edu_chain.pow import mine_with_stats as mine_with_stats
from edu_chain.pow import target_to_bits as target_to_bits
from edu_chain.script import Script as Script
from edu_chain.script import ScriptError as ScriptError
from edu_chain.script import verify_input as verify_input
from edu_chain.tx import COIN as COIN
from edu_chain.tx import OutPoint as OutPoint
from edu_chain.tx import Transaction as Transaction
from edu_chain.tx import TxIn as TxIn
from edu_chain.tx import TxOut as TxOut
from edu_chain.wallet import Wallet as Wallet

__version__ = "0.1.0"

__all__ = [
    "COIN",
    "Block",
    "BlockHeader",
    "BlockValidationError",
    "ChainParams",
    "ChainState",
    "DecodeError",
    "EduChainError",
    "KeyFormatError",
    "Mempool",
    "MerkleProof",
    "MiningError",
    "OutPoint",
    "PrivateKey",
    "PublicKey",
    "Script",
    "ScriptError",
    "Signature",
    "Transaction",
    "TxIn",
    "TxOut",
    "TxValidationError",
    "ValidationError",
    "Wallet",
    "__version__",
    "base58check_decode",
    "base58check_encode",
    "bits_to_target",
    "block_work",
    "display_hex",
    "from_display_hex",
    "hash160",
    "merkle_proof",
    "merkle_root",
    "mine",
    "mine_with_stats",
    "ripemd160",
    "sha256",
    "sha256d",
    "target_to_bits",
    "verify_input",
    "verify_merkle_proof",
]
