"""``educhain certificates``: issue, confirm, verify and revoke certificates of completion.

A thin layer over :mod:`edu_chain.certificates`.  Exit status: 0 done / valid; 1 a
certificate that does not verify (the failing step is named); 2 a usage or environment
problem (a gradebook that is not one, a wallet with too few coins, no node at the URL, a file
that is not a certificate), with nothing broadcast.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import click

from edu_chain.block import BlockHeader
from edu_chain.certificates import issue as issuing
from edu_chain.certificates.anchor import (
    MAX_REASON_BYTES,
    hashes_per_transaction,
    revocation_records,
)
from edu_chain.certificates.document import Certificate, CertificateError, certificate_hash
from edu_chain.certificates.headers import (
    HeaderChainError,
    best_chain,
    check_header_chain,
    headers_json,
    load_header_chain,
)
from edu_chain.certificates.verify import HeaderSource, NodeSource, Verdict, verify_certificate
from edu_chain.chain.params import ChainParams
from edu_chain.cli.errors import CliError
from edu_chain.cli.wallet import client, load_wallet, node_error, node_option, wallet_option
from edu_chain.errors import EduChainError
from edu_chain.node.client import NodeClient, NodeClientError
from edu_chain.tx import Transaction
from edu_chain.wallet import InsufficientFundsError, WalletError

PROGRESS_MIN = 500  # show a progress bar from this many files on
POLL_SECONDS = 0.5


@click.group()
def certificates() -> None:
    """Certificates of completion anchored on the chain, verifiable with any node.

    \b
    Examples:
      educhain certificates issue OUT/gradebook.sqlite --node http://127.0.0.1:8332 \\
          --wallet issuer.json --course "Blockchain 101" --min-score 0.6 --out certs
      educhain certificates verify certs/ada.json --node http://127.0.0.1:8333
      educhain certificates export-headers --node http://127.0.0.1:8332 --out headers.json
      educhain certificates verify certs/ada.json --headers headers.json   # no node at all
      educhain certificates revoke certs/bob.json --wallet issuer.json --reason "plagiarism"
    """


def _progress(count: int, label: str):  # type: ignore[no-untyped-def]
    """A click progress bar for long work (hidden below PROGRESS_MIN items)."""
    return click.progressbar(
        length=count, label=label, file=None if count >= PROGRESS_MIN else _Null()
    )


class _Null:
    def write(self, _text: str) -> None: ...

    def flush(self) -> None: ...

    def isatty(self) -> bool:
        return False


def _wait_confirmed(node: NodeClient, txid: str, mine: bool, wait: float) -> dict | None:
    """Mine a block (with ``mine``) and poll until the transaction is on the best chain."""
    if mine:
        node.mine(1)
    deadline = time.monotonic() + wait
    while True:
        proof = issuing.tx_proof(node, txid)
        if proof is not None or time.monotonic() >= deadline:
            return proof
        time.sleep(POLL_SECONDS)


def _confirm_options(function):  # type: ignore[no-untyped-def]
    function = click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=120.0,
        show_default=True,
        help="Seconds to wait for a block to confirm the transaction.",
    )(function)
    return click.option(
        "--mine",
        is_flag=True,
        help="Ask the node to mine a block now (a local testnet), instead of waiting for one.",
    )(function)


@certificates.command("issue")
@click.argument("gradebook", type=click.Path(path_type=Path))
@node_option
@wallet_option
@click.option("--course", required=True, help="The course's name, as printed on certificates.")
@click.option(
    "--min-score",
    type=float,
    required=True,
    help="Fraction of the maximum total (0..1) a student needs for a certificate.",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--date", default=None, help="Date on the certificates [default: today, UTC].")
@_confirm_options
def issue_command(
    gradebook: Path,
    node_url: str,
    wallet_path: Path,
    course: str,
    min_score: float,
    out_dir: Path,
    date: str | None,
    mine: bool,
    wait: float,
) -> None:
    """Issue OUT/<student>.json for every student of GRADEBOOK at or above --min-score.

    All certificates of one run share one Merkle root, recorded in one transaction (OP_RETURN
    "EDUC" + root) paid and signed by the wallet's first key: the issuer.  The files are
    written once the node accepted it, and completed with its block when confirmed (within
    --wait seconds; otherwise run `educhain certificates confirm OUT` later).

    \b
    Example:
      educhain certificates issue grades/gradebook.sqlite --node http://127.0.0.1:8332 \\
          --wallet issuer.json --course "Blockchain 101" --min-score 0.6 --out certs --mine
    """
    try:
        grades = issuing.read_gradebook(gradebook)
        passing, failing = issuing.select_passing(grades, min_score)
    except issuing.IssueError as error:
        raise CliError(str(error)) from None
    issuer = issuing.issuer_wallet(load_wallet(wallet_path))
    if out_dir.exists() and not out_dir.is_dir():
        raise CliError(f"--out {out_dir} exists and is not a directory")
    try:
        bodies, tree = issuing.build_batch(
            grades,
            passing,
            course=course,
            date=date or dt.datetime.now(dt.UTC).date().isoformat(),
            issuer_public_key=issuer.public_keys[0],
            min_score=min_score,
        )
    except issuing.IssueError as error:
        raise CliError(f"{error} ({len(failing)} below {min_score:g} of the maximum)") from None
    with client(node_url) as node:
        try:
            coins = issuing.issuer_coins(node, issuer)
            tx, spent = issuing.anchor_batch(issuer, coins, tree)
        except InsufficientFundsError as error:
            raise CliError(f"the issuer's wallet cannot pay the anchor: {error}") from None
        except WalletError as error:
            raise CliError(str(error)) from None
        except NodeClientError as error:
            raise node_error(error) from None
        certs = issuing.certificates_for(bodies, tree, tx, spent)
        try:
            node.submit_tx(tx.serialize().hex())
        except NodeClientError as error:
            raise node_error(error) from None
        with _progress(len(certs), "writing certificates") as bar:
            paths = issuing.write_certificates(certs, out_dir, bar.update)
        click.echo(f"anchoring transaction {tx.id} (root {tree.root.hex()})")
        click.echo(f"issued {len(certs)} certificate(s) to: {_names(passing)}")
        click.echo(f"no certificate for {len(failing)} below the bar: {_names(failing)}")
        try:
            proof = _wait_confirmed(node, tx.id, mine, wait)
            if proof is None:
                click.echo(
                    f"not confirmed within {wait:g} s: run `educhain certificates confirm "
                    f"{out_dir} --node {node_url}` once a block includes it"
                )
                return
            with _progress(len(paths), "confirming") as bar:
                issuing.confirm_certificates(node, paths, bar.update)
        except NodeClientError as error:
            raise node_error(error) from None
    click.echo(f"confirmed in block {proof['block_hash']} (height {proof['block_height']})")


def _names(students: list[str], limit: int = 20) -> str:
    if not students:
        return "(none)"
    shown = ", ".join(students[:limit])
    return shown + (f" and {len(students) - limit} more" if len(students) > limit else "")


@certificates.command("confirm")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@node_option
def confirm_command(directory: Path, node_url: str) -> None:
    """Complete the certificates in DIRECTORY with their anchoring block, once confirmed.

    Also re-run it after a reorg mined the anchoring transaction in another block: the
    offline proof (for `verify --headers`) follows the block the best chain holds now.

    \b
    Example:
      educhain certificates confirm certs --node http://127.0.0.1:8332
    """
    paths = issuing.certificate_files(directory)
    if not paths:
        raise CliError(f"no certificate in {directory}")
    try:
        with client(node_url) as node, _progress(len(paths), "confirming") as bar:
            confirmed, pending = issuing.confirm_certificates(node, paths, bar.update)
    except NodeClientError as error:
        raise node_error(error) from None
    click.echo(f"{confirmed} confirmed, {pending} still waiting for a block")


@certificates.command("verify")
@click.argument("cert", type=click.Path(path_type=Path))
@node_option
@click.option("--min-confirmations", type=click.IntRange(min=0), default=1, show_default=True)
@click.option(
    "--headers",
    "header_files",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Verify with no node: an exported header chain (repeat: the most work wins).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable verdict.")
def verify_command(
    cert: Path, node_url: str, min_confirmations: int, header_files: tuple[Path, ...], as_json: bool
) -> None:
    """Check CERT: hash, Merkle path, anchoring transaction in the best chain, confirmations,
    the issuer's signature, revocation.  Exit 0 valid, 1 invalid (the step is named).

    \b
    Examples:
      educhain certificates verify certs/ada.json --node http://127.0.0.1:8332
      educhain certificates verify certs/ada.json --headers headers.json
    """
    try:
        certificate = Certificate.load(cert)
    except CertificateError as error:
        raise CliError(error.message) from None
    try:
        if header_files:
            chain = best_chain([load_header_chain(path) for path in header_files])
            verdict = verify_certificate(
                certificate, HeaderSource(chain), min_confirmations=min_confirmations
            )
        else:
            with client(node_url) as node:
                verdict = verify_certificate(
                    certificate, NodeSource(node), min_confirmations=min_confirmations
                )
    except HeaderChainError as error:
        raise CliError(str(error)) from None
    except NodeClientError as error:
        raise node_error(error) from None
    except (KeyError, TypeError, ValueError, EduChainError) as error:
        raise CliError(f"the node's reply is malformed: {error!r:.200}") from None
    _show(verdict, as_json)
    if not verdict.valid:
        raise SystemExit(1)


def _show(verdict: Verdict, as_json: bool) -> None:
    body = verdict.cert.body
    if as_json:
        click.echo(
            json.dumps(
                {
                    "valid": verdict.valid,
                    "passed": verdict.passed,
                    "failed_step": verdict.failed.step if verdict.failed else None,
                    "message": verdict.failed.message if verdict.failed else None,
                    "notes": verdict.notes,
                }
            )
        )
        return
    if verdict.failed is not None:
        click.echo(f"INVALID at step {verdict.failed.step}: {verdict.failed.message}", err=True)
        return
    anchor = verdict.anchor
    assert anchor is not None
    click.echo(f"VALID certificate: {body['student']} completed {body['course']!r}")
    click.echo(f"  score      {body['total']} / {body['max_total']} on {body['date']}")
    for row in body["exercises"]:
        click.echo(f"    {row['id']:<16} {row['points']} / {row['max_points']}")
    click.echo(f"  issuer     {body['issuer_public_key']}")
    click.echo(f"  anchored   tx {anchor.tx.id}")
    click.echo(
        f"  in block   {anchor.block_hash} (height {anchor.height}, "
        f"{anchor.confirmations} confirmations)"
    )
    click.echo(f"  checked    {', '.join(verdict.passed)}")
    for note in verdict.notes:
        click.echo(f"  note       {note}")


@certificates.command("revoke")
@click.argument("certs", nargs=-1, required=True, type=click.Path(path_type=Path))
@node_option
@wallet_option
@click.option(
    "--reason",
    required=True,
    help=f"Why, recorded on chain once for all CERTS (at most {MAX_REASON_BYTES} bytes of UTF-8).",
)
@_confirm_options
def revoke_command(
    certs: tuple[Path, ...], node_url: str, wallet_path: Path, reason: str, mine: bool, wait: float
) -> None:
    """Revoke CERTS: a revocation batch (OP_RETURN "EDUR" + the reason + every certificate's
    hash) signed by the issuer's key, so `verify` finds it on chain and fails with "revoked:
    REASON"; the rest of their batches stays valid.  One transaction holds up to 3,000 hashes
    (fewer on a chain with small transactions); more are split over several, all built
    before the first is sent, so a bad input sends none.

    \b
    Example:
      educhain certificates revoke certs/bob.json certs/eve.json --node http://127.0.0.1:8332 \\
          --wallet issuer.json --reason "plagiarism" --mine
    """
    issuer = issuing.issuer_wallet(load_wallet(wallet_path))
    leaves = list(_revoked_hashes(certs, issuer.public_keys[0].hex()).items())
    try:
        revocation_records([leaf for leaf, _ in leaves], reason)  # checked before any node
    except ValueError as error:
        what = "--reason" if "reason" in str(error) else "CERTS"
        raise CliError(f"{what}: {error}") from None
    with client(node_url) as node:
        try:
            params = _network(node)
            per_tx = hashes_per_transaction(params.max_tx_size, reason)
            records = revocation_records([leaf for leaf, _ in leaves], reason, per_tx)
            coins = issuing.issuer_coins(node, issuer)
            txs = issuing.anchor_chain(issuer, coins, records)
        except InsufficientFundsError as error:
            raise CliError(f"the issuer's wallet cannot pay the revocation: {error}") from None
        except WalletError as error:
            raise CliError(str(error)) from None
        except NodeClientError as error:
            raise node_error(error) from None
        _check_sizes(txs, params)
        txids = _send_all(node, txs)
        _say_revoked(len(leaves), txids, per_tx, [str(path) for _, path in leaves])
        try:
            if not _wait_all_confirmed(node, txids, mine, wait):
                click.echo("not confirmed yet: `verify` sees the revocation once a block has it")
        except NodeClientError as error:
            raise node_error(error) from None


def _network(node: NodeClient) -> ChainParams:
    """The node's chain rules (its ``max_tx_size`` caps a revocation transaction)."""
    try:
        return node.chain_params()
    except ValueError as error:
        raise CliError(f"the node's network: {error}") from None


