"""``educhain scholarship``: a treasury m of n signers control pays registered students.

The walk (see ``edu_chain/scholarship/``)::

    educhain scholarship init --dir fund --node URL --signers 3 --threshold 2
    (the donor sends coins to the printed address)
    educhain scholarship register --dir fund --student s001 --address bcrt1q...
    educhain scholarship payout --dir fund --node URL --amount 0.5 \\
        --signers fund/signer1.json,fund/signer2.json
    educhain scholarship report --dir fund --node URL --csv report.csv

Signers on different laptops: ``payout --psbt-out pay.psbt``, then each signer runs
``scholarship sign pay.psbt --signer signerK.json --out pay-K.psbt``, and anyone runs
``scholarship broadcast --dir fund --node URL pay-1.psbt pay-2.psbt``.  Signers who never
come back: ``scholarship cancel --dir fund --node URL --signers FILE,FILE`` spends the
waiting PSBT's coins back to the treasury, so it can never be mined.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from edu_chain.cli.errors import CliError
from edu_chain.cli.wallet import (
    TIMEOUT_SECONDS,
    json_option,
    node_error,
    node_option,
    wallet_option,
)
from edu_chain.errors import DecodeError
from edu_chain.node.client import NodeClient, NodeClientError
from edu_chain.psbt import Psbt, PsbtError, combine
from edu_chain.scholarship import treasury as treasury_module
from edu_chain.scholarship.grades import passing
from edu_chain.scholarship.registry import Registry, RegistryError
from edu_chain.scholarship.report import build_report
from edu_chain.scholarship.treasury import Terms, init_treasury, load_signers, run_payout
from edu_chain.script import ScriptError
from edu_chain.wallet import (
    DEFAULT_FEE_RATE,
    Wallet,
    WalletError,
    decode_address,
    format_coins,
    parse_coins,
)
from edu_chain.wallet.addresses import address_of

_DIR = click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The scholarship folder (signer files, treasury.json, registry.sqlite).",
)


def _open(directory: Path) -> Registry:
    try:
        return Registry(directory)
    except RegistryError as error:
        raise CliError(str(error)) from None


def _node(url: str) -> NodeClient:
    return NodeClient(url, timeout=TIMEOUT_SECONDS)


def _guard(action: Callable[[], Any]) -> Any:
    """Run ``action``; the library's errors become one line and exit 2."""
    try:
        return action()
    except NodeClientError as error:
        raise node_error(error) from None
    except (RegistryError, WalletError, PsbtError, ScriptError, DecodeError) as error:
        raise CliError(str(error)) from None


def _signers(registry: Registry, signer_files: str) -> list[Wallet]:
    """The comma-separated ``--signers`` files, loaded and checked to be keys of this
    registry's treasury (enough of them); one line and exit 2 otherwise."""
    treasury = _guard(lambda: registry.treasury)
    paths = [p.strip() for p in signer_files.split(",") if p.strip()]
    return _guard(lambda: load_signers(paths, treasury))


@click.group()
def scholarship() -> None:
    """Scholarships paid on the chain from an m-of-n treasury.

    \b
    Examples:
      educhain scholarship init --dir fund --node http://127.0.0.1:8332 --signers 3 --threshold 2
      educhain scholarship register --dir fund --student s001 --address bcrt1q...
      educhain scholarship payout --dir fund --node URL --amount 0.5 \\
          --signers fund/signer1.json,fund/signer2.json
      educhain scholarship report --dir fund --node URL --csv report.csv
      educhain scholarship payout --dir fund --node URL --amount 0.5 --psbt-out pay.psbt
      educhain scholarship broadcast --dir fund --node URL pay-1.psbt pay-2.psbt
      educhain scholarship cancel --dir fund --node URL \\
          --signers fund/signer1.json,fund/signer3.json
    """


@scholarship.command("init")
@_DIR
@node_option
@click.option("--signers", "signer_count", type=click.IntRange(1, 15), default=3, show_default=True)
@click.option("--threshold", type=click.IntRange(1, 15), default=2, show_default=True)
@json_option
def init(directory: Path, node_url: str, signer_count: int, threshold: int, as_json: bool) -> None:
    """Create the signers' key files and the THRESHOLD-of-SIGNERS P2WSH treasury.

    Writes DIR/signer1.json .. DIR/signerN.json (hand each to a different person),
    DIR/treasury.json (the public description) and the registry; prints the address to fund.

    \b
    Example:
      educhain scholarship init --dir fund --node http://127.0.0.1:8332 --signers 3 --threshold 2
    """
    if threshold > signer_count:
        raise click.BadParameter(
            f"{threshold} is more than the {signer_count} signers", param_hint="--threshold"
        )
    made = _guard(lambda: init_treasury(directory, signer_count, threshold))
    with _open(directory) as registry:
        registry.set_meta("node", node_url)
    if as_json:
        click.echo(json.dumps({"address": made.address}))
        return
    click.echo(f"treasury: {made.address}")
    click.echo(f"{threshold}-of-{signer_count} P2WSH; signer files in {directory}")
    click.echo(f"explorer: {treasury_view(node_url, made.address)}")


