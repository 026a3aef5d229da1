"""``educhain scholarship`` without a node: help, init, register, and each usage error.

Every failure must be one line, exit status 2, and change nothing (checked by reading the
registry back). The paths that need a node are in tests/functional/test_scholarship_payouts.py.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.keys import PrivateKey
from edu_chain.scholarship import Registry
from edu_chain.wallet import Wallet, decode_address

COMMANDS = [
    "init",
    "register",
    "payout",
    "sign",
    "broadcast",
    "cancel",
    "clawback",
    "tranches",
    "claim",
    "report",
]
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def address(n: int) -> str:
    return Wallet("x.json", [PrivateKey(7000 + n)]).address


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    code, out = run("scholarship", command, "--help")
    assert code == 0 and "Example" in out and "educhain scholarship" in out


@pytest.fixture
def fund(tmp_path):
    code, out = run("scholarship", "init", "--dir", str(tmp_path / "fund"), "--json")
    assert code == 0
    made = json.loads(out)
    assert set(made) == {"address"}
    assert decode_address(made["address"])[:2] == b"\x00\x20"  # P2WSH
    return tmp_path / "fund"


def test_init_writes_one_file_per_signer_and_refuses_twice(fund):
    assert sorted(p.name for p in fund.glob("signer*.json")) == [
        "signer1.json",
        "signer2.json",
        "signer3.json",
    ]
    code, out = run("scholarship", "init", "--dir", str(fund))
    assert code == 2 and "already" in out and len(out.strip().splitlines()) == 1
    code, out = run("scholarship", "init", "--dir", str(fund / "x"), "--threshold", "4")
    assert code == 2


def test_init_prints_the_treasury_view_of_the_node(tmp_path):
    code, out = run(
        "scholarship", "init", "--dir", str(tmp_path / "f"), "--node", "http://127.0.0.1:8400/"
    )
    assert code == 0, out
    address = out.split("treasury: ")[1].split()[0]
    assert f"explorer: http://127.0.0.1:8400/#/treasury/{address}" in out.splitlines()


def one_line_refusal(args: list[str], fund, expected: str) -> None:
    with Registry(fund) as registry:
        before = registry.students()
    code, out = run(*args)
    assert code == 2, out
    assert expected in out
    assert len(out.strip().splitlines()) == 1, out
    with Registry(fund) as registry:
        assert registry.students() == before


def test_register_one_line_errors(fund, tmp_path):
    code, _ = run("scholarship", "register", "--dir", str(fund), "--student", "ana",
                  "--address", address(1))  # fmt: skip
    assert code == 0
    base = ["scholarship", "register", "--dir", str(fund)]
    one_line_refusal(
        [*base, "--student", "ana", "--address", address(2)], fund, "registered already"
    )
    one_line_refusal(
        [*base, "--student", "ben", "--address", address(1)], fund, "registered already"
    )
    one_line_refusal([*base, "--student", "ben", "--address", "bcrt1qxyz"], fund, "bad address")
    one_line_refusal(
        [*base, "--student", "ben", "--address", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"],
        fund,
        "bad address",
    )  # fmt: skip  (a mainnet address)
    roster = tmp_path / "class.csv"
    roster.write_text(f"student,address\nben,{address(3)}\ncy,{address(1)}\n")
    one_line_refusal([*base, "--roster", str(roster)], fund, "registered already")  # all or none
    roster.write_text(f"student,address\nben,{address(3)}\ncy,{address(4)}\n")
    code, out = run(*base, "--roster", str(roster))
    assert code == 0 and "2 student(s)" in out
    code, out = run(*base)  # a usage error: click's usage line, then the error
    assert code == 2 and "Error: give --student and --address, or --roster" in out


def test_payout_refusals_before_any_node_is_asked(fund, tmp_path):
    base = ["scholarship", "payout", "--dir", str(fund), "--node", UNREACHABLE, "--amount", "1"]
    code, out = run(*base)
    assert code == 2 and "--signers" in out
    signers = f"{fund / 'signer1.json'},{fund / 'signer2.json'}"
    code, out = run(*base, "--signers", signers, "--psbt-out", str(tmp_path / "p.psbt"))
    assert code == 2
    code, out = run(*base, "--signers", str(fund / "signer1.json"))
    assert code == 2 and "needs 2 of 3" in out
    not_a_keystore = tmp_path / "notes.json"
    not_a_keystore.write_text("{}")
    code, out = run(*base, "--signers", f"{fund / 'signer1.json'},{not_a_keystore}")
    assert code == 2 and len(out.strip().splitlines()) == 1
    code, out = run(*base, "--signers", signers, "--student", "nobody")
    assert code == 2 and "unknown student" in out
    code, out = run(*base, "--signers", signers)
    assert code == 2 and len(out.strip().splitlines()) == 1 and "node" in out.lower()
    code, out = run("scholarship", "report", "--dir", str(tmp_path / "none"), "--node", UNREACHABLE)
    assert code == 2 and "not a scholarship folder" in out
    with Registry(fund) as registry:
        assert registry.batches() == []


def test_a_roster_with_a_bad_row_registers_nobody_and_names_the_row(fund, tmp_path):
    base = ["scholarship", "register", "--dir", str(fund), "--roster"]
    roster = tmp_path / "class.csv"
    good = f"student,address\nana,{address(1)}\nben,{address(2)}\n"
    cases = [
        (good + "cy,bcrt1qnotanaddress\n", "class.csv row 4: student 'cy': bad address"),
        (good + f",{address(3)}\n", "class.csv row 4: a student id is empty"),
        (good + "cy\n", "class.csv row 4: student 'cy': bad address"),  # no address cell
        (good + f"ana,{address(3)}\n", "class.csv row 4: student 'ana' is given twice"),
        (good + f"cy,{address(1).upper()}\n", f"row 4: address {address(1)} is given twice"),
        ("name,addr\nana,x\n", "expected a CSV file with columns student,address"),
        ("student,address\n", "no student in it"),
    ]
    for text, expected in cases:
        roster.write_text(text)
        one_line_refusal([*base, str(roster)], fund, expected)
    with Registry(fund) as registry:
        assert registry.students() == []
    roster.write_text(f"address,student\n{address(1).upper()},ana\n\n {address(2)} , ben \n\n")
    code, out = run(*base, str(roster))
    assert code == 0 and "2 student(s) registered" in out
    with Registry(fund) as registry:  # the canonical (lower-case) spelling is what is kept
        assert registry.students() == [("ana", address(1)), ("ben", address(2))]
    one_line_refusal(
        ["scholarship", "register", "--dir", str(fund), "--student", "cy",
         "--address", address(2).upper()],
        fund,
        f"address {address(2)} is registered already (student 'ben')",
    )  # fmt: skip


def test_an_unknown_student_is_refused_wherever_an_id_is_taken(fund):
    code, out = run("scholarship", "tranches", "--dir", str(fund), "--student", "nobody")
    assert code == 2 and out.strip() == "Error: unknown student 'nobody': not registered"
    signers = f"{fund / 'signer1.json'},{fund / 'signer2.json'}"
    code, out = run("scholarship", "payout", "--dir", str(fund), "--node", UNREACHABLE,
                    "--amount", "1", "--signers", signers, "--student", "nobody")  # fmt: skip
    assert code == 2 and out.strip() == "Error: unknown student 'nobody': not registered"


def test_signer_files_that_are_not_the_treasurys(fund, tmp_path):
    """A key file of someone else, a JSON file that holds no key, a missing file: one line
    each, exit 2, and the registry holds no batch afterwards."""
    base = ["scholarship", "payout", "--dir", str(fund), "--node", UNREACHABLE, "--amount", "1"]
    stranger = Wallet.create(tmp_path / "stranger.json")
    notes = tmp_path / "notes.json"
    notes.write_text('{"shopping": ["milk"]}')
    cases = [
        (stranger.path, "holds no key of this treasury: not one of its signers"),
        (notes, str(notes)),
        (tmp_path / "missing.json", str(tmp_path / "missing.json")),
    ]
    for path, expected in cases:
        code, out = run(*base, "--signers", f"{fund / 'signer1.json'},{path}")
        assert code == 2 and expected in out and len(out.strip().splitlines()) == 1, out
        code, out = run("scholarship", "clawback", "--dir", str(fund), "--node", UNREACHABLE,
                        "--to", address(9),
                        "--signers", f"{fund / 'signer1.json'},{path}")  # fmt: skip
        assert code == 2 and expected in out and len(out.strip().splitlines()) == 1, out
    with Registry(fund) as registry:
        assert registry.batches() == [] and registry.clawbacks() == {}


def test_an_unreachable_node_is_one_line_and_changes_nothing(fund, tmp_path):
    signers = f"{fund / 'signer1.json'},{fund / 'signer2.json'}"
    report_csv = tmp_path / "report.csv"
    tranches = tmp_path / "t.json"
    tranches.write_text('{"format": "edu_chain-tranches", "tranches": []}')
    wallet = Wallet.create(tmp_path / "me.json")
    commands = [
        ["payout", "--dir", str(fund), "--node", UNREACHABLE, "--amount", "1",
         "--signers", signers],
        ["payout", "--dir", str(fund), "--node", UNREACHABLE, "--amount", "1",
         "--psbt-out", str(tmp_path / "p.psbt")],
        ["clawback", "--dir", str(fund), "--node", UNREACHABLE, "--to", address(9),
         "--signers", signers],
        ["report", "--dir", str(fund), "--node", UNREACHABLE, "--csv", str(report_csv)],
        ["claim", str(tranches), "--wallet", str(wallet.path), "--node", UNREACHABLE],
    ]  # fmt: skip
    run("scholarship", "register", "--dir", str(fund), "--student", "ana", "--address", address(1))
    for args in commands:
        code, out = run("scholarship", *args)
        assert code == 2, (args, out)
        assert len(out.strip().splitlines()) == 1 and "127.0.0.1:9" in out, (args, out)
    assert not report_csv.exists() and not (tmp_path / "p.psbt").exists()
    with Registry(fund) as registry:
        assert registry.batches() == [] and registry.unpaid() == [("ana", address(1))]


def test_cancel_refusals_are_one_line_and_change_nothing(fund, tmp_path):
    """Too few signers, a signer file not the treasury's, nothing waiting, an unknown or
    settled batch, an unreachable node: one line, exit 2, no cancel recorded, no state
    changed (and the node, unreachable here, is never needed to say so)."""
    from edu_chain.tx import OutPoint, TxOut
    from edu_chain.wallet import create_psbt

    base = ["scholarship", "cancel", "--dir", str(fund), "--node", UNREACHABLE]
    signers = f"{fund / 'signer1.json'},{fund / 'signer2.json'}"
    stranger = Wallet.create(tmp_path / "stranger.json")

    def refused(extra: list[str], expected: str) -> None:
        with Registry(fund) as registry:
            before = registry.batches()
        code, out = run(*base, *extra)
        assert code == 2 and expected in out and len(out.strip().splitlines()) == 1, out
        with Registry(fund) as registry:
            assert registry.batches() == before and registry.cancels() == {}

    refused(["--signers", signers], "no batch waits for signatures: nothing to cancel")
    refused(["--signers", signers, "--batch", "4"], "there is no batch 4")
    with Registry(fund) as registry:
        treasury = registry.treasury
        coin = {OutPoint(b"\x11" * 32, 0): TxOut(10**8, treasury.script_pubkey)}
        psbt = create_psbt(treasury, coin, [(address(1), 10**7)])
        registry.register([("ana", address(1))])
        row = {"student": "ana", "address": address(1), "amount": 10**7, "tranche": 0, "vout": 0}
        registry.add_batch(psbt.to_base64(), [row], state="waiting")
        registry.add_batch(psbt.to_base64(), [], state="broadcast")
    refused(["--signers", str(fund / "signer1.json")], "needs 2 of 3")
    refused(["--signers", f"{fund / 'signer1.json'},{stranger.path}"], "no key of this treasury")
    refused(["--signers", signers, "--batch", "2"], "batch 2 is broadcast, not waiting")
    refused(["--signers", signers], "127.0.0.1:9")
    code, out = run(*base)
    assert code == 2 and "--signers" in out
    with Registry(fund) as registry:
        assert [b.state for b in registry.batches()] == ["waiting", "broadcast"]
        assert registry.unpaid() == []
