"""The legacy sighash's script-code serialization, including Core's unreadable-push quirk.

Oracle: Bitcoin Core's ``SerializeScriptCode`` (``script/interpreter.cpp``) worked by hand in
the comments: the length counts every byte but the OP_CODESEPARATORs read before the failure;
the bytes stop where ``GetOp`` stopped reading.
"""

from edu_chain.script.sighash import serialize_script_code


def test_codeseparators_are_removed() -> None:
    # OP_1 OP_CODESEPARATOR OP_2 OP_CODESEPARATOR OP_3 -> 51 52 53, length 3
    assert serialize_script_code(bytes.fromhex("51ab52ab53")).hex() == "03515253"


def test_a_push_past_the_end_keeps_the_full_length_but_not_the_bytes() -> None:
    # ab 4c 05 ab: the separator is removed (declared length 4 - 1 = 3); OP_PUSHDATA1 reads
    # its length byte 05, finds only 1 byte of data, and GetOp stops after "4c 05".
    assert serialize_script_code(bytes.fromhex("ab4c05ab")).hex() == "034c05"
    # 4d 01: OP_PUSHDATA2 without its 2-byte length stops right after the opcode.
    assert serialize_script_code(bytes.fromhex("514d01")).hex() == "03514d"
    # 05 aa: a direct push of 5 with 1 byte stops after the opcode.
    assert serialize_script_code(bytes.fromhex("05aa")).hex() == "0205"
