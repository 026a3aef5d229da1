"""A certificate of completion: its fields, its canonical JSON, its hash, its file.

A certificate file (``DIR/<student>.json``) has four parts::

    {"format": "edu_chain-certificate", "version": 1,
     "certificate": {...},   what a person reads: student, course, exercises and scores,
                             total, maximum, date, issuer's public key  (hashed)
     "hash": "...",          sha256d of the canonical JSON of "certificate" (hex, internal order)
     "batch": {...},         where that hash sits in the batch's Merkle tree (batch.py)
     "anchor": {...}}        the transaction recording the batch's root, and its block (anchor.py)

**Canonical JSON** (what is hashed): the ``certificate`` object serialised with keys sorted,
no whitespace (``separators=(",", ":")``), UTF-8 without escaping, numbers as Python writes
them (a score with no fraction is an integer: ``10``, not ``10.0``).  Two programs that agree
on these rules agree on the bytes, so anyone can recompute the hash by hand::

    >>> body = {"student": "ada", "course": "Blockchain 101", "date": "2026-12-07"}
    >>> canonical_json(body)
    b'{"course":"Blockchain 101","date":"2026-12-07","student":"ada"}'

Every field a person would read is inside ``certificate``, so changing any of them (the
name, the course, a score, the date, the issuer) changes the hash.  The anchor's txid and
block cannot be inside (they exist only once the hash is on chain); changing them sends the
verifier to a transaction that does not record this batch.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edu_chain.errors import EduChainError
from edu_chain.hashing import sha256d

CERTIFICATE_FORMAT = "edu_chain-certificate"
CERTIFICATE_VERSION = 1
BODY_FIELDS = (
    "course",
    "date",
    "exercises",
    "issuer_public_key",
    "max_total",
    "min_score",
    "student",
    "total",
)


class CertificateError(EduChainError, ValueError):
    """A certificate file that cannot be read: not JSON, or missing what a certificate holds.

    ``code`` is stable: ``cert-not-json``, ``cert-malformed``, ``cert-unreadable``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def score(value: float) -> int | float:
    """A score as written in a certificate: an integer when it has no fraction."""
    number = float(value)
    if number.is_integer():
        return int(number)
    if not math.isfinite(number):
        raise CertificateError("cert-malformed", f"a score must be a finite number, got {value!r}")
    return number


# One encoder each, made once: json.dumps with options builds a new encoder on every call,
# which is a third of the time when 80,000 certificates are issued.
_canonical_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode
_file_encode = json.JSONEncoder(ensure_ascii=False).encode
_FILE_HEAD = f'{{\n  "format": "{CERTIFICATE_FORMAT}",\n  "version": {CERTIFICATE_VERSION},\n'


def canonical_json(body: dict[str, Any]) -> bytes:
    """The bytes that are hashed: sorted keys, no whitespace, UTF-8 (see the module docstring)."""
    return _canonical_encode(body).encode()


def certificate_hash(body: dict[str, Any]) -> bytes:
    """``sha256d(canonical_json(body))``: the certificate's leaf in its batch's Merkle tree."""
    return sha256d(canonical_json(body))


def make_body(
    *,
    student: str,
    course: str,
    exercises: dict[str, tuple[float, float]],
    date: str,
    issuer_public_key: bytes,
    min_score: float,
) -> dict[str, Any]:
    """The human-readable part of a certificate.  ``exercises``: id -> (points, max points)."""
    rows = [
        {"id": exercise_id, "points": score(points), "max_points": score(maximum)}
        for exercise_id, (points, maximum) in sorted(exercises.items())
    ]
    return {
        "student": student,
        "course": course,
        "exercises": rows,
        "total": score(round(sum(points for points, _ in exercises.values()), 6)),
        "max_total": score(round(sum(maximum for _, maximum in exercises.values()), 6)),
        "min_score": score(min_score),
        "date": date,
        "issuer_public_key": issuer_public_key.hex(),
    }


@dataclass
class Certificate:
    """One certificate file, as plain JSON parts (see the module docstring for each part)."""

    body: dict[str, Any]
    hash: str  # hex of certificate_hash(body), internal byte order
    batch: dict[str, Any]
    anchor: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CERTIFICATE_FORMAT,
            "version": CERTIFICATE_VERSION,
            "certificate": self.body,
            "hash": self.hash,
            "batch": self.batch,
            "anchor": self.anchor,
        }

    def dumps(self, anchor_text: str | None = None) -> str:
        """The file's text: one top-level field per line.  (``json.dumps(indent=...)`` would
        take the pure-Python encoder, ~10x slower: 80,000 files is the scale that matters.)
        ``anchor_text``: the anchor already encoded (a batch shares one)."""
        anchor = _file_encode(self.anchor) if anchor_text is None else anchor_text
        return (
            f"{_FILE_HEAD}"
            f'  "certificate": {_file_encode(self.body)},\n'
            f'  "hash": {_file_encode(self.hash)},\n'
            f'  "batch": {_file_encode(self.batch)},\n'
            f'  "anchor": {anchor}\n}}\n'
        )

    def write(self, path: Path, anchor_text: str | None = None) -> None:
        """Write the file (mode 0644); a plain ``os.write``, the cheapest way per file."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, self.dumps(anchor_text).encode())
        finally:
            os.close(fd)

    @classmethod
    def from_json(cls, data: Any, where: str = "certificate") -> Certificate:
        """Check the shape (not the content: that is verify.py's work) and build one."""
        if not isinstance(data, dict) or data.get("format") != CERTIFICATE_FORMAT:
            raise CertificateError(
                "cert-malformed", f"{where} is not an edu_chain certificate (no format field)"
            )
        if data.get("version") != CERTIFICATE_VERSION:
            raise CertificateError(
                "cert-malformed", f"{where}: certificate version {data.get('version')!r} unknown"
            )
        parts = {}
        for name, kind in (("certificate", dict), ("hash", str), ("batch", dict), ("anchor", dict)):
            if not isinstance(data.get(name), kind):
                raise CertificateError(
                    "cert-malformed", f"{where}: field {name!r} must be a {kind.__name__}"
                )
            parts[name] = data[name]
        missing = [name for name in BODY_FIELDS if name not in parts["certificate"]]
        if missing:
            raise CertificateError(
                "cert-malformed", f"{where}: the certificate lacks {', '.join(missing)}"
            )
        return cls(parts["certificate"], parts["hash"], parts["batch"], parts["anchor"])

    @classmethod
    def load(cls, path: Path | str) -> Certificate:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CertificateError("cert-unreadable", f"cannot read {path}: {error}") from None
        except UnicodeDecodeError:
            raise CertificateError(
                "cert-not-json", f"{path} is not JSON (not UTF-8 text)"
            ) from None
        try:
            data = json.loads(text)
        except ValueError as error:
            raise CertificateError("cert-not-json", f"{path} is not JSON ({error})") from None
        return cls.from_json(data, str(path))

    @property
    def student(self) -> str:
        return str(self.body.get("student"))