def _check_sizes(txs: list[Transaction], params: ChainParams) -> None:
    for tx in txs:
        size = len(tx.serialize_legacy())
        if size > params.max_tx_size:
            raise CliError(
                f"a revocation transaction would be {size} bytes, {params.name} allows "
                f"{params.max_tx_size}: the issuer's coins are many small ones (send them to "
                "the issuer's address in one payment first); nothing was sent"
            )


def _say_revoked(count: int, txids: list[str], per_tx: int, names: list[str]) -> None:
    if len(txids) == 1:
        click.echo(f"revoked {count} certificate(s) in one transaction {txids[0]}:")
    else:
        click.echo(
            f"revoked {count} certificate(s) in {len(txids)} transactions "
            f"(at most {per_tx} each): {', '.join(txids)}"
        )
    click.echo(f"  {_names(names)}")


def _revoked_hashes(certs: tuple[Path, ...], issuer_key: str) -> dict[bytes, Path]:
    """Each certificate's hash (the same one named twice is revoked once), checked to be the
    issuer's; CliError on the first file that is not."""
    leaves: dict[bytes, Path] = {}
    for path in certs:
        try:
            certificate = Certificate.load(path)
        except CertificateError as error:
            raise CliError(error.message) from None
        if certificate.body.get("issuer_public_key") != issuer_key:
            raise CliError(f"{path} was not issued by this wallet's first key")
        leaves.setdefault(certificate_hash(certificate.body), path)
    return leaves


