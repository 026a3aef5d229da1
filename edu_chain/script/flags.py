"""Script verification flags, by Bitcoin Core's names (``SCRIPT_VERIFY_*`` without the prefix).

A flag switches on one rule.  Consensus rules were soft forks, each a flag a node turns on
from its activation height; policy rules are flags a node applies to the transactions it
relays (its mempool) but not to blocks.

    flag                                  rule                                    kind
    P2SH                                  BIP16 pay-to-script-hash                consensus
    DERSIG                                BIP66 strict DER signatures             consensus
    CHECKLOCKTIMEVERIFY                   BIP65 OP_CHECKLOCKTIMEVERIFY            consensus
    CHECKSEQUENCEVERIFY                   BIP112 OP_CHECKSEQUENCEVERIFY           consensus
    WITNESS                               BIP141/143 segregated witness           consensus
    NULLDUMMY                             BIP147 empty CHECKMULTISIG dummy        consensus
    STRICTENC                             defined sighash types, valid key forms  policy
    LOW_S                                 BIP62 low-s signatures                  policy
    SIGPUSHONLY                           scriptSig only pushes                   policy
    MINIMALDATA                           shortest pushes and numbers             policy
    DISCOURAGE_UPGRADABLE_NOPS            no OP_NOP1, OP_NOP4..10                 policy
    CLEANSTACK                            exactly one item left                   policy
    DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM no unknown witness versions             policy
    MINIMALIF                             segwit IF argument empty or 0x01        policy
    NULLFAIL                              failed signatures must be empty         policy
    WITNESS_PUBKEYTYPE                    compressed keys in segwit               policy
    CONST_SCRIPTCODE                      no OP_CODESEPARATOR / FindAndDelete     policy

Taproot (BIP341/342) is out of this project's scope; its flags are not accepted.
"""

from __future__ import annotations

from collections.abc import Iterable

ALL_FLAGS = frozenset(
    {
        "P2SH",
        "STRICTENC",
        "DERSIG",
        "LOW_S",
        "NULLDUMMY",
        "SIGPUSHONLY",
        "MINIMALDATA",
        "DISCOURAGE_UPGRADABLE_NOPS",
        "CLEANSTACK",
        "CHECKLOCKTIMEVERIFY",
        "CHECKSEQUENCEVERIFY",
        "WITNESS",
        "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM",
        "MINIMALIF",
        "NULLFAIL",
        "WITNESS_PUBKEYTYPE",
        "CONST_SCRIPTCODE",
    }
)

CONSENSUS_FLAGS = frozenset(
    {"P2SH", "DERSIG", "CHECKLOCKTIMEVERIFY", "CHECKSEQUENCEVERIFY", "WITNESS", "NULLDUMMY"}
)
"""What a block's scripts must pass (Core's mandatory flags, Taproot aside)."""

STANDARD_FLAGS = ALL_FLAGS
"""What a relayed transaction's scripts must pass (Core's STANDARD_SCRIPT_VERIFY_FLAGS)."""


def parse_flags(flags: str | Iterable[str]) -> frozenset[str]:
    """Flags from names (a comma-separated string as in Core's test vectors, or an iterable),
    checked: an unknown name, or a combination Core refuses, is a ``ValueError``.

    >>> sorted(parse_flags("P2SH,STRICTENC"))
    ['P2SH', 'STRICTENC']
    """
    names = [name for name in flags.split(",") if name] if isinstance(flags, str) else flags
    result = frozenset(names)
    unknown = sorted(result - ALL_FLAGS)
    if unknown:
        raise ValueError(
            f"unknown script flag(s) {', '.join(unknown)}; known: {', '.join(sorted(ALL_FLAGS))}"
        )
    # Core asserts these: the rules only make sense on top of the ones they extend.
    if "WITNESS" in result and "P2SH" not in result:
        raise ValueError("the WITNESS flag needs P2SH (P2SH-wrapped segwit is part of BIP141)")
    if "CLEANSTACK" in result and "P2SH" not in result:
        raise ValueError("the CLEANSTACK flag needs P2SH")
    return result
