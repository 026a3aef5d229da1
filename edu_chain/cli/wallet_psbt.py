"""``educhain wallet multisig`` and ``educhain wallet psbt``: m-of-n addresses, and spending
them with a PSBT file (BIP174) that each signer signs on their own laptop.

The whole walk, three people, one file passed around (see ``edu_chain/wallet/multisig.py``)::

    alice$ educhain wallet pubkey            bob$ ...           carol$ ...
    anyone$ educhain wallet multisig create 2 PUB_A PUB_B PUB_C --out team.json
    anyone$ educhain wallet psbt create team.json bcrt1q... 1.5 --out pay.psbt
    alice$  educhain wallet psbt sign pay.psbt --out pay-alice.psbt
    carol$  educhain wallet psbt sign pay.psbt --out pay-carol.psbt
    anyone$ educhain wallet psbt combine pay-alice.psbt pay-carol.psbt --out pay-signed.psbt
    anyone$ educhain wallet psbt finalize pay-signed.psbt --broadcast

Every command reads the PSBT as base64 text (what ``bitcoin-cli`` writes) or binary, checks
everything before writing anything, and turns a malformed file into one line and exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from edu_chain.cli.errors import CliError
from edu_chain.cli.wallet import (
    address_coins,
    client,
    data_bytes,
    data_option,
    fee_options,
    json_option,
    load_wallet,
    node_option,
    parse_payment_arguments,
    submit,
    wallet_option,
)
from edu_chain.errors import DecodeError, EduChainError
from edu_chain.hashing import display_hex, from_display_hex
from edu_chain.node.client import NodeClientError
from edu_chain.psbt import Psbt, PsbtError, combine, extract, finalize
from edu_chain.script import ScriptError, script_pubkey_to_address
from edu_chain.script.standard import classify
from edu_chain.tx import OutPoint, Transaction, TxOut
from edu_chain.wallet import (
    MULTISIG_TYPES,
    NETWORK,
    Multisig,
    WalletError,
    create_psbt,
    format_coins,
    parse_coins,
)

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the result to this file (default: print it).",
)


def _read_psbt(path: Path) -> Psbt:
    try:
        return Psbt.load(path.read_bytes())
    except (DecodeError, PsbtError) as error:
        raise CliError(f"{path}: {error}") from None
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None


def _emit(text: str, out: Path | None, what: str, *, quiet: bool = False) -> None:
    """``text`` to ``out`` (a line says so, unless ``quiet``) or to standard output."""
    if out is None:
        click.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {out}: {error.strerror}") from None
    if not quiet:
        click.echo(f"{what} written to {out}")


# --- multisig ------------------------------------------------------------------------------


@click.group()
def multisig() -> None:
    """m-of-n multisig addresses from several wallets' public keys.

    \b
    Example:
      educhain wallet multisig create 2 02aa.. 03bb.. 02cc.. --out team.json
    """


@multisig.command("create")
@click.argument("required", type=int)
@click.argument("pubkeys", nargs=-1, required=True)
@click.option(
    "--type",
    "address_type",
    type=click.Choice(MULTISIG_TYPES),
    default="p2wsh",
    show_default=True,
    help="Where the script hides: segwit (p2wsh), legacy (p2sh) or segwit inside P2SH.",
)
@click.option("--no-sort", is_flag=True, help="Keep the keys' order (default: sorted, BIP67).")
@_OUT
@json_option
def multisig_create(
    required: int,
    pubkeys: tuple[str, ...],
    address_type: str,
    no_sort: bool,
    out: Path | None,
    as_json: bool,
) -> None:
    """The address that REQUIRED of the PUBKEYS (hex, from `educhain wallet pubkey`) spend.

    --out writes the description (keys, script, address; no secret) that `psbt create`
    reads; give it to every signer.

    \b
    Example:
      educhain wallet multisig create 2 PUB_ALICE PUB_BOB PUB_CAROL --out team.json
    """
    try:
        made = Multisig.create(required, pubkeys, address_type, sort=not no_sort)
    except WalletError as error:
        raise CliError(str(error)) from None
    description = made.to_dict()
    if out is not None:
        _emit(json.dumps(description, indent=2), out, "multisig description", quiet=as_json)
    if as_json:
        click.echo(json.dumps(description))
        return
    click.echo(f"address: {made.address}")
    click.echo(f"{made.required}-of-{len(made.pubkeys)} {made.address_type}")
    if made.witness_script is not None:
        click.echo(f"witness script: {made.witness_script.hex()}")
    if made.redeem_script is not None:
        click.echo(f"redeem script: {made.redeem_script.hex()}")


@multisig.command("balance")
@click.argument("multisig_file", type=_EXISTING_FILE)
@node_option
@json_option
def multisig_balance(multisig_file: Path, node_url: str, as_json: bool) -> None:
    """Ask a node for the balance and coins of the multisig address in MULTISIG_FILE.

    \b
    Example:
      educhain wallet multisig balance team.json --node http://127.0.0.1:8332
    """
    ms = _read_multisig(multisig_file)
    total, coins = address_coins(node_url, ms.address)
    if as_json:
        spendable = [{"outpoint": str(op), "amount": out.amount} for op, out in coins.items()]
        click.echo(json.dumps({"address": ms.address, "balance": total, "utxos": spendable}))
        return
    click.echo(f"{ms.address}  {format_coins(total)} coins in {len(coins)} spendable outputs")


def _read_multisig(path: Path) -> Multisig:
    try:
        return Multisig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, WalletError) as error:
        raise CliError(f"{path}: {error}") from None


# --- psbt ----------------------------------------------------------------------------------


@click.group()
def psbt() -> None:
    """Partially signed transactions (BIP174): create, sign, combine, finalize, decode.

    \b
    Examples:
      educhain wallet psbt create team.json bcrt1q... 1.5 --out pay.psbt
      educhain wallet psbt sign pay.psbt --wallet alice.json --out pay-alice.psbt
      educhain wallet psbt combine pay-alice.psbt pay-carol.psbt --out pay-signed.psbt
      educhain wallet psbt finalize pay-signed.psbt --broadcast --node http://127.0.0.1:8332
      educhain wallet psbt decode pay.psbt
    """


def _parse_utxo(text: str, ms: Multisig) -> tuple[OutPoint, TxOut]:
    """``TXID:VOUT:AMOUNT`` (displayed txid, amount in coins) -> a coin of the multisig."""
    try:
        txid, vout, amount = text.rsplit(":", 2)
        return OutPoint(from_display_hex(txid), int(vout)), TxOut(
            parse_coins(amount), ms.script_pubkey
        )
    except (ValueError, WalletError, EduChainError) as error:
        message = error.args[0] if error.args else error
        raise CliError(f"--utxo {text!r:.90}: expected TXID:VOUT:AMOUNT ({message})") from None


def _read_tx(path: Path) -> Transaction:
    try:
        return Transaction.parse(bytes.fromhex("".join(path.read_text(encoding="utf-8").split())))
    except ValueError as error:  # DecodeError is a ValueError
        message = str(error) if isinstance(error, DecodeError) else "decode-bad-hex: not hex"
        raise CliError(f"--prev-tx {path}: {message}") from None


def _node_previous_txs(node_url: str, outpoints: list[OutPoint]) -> list[Transaction]:
    """The transactions that created ``outpoints``, from ``GET /api/tx/{txid}`` when its
    reply carries ``hex``; what the node cannot give is left out (``--prev-tx`` then)."""
    found = []
    with client(node_url) as node:
        for txid in {outpoint.txid for outpoint in outpoints}:
            try:
                found.append(Transaction.parse(bytes.fromhex(node.tx(display_hex(txid))["hex"])))
            except (NodeClientError, KeyError, TypeError, ValueError):
                continue
    return found


@psbt.command("create")
@click.argument("multisig_file", type=_EXISTING_FILE)
@click.argument("to_address")
@click.argument("amount")
@click.option(
    "--utxo",
    "utxo_texts",
    multiple=True,
    help="A coin of the multisig as TXID:VOUT:AMOUNT (repeatable); no node is asked then.",
)
@click.option(
    "--prev-tx",
    "prev_tx_files",
    multiple=True,
    type=_EXISTING_FILE,
    help="File with the raw hex of a transaction that created a coin (needed for p2sh).",
)
@click.option(
    "--change", "change_address", default=None, help="Change address (default: the multisig)."
)
@fee_options
@data_option
@node_option
@_OUT
def psbt_create(
    multisig_file: Path,
    to_address: str,
    amount: str,
    utxo_texts: tuple[str, ...],
    prev_tx_files: tuple[Path, ...],
    change_address: str | None,
    fee: str | None,
    fee_rate: float | None,
    data: str | None,
    node_url: str,
    out: Path | None,
) -> None:
    """A PSBT paying AMOUNT coins to TO_ADDRESS from the multisig of MULTISIG_FILE.

    The multisig's coins come from --utxo, or else from the node; coins, fee and change are
    chosen as for `wallet send` (change goes back to the multisig).

    \b
    Examples:
      educhain wallet psbt create team.json bcrt1q... 1.5 --out pay.psbt
      educhain wallet psbt create team.json bcrt1q... 1 --utxo 3f2a..:0:2.5 --out pay.psbt
    """
    ms = _read_multisig(multisig_file)
    amount_units, fee_units = parse_payment_arguments(to_address, amount, fee, fee_rate)
    data_bytes(data)
    previous = [_read_tx(path) for path in prev_tx_files]
    if utxo_texts:
        utxos = dict(_parse_utxo(text, ms) for text in utxo_texts)
    else:
        utxos = address_coins(node_url, ms.address)[1]
        if ms.address_type == "p2sh":
            previous += _node_previous_txs(node_url, list(utxos))
    assert amount_units is not None
    try:
        made = create_psbt(
            ms,
            utxos,
            [(to_address, amount_units)],
            fee_units,
            fee_rate=fee_rate,
            change_address=change_address,
            data=data_bytes(data),
            previous_txs=previous,
        )
    except WalletError as error:
        raise CliError(str(error)) from None
    _emit(made.to_base64(), out, f"PSBT spending {len(made.tx.inputs)} coins,")


@psbt.command("sign")
@click.argument("psbt_file", type=_EXISTING_FILE)
@wallet_option
@_OUT
def psbt_sign(psbt_file: Path, wallet_path: Path, out: Path | None) -> None:
    """Add this wallet's signatures to PSBT_FILE (inputs it cannot sign are left alone).

    Read what you sign first: `educhain wallet psbt decode PSBT_FILE`.

    \b
    Example:
      educhain wallet psbt sign pay.psbt --wallet alice.json --out pay-alice.psbt
    """
    unsigned = _read_psbt(psbt_file)
    loaded = load_wallet(wallet_path)
    try:
        signed = loaded.sign_psbt(unsigned)
    except PsbtError as error:
        raise CliError(f"{psbt_file}: {error}") from None
    added = _signature_count(signed) - _signature_count(unsigned)
    if added == 0:
        raise CliError(f"{psbt_file}: no input needs a signature from the keys of {wallet_path}")
    _emit(signed.to_base64(), out, f"{added} signature(s) added; PSBT")


def _signature_count(value: Psbt) -> int:
    return sum(len(i.partial_sigs) for i in value.inputs)


@psbt.command("combine")
@click.argument("psbt_files", nargs=-1, required=True, type=_EXISTING_FILE)
@_OUT
def psbt_combine(psbt_files: tuple[Path, ...], out: Path | None) -> None:
    """Merge the signatures of several copies of the same PSBT into one.

    \b
    Example:
      educhain wallet psbt combine pay-alice.psbt pay-carol.psbt --out pay-signed.psbt
    """
    copies = [_read_psbt(path) for path in psbt_files]
    try:
        merged = combine(*copies)
    except PsbtError as error:
        raise CliError(str(error)) from None
    _emit(merged.to_base64(), out, "combined PSBT")


@psbt.command("finalize")
@click.argument("psbt_file", type=_EXISTING_FILE)
@click.option("--broadcast", is_flag=True, help="Send the transaction to the node.")
@node_option
@_OUT
@json_option
def psbt_finalize(
    psbt_file: Path, broadcast: bool, node_url: str, out: Path | None, as_json: bool
) -> None:
    """Complete PSBT_FILE into a transaction, verify it input by input, print its hex.

    Refuses, saying which input lacks how many signatures, while it is not complete.

    \b
    Examples:
      educhain wallet psbt finalize pay-signed.psbt
      educhain wallet psbt finalize pay-signed.psbt --broadcast --node http://127.0.0.1:8332
    """
    signed = _read_psbt(psbt_file)
    try:
        tx = extract(finalize(signed))
    except (PsbtError, ScriptError) as error:
        raise CliError(f"{psbt_file}: {error}") from None
    txid = submit(node_url, tx) if broadcast else tx.id
    raw = tx.serialize().hex()
    if as_json:
        if out is not None:
            _emit(raw, out, "transaction", quiet=True)
        click.echo(json.dumps({"txid": txid, "hex": raw, "broadcast": broadcast}))
        return
    _emit(raw, out, "transaction")
    click.echo(f"txid {txid}" + (" (sent to the node)" if broadcast else ""), err=out is None)


@psbt.command("decode")
@click.argument("psbt_file", type=_EXISTING_FILE)
@json_option
def psbt_decode(psbt_file: Path, as_json: bool) -> None:
    """What PSBT_FILE spends and pays, its fee, and which signatures it still needs.

    \b
    Example:
      educhain wallet psbt decode pay.psbt
    """
    report = _describe(_read_psbt(psbt_file))
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(f"txid {report['txid']}")
    for entry in report["inputs"]:
        amount = "?" if entry["amount"] is None else format_coins(entry["amount"])
        click.echo(f"in  {entry['outpoint']}  {amount}  {entry['status']}")
    for entry in report["outputs"]:
        change = "  (change)" if entry["change"] else ""
        click.echo(
            f"out {entry['address'] or entry['type']}  {format_coins(entry['amount'])}{change}"
        )
    fee = report["fee"]
    click.echo(f"fee {'unknown' if fee is None else format_coins(fee)}")
    click.echo("complete: run psbt finalize" if report["complete"] else "not complete yet")


def _describe(value: Psbt) -> dict[str, Any]:
    inputs = []
    for index, psbt_input in enumerate(value.inputs):
        spent = value.spent_output(index)
        script = psbt_input.witness_script or psbt_input.redeem_script
        kind, solutions = classify(script) if script else ("", [])
        needed = solutions[0][0] if kind == "multisig" else 1
        have = len(psbt_input.partial_sigs)
        if psbt_input.is_final:
            status = "final"
        else:
            status = f"{have} of {needed} signatures"
        inputs.append(
            {
                "outpoint": str(value.tx.inputs[index].outpoint),
                "amount": None if spent is None else spent.amount,
                "signatures": have,
                "required": needed,
                "status": status,
                "ready": psbt_input.is_final or have >= needed,
            }
        )
    outputs = [
        {
            "address": script_pubkey_to_address(output.script_pubkey, NETWORK),
            "type": classify(output.script_pubkey)[0],
            "amount": output.amount,
            # the creator describes the scripts of its own change (psbt create does)
            "change": known.redeem_script is not None or known.witness_script is not None,
        }
        for output, known in zip(value.tx.outputs, value.outputs, strict=True)
    ]
    return {
        "txid": value.tx.id,
        "inputs": inputs,
        "outputs": outputs,
        "fee": value.fee(),
        "complete": all(entry["ready"] for entry in inputs),
    }


__all__ = ["multisig", "psbt"]
