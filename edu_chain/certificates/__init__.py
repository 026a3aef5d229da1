"""Certificates of completion anchored on the chain, verifiable by anyone with a node.

A batch of certificates is hashed (canonical JSON), a Merkle tree over the hashes is built,
and its root is recorded in one OP_RETURN transaction signed by the issuer's key.  Each
learner's file carries the path from their hash to that root and the transaction's proof in
its block, so anyone can check it with any node of the network, or with only a file of block
headers (Blockcerts' design, without its dependence on public explorers or issuer websites).

    document.py   a certificate's fields, canonical JSON, hash, file
    batch.py      the Merkle tree over a batch and each certificate's path
    anchor.py     the OP_RETURN records (batch, revocation), the issuer's signature, SPV proof
    headers.py    an exported header chain, checked (linkage, proof-of-work, retarget, work)
    issue.py      gradebook -> passing students -> bodies, tree, anchoring transaction, files
    verify.py     the named verification steps, against a node or a header chain

The command line is ``educhain certificates`` (edu_chain/cli/certificates.py); the README's
"Verifying a certificate by hand" section repeats every step with hashlib.
"""

from edu_chain.certificates.anchor import BATCH_TAG as BATCH_TAG
from edu_chain.certificates.anchor import REVOKE_TAG as REVOKE_TAG
from edu_chain.certificates.batch import BatchTree as BatchTree
from edu_chain.certificates.batch import path_length as path_length
from edu_chain.certificates.batch import verify_path as verify_path
from edu_chain.certificates.document import Certificate as Certificate
from edu_chain.certificates.document import CertificateError as CertificateError
from edu_chain.certificates.document import canonical_json as canonical_json
from edu_chain.certificates.document import certificate_hash as certificate_hash
from edu_chain.certificates.headers import HeaderChainError as HeaderChainError
from edu_chain.certificates.headers import load_header_chain as load_header_chain
from edu_chain.certificates.verify import HeaderSource as HeaderSource
from edu_chain.certificates.verify import NodeSource as NodeSource
from edu_chain.certificates.verify import Verdict as Verdict
from edu_chain.certificates.verify import verify_certificate as verify_certificate

__all__ = [
    "BATCH_TAG",
    "REVOKE_TAG",
    "BatchTree",
    "Certificate",
    "CertificateError",
    "HeaderChainError",
    "HeaderSource",
    "NodeSource",
    "Verdict",
    "canonical_json",
    "certificate_hash",
    "load_header_chain",
    "path_length",
    "verify_certificate",
    "verify_path",
]
