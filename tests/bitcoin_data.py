"""Real Bitcoin data used as oracles, with where each value comes from.

Every value here can be checked against any block explorer or a Bitcoin Core node
(``bitcoin-cli getblockheader <hash> false``).  The tests do not trust them blindly: the
header hash of each block is recomputed from its fields and must equal the published id,
which in turn pins the Merkle root, which pins the transaction ids.
"""

# Block 0 (genesis), from Bitcoin Core's chainparams.cpp (CreateGenesisBlock).
GENESIS = {
    "id": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    "version": 1,
    "prev_hash": "00" * 32,
    "merkle_root": "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
    "timestamp": 1231006505,
    "bits": 0x1D00FFFF,
    "nonce": 2083236893,
    "txids": ["4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"],
}

# Block 100000, a block with four transactions (a common textbook example).
BLOCK_100000 = {
    "id": "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506",
    "version": 1,
    "prev_hash": "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250",
    "merkle_root": "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
    "timestamp": 1293623863,
    "bits": 0x1B04864C,
    "nonce": 274148111,
    "txids": [
        "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
        "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
        "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
        "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
    ],
}

# The genesis header's raw 80 bytes as hex (what `getblockheader ... false` prints).
GENESIS_HEADER_HEX = (
    "0100000000000000000000000000000000000000000000000000000000000000"
    "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa"
    "4b1e5e4a29ab5f49ffff001d1dac2b7c"
)
