"""Hypothesis properties of Bech32/Bech32m strings and of addresses.

Oracles: the round-trip laws; BIP173's guarantee that a changed character is always caught
(any error of up to 4 substituted characters is detected); and the independent construction
of each scriptPubKey by ``script.standard``.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from edu_chain.bech32 import (
    CHARSET,
    MAX_LENGTH,
    Encoding,
    bech32_decode,
    bech32_encode,
    convert_bits,
    decode_segwit_address,
    encode_segwit_address,
)
from edu_chain.errors import DecodeError
from edu_chain.script.address import (
    NETWORKS,
    address_to_script_pubkey,
    script_pubkey_to_address,
)
from edu_chain.script.standard import p2pkh, p2sh, p2wpkh, p2wsh

# An hrp is 1..83 printable ASCII characters; keep it one case so it is a valid hrp.
hrps = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20
).map(str.lower)
encodings = st.sampled_from(list(Encoding))
networks = st.sampled_from(list(NETWORKS.values()))


@st.composite
def strings(draw):
    """(hrp, 5-bit data, encoding) that fit in 90 characters."""
    hrp = draw(hrps)
    room = MAX_LENGTH - len(hrp) - 1 - 6
    data = draw(st.lists(st.integers(0, 31), max_size=room))
    return hrp, data, draw(encodings)


@st.composite
def witness_programs(draw):
    version = draw(st.integers(0, 16))
    if version == 0:
        size = draw(st.sampled_from([20, 32]))
    else:
        size = draw(st.integers(2, 40))
    return version, draw(st.binary(min_size=size, max_size=size))


@given(strings())
def test_bech32_round_trip(case):
    hrp, data, encoding = case
    text = bech32_encode(hrp, data, encoding)
    assert bech32_decode(text) == (hrp, data, encoding)
    assert bech32_decode(text.upper()) == (hrp, data, encoding)


@given(strings(), st.data())
def test_one_substituted_data_character_is_always_detected(case, data):
    hrp, values, encoding = case
    text = bech32_encode(hrp, values, encoding)
    position = data.draw(st.integers(len(hrp) + 1, len(text) - 1), label="position")
    replacement = data.draw(st.sampled_from(CHARSET.replace(text[position], "")))
    changed = text[:position] + replacement + text[position + 1 :]
    try:
        decoded = bech32_decode(changed)
    except DecodeError as error:
        assert error.code == "decode-bad-checksum"
    else:  # pragma: no cover - this would break BIP173's guarantee
        raise AssertionError(f"{changed!r} decoded to {decoded}")


@given(st.binary(max_size=64))
def test_convert_bits_round_trip(data):
    five = convert_bits(data, 8, 5, pad=True)
    assert all(0 <= value < 32 for value in five)
    assert bytes(convert_bits(five, 5, 8, pad=False)) == data


@given(hrps.filter(lambda hrp: len(hrp) <= 83 - 65), witness_programs())
def test_segwit_address_round_trip(hrp, program):
    version, witness_program = program
    address = encode_segwit_address(hrp, version, witness_program)
    assert decode_segwit_address(hrp, address) == (version, witness_program)
    expected = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    assert bech32_decode(address)[2] is expected


@given(networks, st.binary(min_size=20, max_size=20), st.binary(min_size=32, max_size=32))
def test_every_standard_script_with_an_address_round_trips(network, hash20, hash32):
    for script in (p2pkh(hash20), p2sh(hash20), p2wpkh(hash20), p2wsh(hash32)):
        address = script_pubkey_to_address(script, network=network)
        assert address is not None
        assert address_to_script_pubkey(address, network=network) == script


@given(networks, witness_programs())
def test_witness_programs_of_every_version_round_trip(network, program):
    version, witness_program = program
    opcode = 0 if version == 0 else 0x50 + version
    script = bytes([opcode, len(witness_program)]) + witness_program
    address = script_pubkey_to_address(script, network=network)
    assert address_to_script_pubkey(address, network=network) == script


@settings(max_examples=300)
@given(networks, st.one_of(st.text(max_size=120), st.text(alphabet=CHARSET + "1bcrt", max_size=95)))
def test_any_text_is_an_address_or_a_decode_error(network, text):
    try:
        script = address_to_script_pubkey(text, network=network)
    except DecodeError as error:
        assert error.code.startswith("decode-")
    else:
        assert script_pubkey_to_address(script, network=network) in (text, text.lower())
