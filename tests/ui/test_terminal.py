"""`kiwoom run`'s dashboard in a real terminal (docs/decisions.md §11): tmux at 80 and 160 columns.

The simulator runs in this process; `kiwoom run` runs in a shell inside a private tmux server, in
mock mode pointed at the simulator. Keys go in with send-keys, the screen comes back with
capture-pane, every check waits on the screen's content. Without tmux this FAILS: `.ci/run`
installs it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.kit.helpers import wait_until
from tests.kit.sim import running_sim

BUY_COND, SELL_COND = "거래량 급증", "단기 과열(매도)"  # the simulator's conditions 1 and 2
PROMPT = "READY> "


class Tmux:
    """One tmux server of our own (-L), one session running an interactive shell."""

    def __init__(self, width: int, height: int, env: dict[str, str], cwd: Path) -> None:
        self.server = f"kiwoom-test-{uuid.uuid4().hex[:10]}"
        assigns = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
        self.tmux("new-session", "-d", "-s", "run", "-x", str(width), "-y", str(height), "-c", str(cwd),
                  f"env {assigns} bash --norc --noprofile")
        try:
            wait_until(lambda: PROMPT.rstrip() in self.screen(), timeout=10, message="shell prompt")
        except BaseException:
            self.close()
            raise

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.server, *args], capture_output=True, text=True, timeout=10,
                              check=False)
        if done.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "run")

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "run", "-l", text)

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "run", *keys)

    def flag(self, name: str) -> str:
        return self.tmux("display-message", "-p", "-t", "run", f"#{{{name}}}").strip()

    def wait(self, predicate, message: str, timeout: float = 15.0) -> str:
        """Wait until predicate(screen) holds; fail showing the screen."""
        def ready() -> str | None:
            screen = self.screen()
            return screen if predicate(screen) else None

        try:
            return wait_until(ready, timeout, message)
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- screen ---\n{self.screen()}") from None

    def close(self) -> None:
        """Kill our tmux server and remove its socket file (tmux may leave it behind)."""
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True, timeout=10, check=False)
        path = self.tmux_socket()
        if path is not None:
            path.unlink(missing_ok=True)

    def tmux_socket(self) -> Path | None:
        base = os.environ.get("TMUX_TMPDIR") or "/tmp"
        path = Path(base) / f"tmux-{os.getuid()}" / self.server
        return path if path.exists() else None


def positions(screen: str) -> list[str]:
    lines = screen.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("─ Positions")), None)
    if start is None:
        return []
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("─ ")), len(lines))
    return lines[start + 2:end]


def holds(screen: str, code: str) -> bool:
    return any(line.startswith(code) for line in positions(screen))


@pytest.fixture(scope="module")
def tmux_bin() -> str:
    path = shutil.which("tmux")
    if path is None:
        pytest.fail("tmux is required for the dashboard tests (docs/decisions.md §11): .ci/run installs it")
    return path


@pytest.mark.parametrize("width,height", [(80, 30), (160, 40)], ids=["80x30", "160x40"])
def test_kiwoom_run_dashboard_in_tmux(tmux_bin, tmp_path, width, height):
    home = tmp_path / "home"
    home.mkdir()
    with running_sim() as sim:
        sim.set_price("005930", 97_500)
        env = {
            "KIWOOM_MODE": "mock", "KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
            "KIWOOM_APPKEY": "tmux-test-app-key-0123456789", "KIWOOM_SECRETKEY": "tmux-test-secret-0123456789",
            "KIWOOM_HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PS1": PROMPT,
        }
        term = Tmux(width, height, env, home)
        try:
            _drive(term, sim)
        finally:
            term.close()


def _drive(term: Tmux, sim) -> None:
    command = [sys.executable, "-m", "kiwoom_cli", "run", "--buy-cond", BUY_COND, "--sell-cond", SELL_COND,
               "--window", "false", "--liquidate-at", "false"]  # mock mode liquidates at 15:15 KST
    term.type(" ".join(shlex.quote(part) for part in command))
    term.press("Enter")

    # header: mode, condition names, socket and REST health; on the alternate screen
    # (a capture can catch a redraw half-way: wait for the whole first frame, header to footer)
    screen = term.wait(lambda s: "socket ● up" in s and " MOCK " in s and "KST" in s and "q quit" in s,
                       "header and footer")
    assert "REST ● ok" in screen and "Positions (0)" in screen
    assert term.flag("alternate_on") == "1"

    # a condition entry is bought and appears with its name and quantity; a new price is drawn
    sim.push_condition("1", "005930", "I")
    screen = term.wait(lambda s: holds(s, "005930"), "005930 bought")
    row = next(line for line in positions(screen) if line.startswith("005930"))
    assert "삼성전자" in row and " 10 " in row
    assert f"[{BUY_COND}]" in screen  # the condition event, with its name
    sim.set_price("005930", 97_700)
    term.wait(lambda s: any("97,700" in line for line in positions(s) if line.startswith("005930")),
              "new price drawn")

    # p pauses buying (and p again resumes)
    term.press("p")
    term.wait(lambda s: "PAUSED" in s.split("\n")[0], "paused marker")
    term.press("p")
    term.wait(lambda s: "PAUSED" not in s.split("\n")[0] and "resuming" in s, "resumed")

    sim.push_condition("1", "000660", "I")
    term.wait(lambda s: holds(s, "000660") and "Positions (2)" in s, "second position")

    # s CODE Enter sells that one position
    term.press("s")
    term.type("005930")
    term.wait(lambda s: "sell which code? 005930" in s, "sell prompt")
    term.press("Enter")
    screen = term.wait(lambda s: not holds(s, "005930") and holds(s, "000660"), "005930 sold")
    assert "manual" in screen

    # x asks, y sells everything
    term.press("x")
    term.wait(lambda s: "Sell ALL 1 position(s)" in s, "sell-all confirmation")
    term.press("y")
    term.wait(lambda s: "Positions (0)" in s, "all sold")

    # q ends the run: alternate screen left, the summary printed, the shell prompt back
    term.press("q")
    term.wait(lambda s: "run ended" in s and s.rstrip().endswith(PROMPT.rstrip()), "shell prompt back", 20)
    assert term.flag("alternate_on") == "0"
    assert term.flag("pane_current_command") == "bash"  # the process is gone
    term.type("printf 'STTY:%s\\n' \"$(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo"
              " | tr '\\n' ' ')\"")
    term.press("Enter")
    screen = term.wait(lambda s: "STTY:icanon" in s or "STTY:-" in s, "stty output")
    assert "STTY:icanon echo" in screen  # cooked mode and echo restored
