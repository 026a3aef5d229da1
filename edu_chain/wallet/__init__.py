"""A wallet on Bitcoin's real transactions: keys, addresses, coins, fees, payments, multisig.

Modules, lowest first:

    amounts.py     coins <-> base units; the wallet's errors
    addresses.py   P2WPKH (default, bcrt1q...) and P2PKH (m/n...) addresses of a key, regtest
    keystore.py    the JSON keystore file (mode 0600, never overwritten silently)
    selection.py   coin selection (largest first), fee by vsize, change, signing
    wallet.py      Wallet: keys + a UTXO view -> signed payments; one signer of a PSBT
    multisig.py    m-of-n P2WSH/P2SH addresses and the PSBT that spends them

>>> from edu_chain.keys import PrivateKey
>>> from edu_chain.tx import OutPoint, TxOut
>>> alice, bob = Wallet("alice.json", [PrivateKey(0xA11CE)]), Wallet("b.json", [PrivateKey(2)])
>>> alice.address
'bcrt1qcntmz6mymxpd4srql0umxsqezarlykgrmy3xx2'
>>> coins = {OutPoint(bytes(32), 0): TxOut(50_000, alice.script_pubkeys[0])}
>>> tx = alice.build_payment(coins, bob.address, 20_000, fee_rate=1)
>>> [output.amount for output in tx.outputs], tx.vsize
([20000, 29859], 141)
"""

from edu_chain.wallet.addresses import ADDRESS_TYPES as ADDRESS_TYPES
from edu_chain.wallet.addresses import DEFAULT_ADDRESS_TYPE as DEFAULT_ADDRESS_TYPE
from edu_chain.wallet.addresses import NETWORK as NETWORK
from edu_chain.wallet.addresses import decode_address as decode_address
from edu_chain.wallet.addresses import script_for_key as script_for_key
from edu_chain.wallet.amounts import InsufficientFundsError as InsufficientFundsError
from edu_chain.wallet.amounts import KeystoreExistsError as KeystoreExistsError
from edu_chain.wallet.amounts import WalletError as WalletError
from edu_chain.wallet.amounts import format_coins as format_coins
from edu_chain.wallet.amounts import parse_coins as parse_coins
from edu_chain.wallet.keystore import KEYSTORE_FORMAT as KEYSTORE_FORMAT
from edu_chain.wallet.keystore import KEYSTORE_VERSION as KEYSTORE_VERSION
from edu_chain.wallet.multisig import MULTISIG_TYPES as MULTISIG_TYPES
from edu_chain.wallet.multisig import Multisig as Multisig
from edu_chain.wallet.multisig import MultisigCoin as MultisigCoin
from edu_chain.wallet.multisig import create_psbt as create_psbt
from edu_chain.wallet.multisig import multisig_coins as multisig_coins
from edu_chain.wallet.selection import DEFAULT_FEE_RATE as DEFAULT_FEE_RATE
from edu_chain.wallet.selection import MAX_DATA_SIZE as MAX_DATA_SIZE
from edu_chain.wallet.selection import OwnedCoin as OwnedCoin
from edu_chain.wallet.selection import data_script as data_script
from edu_chain.wallet.selection import estimate_vsize as estimate_vsize
from edu_chain.wallet.selection import fee_for as fee_for
from edu_chain.wallet.selection import select_coins as select_coins
from edu_chain.wallet.wallet import UtxoView as UtxoView
from edu_chain.wallet.wallet import Wallet as Wallet

__all__ = [
    "ADDRESS_TYPES",
    "DEFAULT_ADDRESS_TYPE",
    "DEFAULT_FEE_RATE",
    "KEYSTORE_FORMAT",
    "KEYSTORE_VERSION",
    "MAX_DATA_SIZE",
    "MULTISIG_TYPES",
    "NETWORK",
    "InsufficientFundsError",
    "KeystoreExistsError",
    "Multisig",
    "MultisigCoin",
    "OwnedCoin",
    "UtxoView",
    "Wallet",
    "WalletError",
    "create_psbt",
    "data_script",
    "decode_address",
    "estimate_vsize",
    "fee_for",
    "format_coins",
    "multisig_coins",
    "parse_coins",
    "script_for_key",
    "select_coins",
]
