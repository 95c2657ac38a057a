"""Run `kiwoom` in-process (exit codes as the console script returns them) or as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from kiwoom_cli.cli.main import invoke
from kiwoom_cli.sim.server import SimServer
from tests.kit.sim import APP_KEY, SECRET


def mock_env(sim: SimServer, **extra: str) -> dict[str, str]:
    """Mock mode pointed at the test's simulator with the kit's keys, the way a user would point it
    at a server (environment variables)."""
    return {"KIWOOM_MODE": "mock", "KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
            "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET, **extra}


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
        raise AssertionError("the `kiwoom` console script is not installed (pip install -e .)")
    return found


def kiwoom_proc(*argv: str, env: dict | None = None, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    """Run the real `kiwoom` console script in a child process (inherits the isolated KIWOOM_HOME)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([kiwoom_exe(), *map(str, argv)], env=full_env, capture_output=True, text=True,
                          check=False, timeout=timeout, **kw)
