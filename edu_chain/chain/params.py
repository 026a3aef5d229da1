"""Chain parameters: every consensus constant of a chain in one frozen dataclass.

Bitcoin Core keeps these in ``CChainParams`` (``src/kernel/chainparams.cpp``): one object per
network (main, testnet, regtest).  We do the same with two presets:

``ChainParams.edu_regtest()``  ("edu-regtest", docs/architecture.md#chain-rules)
    Real proof-of-work at a low target: the genesis needs about 2**24 hashes, a couple of
    seconds for one laptop core with the Numba miner (~10 MH/s) or ~15 s for the pure-Python
    reference.  Blocks every 10 s, a retarget every 10 blocks clamped to a factor of 4 so
    difficulty visibly reacts within a couple of minutes, a 50-coin reward halving every 150
    blocks, coinbase maturity 10 blocks.

``ChainParams.for_tests()``  ("unit-test")
    The same rules at a trivially easy target (about 2 hashes per block) so unit tests and
    notebooks mine with ``mine(..., backend="python")`` in microseconds, a maturity of 3 blocks
    and small size limits so the "too big" rules are cheap to trigger.

The genesis block is deterministic: fixed timestamp, fixed coinbase, and a nonce found once
and written below (``tests/unit/test_chain_params.py`` checks it still meets the target).
As in Bitcoin, the genesis coinbase is *not* added to the UTXO set: nobody can spend it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from edu_chain.block import Block, BlockHeader
from edu_chain.pow.target import bits_to_target
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import COIN, Transaction

GENESIS_MESSAGE = b"edu_chain genesis 2026-01-01: read the code, mine a block, break it, learn"
GENESIS_SCRIPT_PUBKEY = p2wpkh(bytes(20))  # no key hashes to twenty zero bytes: unspendable


@dataclass(frozen=True)
class ChainParams:
    """The consensus constants of one chain.  Two nodes agree only if these are equal."""

    name: str
    # Proof-of-work
    pow_limit_bits: int  # easiest target allowed (compact form); retargeting never goes above
    genesis_bits: int  # difficulty of the genesis block and of the first retarget window
    target_spacing: int  # seconds between blocks the retarget rule aims for
    retarget_interval: int  # blocks per difficulty window
    retarget_clamp: int  # a window may change difficulty by at most this factor either way
    # Time rules
    median_time_span: int  # blocks in the median-time-past window (Bitcoin: 11)
    max_future_drift: int  # seconds a timestamp may be ahead of the node's clock
    # Money
    initial_subsidy: int  # base units paid to the first blocks' coinbase
    halving_interval: int  # blocks between halvings of the subsidy
    coinbase_maturity: int  # confirmations before a coinbase output may be spent
    # Sizes (bytes of serialization)
    max_block_size: int
    max_tx_size: int
    # Genesis block
    genesis_timestamp: int
    genesis_nonce: int
    genesis_message: bytes = GENESIS_MESSAGE
    genesis_script_pubkey: bytes = GENESIS_SCRIPT_PUBKEY
    _cache: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.retarget_interval < 3:
            raise ValueError(
                f"retarget_interval must be at least 3 (see retarget.py), got "
                f"{self.retarget_interval}"
            )
        if self.retarget_clamp < 1:
            raise ValueError(f"retarget_clamp must be at least 1, got {self.retarget_clamp}")

    # --- presets --------------------------------------------------------------------------

    @classmethod
    def edu_regtest(cls) -> ChainParams:
        """The classroom testnet defaults (docs/architecture.md#chain-rules)."""
        return cls(
            name="edu-regtest",
            pow_limit_bits=0x1F00FFFF,  # ~65,000 hashes: the floor for slow pure-Python miners
            genesis_bits=0x1E00FFFF,  # ~16.8 million hashes: seconds with the Numba miner
            target_spacing=10,
            retarget_interval=10,
            retarget_clamp=4,
            median_time_span=11,
            max_future_drift=10 * 60,  # classroom laptops' clocks disagree by minutes
            initial_subsidy=50 * COIN,
            halving_interval=150,
            coinbase_maturity=10,
            max_block_size=1_000_000,
            max_tx_size=100_000,
            genesis_timestamp=1767225600,  # 2026-01-01 00:00:00 UTC
            genesis_nonce=EDU_REGTEST_GENESIS_NONCE,
        )

    @classmethod
    def for_tests(cls) -> ChainParams:
        """A trivially easy chain for unit tests: same rules, tiny numbers."""
        return cls(
            name="unit-test",
            pow_limit_bits=0x207FFFFF,  # target = 2**255 - ...: half of all hashes qualify
            genesis_bits=0x207FFFFF,
            target_spacing=10,
            retarget_interval=10,
            retarget_clamp=4,
            median_time_span=11,
            max_future_drift=10 * 60,
            initial_subsidy=50 * COIN,
            halving_interval=50,
            coinbase_maturity=3,
            max_block_size=20_000,
            max_tx_size=5_000,
            genesis_timestamp=1767225600,
            genesis_nonce=UNIT_TEST_GENESIS_NONCE,
        )

    @classmethod
    def by_name(cls, name: str) -> ChainParams:
        presets = {"edu-regtest": cls.edu_regtest, "unit-test": cls.for_tests}
        if name not in presets:
            raise ValueError(f"unknown chain {name!r}; known chains: {', '.join(presets)}")
        return presets[name]()

    # --- derived values -------------------------------------------------------------------

    @property
    def pow_limit(self) -> int:
        """The easiest target allowed, as a number."""
        return bits_to_target(self.pow_limit_bits)

    @property
    def target_timespan(self) -> int:
        """Seconds one retarget window should take: ``retarget_interval * target_spacing``."""
        return self.retarget_interval * self.target_spacing

    def block_subsidy(self, height: int) -> int:
        """New coins a block at ``height`` may create: halves every ``halving_interval``.

        >>> p = ChainParams.for_tests()
        >>> p.block_subsidy(0), p.block_subsidy(50), p.block_subsidy(100)
        (5000000000, 2500000000, 1250000000)
        """
        halvings = height // self.halving_interval
        return 0 if halvings >= 64 else self.initial_subsidy >> halvings

    # --- genesis --------------------------------------------------------------------------

    def genesis_coinbase(self) -> Transaction:
        """The genesis block's only transaction: it pays the unspendable all-zero key hash."""
        from edu_chain.chain.coinbase import coinbase_transaction

        return coinbase_transaction(
            0, self.genesis_script_pubkey, self.initial_subsidy, extra=self.genesis_message
        )

    def genesis_block(self, nonce: int | None = None) -> Block:
        """The first block, built the same way every time (``nonce`` overrides for mining)."""
        key = ("genesis", nonce)
        if key not in self._cache:
            header = BlockHeader(
                version=1,
                prev_hash=bytes(32),
                merkle_root=bytes(32),
                timestamp=self.genesis_timestamp,
                bits=self.genesis_bits,
                nonce=self.genesis_nonce if nonce is None else nonce,
            )
            self._cache[key] = Block.build(header, [self.genesis_coinbase()])
        return self._cache[key]

    @cached_property
    def genesis_hash(self) -> bytes:
        return self.genesis_block().hash()


def find_genesis_nonce(params: ChainParams, backend: str = "auto") -> int:
    """Mine the genesis block once (how the constants below were found)."""
    from edu_chain.pow import mine

    mined = mine(params.genesis_block(nonce=0).header, backend=backend)
    if mined is None:  # pragma: no cover - would need a new timestamp or message
        raise RuntimeError("no nonce in 0..2**32-1 meets the genesis target")
    return mined.nonce


# Found with find_genesis_nonce(); a test re-checks them against the target.
EDU_REGTEST_GENESIS_NONCE = 6677537
UNIT_TEST_GENESIS_NONCE = 0
