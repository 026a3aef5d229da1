"""``educhain tx``: decode real Bitcoin transactions and scripts, and verify an input's script.

A thin layer over :mod:`edu_chain.tx` and :mod:`edu_chain.script`: what
``bitcoin-cli decoderawtransaction``/``decodescript`` print, plus a verification with Bitcoin
Core's flags and, on request, the step-by-step trace.
"""

from __future__ import annotations

import json
import sys

import click

from edu_chain.errors import DecodeError
from edu_chain.script import (
    CONSENSUS_FLAGS,
    STANDARD_FLAGS,
    Script,
    parse_flags,
    trace_input,
)
from edu_chain.script.standard import classify
from edu_chain.tx import Transaction

FLAG_SETS = {"consensus": CONSENSUS_FLAGS, "standard": STANDARD_FLAGS}


def _read_hex(text: str, what: str) -> bytes:
    """Hex from the argument, or from standard input when it is ``-``."""
    if text == "-":
        text = sys.stdin.read()
    text = "".join(text.split())
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise click.BadParameter(
            f"{what} is not hex (decode-bad-hex): {text[:40]!r}", param_hint=what
        ) from None


def _parse_transaction(text: str) -> Transaction:
    try:
        return Transaction.parse(_read_hex(text, "RAW_TX"))
    except DecodeError as error:
        raise click.BadParameter(str(error), param_hint="RAW_TX") from None


@click.group()
def tx() -> None:
    """Read and check real Bitcoin transactions and scripts.

    \b
    Examples:
      educhain tx decode 0100000001...        # like bitcoin-cli decoderawtransaction
      educhain tx script 76a914...88ac        # asm and template of a script
      educhain tx verify 0100... --input 0 --spent-script 76a914...88ac --trace
    """


@tx.command()
@click.argument("raw_tx")
def decode(raw_tx: str) -> None:
    """Print RAW_TX (hex, or - for standard input) as JSON: ids, sizes, scripts in asm.

    \b
    Example:
      educhain tx decode 01000000010000...00000000
    """
    click.echo(json.dumps(_parse_transaction(raw_tx).to_dict(), indent=2))


@tx.command("script")
@click.argument("script_hex")
def script_command(script_hex: str) -> None:
    """Print a script's asm and its standard template (like bitcoin-cli decodescript).

    \b
    Example:
      educhain tx script 76a91489abcdefabbaabbaabbaabbaabbaabbaabbaabba88ac
    """
    raw = _read_hex(script_hex, "SCRIPT_HEX")
    try:
        asm = Script.parse(raw).asm()
    except DecodeError as error:
        raise click.BadParameter(str(error), param_hint="SCRIPT_HEX") from None
    click.echo(json.dumps({"asm": asm, "hex": raw.hex(), "type": classify(raw)[0]}, indent=2))


@tx.command()
@click.argument("raw_tx")
@click.option("--input", "index", type=int, default=0, show_default=True, help="Input index.")
@click.option(
    "--spent-script", required=True, help="Hex scriptPubKey of the output the input spends."
)
@click.option(
    "--amount", type=int, default=0, show_default=True, help="Satoshis of that output (segwit)."
)
@click.option(
    "--flags",
    default="consensus",
    show_default=True,
    help="'consensus', 'standard', or Core flag names joined by commas (P2SH,WITNESS,...).",
)
@click.option("--trace", is_flag=True, help="Print every step of the scripts.")
def verify(
    raw_tx: str, index: int, spent_script: str, amount: int, flags: str, trace: bool
) -> None:
    """Check that input --input of RAW_TX may spend the given output.

    Exit status 0 when it may, 1 with Bitcoin Core's script error name when not.

    \b
    Example:
      educhain tx verify 0100...00 --input 0 --spent-script 76a914...88ac --flags standard
    """
    transaction = _parse_transaction(raw_tx)
    if not 0 <= index < len(transaction.inputs):
        raise click.BadParameter(
            f"the transaction has {len(transaction.inputs)} input(s); {index} does not exist",
            param_hint="--input",
        )
    try:
        chosen = FLAG_SETS.get(flags) or parse_flags(flags)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--flags") from None
    script_pubkey = _read_hex(spent_script, "--spent-script")
    result = trace_input(transaction, index, script_pubkey, amount, chosen)
    if trace:
        click.echo(result.text())
    if result.error is not None:
        click.echo(f"invalid: {result.error.code}: {result.error.message}")
        sys.exit(1)
    click.echo(f"valid: input {index} of {transaction.id} may spend that output")
