"""Script verification: P2PKH and P2WPKH inputs verified per second, edu_chain against
python-bitcoinlib and python-bitcointx, all in the same run, one thread each.

    python benchmarks/script.py            # a table for people
    python benchmarks/script.py --json     # one JSON object for machines

What is timed: one call that verifies one input of an already parsed transaction (scriptSig,
scriptPubKey, witness, sighash and the ECDSA check), the way a node checks a transaction.
edu_chain runs ``verify_input`` under all of STANDARD_FLAGS; the peers run their
``VerifyScript`` with the standard flags they implement (python-bitcoinlib has no segwit, so
it has no P2WPKH row; python-bitcointx refuses MINIMALDATA, CLTV, CSV and CONST_SCRIPTCODE,
which these spends do not exercise anyway).  Signature checks: edu_chain uses its fast path
(libsecp256k1 via coincurve), python-bitcoinlib OpenSSL through ctypes, python-bitcointx
libsecp256k1 through ctypes (the system library: ``apt-get install libsecp256k1-1``).

Fair play: every implementation first accepts the same signed transactions and rejects the
same tampered ones (or the script stops).  Each spend has its own key, and the pool has more
keys (``--pool``, default 9,000) than edu_chain's parsed-key cache (8,192), so no
verification finds its key already parsed.  Rates are the best of ``--rounds`` rounds taken
in turn across the implementations (other programs on a shared machine only slow a round
down).  Everything runs in one thread, so the rates are per core.  Needs the ``bench`` extra:
``pip install -e '.[bench]'``.  JSON keys: ``<impl>_<kind>_per_s``,
``ratio_<kind>_vs_<peer>``, ``cpus``, ``fast_path``, ``pool``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import emit, parser

from edu_chain.hashing import hash160, sha256
from edu_chain.keys import PrivateKey, get_backend
from edu_chain.script import STANDARD_FLAGS, ScriptError, SighashCache, verify_input
from edu_chain.script.script import push_data
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut

AMOUNT = 100_000
KINDS = ("p2pkh", "p2wpkh")


def p2pkh_script(pub: bytes) -> bytes:
    return b"\x76\xa9" + push_data(hash160(pub)) + b"\x88\xac"


def build_spend(kind: str, secret: int) -> tuple[bytes, bytes]:
    """``(raw transaction, spent scriptPubKey)``: one input of ``kind`` signed by ``secret``."""
    key = PrivateKey(secret)
    backend = get_backend()
    derive = getattr(backend, "public_key_sec", None)
    pub = derive(secret) if derive else key.public_key.sec()
    outpoint = OutPoint(sha256(secret.to_bytes(32, "big")), secret % 4)
    tx = Transaction(
        2, [TxIn(outpoint, b"", 0xFFFFFFFD)], [TxOut(AMOUNT - 500, p2pkh_script(pub))], 0
    )
    code = p2pkh_script(pub)
    if kind == "p2pkh":
        signature = key.sign_digest(tx.sighash(0, code, 1)).der() + b"\x01"
        return tx.with_input(0, script_sig=push_data(signature) + push_data(pub)).serialize(), code
    signature = key.sign_digest(tx.sighash(0, code, 1, amount=AMOUNT)).der() + b"\x01"
    return tx.with_input(0, witness=(signature, pub)).serialize(), b"\x00\x14" + hash160(pub)


def tampered(raw: bytes) -> bytes:
    """The same transaction paying one satoshi less: every signature over it breaks."""
    tx = Transaction.parse(raw)
    output = tx.outputs[0]
    return Transaction(
        tx.version, tx.inputs, [TxOut(output.amount - 1, output.script_pubkey)], tx.locktime
    ).serialize()


# --- the implementations: each turns (raw, script_pubkey) into a no-argument verify call ----


def edu_chain_verifier(raw: bytes, script_pubkey: bytes) -> Callable[[], None]:
    tx = Transaction.parse(raw)

    def verify() -> None:
        # A fresh sighash cache per call: nothing carries over from one verification to the next.
        verify_input(tx, 0, script_pubkey, AMOUNT, STANDARD_FLAGS, cache=SighashCache(tx))

    return verify


def bitcoinlib_verifier(raw: bytes, script_pubkey: bytes) -> Callable[[], None]:
    import bitcoin.core
    import bitcoin.core.script
    import bitcoin.core.scripteval as scripteval

    flags = (
        scripteval.SCRIPT_VERIFY_P2SH,
        scripteval.SCRIPT_VERIFY_STRICTENC,
        scripteval.SCRIPT_VERIFY_DERSIG,
        scripteval.SCRIPT_VERIFY_LOW_S,
        scripteval.SCRIPT_VERIFY_NULLDUMMY,
        scripteval.SCRIPT_VERIFY_CLEANSTACK,
        scripteval.SCRIPT_VERIFY_SIGPUSHONLY,
        scripteval.SCRIPT_VERIFY_MINIMALDATA,
    )
    tx = bitcoin.core.CTransaction.deserialize(raw)
    script_sig = tx.vin[0].scriptSig
    spk = bitcoin.core.script.CScript(script_pubkey)

    def verify() -> None:
        scripteval.VerifyScript(script_sig, spk, tx, 0, flags=flags)

    return verify


def bitcointx_verifier(raw: bytes, script_pubkey: bytes) -> Callable[[], None]:
    import bitcointx.core
    import bitcointx.core.script
    import bitcointx.core.scripteval as scripteval

    flags = set(scripteval.STANDARD_SCRIPT_VERIFY_FLAGS) - set(
        scripteval.UNHANDLED_SCRIPT_VERIFY_FLAGS
    )
    tx = bitcointx.core.CTransaction.deserialize(raw)
    witness = tx.wit.vtxinwit[0].scriptWitness if tx.wit.vtxinwit else None
    script_sig = tx.vin[0].scriptSig
    spk = bitcointx.core.script.CScript(script_pubkey)

    def verify() -> None:
        scripteval.VerifyScript(script_sig, spk, tx, 0, flags=flags, amount=AMOUNT, witness=witness)

    return verify


IMPLEMENTATIONS: dict[str, tuple[str, Callable, tuple[str, ...]]] = {
    # name: (module to import, verifier factory, kinds it can verify)
    "edu_chain": ("edu_chain", edu_chain_verifier, KINDS),
    "bitcoinlib": ("bitcoin.core.scripteval", bitcoinlib_verifier, ("p2pkh",)),
    "bitcointx": ("bitcointx.core.scripteval", bitcointx_verifier, KINDS),
}


def available(module: str) -> bool:
    try:
        __import__(module)
    except (ImportError, OSError):  # bitcointx raises OSError without libsecp256k1
        return False
    return True


def rejects(verify: Callable[[], None]) -> bool:
    try:
        verify()
    except Exception:  # each library has its own error class; any refusal counts
        return True
    return False


def rate(calls: list[Callable[[], None]], seconds: float) -> float:
    """Verifications per second, walking through ``calls`` in order."""
    count = 0
    started = time.perf_counter()
    while True:
        calls[count % len(calls)]()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and count >= 3:
            return count / elapsed


def main() -> None:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--seconds", type=float, default=1.0, help="time per round")
    arguments.add_argument("--rounds", type=int, default=3, help="rounds; the best one counts")
    arguments.add_argument("--pool", type=int, default=9000, help="distinct signed spends")
    args = arguments.parse_args()

    names = [name for name, (module, _, _) in IMPLEMENTATIONS.items() if available(module)]
    missing = sorted(set(IMPLEMENTATIONS) - set(names))
    if missing:
        print(
            f"note: not installed, skipped: {', '.join(missing)} (pip install -e '.[bench]')",
            file=sys.stderr,
        )
    print(f"signing {args.pool} spends of each kind ...", file=sys.stderr)
    spends = {
        kind: [build_spend(kind, 0x5EED + 7919 * n) for n in range(args.pool)] for kind in KINDS
    }
    results: dict[str, Any] = {
        "cpus": os.cpu_count() or 1,
        "threads": 1,
        "fast_path": get_backend().name,
        "pool": args.pool,
        "implementations": ",".join(names),
    }
    for kind in KINDS:
        calls: dict[str, list[Callable[[], None]]] = {}
        for name in names:
            _, factory, kinds = IMPLEMENTATIONS[name]
            if kind not in kinds:
                continue
            # Peers verify a few hundred per second: they get as many spends as they can use.
            pool = spends[kind] if name == "edu_chain" else spends[kind][:2000]
            calls[name] = [factory(raw, spk) for raw, spk in pool]
            # Same answers first: the first spends verify, tampered copies do not.
            for (raw, spk), verify in zip(pool[:20], calls[name][:20], strict=True):
                verify()
                assert rejects(factory(tampered(raw), spk)), f"{name} accepted a tampered {kind}"
        best = dict.fromkeys(calls, 0.0)
        for _ in range(args.rounds):
            for name, pool_calls in calls.items():
                best[name] = max(best[name], rate(pool_calls, args.seconds))
        for name, value in best.items():
            results[f"{name}_{kind}_per_s"] = value
        for name in best:
            if name != "edu_chain":
                results[f"ratio_{kind}_vs_{name}"] = best["edu_chain"] / best[name]
    emit(results, args.json, table)


def table(results: dict[str, Any]) -> str:
    lines = [
        f"inputs verified per second, one thread (per core); {results['cpus']} CPUs, "
        f"edu_chain fast path = {results['fast_path']}, {results['pool']} distinct spends",
        f"{'implementation':<14}{'P2PKH/s':>10}{'P2WPKH/s':>11}{'edu_chain is':>24}",
    ]
    for name in results["implementations"].split(","):
        cells, ratios = [], []
        for kind in KINDS:
            value = results.get(f"{name}_{kind}_per_s")
            cells.append(f"{value:,.0f}" if value else "n/a")
            ratio = results.get(f"ratio_{kind}_vs_{name}")
            if ratio:
                ratios.append(f"{ratio:.1f}x ({kind.upper()})")
        lines.append(f"{name:<14}{cells[0]:>10}{cells[1]:>11}   {', '.join(ratios)}")
    lines.append("n/a: python-bitcoinlib's VerifyScript has no segwit (no witness argument)")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        main()
    except ScriptError as error:  # a spend built here failed to verify: a bug, say so clearly
        sys.exit(f"error: edu_chain refused its own spend: {error}")
