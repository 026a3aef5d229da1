"""Issuing certificates at programme scale: one anchor for N certificates (default 80,000).

    python benchmarks/certificates.py [--json] [--certificates N] [--naive-sample K] [--dir D]

Measured in one run, on a synthetic class of N students with 6 exercises each:

* ``issue_s``: everything ``educhain certificates issue`` does locally: certificate bodies,
  canonical-JSON hashes, the Merkle tree built once, every path read from its levels, the
  signed anchoring transaction, and one JSON file per student (``hash_s``, ``tree_s``,
  ``paths_s``, ``anchor_s``, ``files_s`` are its parts);
* the naive baseline: each path computed alone by ``edu_chain.merkle.merkle_proof``, which
  rebuilds the tree for every proof (quadratic).  It is timed on ``--naive-sample`` proofs
  and scaled to N (``naive_paths_s``, an estimate, flagged as such);

The files go to a fresh temporary folder inside ``--dir`` (default: the system's temporary
folder), deleted afterwards; ``files_s`` is mostly the disk's speed, so the table also gives
the time without it.  On a disk shared with other busy processes, try ``--dir /dev/shm``.

JSON keys: ``certificates``, ``path_hashes``, ``hash_s``, ``tree_s``, ``paths_s``,
``anchor_s``, ``files_s``, ``issue_s``, ``naive_sample``, ``naive_path_s``, ``naive_paths_s``
(estimated), ``naive_issue_s`` (estimated), ``ratio_paths`` (naive_paths_s / paths_s),
``ratio_issue`` (naive_issue_s / issue_s), ``under_10s``, ``without_files_s``,
``issue_cpu_s`` (CPU time of the issue: on a
machine shared with other busy processes the wall-clock figures grow, this one much less).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from _common import emit, parser

from edu_chain.certificates.anchor import batch_data
from edu_chain.certificates.batch import BatchTree, verify_path
from edu_chain.certificates.document import certificate_hash
from edu_chain.certificates.issue import Grades, build_batch, certificates_for, write_certificates
from edu_chain.hashing import sha256d
from edu_chain.keys import PrivateKey
from edu_chain.merkle import merkle_proof
from edu_chain.tx import OutPoint, TxOut
from edu_chain.wallet import Wallet

EXERCISES = ("sha256", "merkle_root", "merkle_proof", "target", "mine", "ecdsa")


def synthetic_class(size: int) -> Grades:
    maximum = dict.fromkeys(EXERCISES, 10.0)
    points = {
        f"student{i:06d}": {ex: float((i * 7 + j * 3) % 11) for j, ex in enumerate(EXERCISES)}
        for i in range(size)
    }
    return Grades(maximum, points)


def measure(size: int, naive_sample: int, directory: str | None = None) -> dict:
    grades = synthetic_class(size)
    students = sorted(grades.points)
    issuer = Wallet("issuer.json", [PrivateKey(0x15_5E_E4)])
    coins = {OutPoint(sha256d(b"coin"), 0): TxOut(10**8, issuer.script_pubkeys[0])}
    out = Path(tempfile.mkdtemp(prefix="educhain-certs-", dir=directory))
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        bodies, tree = build_batch(
            grades, students, course="Blockchain 101", date="2026-12-07",
            issuer_public_key=issuer.public_keys[0], min_score=0.0,
        )  # fmt: skip
        built = time.perf_counter()
        tx = issuer.build_transaction(coins, [], data=batch_data(tree.root))
        anchored = time.perf_counter()
        certs = certificates_for(bodies, tree, tx, next(iter(coins.values())))
        pathed = time.perf_counter()
        write_certificates(certs, out)
        written, cpu_s = time.perf_counter(), time.process_time() - cpu_started
    finally:
        shutil.rmtree(out, ignore_errors=True)

    # The parts of build_batch, timed again separately: hashing the bodies, building the tree.
    start = time.perf_counter()
    leaves = [certificate_hash(body) for body in bodies]
    hashed = time.perf_counter()
    BatchTree(leaves)
    tree_s = time.perf_counter() - hashed

    sample = [round(i * (size - 1) / max(1, naive_sample - 1)) for i in range(naive_sample)]
    start_naive = time.perf_counter()
    for index in sample:
        proof = merkle_proof(leaves, index)
        assert verify_path(leaves[index], index, size, proof, tree.root)
        assert [h.hex() for h in proof] == certs[index].batch["merkle_path"]
    naive_path_s = (time.perf_counter() - start_naive) / len(sample)

    issue_s = written - started
    paths_s = pathed - anchored
    naive_paths_s = naive_path_s * size
    return {
        "certificates": size,
        "path_hashes": len(certs[0].batch["merkle_path"]),
        "hash_s": hashed - start,
        "tree_s": tree_s,
        "build_batch_s": built - started,
        "paths_s": paths_s,
        "anchor_s": anchored - built,
        "files_s": written - pathed,
        "issue_s": issue_s,
        "naive_sample": len(sample),
        "naive_path_s": naive_path_s,
        "naive_paths_s": naive_paths_s,
        "naive_issue_s": issue_s - paths_s + naive_paths_s,
        "ratio_paths": naive_paths_s / paths_s,
        "ratio_issue": (issue_s - paths_s + naive_paths_s) / issue_s,
        "issue_cpu_s": cpu_s,
        "under_10s": issue_s < 10.0,
        "without_files_s": issue_s - (written - pathed),
    }


def table(result: dict) -> str:
    return "\n".join(
        [
            f"certificates          {result['certificates']:>10,}   "
            f"(paths of {result['path_hashes']} hashes, one anchor)",
            f"issue, total          {result['issue_s']:>10.2f} s   "
            f"({'under' if result['under_10s'] else 'OVER'} 10 s)",
            f"  CPU time of it      {result['issue_cpu_s']:>10.2f} s   (the rest: waiting for "
            "the disk, or for a core shared with other processes)",
            f"  hash bodies         {result['hash_s']:>10.2f} s",
            f"  build the tree      {result['tree_s']:>10.2f} s",
            f"  read every path     {result['paths_s']:>10.2f} s",
            f"  sign the anchor     {result['anchor_s']:>10.4f} s",
            f"  write the files     {result['files_s']:>10.2f} s",
            f"issue without files   {result['without_files_s']:>10.2f} s",
            f"naive: tree per path  {result['naive_paths_s']:>10.1f} s   (estimated from "
            f"{result['naive_sample']} proofs)",
            f"ratio, paths          {result['ratio_paths']:>10.0f} x",
            f"ratio, whole issue    {result['ratio_issue']:>10.0f} x",
        ]
    )


def main() -> None:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--certificates", type=int, default=80_000)
    arguments.add_argument("--naive-sample", type=int, default=20)
    arguments.add_argument("--dir", default=None, help="where the temporary files go")
    options = arguments.parse_args()
    emit(measure(options.certificates, options.naive_sample, options.dir), options.json, table)


if __name__ == "__main__":
    main()
