"""block.py: real Bitcoin headers parse, hash and serialize back to the same bytes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.block import Block, BlockHeader
from edu_chain.errors import DecodeError
from edu_chain.hashing import from_display_hex, sha256d
from edu_chain.pow import bits_to_target
from tests.bitcoin_data import BLOCK_100000, GENESIS, GENESIS_HEADER_HEX
from tests.oracles import header_from_fields


@pytest.mark.parametrize("block", [GENESIS, BLOCK_100000], ids=["genesis", "block-100000"])
def test_real_header_rebuilt_from_fields_hashes_to_its_id(block):
    header = header_from_fields(block)
    assert header.id == block["id"]
    assert header.hash() == from_display_hex(block["id"])
    assert header.hash_int() <= bits_to_target(header.bits)  # meets its own proof-of-work


def test_genesis_raw_bytes_round_trip():
    raw = bytes.fromhex(GENESIS_HEADER_HEX)
    header = BlockHeader.parse(raw)
    assert header == header_from_fields(GENESIS)
    assert header.serialize() == raw
    assert BlockHeader.from_hex(GENESIS_HEADER_HEX) == header


headers = st.builds(
    BlockHeader,
    version=st.integers(-(2**31), 2**31 - 1),
    prev_hash=st.binary(min_size=32, max_size=32),
    merkle_root=st.binary(min_size=32, max_size=32),
    timestamp=st.integers(0, 2**32 - 1),
    bits=st.integers(0, 2**32 - 1),
    nonce=st.integers(0, 2**32 - 1),
)


@given(headers)
def test_parse_serialize_round_trip(header):
    raw = header.serialize()
    assert len(raw) == 80
    assert BlockHeader.parse(raw) == header
    assert header.hash() == sha256d(raw)


@pytest.mark.parametrize("size", [0, 79, 81, 160])
def test_wrong_header_length_is_a_decode_error(size):
    with pytest.raises(DecodeError) as info:
        BlockHeader.parse(b"\x00" * size)
    assert info.value.code == "decode-bad-length"
    assert "80 bytes" in info.value.message


@pytest.mark.parametrize(
    ("field", "value"),
    [("prev_hash", b"\x00" * 31), ("nonce", 2**32), ("timestamp", -1), ("version", 2**31)],
)
def test_out_of_range_fields_are_refused(field, value):
    fields = header_from_fields(GENESIS).__dict__ | {field: value}
    with pytest.raises(ValueError):
        BlockHeader(**fields)


class _FakeTx:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def txid(self) -> bytes:
        return sha256d(self.payload)

    def serialize(self) -> bytes:
        return bytes([len(self.payload)]) + self.payload


def _parse_fake(reader):
    return _FakeTx(reader.read(reader.read(1)[0]))


def test_block_build_commits_to_its_transactions_and_round_trips():
    txs = [_FakeTx(bytes([i]) * (i + 1)) for i in range(3)]
    block = Block.build(header_from_fields(GENESIS), txs)
    assert block.header.merkle_root == block.compute_merkle_root()
    parsed = Block.parse(block.serialize(), _parse_fake)
    assert parsed.header == block.header
    assert parsed.txids() == block.txids()
    with pytest.raises(DecodeError):
        Block.parse(block.serialize() + b"\x00", _parse_fake)


def test_block_refuses_what_is_not_a_header_or_a_transaction():
    header = header_from_fields(GENESIS)
    with pytest.raises(TypeError, match="header must be a BlockHeader"):
        Block(header.serialize(), ())
    with pytest.raises(TypeError, match="transaction 1"):
        Block(header, (_FakeTx(b"a"), b"raw bytes"))
