"""Shared parts of benchmarks/drills.py: an isolated place, a simulator, `kiwoom run` processes. Not a test.

Every drill runs real `kiwoom run --headless` processes (tests/run/runkit.py's Run) in mock mode against
an in-process SimServer on 127.0.0.1, port 0, with its own KIWOOM_HOME. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kit.cli import mock_env  # noqa: E402
from tests.kit.run import ANY_HOUR, Run  # noqa: E402

SEQ = "1"
BUY_AMOUNT = 2_000_000  # above the dearest listed stock's price: every code can be bought
# Every condition entry is a fresh code; the static market never moves, so no exit rule fires.
RUN_ARGS = ("--buy-cond", SEQ, "--buy-amount", str(BUY_AMOUNT), "--max-positions", "100",
            "--max-order-value", "false", *ANY_HOUR)


def isolate(workdir: Path) -> None:
    """Never touch the user's state or settings: no KIWOOM_* variables, an empty settings file, cwd here."""
    for key in [k for k in os.environ if k.startswith("KIWOOM_")]:
        del os.environ[key]
    empty = workdir / "kiwoom.toml"
    empty.write_text("", encoding="utf-8")
    os.environ["KIWOOM_CONFIG"] = str(empty)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    os.chdir(workdir)


def wait(pred, timeout: float, step: float = 0.02):
    """Poll pred() until it is truthy (return it) or the bound passes (return None)."""
    end = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() >= end:
            return value
        time.sleep(step)


class Place:
    """One simulator and one KIWOOM_HOME: a drill's world. Codes are handed out once each."""

    def __init__(self, root: Path, name: str, *, rate_limit=None) -> None:
        from kiwoom_cli.sim.domain import SimConfig
        from kiwoom_cli.sim.server import SimServer

        self.home = root / name
        self.home.mkdir(parents=True)
        # cash for 40 market buys reserved at the upper limit (+30 %) of BUY_AMOUNT each
        self.sim = SimServer(SimConfig(rate_limit=rate_limit, static=True, seed=7, cash=1_000_000_000)).start()
        self.runs: list[Run] = []
        self._codes = self.sim.call(lambda: [s.code for s in self.sim.ctx.exchange.instruments()])

    def close(self) -> None:
        for run in self.runs:
            run.kill()
        self.sim.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ simulator

    def codes_left(self) -> int:
        return len(self._codes)

    def fresh_code(self) -> str | None:
        return self._codes.pop(0) if self._codes else None

    def control(self, path: str, body: dict) -> dict:
        """POST to the simulator's control surface over HTTP, as a user's script would."""
        req = urllib.request.Request(self.sim.rest_url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def sim_orders(self) -> list[dict]:
        with urllib.request.urlopen(self.sim.rest_url + "/sim/orders", timeout=10) as resp:
            return json.loads(resp.read())

    def buys(self, code: str) -> list[dict]:
        """The buy orders the broker took for `code` (GET /sim/orders)."""
        return [o for o in self.sim_orders() if o["api_id"] == "kt10000" and o["body"].get("stk_cd") == code
                and isinstance(o["result"], dict) and o["result"].get("return_code") == 0]

    def holdings(self) -> dict[str, int]:
        """code -> shares held at the broker (every account of the simulator)."""
        def read():
            out: dict[str, int] = {}
            for account in self.sim.ctx.exchange._accounts.values():
                for code, h in account.holdings.items():
                    if h.qty > 0:
                        out[code] = out.get(code, 0) + h.qty
            return out
        return self.sim.call(read)

    def subscribed(self) -> bool:
        hub = self.sim._hub
        return self.sim.call(lambda: bool(hub.by_seq.get(SEQ)))

    # ------------------------------------------------------------------ runs

    def start(self, *extra: str) -> Run:
        env = {**mock_env(self.sim), "KIWOOM_HOME": str(self.home)}
        run = Run("--headless", *RUN_ARGS, *extra, env=env)
        self.runs.append(run)
        return run

    def start_ready(self, timeout: float = 30.0) -> Run | None:
        """A run that has subscribed to the buy condition, or None (it exited or took too long)."""
        run = self.start()
        ok = wait(lambda: run.proc.poll() is not None or (run.matching("start") and self.subscribed()), timeout)
        return run if ok and run.proc.poll() is None else None

    @staticmethod
    def stop(run: Run, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; the exit code (None: it had to be killed)."""
        if run.proc.poll() is None:
            run.signal()
        with contextlib.suppress(Exception):
            return run.wait_exit(timeout)
        run.kill()
        return None


def placed(run: Run, code: str) -> bool:
    return bool(run.matching("order", code=code, action="place"))


def temp_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="kiwoom-drills-"))