@scholarship.command("register")
@_DIR
@click.option("--student", default=None, help="The student's id.")
@click.option("--address", default=None, help="The student's address (bcrt1q...).")
@click.option(
    "--roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A CSV file with columns student,address: a class at once (a bad row, named by its "
    "spreadsheet row number, registers nobody).",
)
def register(
    directory: Path, student: str | None, address: str | None, roster: Path | None
) -> None:
    """Register a student's address (or a whole --roster); each student and address once.

    \b
    Examples:
      educhain scholarship register --dir fund --student s001 --address bcrt1q...
      educhain scholarship register --dir fund --roster class.csv
    """
    if roster is None and (student is None or address is None):
        raise click.UsageError("give --student and --address, or --roster FILE.csv")
    if roster is not None:
        rows = _read_roster(roster)
    else:
        rows = [("", *_guard(lambda: _checked_student(student or "", address or "")))]
    with _open(directory) as registry:
        pairs = [(name, addr) for _, name, addr in rows]
        _guard(lambda: registry.register(pairs, where=[where for where, _, _ in rows]))
    click.echo(f"{len(rows)} student(s) registered")


def _checked_student(student: str, address: str) -> tuple[str, str]:
    """(student, address) with the address in its canonical spelling (a bech32 address in
    capitals is the same address: it must not register twice); WalletError if malformed."""
    student = student.strip()
    if not student:
        raise WalletError("a student id is empty")
    try:
        return student, address_of(decode_address(address.strip()))
    except WalletError as error:
        raise WalletError(f"student {student!r}: {error}") from None


