"""``educhain wallet``: keys, addresses, balance, payments; multisig and PSBT in wallet_psbt.py.

A thin layer over :mod:`edu_chain.wallet`.  ``new``, ``address`` and ``pubkey`` work offline;
``balance`` and ``send`` talk to a node's HTTP API through
:class:`~edu_chain.node.client.NodeClient`, the fixed endpoints:

* ``GET /api/address/{address}`` -> ``{"balance": int, "utxos": [{"txid": displayed hex,
  "index": int, "amount": int}, ...]}`` (``"vout"`` may replace index, ``"outpoint":
  "txid:index"`` both; an entry with ``"spendable": false``, e.g. an immature coinbase, or
  with a ``"spent_in_mempool"`` txid, already spent by a pending payment, is not spent).
  The output's scriptPubKey is the address's, so the wallet rebuilds each coin itself;
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
from edu_chain.errors import EduChainError
from edu_chain.hashing import from_display_hex
from edu_chain.node.client import NodeClient, NodeClientError, NodeUnreachableError
from edu_chain.tx import OutPoint, Transaction, TxOut
from edu_chain.wallet import (
    ADDRESS_TYPES,
    DEFAULT_FEE_RATE,
    InsufficientFundsError,
    KeystoreExistsError,
    Wallet,
    WalletError,
    data_script,
    decode_address,
    format_coins,
    parse_coins,
)

DEFAULT_WALLET = Path("~/.educhain/wallet.json")
DEFAULT_NODE = "http://127.0.0.1:8332"
TIMEOUT_SECONDS = 10.0

# Tests replace this with an ``httpx.MockTransport``; None means real HTTP.
_TRANSPORT: httpx.BaseTransport | None = None


# --- options shared by the wallet commands (wallet_psbt.py uses them too) -------------------


def wallet_option(function: Any) -> Any:
    return click.option(
        "--wallet",
        "wallet_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=str(DEFAULT_WALLET),
        envvar="EDUCHAIN_WALLET",
        show_default=True,
        help="Keystore file (env EDUCHAIN_WALLET).",
    )(function)


def node_option(function: Any) -> Any:
    return click.option(
        "--node",
        "node_url",
        default=DEFAULT_NODE,
        envvar="EDUCHAIN_NODE",
        show_default=True,
        help="URL of a running node (env EDUCHAIN_NODE).",
    )(function)


def json_option(function: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(
        function
    )


def fee_options(function: Any) -> Any:
    function = click.option(
        "--fee-rate",
        type=float,
        default=None,
        help=f"Fee in satoshis per virtual byte [default: {DEFAULT_FEE_RATE}].",
    )(function)
    return click.option(
        "--fee", default=None, help="Fee in coins, instead of a fee rate (e.g. 0.0001)."
    )(function)


def data_option(function: Any) -> Any:
    return click.option(
        "--data",
        default=None,
        help="Text to record in an OP_RETURN output (UTF-8, at most 99,994 bytes; the "
        "transaction's weight limit of 400,000 stops a little earlier).",
    )(function)


def load_wallet(path: Path) -> Wallet:
    try:
        return Wallet.load(path.expanduser())
    except WalletError as error:
        hint = "" if path.expanduser().exists() else ", or pass --wallet FILE (env EDUCHAIN_WALLET)"
        raise CliError(f"{error}{hint}") from None


def parse_payment_arguments(
    to_address: str | None, amount: str | None, fee: str | None, fee_rate: float | None
) -> tuple[int | None, int | None]:
    """Check the address, amount and fee before anything else happens; (amount, fee) in
    base units."""
    try:
        if to_address is not None:
            decode_address(to_address)
        amount_units = parse_coins(amount) if amount is not None else None
        fee_units = parse_coins(fee) if fee is not None else None
    except WalletError as error:
        raise CliError(str(error)) from None
    if fee is not None and fee_rate is not None:
        raise CliError("give --fee or --fee-rate, not both")
    return amount_units, fee_units


def data_bytes(text: str | None) -> bytes | None:
    """``--data`` as the bytes to record, checked (at most MAX_DATA_SIZE) before anything
    happens."""
    if text is None:
        return None
    try:
        data_script(text.encode("utf-8"))
    except WalletError as error:
        raise CliError(f"--data: {error}") from None
    return text.encode("utf-8")


# --- talking to a node ---------------------------------------------------------------------


def client(node_url: str, token: str | None = None) -> NodeClient:
    return NodeClient(node_url, timeout=TIMEOUT_SECONDS, token=token, transport=_TRANSPORT)


def node_error(error: NodeClientError) -> CliError:
    """A node failure as one line for the user (with a hint when no node answered)."""
    if isinstance(error, NodeUnreachableError):
        return CliError(
            f"{error.message}. Start one with `educhain node` or pass --node URL "
            "(a testnet's URLs: `educhain testnet status --dir DIR`)."
        )
    return CliError(error.message)


def address_coins(node_url: str, address: str) -> tuple[int, dict[OutPoint, TxOut]]:
    """(balance, spendable coins) of one address, from ``GET /api/address/{address}``."""
    script_pubkey = decode_address(address)
    try:
        with client(node_url) as node:
            reply = node.address(address)
    except NodeClientError as error:
        raise node_error(error) from None
    try:
        return _read_coins(reply, script_pubkey)
    except (AttributeError, KeyError, TypeError, ValueError, EduChainError) as error:
        raise CliError(f"the node's reply for {address} is malformed: {error!r:.200}") from None


def _read_coins(reply: Any, script_pubkey: bytes) -> tuple[int, dict[OutPoint, TxOut]]:
    entries = reply.get("utxos", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise TypeError(f"utxos must be a list of objects, got {entries!r:.80}")
    spendable: dict[OutPoint, TxOut] = {}
    for entry in entries:
        if entry.get("spendable", True) is False or entry.get("spent_in_mempool"):
            continue
        if "txid" in entry:
            txid, index = entry["txid"], entry["index"] if "index" in entry else entry["vout"]
        else:  # "outpoint": "txid:index", as OutPoint.__str__ writes it
            txid, index = entry["outpoint"].rsplit(":", 1)
        outpoint = OutPoint(from_display_hex(txid), int(index))
        spendable[outpoint] = TxOut(int(entry["amount"]), script_pubkey)
    balance = int(reply.get("balance", sum(out.amount for out in spendable.values())))
    return balance, spendable


def submit(node_url: str, tx: Transaction) -> str:
    """``POST /api/tx``; the txid the node gives."""
    try:
        with client(node_url) as node:
            return node.submit_tx(tx.serialize().hex()).txid
    except NodeClientError as error:
        raise node_error(error) from None


def mine_into_block(node_url: str, tx: Transaction, token: str | None) -> str:
    """``POST /api/mine {"transactions": [hex]}``: the node mines a block holding ``tx``
    (consensus rules only: a fee below the relay minimum is fine); the block's hash."""
    try:
        with client(node_url, token) as node:
            return node.mine(1, transactions=[tx.serialize().hex()]).blocks[0]
    except NodeClientError as error:
        raise node_error(error) from None


