"""``educhain tx``: decode, script and verify, with CliRunner.

Oracle: the real mainnet transaction c99c49da...0e73 (Bitcoin Core's tx_valid.json) and the
verdicts edu_chain.script gives for it (checked against Core's vectors elsewhere).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from edu_chain.cli import main

RAW = (
    "01000000010276b76b07f4935c70acf54fbf1f438a4c397a9fb7e633873c4dd3bc062b6b400000000"
    "08c493046022100d23459d03ed7e9511a47d13292d3430a04627de6235b6e51a40f9cd386f2abe302"
    "2100e7d25b080f0bb8d8d5f878bba7d54ad2fda650ea8d158a33ee3cbd11768191fd004104b0e2c87"
    "9e4daf7b9ab68350228c159766676a14f5815084ba166432aab46198d4cca98fa3e9981d0a90b2eff"
    "c514b76279476550ba3663fdcaff94c38420e9d5000000000100093d00000000001976a9149a7b0f3"
    "b80c6baaeedce0a0842553800f832ba1f88ac00000000"
)
SPENT = "76a914dc44b1164188067c3a32d4780f5996fa14a4f2d988ac"


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["tx", *args], input=stdin)


def test_help_has_examples() -> None:
    for command in ([], ["decode"], ["script"], ["verify"]):
        result = run(*command, "--help")
        assert result.exit_code == 0 and "Example" in result.output


def test_decode_prints_the_real_txid_and_scripts() -> None:
    result = run("decode", RAW)
    assert result.exit_code == 0, result.output
    decoded = json.loads(result.output)
    assert decoded["txid"] == "c99c49da4c38af669dea436d3e73780dfdb6c1ecf9958baa52960e8baee30e73"
    assert decoded["vout"][0]["scriptPubKey"]["type"] == "pubkeyhash"
    assert json.loads(run("decode", "-", stdin=RAW + "\n").output)["size"] == 225


def test_script_prints_asm_and_type() -> None:
    decoded = json.loads(run("script", SPENT).output)
    assert decoded["type"] == "pubkeyhash"
    assert decoded["asm"].startswith("OP_DUP OP_HASH160 dc44b116")


def test_verify_under_consensus_and_policy() -> None:
    ok = run("verify", RAW, "--spent-script", SPENT, "--trace")
    assert ok.exit_code == 0 and "OP_CHECKSIG" in ok.output and "valid: input 0" in ok.output
    refused = run("verify", RAW, "--spent-script", SPENT, "--flags", "standard")
    assert refused.exit_code == 1 and "invalid: SIG_HIGH_S" in refused.output


def test_bad_input_is_one_line_and_exit_2() -> None:
    for args in (
        ["decode", "zz"],
        ["decode", RAW[:-2]],
        ["decode", RAW + "00"],
        ["script", "4c05ab"],
        ["verify", RAW, "--spent-script", SPENT, "--input", "3"],
        ["verify", RAW, "--spent-script", SPENT, "--flags", "P2SH,NOPE"],
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert "decode-truncated" in run("decode", RAW[:-2]).output
    assert "decode-trailing-bytes" in run("decode", RAW + "00").output
