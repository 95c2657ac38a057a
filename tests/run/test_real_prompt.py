"""Real mode on a terminal (docs/decisions.md §7): the exposure is shown and the question asked once.

Runs in a private tmux server (docs/decisions.md §11: fails, not skips, without tmux) against the test's
simulator with fake keys, so no real money is anywhere near it.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import uuid

import pytest

from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import APP_KEY, SECRET


class Terminal:
    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is required for terminal tests (docs/decisions.md §11): .ci/run installs it")
        self.server = f"kiwoom-run-{uuid.uuid4().hex[:10]}"
        assigns = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
        line = f"env {assigns} {shlex.join(command)}; echo EXIT=$?; sleep 600"
        self.tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", line)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.server, *args], capture_output=True, text=True, timeout=10,
                              check=False)
        assert done.returncode == 0, f"tmux {args[0]}: {done.stderr}"
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait(self, text: str, timeout: float = 20.0) -> str:
        try:
            return wait_until(lambda: text in (s := self.screen()) and s, timeout, f"{text!r} on screen")
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- screen ---\n{self.screen()}") from None

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True, timeout=10, check=False)


@pytest.fixture
def real_terminal(sim, isolated_home, tmp_path):
    env = {"KIWOOM_MODE": "real", "KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
           "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET, "KIWOOM_HOME": str(isolated_home),
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "TERM": "xterm-256color"}
    command = [sys.executable, "-m", "kiwoom_cli", "run", "--buy-cond", "1", "--buy-amount", "2000000",
               "--max-positions", "3", "--max-daily-loss", "300000", *ANY_HOUR]
    terminal = Terminal(command, env)
    yield terminal
    terminal.close()


def test_declining_the_real_money_question_starts_nothing(real_terminal, sim):
    screen = real_terminal.wait("Start trading real money?")
    assert "REAL mode" in screen and "6,000,000 KRW" in screen and "300,000 KRW" in screen
    real_terminal.keys("n", "Enter")
    real_terminal.wait("EXIT=130")
    assert sim.request_log == []


def test_accepting_starts_the_dashboard_and_q_ends_with_0(real_terminal, sim):
    real_terminal.wait("Start trading real money?")
    real_terminal.keys("y", "Enter")
    real_terminal.wait("socket ● up")  # the dashboard of a run that logged in
    real_terminal.keys("q")
    screen = real_terminal.wait("EXIT=0")
    assert "run ended" in screen