def mine_options(function: Any) -> Any:
    function = click.option(
        "--token",
        envvar="EDUCHAIN_TOKEN",
        default=None,
        help="With --mine: the node's control token, if it printed one (env EDUCHAIN_TOKEN).",
    )(function)
    return click.option(
        "--mine",
        "mine_it",
        is_flag=True,
        help="Instead of the mempool, have --node (your own node) mine a block holding the "
        "transaction now: for one the mempool refuses for its low fee.",
    )(function)


def read_raw_transaction(text: str) -> Transaction:
    """RAW_TX as hex, ``-`` for standard input, or ``@FILE``."""
    if text == "-":
        text = click.get_text_stream("stdin").read()
    elif text.startswith("@"):
        try:
            text = Path(text[1:]).expanduser().read_text(encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot read {text[1:]}: {error.strerror or error}") from None
    try:
        return Transaction.parse(bytes.fromhex("".join(text.split())))
    except ValueError as error:  # not hex, or a DecodeError (a ValueError too)
        raise click.BadParameter(
            f"not a raw transaction in hex: {error}", param_hint="RAW_TX"
        ) from None


# --- commands ------------------------------------------------------------------------------


@click.group()
def wallet() -> None:
    """Keys, addresses, balance and payments on the local testnet; multisig with PSBT.

    Addresses are Bitcoin regtest ones: P2WPKH (bcrt1q..., the default) or P2PKH (m/n...).

    \b
    Examples:
      educhain wallet new                       # writes ~/.educhain/wallet.json (mode 0600)
      educhain wallet address
      educhain wallet balance --node http://127.0.0.1:8332
      educhain wallet send bcrt1q... 1.5 --fee-rate 2
      educhain wallet broadcast @signed.hex
      educhain wallet pubkey                    # share it to build a multisig address
      educhain wallet multisig create 2 PUBKEY1 PUBKEY2 PUBKEY3 --out team.json
      educhain wallet psbt create team.json bcrt1q... 1 --out pay.psbt
    """


@wallet.command()
@wallet_option
@click.option("--force", is_flag=True, help="Replace an existing keystore (its keys are lost).")
@click.option(
    "--type", "address_type", type=click.Choice(ADDRESS_TYPES), default="p2wpkh", show_default=True
)
@json_option
def new(wallet_path: Path, force: bool, address_type: str, as_json: bool) -> None:
    """Create a keystore with one fresh key and print its address.

    \b
    Examples:
      educhain wallet new --wallet alice.json
      educhain wallet new --wallet old-style.json --type p2pkh
    """
    path = wallet_path.expanduser()
    try:
        created = Wallet.create(path, overwrite=force, address_type=address_type)
    except KeystoreExistsError as error:
        raise CliError(str(error)) from None
    if as_json:
        click.echo(json.dumps({"wallet": str(path), "address": created.address}))
        return
    click.echo(f"new wallet written to {path} (mode 0600; back it up, keys are in plain text)")
    click.echo(f"address: {created.address}")


@wallet.command()
@wallet_option
@click.option("--new", "add_new", is_flag=True, help="Add a fresh key first.")
@click.option(
    "--type",
    "address_type",
    type=click.Choice(ADDRESS_TYPES),
    default=None,
    help="With --new: the new key's address type [default: p2wpkh]. Alone: list only this type.",
)
@json_option
def address(wallet_path: Path, add_new: bool, address_type: str | None, as_json: bool) -> None:
    """Print the wallet's addresses (the first one receives change).

    \b
    Examples:
      educhain wallet address
      educhain wallet address --new                # a fresh P2WPKH address
      educhain wallet address --new --type p2pkh   # a fresh legacy address
    """
    loaded = load_wallet(wallet_path)
    if add_new:
        loaded.new_key(address_type or "p2wpkh")
    pairs = zip(loaded.addresses, loaded.address_types, strict=True)
    shown = [addr for addr, kind in pairs if add_new or address_type in (None, kind)]
    if as_json:
        click.echo(json.dumps({"addresses": shown}))
        return
    for line in shown:
        click.echo(line)


@wallet.command()
@wallet_option
@json_option
def pubkey(wallet_path: Path, as_json: bool) -> None:
    """Print the wallet's public keys (compressed, hex), to share for a multisig address.

    A public key is safe to share: it lets others check signatures and build addresses that
    need your signature, never to spend.

    \b
    Example:
      educhain wallet pubkey --wallet alice.json
    """
    loaded = load_wallet(wallet_path)
    keys = [key.hex() for key in loaded.public_keys]
    if as_json:
        click.echo(json.dumps({"pubkeys": keys, "addresses": loaded.addresses}))
        return
    for key in keys:
        click.echo(key)


@wallet.command()
@wallet_option
@node_option
@json_option
def balance(wallet_path: Path, node_url: str, as_json: bool) -> None:
    """Ask a node for the balance of every address in the wallet.

    \b
    Example:
      educhain wallet balance --node http://127.0.0.1:8332
    """
    loaded = load_wallet(wallet_path)
    per_address = {addr: address_coins(node_url, addr)[0] for addr in loaded.addresses}
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
@fee_options
@data_option
@click.option(
    "--locktime",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    help="Not valid in a block before this height (below 500000000) or Unix time.",
)
@click.option(
    "--no-submit",
    is_flag=True,
    help="Only build and sign: print the raw transaction (submit it later with broadcast).",
)
@mine_options
@wallet_option
@node_option
@json_option
def send(
    to_address: str,
    amount: str,
    fee: str | None,
    fee_rate: float | None,
    data: str | None,
    locktime: int,
    no_submit: bool,
    mine_it: bool,
    token: str | None,
    wallet_path: Path,
    node_url: str,
    as_json: bool,
) -> None:
    """Pay AMOUNT coins to TO_ADDRESS: build, sign and submit a transaction.

    The fee is by size (--fee-rate satoshis per virtual byte) unless --fee gives it in coins.
    A fee rate below 1 is refused by the mempool (min-relay-fee-not-met): --mine has your
    own node put it in a block it mines now (POST /api/mine with the transaction).

    \b
    Examples:
      educhain wallet send bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080 1.5
      educhain wallet send mfWxJ45yp2SFn7UciZyNpvDKrzbhyfKrY8 0.5 --fee 0.0001
      educhain wallet send bcrt1q... 0.1 --fee-rate 5 --data "thanks for lunch"
      educhain wallet send bcrt1q... 0.1 --fee-rate 0.5 --mine --token TOKEN
      educhain wallet send bcrt1q... 0.1 --locktime 250 --no-submit > later.hex
    """
    loaded = load_wallet(wallet_path)
    amount_units, fee_units = parse_payment_arguments(to_address, amount, fee, fee_rate)
    assert amount_units is not None
    data_bytes(data)
    if no_submit and mine_it:
        raise click.UsageError("give --no-submit or --mine, not both")
    utxos: dict[OutPoint, TxOut] = {}
    for addr in loaded.addresses:
        utxos.update(address_coins(node_url, addr)[1])
    try:
        tx = loaded.build_payment(
            utxos,
            to_address,
            amount_units,
            fee_units,
            fee_rate=fee_rate,
            data=data_bytes(data),
            locktime=locktime,
        )
    except InsufficientFundsError as error:
        raise CliError(
            f"{error} (coins spent by a payment still in the mempool, and its change, count "
            "once a block confirms it)"
        ) from None
    except WalletError as error:
        raise CliError(str(error)) from None
    paid_fee = sum(utxos[i.outpoint].amount for i in tx.inputs) - sum(o.amount for o in tx.outputs)
    hex_tx = tx.serialize().hex()
    if no_submit:
        if as_json:
            click.echo(
                json.dumps({"txid": tx.id, "hex": hex_tx, "fee": paid_fee, "vsize": tx.vsize})
            )
        else:
            click.echo(hex_tx)
        return
    block = mine_into_block(node_url, tx, token) if mine_it else None
    txid = tx.id if mine_it else submit(node_url, tx)
    if as_json:
        reply = {"txid": txid, "hex": hex_tx, "fee": paid_fee, "vsize": tx.vsize}
        click.echo(json.dumps(reply | ({"block": block} if block else {})))
        return
    click.echo(f"sent {format_coins(amount_units)} coins to {to_address}")
    click.echo(f"txid {txid}")
    click.echo(f"fee {format_coins(paid_fee)} coins for {tx.vsize} vbytes")
    if block is not None:
        click.echo(f"mined in block {block}")
    else:
        click.echo("balances change when a block includes it (it waits in the mempool until then)")


@wallet.command()
@click.argument("raw_tx")
@mine_options
@node_option
@json_option
def broadcast(raw_tx: str, mine_it: bool, token: str | None, node_url: str, as_json: bool) -> None:
    """Submit a signed raw transaction (hex, - for standard input, or @FILE) to a node.

    For a transaction built with `send --no-submit`: one with a --locktime is refused
    (non-final) until the chain reaches it, then accepted; send the same one again.

    \b
    Examples:
      educhain wallet broadcast @later.hex --node http://192.168.1.5:8332
      educhain wallet broadcast 0200000001... --mine --token TOKEN
    """
    tx = read_raw_transaction(raw_tx)
    block = mine_into_block(node_url, tx, token) if mine_it else None
    txid = tx.id if mine_it else submit(node_url, tx)
    if as_json:
        click.echo(json.dumps({"txid": txid} | ({"block": block} if block else {})))
        return
    click.echo(f"txid {txid}")
    click.echo(f"mined in block {block}" if block else "accepted into the mempool")


__all__ = ["wallet"]
