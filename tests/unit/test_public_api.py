"""The curated public API (docs/architecture.md#public-api) exists and __all__ matches it."""

from types import ModuleType

import edu_chain

FIXED = ["sha256d", "merkle_root", "bits_to_target", "target_to_bits", "BlockHeader", "mine"]


def test_fixed_names_are_exported():
    for name in FIXED:
        assert name in edu_chain.__all__
        assert callable(getattr(edu_chain, name))


def test_all_is_sorted_and_complete():
    # Submodules appear as attributes of the package once anything imports them; they are
    # reached by their own path, not re-exported, so only non-module names are compared.
    public = {
        name
        for name in dir(edu_chain)
        if not name.startswith("_") and not isinstance(getattr(edu_chain, name), ModuleType)
    }
    assert len(set(edu_chain.__all__)) == len(edu_chain.__all__)  # order: ruff's RUF022
    assert public | {"__version__"} == set(edu_chain.__all__)
