"""``educhain mine`` and ``educhain bench``: help, JSON output, answers checked with hashlib."""

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from edu_chain.block import BlockHeader
from edu_chain.cli import main
from edu_chain.pow import bits_to_target
from edu_chain.pow.mining import mine_reference
from tests.bitcoin_data import GENESIS, GENESIS_HEADER_HEX


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("command", [["mine"], ["bench"], ["bench", "mining"], ["bench", "merkle"]])
def test_help_has_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


@pytest.mark.parametrize("backend", ["auto", "python"])
def test_demo_block_is_mined_to_the_lowest_nonce(backend):
    result = run("mine", "--bits", "1f7fffff", "--backend", backend, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["found"] is True
    header = BlockHeader.from_hex(report["header_hex"])
    digest = hashlib.sha256(hashlib.sha256(bytes.fromhex(report["header_hex"])).digest())
    assert int.from_bytes(digest.digest(), "little") <= bits_to_target(0x1F7FFFFF)
    assert mine_reference(header, 0, header.nonce) == header.nonce  # no lower nonce wins
    assert report["stats"]["searched"] == header.nonce + 1


def test_the_genesis_header_is_mined_back():
    start = str(GENESIS["nonce"] - 5000)
    result = run("mine", "--header", GENESIS_HEADER_HEX, "--start-nonce", start, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["header_hex"] == GENESIS_HEADER_HEX
    assert report["header"]["hash"] == GENESIS["id"]


def test_text_output_names_the_nonce_and_the_rate():
    result = run("mine", "--bits", "2000ffff", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert "nonce" in result.output
    assert "H/s" in result.output


def test_a_range_without_a_solution_exits_with_status_1():
    result = run("mine", "--header", GENESIS_HEADER_HEX, "--max-nonce", "1000", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output.splitlines()[0])["found"] is False
    assert "no nonce in [0, 1000]" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--bits", "xyz"],
        ["--bits", "1d80ffff"],  # negative target
        ["--header", "00" * 79],
        ["--threads", "0"],
        ["--max-nonce", str(2**32)],
        ["--backend", "gpu"],
    ],
)
def test_bad_arguments_are_usage_errors(args):
    result = run("mine", *args)
    assert result.exit_code == 2, result.output


def test_bench_mining_json_has_the_documented_keys():
    result = run("bench", "mining", "--seconds", "0.05", "--no-start-up", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for key in ("hashlib_hps", "numba_1t_hps", "numba_hps", "threads", "ratio_1t"):
        assert key in report
    assert report["ratio_1t"] == pytest.approx(report["numba_1t_hps"] / report["hashlib_hps"])


def test_bench_merkle_table():
    result = run("bench", "merkle", "--leaves", "1000")
    assert result.exit_code == 0, result.output
    assert "Merkle root of 1,000 leaves" in result.output


@pytest.mark.parametrize(
    ("script", "args", "keys"),
    [
        ("mining.py", ["--seconds", "0.05", "--no-start-up"], ["numba_1t_hps", "ratio_1t"]),
        ("merkle.py", ["--leaves", "100", "--repeats", "1"], ["hashlib_s", "ratio"]),
    ],
)
def test_benchmark_scripts_print_json(script, args, keys):
    """The scripts in benchmarks/ run from a checkout and print one JSON object."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / script
    result = subprocess.run(
        [sys.executable, str(path), "--json", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert all(key in report for key in keys)


def test_an_empty_nonce_range_is_a_usage_error_before_mining():
    result = CliRunner().invoke(main, ["mine", "--start-nonce", "10", "--max-nonce", "5"])
    assert result.exit_code == 2
    assert "--start-nonce 10 is above --max-nonce 5" in result.output
    assert "tried" not in result.output  # nothing was mined


def test_a_zero_target_is_refused():
    # bits 0x00000000 (and 0x03000000...) decode to target 0: no hash is ever <= 0 in practice.
    for bits in ("00000000", "03000000"):
        result = CliRunner().invoke(main, ["mine", "--bits", bits])
        assert result.exit_code == 2, result.output
        assert "target 0" in result.output


def test_a_nonce_range_too_small_for_the_target_is_announced():
    """Bitcoin's easiest target needs ~4.3e9 hashes: 100,001 nonces hold a winner with
    probability 1 - (1 - 1/work)**100001 (computed here exactly, as the oracle)."""
    result = run("mine", "--bits", "1d00ffff", "--max-nonce", "100000", "--backend", "python")
    assert result.exit_code == 1
    work = (1 << 256) // ((0xFFFF << 208) + 1)
    chance = 1 - (1 - 1 / work) ** 100001
    assert "warning the target needs about 4,295,032,833 hashes" in result.stderr
    assert "holds 100,001" in result.stderr
    assert f"about {chance * 100:.2g}%" in result.stderr
    assert "warning" not in result.stdout  # stdout stays the results


def test_a_range_large_enough_gets_no_warning_and_json_carries_it():
    quiet = run("mine", "--bits", "1f00ffff", "--backend", "python")
    assert quiet.exit_code == 0 and "warning" not in quiet.output
    report = run("mine", "--bits", "1d00ffff", "--max-nonce", "10", "--json")
    assert json.loads(report.stdout)["warning"].startswith("the target needs about")


def test_ctrl_c_says_what_was_tried():
    """SIGINT during a search that cannot end soon: status 130 and one line with the hashes,
    the time, the rate and where to resume; not click's bare "Aborted!"."""
    miner = subprocess.Popen(
        [sys.executable, "-m", "edu_chain", "mine", "--bits", "1c00ffff", "--backend", "python"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert miner.stdout.readline().startswith("target")  # searching has begun
        time.sleep(1.5)  # several progress reports (every 2**14 nonces)
        miner.send_signal(signal.SIGINT)
        _, err = miner.communicate(timeout=60)
    finally:
        if miner.poll() is None:
            miner.kill()
            miner.wait()
    assert miner.returncode == 130, err
    assert "Aborted!" not in err
    line = next(line for line in err.splitlines() if line.startswith("interrupted after"))
    hashes = int(line.split(": ", 1)[1].split(" hashes", 1)[0].replace(",", ""))
    assert hashes > 0 and "H/s (python, 1 thread(s))" in line
    assert f"nonces 0 to {hashes - 1:,} fail" in line
    assert f"--start-nonce {hashes}" in line
