"""Run `kiwoom` in-process (exit codes as the console script returns them) or as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kiwoom_cli.cli.main import invoke
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer

APP_KEY = "test-app-key-0123456789"  # long: never a substring of an api-id or a message
SECRET = "test-secret-key-0123456789"


@dataclass
class Ran:
    code: int
    out: str
    err: str


def kiwoom(*argv: str, input: str | None = None) -> Ran:
    """Invoke the CLI in this process through main.invoke (the real exit-code mapping)."""
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _):
        code = invoke([str(a) for a in argv])
        sys.stdout.flush()
        sys.stderr.flush()
        return Ran(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8", "replace"))


def kiwoom_exe() -> str:
    """The installed console script (CI: on PATH after `pip install -e`)."""
    beside = Path(sys.executable).with_name("kiwoom")
    found = str(beside) if beside.exists() else shutil.which("kiwoom")
    if not found:
        pytest.fail("the `kiwoom` console script is not installed (pip install -e .)")
    return found


def kiwoom_proc(*argv: str, env: dict | None = None, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    """Run the real `kiwoom` console script in a child process (inherits the isolated KIWOOM_HOME)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([kiwoom_exe(), *map(str, argv)], env=full_env, capture_output=True, text=True,
                          check=False, timeout=timeout, **kw)


@pytest.fixture
def sim():
    """A static simulator (prices move only when told), rate limits off, on 127.0.0.1 port 0."""
    with SimServer(SimConfig(rate_limit=None, static=True, seed=7)) as server:
        yield server


@pytest.fixture
def mock_env(sim, monkeypatch):
    """Point mock mode at the test's simulator with fake keys (environment, as a user would)."""
    env = {"KIWOOM_MODE": "mock", "KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
           "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def instrument(sim, code: str = "005930"):
    """The simulator's view of a stock (price and limits) for computing expectations."""
    return sim.call(lambda: sim.ctx.exchange.instrument(code))
