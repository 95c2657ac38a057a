"""Drive a real `kiwoom run` process: its JSON lines are read as they come and waited on, never slept on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading

from tests.kit.cli import kiwoom_exe
from tests.kit.helpers import wait_until

# Mock mode's defaults (window 09:00-15:20, liquidate_at 15:15) would make these tests depend on the hour.
ANY_HOUR = ("--window", "false", "--liquidate-at", "false")


class Run:
    """One `kiwoom run ...` child process; stdout JSON lines collected by a reader thread."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        full_env = dict(os.environ, **(env or {}))
        self.proc = subprocess.Popen([kiwoom_exe(), "run", *map(str, args)], env=full_env, text=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[dict] = []
        self.raw: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._readers:
            t.start()

    def _read_out(self) -> None:
        for line in self.proc.stdout:
            self.raw.append(line)
            self.lines.append(json.loads(line))  # a line that is not JSON fails the test at the end

    def _read_err(self) -> None:
        for line in self.proc.stderr:
            self.err.append(line)

    # ------------------------------------------------------------------ waiting

    def matching(self, kind: str, **fields) -> list[dict]:
        return [x for x in list(self.lines) if x.get("kind") == kind
                and all(x.get(k) == v for k, v in fields.items())]

    def wait_for(self, kind: str, timeout: float = 15.0, count: int = 1, **fields) -> list[dict]:
        """Wait until `count` lines of this kind (with these fields) have been printed; return them."""
        def seen():
            if self.proc.poll() is not None and len(self.matching(kind, **fields)) < count:
                self._join_readers()
                if len(self.matching(kind, **fields)) < count:
                    raise AssertionError(f"run exited {self.proc.returncode} before {kind} {fields}: "
                                         f"{''.join(self.err)[-2000:]}")
            found = self.matching(kind, **fields)
            return found if len(found) >= count else None
        return wait_until(seen, timeout=timeout, message=f"{count} x {kind} {fields}")

    def wait_exit(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self._join_readers()
        return code

    def _join_readers(self) -> None:
        for t in self._readers:
            t.join(timeout=10)

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._join_readers()

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def summary(self) -> dict:
        found = self.matching("summary")
        assert len(found) == 1, f"expected one summary line, got {len(found)}; stderr: {self.stderr[-2000:]}"
        return found[0]

