"""Functional tests: real node processes, real graders, notebooks (see harness.py)."""
