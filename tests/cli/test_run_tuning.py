"""`kiwoom run` gives the interpreter back as it found it: its GC tuning (cli/runner.tune_gc) is
undone when run() returns, and it leaves the thread switch interval alone (issue #13 item 9)."""

from __future__ import annotations

import gc
import sys

from tests.kit.cli import kiwoom


def test_run_leaves_the_switch_interval_and_the_gc_as_they_were(mock_env, sim):
    interval, threshold = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(0.003)  # values of our own, so "as they were" is not Python's defaults by chance
    gc.set_threshold(555, 11, 12)
    assert gc.get_freeze_count() == 0
    try:
        ran = kiwoom("run", "--buy-cond", "1", "--window", "false", "--headless", "--until", "+1s")
        assert ran.code == 0, ran.err
        assert '"kind": "start"' in ran.out or '"kind":"start"' in ran.out  # it ran, and tuned, before it ended
        assert sys.getswitchinterval() == 0.003
        assert gc.get_threshold() == (555, 11, 12)
        assert gc.get_freeze_count() == 0
    finally:
        sys.setswitchinterval(interval)
        gc.unfreeze()
        gc.set_threshold(*threshold)
