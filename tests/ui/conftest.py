"""A real Engine on the simulator (real REST + WebSocket clients on 127.0.0.1) with a dashboard thread."""

from __future__ import annotations

import datetime as dt
import io
import queue
import threading
import time

import pytest
from rich.console import Console

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.ui.dashboard import Dashboard
from tests.kit.engine import engine_on
from tests.kit.sim import running_sim
from tests.ui.samples import info


class CountingQueue(queue.SimpleQueue):
    """The engine's queue, counting the engine's blocking gets: the engine comes back to one after
    each turn of its loop (docs/architecture.md §2, Turns), so `turns` counts the turns it finished."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = 0
        self._turned = threading.Condition()

    def get(self, block=True, timeout=None):
        with self._turned:
            self.turns += 1
            self._turned.notify_all()
        return super().get(block, timeout)

    def wait_turns(self, n: int, timeout: float = 10.0) -> None:
        """Block (on the queue's condition, not polling) until the engine has come back for its n-th get."""
        with self._turned:
            assert self._turned.wait_for(lambda: self.turns >= n, timeout), f"engine turn {n}: at {self.turns}"


class BoardThread:
    """Dashboard.run() on a thread, drawing into a string; records every paint (kind, plain text)."""

    def __init__(self, engine: Engine, *, clock_beat: bool = False, width: int = 80, height: int = 30) -> None:
        self.out = io.StringIO()
        console = Console(file=self.out, width=width, height=height, force_terminal=True,
                          color_system="truecolor")
        self.paints: list[tuple[str, str]] = []
        self.full_at: list[float] = []  # time.monotonic() of each full paint, for the floor between two
        self.dash = Dashboard(engine, info(mode="sim", settings=engine.kernel.settings), console=console,
                              on_render=self._painted, read_keys=False, clock_beat=clock_beat)
        self.result: list = []
        self.thread = threading.Thread(target=lambda: self.result.append(self.dash.run()), daemon=True)
        self.thread.start()

    def _painted(self, kind: str, frame) -> None:
        if kind == "full":
            self.full_at.append(time.monotonic())
        self.paints.append((kind, frame.plain))

    @property
    def full(self) -> list[str]:
        return [text for kind, text in self.paints if kind == "full"]

    @property
    def last(self) -> str:
        full = self.full
        return full[-1] if full else ""

    def quiet(self) -> bool:
        """Everything the engine did is published, and the last publish is on screen."""
        engine = self.dash.engine
        return (engine.version == engine._published and self.dash.drawn is engine.latest
                and not engine.changed.is_set())


@pytest.fixture
def rig(tmp_path):
    with running_sim() as sim:
        events = CountingQueue()
        with engine_on(sim, tmp_path, events, prefix="u") as (engine, _journal):
            yield sim, engine, events


def kst_now() -> dt.datetime:
    return SystemClock().now()
