"""Real mode asks once before sending; pointed at the local simulator (http only to 127.0.0.1)."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest

from tests.kit.cli import kiwoom, kiwoom_exe
from tests.kit.sim import APP_KEY, SECRET


@pytest.fixture
def real_env(sim, monkeypatch):
    env = {"KIWOOM_MODE": "real", "KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
           "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def on_a_terminal(argv: list[str], answer: str) -> subprocess.CompletedProcess:
    """Run the real console script with a pseudo-terminal as stdin and type `answer`."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([kiwoom_exe(), *argv], stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        os.close(slave)
        slave = -1
        os.write(master, answer.encode())  # the terminal's line discipline holds it until read
        out, err = proc.communicate(timeout=60)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)


def test_no_terminal_and_no_yes_needs_confirmation(real_env, sim):
    ran = kiwoom("order", "buy", "005930", "1", "--market")
    assert ran.code == 2
    assert "needs confirmation" in ran.err and "--yes" in ran.err
    assert sim.order_log == []


def test_yes_sends_without_asking(real_env, sim):
    ran = kiwoom("order", "buy", "005930", "1", "--market", "--yes", "--wait", "0")
    assert ran.code == 0, ran.err
    assert [e["api_id"] for e in sim.order_log] == ["kt10000"]


def test_declining_at_the_prompt_sends_nothing(real_env, sim):
    proc = on_a_terminal(["order", "buy", "005930", "1", "--market"], "n\n")
    assert proc.returncode == 130, proc.stderr
    assert "kt10000 BUY" in proc.stderr and "005930" in proc.stderr and "market order" in proc.stderr
    assert "declined: nothing was sent" in proc.stderr
    assert sim.order_log == []


def test_accepting_at_the_prompt_sends_once(real_env, sim):
    proc = on_a_terminal(["order", "buy", "005930", "2", "--market", "--wait", "0"], "y\n")
    assert proc.returncode == 0, proc.stderr
    assert "Send this order?" in proc.stderr and "accepted" in proc.stdout
    assert [(e["api_id"], e["body"]["ord_qty"]) for e in sim.order_log] == [("kt10000", "2")]


def test_cancel_in_real_mode_asks_too(real_env, sim):
    lower = sim.call(lambda: sim.ctx.exchange.instrument("005930")).lower_limit
    assert kiwoom("order", "buy", "005930", "1", "--price", str(lower), "--yes", "--wait", "0").code == 0
    order_no = sim.order_log[0]["result"]["ord_no"]
    ran = kiwoom("order", "cancel", order_no)
    assert ran.code == 2 and "needs confirmation" in ran.err
    assert len(sim.order_log) == 1
    assert kiwoom("order", "cancel", order_no, "--yes").code == 0
    assert [e["api_id"] for e in sim.order_log] == ["kt10000", "kt10003"]


def test_real_mode_refuses_plain_http_beyond_this_machine(real_env, sim, monkeypatch):
    monkeypatch.setenv("KIWOOM_REST_URL", "http://example.com")
    ran = kiwoom("order", "buy", "005930", "1", "--market", "--yes")
    assert ran.code == 2 and "unencrypted" in ran.err
    assert sim.order_log == []