def _send_all(node: NodeClient, txs: list[Transaction]) -> list[str]:
    """Submit ``txs`` in order; a refusal after some were accepted says which were sent."""
    txids: list[str] = []
    for tx in txs:
        try:
            txids.append(node.submit_tx(tx.serialize().hex()).txid)
        except NodeClientError as error:
            if not txids:
                raise node_error(error) from None
            raise CliError(
                f"the node refused revocation transaction {len(txids) + 1} of {len(txs)} "
                f"({error.message}); sent before it: {', '.join(txids)}"
            ) from None
    return txids


def _wait_all_confirmed(node: NodeClient, txids: list[str], mine: bool, wait: float) -> bool:
    """Poll until every transaction is on the best chain (True), or ``wait`` seconds have
    passed (False).  With ``mine``, a block is asked for before each poll, as many blocks as
    transactions at most (a block holds about ten full revocation transactions)."""
    pending, blocks = list(txids), 0
    deadline = time.monotonic() + wait
    while True:
        mining = mine and blocks < len(txids)
        if mining:
            node.mine(1)
            blocks += 1
        pending = [txid for txid in pending if issuing.tx_proof(node, txid) is None]
        if not pending:
            return True
        if time.monotonic() >= deadline:
            return False
        if not mining:
            time.sleep(POLL_SECONDS)


