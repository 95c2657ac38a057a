"""Ctrl-C while an order is in flight: the outcome is unknown (exit 5), never a silent 130."""

from __future__ import annotations

import os
import signal
import subprocess

from tests.kit.cli import kiwoom, kiwoom_exe
from tests.kit.helpers import wait_until


def test_ctrl_c_during_an_order_request_exits_5_and_says_check_orders(sim, mock_env):
    sim.call(lambda: setattr(sim.ctx.faults, "delay_order_s", 30.0))
    sim.fault("delay_order", 1)  # the simulator takes the order, then holds its answer
    proc = subprocess.Popen([kiwoom_exe(), "order", "buy", "005930", "1", "--market", "--wait", "0"],
                            env=dict(os.environ, **mock_env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: sim.order_log, timeout=20, message="the order reached the simulator")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 5, (out, err)
    assert "kiwoom orders" in err and "never resend" in err
    # `kiwoom orders` finds it in the broker's lists (the simulator filled it while holding the answer)
    # and journals it as placed, so it stops warning; nothing is ever resent.
    import json

    shown = kiwoom("orders", "--json")
    assert shown.code == 0
    doc = json.loads(shown.out)
    placed = sim.order_log[0]["result"]["ord_no"]
    assert [s["order_no"] for s in doc["settled"]] == [placed] and doc["unknown_outcomes"] == []
    again = kiwoom("orders")
    assert again.code == 0 and "no answer came" not in again.err
    assert len(sim.order_log) == 1
