"""Shared test configuration: Hypothesis profiles (CI runs the 'ci' profile), the OS sandbox."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def os_sandbox():
    """The bubblewrap isolation, or a skip saying why it does not work here.

    In CI (``CI`` or ``EDUCHAIN_REQUIRE_BWRAP=1``, set by ``.ci/run``, which installs
    bubblewrap) a missing or broken sandbox is a failure, never a skip.
    """
    from edu_chain.grading.sandbox import IsolationError, resolve_isolation

    try:
        return resolve_isolation("os")
    except IsolationError as exc:
        if os.environ.get("CI") or os.environ.get("EDUCHAIN_REQUIRE_BWRAP") == "1":
            pytest.fail(f"the OS sandbox is required here: {exc}")
        pytest.skip(f"no OS sandbox on this machine: {exc}")