@certificates.command("export-headers")
@node_option
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_headers_command(node_url: str, out_path: Path) -> None:
    """Write the node's whole header chain to --out, for `verify --headers` with no node.

    The file is checked before it is written (linkage, proof-of-work, the retarget rule).

    \b
    Example:
      educhain certificates export-headers --node http://127.0.0.1:8332 --out headers.json
    """
    raw: list[bytes] = []
    network = None
    try:
        with client(node_url) as node:
            tip = node.tip().height
            with _progress(tip + 1, "downloading headers") as bar:
                while len(raw) <= tip:
                    page = node.get("/api/headers/chain", start=len(raw))
                    network = page["network"]
                    batch = [bytes.fromhex(item) for item in page["headers"]]
                    if not batch:
                        break
                    raw.extend(batch)
                    bar.update(len(batch))
    except NodeClientError as error:
        raise node_error(error) from None
    except (KeyError, TypeError, ValueError) as error:
        raise CliError(f"the node's reply is malformed: {error!r:.200}") from None
    try:
        chain = check_header_chain(str(network), [BlockHeader.parse(h) for h in raw])
    except (HeaderChainError, EduChainError) as error:
        raise CliError(f"the node's header chain does not check: {error}") from None
    out_path.write_text(json.dumps(headers_json(chain.network, raw)) + "\n", encoding="utf-8")
    click.echo(
        f"wrote {len(raw)} headers (tip {chain.tip_hash}, height {chain.tip_height}) to {out_path}"
    )


__all__ = ["certificates"]