def _read_roster(path: Path) -> list[tuple[str, str, str]]:
    """(where, student, address) per row of a student,address CSV file, ``where`` naming the
    row as a spreadsheet numbers it (the header is row 1).  The first bad row stops it all
    with one line that names the row: nothing is registered from a file with a bad row."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            if not {"student", "address"} <= set(header):
                raise CliError(f"{path}: expected a CSV file with columns student,address")
            columns = header.index("student"), header.index("address")
            rows = []
            for line in reader:
                if not any(cell.strip() for cell in line):
                    continue  # a blank line, as spreadsheets leave at the end
                where = f"{path.name} row {reader.line_num}"
                cells = [line[i] if i < len(line) else "" for i in columns]
                try:
                    rows.append((where, *_checked_student(*cells)))
                except WalletError as error:
                    raise CliError(f"{where}: {error}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CliError(f"cannot read {path}: {error}") from None
    if not rows:
        raise CliError(f"{path}: no student in it")
    return rows


@scholarship.command("payout")
@_DIR
@node_option
@click.option("--amount", required=True, help="Coins per student (e.g. 0.5).")
@click.option("--signers", "signer_files", default=None, help="Signer files, comma-separated.")
@click.option(
    "--psbt-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the unsigned PSBT here (one file per batch) instead of signing.",
)
@click.option("--student", "only", multiple=True, help="Pay only this student (repeatable).")
@click.option("--tranches", type=click.IntRange(1, 100), default=1, show_default=True)
@click.option(
    "--every",
    type=click.IntRange(1, 10_000),
    default=10,
    show_default=True,
    help="Blocks between tranches (with --tranches).",
)
@click.option(
    "--expiry",
    type=click.IntRange(1, 50_000),
    default=20,
    show_default=True,
    help="Blocks after a tranche unlocks before the treasury may take it back.",
)
@click.option(
    "--gradebook",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="gradebook.sqlite (from `educhain grade`) or a student,score CSV: pay only passing.",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=None,
    help="With --gradebook: the score (0..1, points over maximum) a student needs.",
)
@click.option("--fee-rate", type=float, default=None, help="Sat per virtual byte.")
@json_option
def payout(
    directory: Path,
    node_url: str,
    amount: str,
    signer_files: str | None,
    psbt_out: Path | None,
    only: tuple[str, ...],
    tranches: int,
    every: int,
    expiry: int,
    gradebook: Path | None,
    min_score: float | None,
    fee_rate: float | None,
    as_json: bool,
) -> None:
    """Pay AMOUNT coins to every registered student not yet paid, in one transaction (or
    several, if one would be over the standard size) signed by the --signers.

    A student is never paid twice: a payout that was interrupted is finished by the next run.
    With --tranches N, each student gets N outputs: tranche i is the student's from
    i*--every blocks from now (CLTV), and the treasury's signers may take it back --expiry
    blocks later (CSV).

    \b
    Examples:
      educhain scholarship payout --dir fund --node URL --amount 0.5 \\
          --signers fund/signer1.json,fund/signer2.json --json
      educhain scholarship payout --dir fund --node URL --amount 0.5 --psbt-out pay.psbt
      educhain scholarship payout --dir fund --node URL --amount 0.9 --tranches 3 --every 10 \\
          --signers fund/signer1.json,fund/signer3.json
      educhain scholarship payout --dir fund --node URL --amount 0.3 \\
          --gradebook out/gradebook.sqlite --min-score 0.6 --signers ...
    """
    if (signer_files is None) == (psbt_out is None):
        raise click.UsageError("give --signers FILE,FILE (sign now) or --psbt-out FILE")
    units = _guard(lambda: parse_coins(amount))
    with _open(directory) as registry:
        _guard(lambda: registry.treasury)  # a folder `init` made, with or without --signers
        signers = None if signer_files is None else _signers(registry, signer_files)
        students = _chosen_students(registry, only, gradebook, min_score)
        waiting = registry.batches("waiting")
        if waiting and psbt_out is not None:  # an earlier --psbt-out run: the same PSBTs again
            _write_psbts(psbt_out, [Psbt.from_base64(b.psbt) for b in waiting], as_json)
            if as_json:
                click.echo(json.dumps({"txids": [], "paid": 0}))
            return
        with _node(node_url) as node:
            start = _guard(lambda: node.tip().height)  # also: is the node there?
            terms = Terms(units, tranches, every, expiry, start, fee_rate)
            txids, paid, plans = _guard(
                lambda: run_payout(
                    registry,
                    node,
                    terms,
                    signers,
                    students=students,
                    progress=lambda line: click.echo(line, err=True),
                )
            )
    if psbt_out is not None:
        _write_psbts(psbt_out, [plan.psbt for plan in plans], as_json)
    if as_json:
        click.echo(json.dumps({"txids": txids, "paid": paid}))
    elif psbt_out is None:
        click.echo(f"{paid} student(s) paid in {len(txids)} transaction(s)")
        for txid in txids:
            click.echo(f"txid {txid}")


def _chosen_students(
    registry: Registry, only: tuple[str, ...], gradebook: Path | None, min_score: float | None
) -> list[tuple[str, str]] | None:
    """The students ``--student`` names, of whom (or of all unpaid) those whose grades
    pass; None: every unpaid student."""
    students = None
    if only:
        students = [(s, _guard(lambda s=s: registry.address_of(s))) for s in only]
    if (gradebook is None) != (min_score is None):
        raise click.UsageError("--gradebook and --min-score go together")
    if gradebook is not None and min_score is not None:
        passed = _guard(lambda: passing(gradebook, min_score))
        pool = students if students is not None else registry.unpaid()
        students = [pair for pair in pool if pair[0] in passed]
        click.echo(f"{len(pool) - len(students)} student(s) below {min_score} held back", err=True)
    return students


def _write_psbts(psbt_out: Path, psbts: list[Psbt], quiet: bool) -> None:
    """One file per batch: ``psbt_out`` itself, or ``NAME.1.psbt``, ``NAME.2.psbt``..."""
    for number, psbt in enumerate(psbts, start=1):
        path = psbt_out if len(psbts) == 1 else psbt_out.with_suffix(f".{number}.psbt")
        try:
            path.write_text(psbt.to_base64() + "\n", encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot write {path}: {error.strerror}") from None
        click.echo(f"PSBT paying {len(psbt.tx.outputs)} outputs written to {path}", err=quiet)


@scholarship.command("sign")
@click.argument("psbt_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--signer",
    "signer_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def sign(psbt_file: Path, signer_file: Path, out: Path) -> None:
    """Add one signer's signatures to a payout PSBT (on that signer's laptop).

    \b
    Example:
      educhain scholarship sign pay.psbt --signer signer2.json --out pay-2.psbt
    """
    unsigned = _read_psbt(psbt_file)
    wallet = _guard(lambda: Wallet.load(signer_file))
    signed = _guard(lambda: wallet.sign_psbt(unsigned))
    added = sum(len(i.partial_sigs) for i in signed.inputs) - sum(
        len(i.partial_sigs) for i in unsigned.inputs
    )
    if added == 0:
        raise CliError(f"{signer_file} holds no key that signs {psbt_file}: a wrong signer file")
    out.write_text(signed.to_base64() + "\n", encoding="utf-8")
    click.echo(f"{added} signature(s) added; written to {out}")


@scholarship.command("broadcast")
@_DIR
@node_option
@click.argument(
    "psbt_files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@json_option
def broadcast(directory: Path, node_url: str, psbt_files: tuple[Path, ...], as_json: bool) -> None:
    """Combine the signers' copies of a payout PSBT, finalize it and send it.

    \b
    Example:
      educhain scholarship broadcast --dir fund --node URL pay-1.psbt pay-2.psbt
    """
    copies = [_read_psbt(path) for path in psbt_files]
    merged = _guard(lambda: combine(*copies))
    with _open(directory) as registry, _node(node_url) as node:
        _guard(node.tip)  # an unreachable node: refused before the batch is marked signed
        txid, paid = _guard(lambda: treasury_module.broadcast_signed(registry, node, merged))
    if as_json:
        click.echo(json.dumps({"txids": [txid], "paid": paid}))
    else:
        click.echo(f"{paid} student(s) paid: txid {txid}")


@scholarship.command("cancel")
@_DIR
@node_option
@click.option("--signers", "signer_files", required=True, help="Signer files, comma-separated.")
@click.option(
    "--batch",
    "number",
    type=click.IntRange(1),
    default=None,
    help="The waiting batch to cancel (default: every waiting batch).",
)
@json_option
def cancel(
    directory: Path, node_url: str, signer_files: str, number: int | None, as_json: bool
) -> None:
    """Cancel a payout PSBT whose signers never came back: the --signers (the threshold)
    spend every coin it spends back to the treasury, so it can never be mined, even if a
    signed copy turns up later; its students are paid by the next payout.

    A PSBT that reached a node already is not cancelled: its batch is recorded as broadcast
    (its students are paid).  An interrupted cancel is finished by running it again.

    \b
    Example:
      educhain scholarship cancel --dir fund --node URL \\
          --signers fund/signer1.json,fund/signer3.json --json
    """
    with _open(directory) as registry:
        signers = _signers(registry, signer_files)
        _guard(lambda: treasury_module.batches_to_cancel(registry, number))  # before the node
        with _node(node_url) as node:
            _guard(node.tip)  # an unreachable node: refused before anything is recorded
            done = _guard(
                lambda: treasury_module.cancel_waiting(registry, node, signers, batch=number)
            )
    if as_json:
        click.echo(
            json.dumps({"txid": done.txid, "cancelled": done.batches, "unpaid": done.students})
        )
        return
    batches = ", ".join(str(b) for b in done.batches)
    click.echo(
        f"batch {batches} cancelled: txid {done.txid} spends its coins back to the treasury; "
        f"{done.students} student(s) will be paid by the next payout"
    )


def _read_psbt(path: Path) -> Psbt:
    try:
        return Psbt.load(path.read_bytes())
    except (DecodeError, PsbtError) as error:
        raise CliError(f"{path}: {error}") from None


@scholarship.command("clawback")
@_DIR
@node_option
@click.option("--signers", "signer_files", required=True, help="Signer files, comma-separated.")
@click.option("--to", "to_address", required=True, help="Where the tranches go (the donor).")
@click.option("--fee-rate", type=float, default=None, help="Sat per virtual byte.")
@json_option
def clawback(
    directory: Path,
    node_url: str,
    signer_files: str,
    to_address: str,
    fee_rate: float | None,
    as_json: bool,
) -> None:
    """Take back every vesting tranche left unspent after its expiry (the script's CSV
    branch, signed by the threshold of signers) and send it to --to.

    \b
    Example:
      educhain scholarship clawback --dir fund --node URL --to bcrt1q... \\
          --signers fund/signer1.json,fund/signer2.json
    """
    _guard(lambda: decode_address(to_address))
    with _open(directory) as registry:
        signers = _signers(registry, signer_files)
        rate = DEFAULT_FEE_RATE if fee_rate is None else fee_rate
        with _node(node_url) as node:
            txids = _guard(
                lambda: treasury_module.run_clawback(
                    registry, node, signers, to_address, fee_rate=rate
                )
            )
    if as_json:
        click.echo(json.dumps({"txids": txids, "clawed_back": len(txids)}))
    else:
        click.echo(f"{len(txids)} tranche(s) taken back")
        for txid in txids:
            click.echo(f"txid {txid}")


@scholarship.command("tranches")
@_DIR
@click.option("--student", required=True, help="The student's id.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def tranches(directory: Path, student: str, out: Path | None) -> None:
    """Write what STUDENT needs to claim their vesting tranches (no secret: where each
    tranche is, its amount, unlock height and script); give the file to the student.

    \b
    Example:
      educhain scholarship tranches --dir fund --student s001 --out s001-tranches.json
    """
    with _open(directory) as registry:
        found = _guard(lambda: treasury_module.student_tranches(registry, student))
    if not found:
        raise CliError(f"student {student!r} has no vesting tranche paid")
    text = json.dumps({"format": "edu_chain-tranches", "tranches": found}, indent=2)
    if out is None:
        click.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    click.echo(f"{len(found)} tranche(s) of {student} written to {out}")


@scholarship.command("claim")
@click.argument("tranches_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@wallet_option
@node_option
@click.option("--to", "to_address", default=None, help="Where to (default: the wallet's address).")
@click.option("--fee-rate", type=float, default=None, help="Sat per virtual byte.")
@json_option
def claim(
    tranches_file: Path,
    wallet_path: Path,
    node_url: str,
    to_address: str | None,
    fee_rate: float | None,
    as_json: bool,
) -> None:
    """A student claims every tranche of TRANCHES_FILE that has unlocked (its CLTV height is
    passed) and is still unspent, signed with the student's wallet.

    \b
    Example:
      educhain scholarship claim s001-tranches.json --wallet me.json --node URL
    """
    try:
        data = json.loads(tranches_file.read_text(encoding="utf-8"))
        entries = data["tranches"]
        if data.get("format") != "edu_chain-tranches" or not isinstance(entries, list):
            raise ValueError("not a tranches file")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CliError(f"{tranches_file}: not a tranches file ({error})") from None
    if to_address is not None:
        _guard(lambda: decode_address(to_address))
    wallet = _guard(lambda: Wallet.load(wallet_path))
    rate = DEFAULT_FEE_RATE if fee_rate is None else fee_rate
    with _node(node_url) as node:
        txids, waiting = _guard(
            lambda: treasury_module.claim_tranches(entries, wallet, node, to_address, fee_rate=rate)
        )
    if as_json:
        click.echo(json.dumps({"txids": txids, "waiting": waiting}))
        return
    for line in waiting:
        click.echo(line, err=True)
    if not txids:
        raise CliError("nothing to claim yet: " + "; ".join(waiting))
    for txid in txids:
        click.echo(f"claimed: txid {txid}")


@scholarship.command("report")
@_DIR
@node_option
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write one row per payment to this CSV file.",
)
@json_option
def report(directory: Path, node_url: str, csv_path: Path | None, as_json: bool) -> None:
    """One row per payment, and totals: funded = paid + fees + clawed back + balance.

    Exit 1, saying where, when the totals do not balance to the base unit.

    \b
    Example:
      educhain scholarship report --dir fund --node http://127.0.0.1:8332 --csv report.csv
    """
    with _open(directory) as registry, _node(node_url) as node:
        made = _guard(lambda: build_report(registry, node))
        treasury_address = registry.treasury.address
    if csv_path is not None:
        made.write_csv(csv_path)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "totals": made.totals(),
                    "problems": made.problems,
                    "payments": len(made.rows),
                    "explorer": treasury_view(node_url, treasury_address),
                }
            )
        )
    else:
        click.echo(f"treasury {treasury_address}")
        click.echo(f"explorer: {treasury_view(node_url, treasury_address)}")
        click.echo(
            f"{len(made.rows)} payment(s)" + (f", written to {csv_path}" if csv_path else "")
        )
        for name, value in made.totals().items():
            click.echo(f"{name:<12} {format_coins(value):>16}  ({value} base units)")
    if not made.balanced:
        raise CliError("; ".join(made.problems) or "the report does not balance", exit_code=1)


def treasury_view(node_url: str, address: str) -> str:
    """The explorer page of the treasury (its funding, payouts and tranches) on ``node_url``."""
    return f"{node_url.rstrip('/')}/#/treasury/{address}"


__all__ = ["scholarship"]
