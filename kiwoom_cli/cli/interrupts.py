"""Ctrl-C and SIGTERM during `kiwoom run` (docs/architecture.md §2, Stopping)."""

from __future__ import annotations

import signal
import threading

from kiwoom_cli.core import events as ev


class Interrupts:
    """Ctrl-C and SIGTERM: before the engine runs they abort start-up; after, they ask it to stop."""

    def __init__(self) -> None:
        self.engine = None
        self.signal: int | None = None
        self._old: dict[int, object] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals are the main thread's (an embedding test drives stop itself)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()

    def _handle(self, signum, frame) -> None:
        self.signal = signum
        if self.engine is None:
            raise KeyboardInterrupt
        self.engine.put(ev.StopRun())  # SimpleQueue.put is safe from a signal handler
