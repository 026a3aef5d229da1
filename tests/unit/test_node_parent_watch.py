"""The parent watch behind ``educhain node --exit-with-parent`` (:func:`watch_parent`).

Oracle: ``os.getppid()`` itself.  A watch on our real parent must not fire (our parent is
alive: it is running this test); a watch on any other pid is, to the watcher, a parent that
has already died and been replaced, so it must fire exactly once.  The end-to-end behaviour
(a SIGKILLed owner, the nodes stop cleanly) is ``tests/functional/test_node_parent.py``.
"""

from __future__ import annotations

import os
import threading

from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.node.server import watch_parent


def test_a_living_parent_does_not_fire_and_the_watch_ends_when_stopped():
    fired = threading.Event()
    stopped = threading.Event()
    thread = watch_parent(os.getppid(), fired.set, stopped=stopped, interval=0.01)
    assert not fired.wait(0.1)
    stopped.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert not fired.is_set()
    assert thread.daemon  # never keeps a dying node alive


def test_a_changed_parent_fires_once():
    calls = []
    done = threading.Event()

    def orphaned() -> None:
        calls.append(os.getppid())
        done.set()

    not_our_parent = os.getppid() + 1
    thread = watch_parent(not_our_parent, orphaned, stopped=threading.Event(), interval=0.01)
    assert done.wait(5)
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert calls == [os.getppid()]


def test_node_help_documents_the_option():
    result = CliRunner().invoke(main, ["node", "--help"])
    assert result.exit_code == 0
    assert "--exit-with-parent" in result.output
    assert "--parent-pid" not in result.output  # internal: set by the testnet launcher


def test_the_testnet_passes_the_flag_and_its_own_pid_only_when_asked(tmp_path):
    from edu_chain.node.testnet import node_command

    owned = node_command(tmp_path, 8400, exit_with_parent=True)
    assert owned[-3:] == ["--exit-with-parent", "--parent-pid", str(os.getpid())]
    # `educhain testnet up` exits and leaves its nodes running: the default never asks.
    assert "--exit-with-parent" not in node_command(tmp_path, 8400)
