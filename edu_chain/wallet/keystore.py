"""The keystore file: a wallet's private keys, as JSON, private to its owner.

The keys are *in plain text* -- fine for the local teaching testnet, never for real money.
The file is created with permissions ``0600`` (only you can read it) and is never replaced
unless asked (``overwrite``): losing a keystore loses its coins.  A rewrite goes through a
temporary file renamed over the old one, so a crash leaves the old file or the new one,
never half of one.  Shape (version 2)::

    {"format": "edu_chain-wallet", "version": 2, "network": "regtest",
     "warning": "private keys in plain text: for the local teaching testnet only",
     "keys": [{"secret": "<64 hex chars>", "type": "p2wpkh", "address": "bcrt1q..."}]}

``type`` is the key's address type (``addresses.py``); ``address`` is written for people to
read and checked on loading (an edited file whose address no longer matches its key is
refused rather than sending coins to a surprise).  Version 1, written before the wallet spoke
Bitcoin's format, had no type: its ``address`` was the Base58 address of the compressed key,
which is that key's P2PKH address, so its keys load as ``p2pkh``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from edu_chain.errors import KeyFormatError
from edu_chain.keys import PrivateKey
from edu_chain.wallet.addresses import (
    ADDRESS_TYPES,
    DEFAULT_ADDRESS_TYPE,
    NETWORK,
    address_of,
    script_for_key,
)
from edu_chain.wallet.amounts import KeystoreExistsError, WalletError

KEYSTORE_FORMAT = "edu_chain-wallet"
KEYSTORE_VERSION = 2
KEYSTORE_MODE = 0o600


def read_keystore(path: Path) -> tuple[list[PrivateKey], list[str]]:
    """The keys and their address types; :class:`WalletError` if missing or malformed
    (never quoting a secret)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WalletError(f"no wallet at {path}; create one with `educhain wallet new`") from None
    except (OSError, ValueError) as error:
        raise WalletError(f"cannot read the wallet at {path}: {error}") from None
    if not isinstance(data, dict) or data.get("format") != KEYSTORE_FORMAT:
        raise WalletError(f"{path} is not an edu_chain wallet (no format {KEYSTORE_FORMAT!r})")
    version = data.get("version")
    if version not in (1, KEYSTORE_VERSION):
        raise WalletError(
            f"{path}: keystore version {version!r} is not supported "
            f"(expected 1 or {KEYSTORE_VERSION})"
        )
    if data.get("network", NETWORK.name) != NETWORK.name:
        raise WalletError(
            f"{path}: a keystore for network {data.get('network')!r}; "
            f"this wallet uses {NETWORK.name}"
        )
    entries = data.get("keys") or []
    if not isinstance(entries, list):
        raise WalletError(
            f"{path}: field keys must be a list of keys, got {type(entries).__name__}"
        )
    keys, types = [], []
    for position, entry in enumerate(entries):
        key, address_type = _read_key(path, position, entry, version)
        keys.append(key)
        types.append(address_type)
    if not keys:
        raise WalletError(f"{path}: a wallet holds at least one key, this keystore has none")
    return keys, types


def _read_key(path: Path, position: int, entry: object, version: int) -> tuple[PrivateKey, str]:
    """One entry: the key and its address type, checked against the address it records."""
    if not isinstance(entry, dict):
        raise WalletError(f"{path}: key #{position} is malformed")
    try:
        key = PrivateKey.from_bytes(bytes.fromhex(entry["secret"]))
    except (KeyError, TypeError, ValueError, KeyFormatError):
        # Never echo the secret itself into an error message.
        raise WalletError(f"{path}: key #{position} is malformed") from None
    address_type = entry.get("type", "p2pkh" if version == 1 else DEFAULT_ADDRESS_TYPE)
    if address_type not in ADDRESS_TYPES:
        raise WalletError(
            f"{path}: key #{position} has address type {address_type!r}; "
            f"known: {', '.join(ADDRESS_TYPES)}"
        )
    recorded = entry.get("address")
    expected = address_of(script_for_key(key, address_type))
    if recorded is not None and recorded != expected:
        raise WalletError(
            f"{path}: key #{position} records address {recorded!r}, but its {address_type} "
            f"address is {expected} (was the file edited by hand?)"
        )
    return key, address_type


def write_keystore(
    path: Path, keys: Sequence[PrivateKey], types: Sequence[str], *, exclusive: bool
) -> None:
    """Write the keystore, mode 0600: a new file only (``exclusive``, else
    :class:`KeystoreExistsError`), or atomically replacing the old one."""
    payload = json.dumps(
        {
            "format": KEYSTORE_FORMAT,
            "version": KEYSTORE_VERSION,
            "network": NETWORK.name,
            "warning": "private keys in plain text: for the local teaching testnet only",
            "keys": [
                {
                    "secret": key.to_bytes().hex(),
                    "type": kind,
                    "address": address_of(script_for_key(key, kind)),
                }
                for key, kind in zip(keys, types, strict=True)
            ],
        },
        indent=2,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEYSTORE_MODE)
        except FileExistsError:
            raise KeystoreExistsError(
                f"a wallet already exists at {path}; refusing to overwrite it "
                "(its keys would be lost). Use --force / overwrite=True if you mean it."
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        return
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".wallet-", suffix=".tmp")
    try:
        os.fchmod(fd, KEYSTORE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
