"""``educhain wallet``: create keys, show addresses, ask a node for the balance, send coins.

A thin layer over :mod:`edu_chain.wallet`.  ``balance`` and ``send`` talk to a node's HTTP
API through :class:`~edu_chain.node.client.NodeClient`, the fixed endpoints:

* ``GET /api/address/{address}`` -> ``{"balance": int, "utxos": [{"txid": displayed hex,
  "index": int, "amount": int}, ...]}`` (``"outpoint": "txid:index"`` may replace txid and
  index; an entry with ``"spendable": false``, e.g. an immature coinbase, or with a
  ``"spent_in_mempool"`` txid, already spent by a pending payment, is not spent);
* ``POST /api/tx`` with ``{"hex": raw transaction hex}`` -> ``{"txid": ...}`` or a 4xx
  ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import httpx

from edu_chain.cli.errors import CliError
from edu_chain.errors import KeyFormatError
from edu_chain.keys import address_to_pubkey_hash
from edu_chain.node.client import NodeClient, NodeClientError, NodeUnreachableError
from edu_chain.teaching_tx import OutPoint, TxOut
from edu_chain.wallet import (
    DEFAULT_FEE,
    InsufficientFundsError,
    KeystoreExistsError,
    Wallet,
    WalletError,
    format_coins,
    parse_coins,
)

DEFAULT_WALLET = Path("~/.educhain/wallet.json")
DEFAULT_NODE = "http://127.0.0.1:8332"
TIMEOUT_SECONDS = 10.0

# Tests replace this with an ``httpx.MockTransport``; None means real HTTP.
_TRANSPORT: httpx.BaseTransport | None = None


def _wallet_option(function: Any) -> Any:
    return click.option(
        "--wallet",
        "wallet_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=str(DEFAULT_WALLET),
        envvar="EDUCHAIN_WALLET",
        show_default=True,
        help="Keystore file (env EDUCHAIN_WALLET).",
    )(function)


def _node_option(function: Any) -> Any:
    return click.option(
        "--node",
        "node_url",
        default=DEFAULT_NODE,
        envvar="EDUCHAIN_NODE",
        show_default=True,
        help="URL of a running node (env EDUCHAIN_NODE).",
    )(function)


def _json_option(function: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(
        function
    )


def _load(path: Path) -> Wallet:
    try:
        return Wallet.load(path.expanduser())
    except WalletError as error:
        hint = "" if path.expanduser().exists() else ", or pass --wallet FILE (env EDUCHAIN_WALLET)"
        raise CliError(f"{error}{hint}") from None


# --- talking to a node ---------------------------------------------------------------------


def _client(node_url: str) -> NodeClient:
    return NodeClient(node_url, timeout=TIMEOUT_SECONDS, transport=_TRANSPORT)


def _cli_error(error: NodeClientError) -> CliError:
    """A node failure as one line for the user (with a hint when no node answered)."""
    if isinstance(error, NodeUnreachableError):
        return CliError(
            f"{error.message}. Start one with `educhain node` or pass --node URL "
            "(a testnet's URLs: `educhain testnet status --dir DIR`)."
        )
    return CliError(error.message)


def _address_info(node_url: str, address: str) -> tuple[int, dict[OutPoint, TxOut]]:
    """(balance, spendable utxos) for one address, from ``GET /api/address/{address}``."""
    pubkey_hash = address_to_pubkey_hash(address)
    try:
        with _client(node_url) as node:
            coins = node.coins(address, pubkey_hash)
    except NodeClientError as error:
        raise _cli_error(error) from None
    return coins.balance, coins.spendable


def _submit(node_url: str, tx_hex: str) -> str:
    """``POST /api/tx``; the txid the node gives."""
    try:
        with _client(node_url) as node:
            return node.submit_tx(tx_hex).txid
    except NodeClientError as error:
        raise _cli_error(error) from None


# --- commands ------------------------------------------------------------------------------


@click.group()
def wallet() -> None:
    """Keys, addresses, balance and payments on the local testnet.

    \b
    Examples:
      educhain wallet new                       # writes ~/.educhain/wallet.json (mode 0600)
      educhain wallet address
      educhain wallet balance --node http://127.0.0.1:8332
      educhain wallet send mxyz... 1.5 --fee 0.0001
    """


@wallet.command()
@_wallet_option
@click.option("--force", is_flag=True, help="Replace an existing keystore (its keys are lost).")
@_json_option
def new(wallet_path: Path, force: bool, as_json: bool) -> None:
    """Create a keystore with one fresh key and print its address.

    \b
    Example:
      educhain wallet new --wallet alice.json
    """
    path = wallet_path.expanduser()
    try:
        created = Wallet.create(path, overwrite=force)
    except KeystoreExistsError as error:
        raise CliError(str(error)) from None
    if as_json:
        click.echo(json.dumps({"wallet": str(path), "address": created.address}))
        return
    click.echo(f"new wallet written to {path} (mode 0600; back it up, keys are in plain text)")
    click.echo(f"address: {created.address}")


@wallet.command()
@_wallet_option
@click.option("--new", "add_new", is_flag=True, help="Add a fresh key first.")
@_json_option
def address(wallet_path: Path, add_new: bool, as_json: bool) -> None:
    """Print the wallet's addresses (the first one receives change).

    \b
    Example:
      educhain wallet address --new
    """
    loaded = _load(wallet_path)
    if add_new:
        loaded.new_key()
    if as_json:
        click.echo(json.dumps({"addresses": loaded.addresses()}))
        return
    for line in loaded.addresses():
        click.echo(line)


@wallet.command()
@_wallet_option
@_node_option
@_json_option
def balance(wallet_path: Path, node_url: str, as_json: bool) -> None:
    """Ask a node for the balance of every address in the wallet.

    \b
    Example:
      educhain wallet balance --node http://127.0.0.1:8332
    """
    loaded = _load(wallet_path)
    per_address = {addr: _address_info(node_url, addr)[0] for addr in loaded.addresses()}
    total = sum(per_address.values())
    if as_json:
        click.echo(json.dumps({"total": total, "addresses": per_address}))
        return
    for addr, amount in per_address.items():
        click.echo(f"{addr}  {format_coins(amount)}")
    click.echo(f"total  {format_coins(total)} coins")


@wallet.command()
@click.argument("to_address")
@click.argument("amount")
@click.option(
    "--fee",
    default=format_coins(DEFAULT_FEE),
    show_default=True,
    help="Fee in coins, paid to the miner.",
)
@_wallet_option
@_node_option
@_json_option
def send(
    to_address: str, amount: str, fee: str, wallet_path: Path, node_url: str, as_json: bool
) -> None:
    """Pay AMOUNT coins to TO_ADDRESS: build, sign and submit a transaction.

    \b
    Example:
      educhain wallet send mfWxJ45yp2SFn7UciZyNpvDKrzbhyfKrY8 1.5 --fee 0.0001
    """
    loaded = _load(wallet_path)
    try:
        address_to_pubkey_hash(to_address)
        amount_units, fee_units = parse_coins(amount), parse_coins(fee)
    except (KeyFormatError, WalletError) as error:
        raise CliError(str(error)) from None
    utxos: dict[OutPoint, TxOut] = {}
    for addr in loaded.addresses():
        utxos.update(_address_info(node_url, addr)[1])
    try:
        tx = loaded.build_payment(utxos, to_address, amount_units, fee_units)
    except InsufficientFundsError as error:
        raise CliError(
            f"{error} (coins spent by a payment still in the mempool, and its change, count "
            "once a block confirms it)"
        ) from None
    except (WalletError, KeyFormatError) as error:
        raise CliError(str(error)) from None
    txid = _submit(node_url, tx.hex())
    if as_json:
        click.echo(json.dumps({"txid": txid, "hex": tx.hex(), "fee": fee_units}))
        return
    click.echo(f"sent {format_coins(amount_units)} coins to {to_address}")
    click.echo(f"txid {txid}")
    click.echo("balances change when a block includes it (it waits in the mempool until then)")


__all__ = ["wallet"]
