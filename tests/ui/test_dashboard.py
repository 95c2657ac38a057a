"""The dashboard on a real engine and simulator: redraws follow changes, never a beat; keys; quit;
and on a publisher that holds nothing but a snapshot: the UI renders snapshots only."""

from __future__ import annotations

import io
import threading
import time

from rich.console import Console

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.facts import Turn
from kiwoom_cli.core.recent import Recent
from kiwoom_cli.models import Tick
from tests.kit.helpers import wait_until
from kiwoom_cli.ui.board import BoardView, render_board
from kiwoom_cli.ui.dashboard import Dashboard
from kiwoom_cli.ui.keys import KeyPad
from tests.kit.core import Driver, entry, settings, tick
from tests.ui.conftest import BoardThread
from tests.ui.samples import NAMES, info

FLOOR_S = 0.25  # at most 4 redraws a second (docs/decisions.md §9)


def positions(frame: str) -> list[str]:
    lines = frame.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("─ Positions")), None)
    if start is None:
        return []
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("─ ")), len(lines))
    return lines[start + 2:end]


def idle_turns(engine, events, count: int) -> None:
    """Give the engine `count` turns with nothing to change; return when it has finished the last."""
    for _ in range(count):
        turns = events.turns
        engine.put(ev.Idle())
        events.wait_turns(turns + 1)


def buy_one(sim, engine, board: BoardThread, code: str = "005930") -> None:
    sim.push_condition("1", code, "I")
    wait_until(lambda: any(line.startswith(code) for line in positions(board.last)), timeout=10,
               message=f"{code} bought and drawn")
    wait_until(board.quiet, timeout=10, message="dashboard caught up")


def test_a_burst_of_500_ticks_costs_one_or_two_redraws(rig):
    sim, engine, _ = rig
    engine.start()
    board = BoardThread(engine)
    buy_one(sim, engine, board)
    mark = engine.latest.marks["005930"]
    before = len(board.full)
    final = mark.price + 700  # +0.7 %: no exit rule fires
    for i in range(500):
        price = final if i == 499 else mark.price + (i % 5) * 100
        engine.put(Tick("005930", price, price - mark.base, 0.0, 1, 1000 + i, "100000", time.monotonic()))
    wait_until(lambda: f"{final:,}" in "\n".join(positions(board.last)), timeout=10, message="last tick drawn")
    wait_until(board.quiet, timeout=10, message="dashboard caught up")
    assert len(board.full) > before  # the burst was drawn ...
    gaps = [b - a for a, b in zip(board.full_at[before - 1:], board.full_at[before:])]
    assert min(gaps) >= FLOOR_S - 0.005, gaps  # ... in redraws at least the floor apart, never one per tick
    assert "hop " in board.last  # latency from the ticks' receive time
    engine.put(ev.StopRun())
    board.thread.join(10)
    assert board.result == ["stopped"]


def test_an_idle_engine_causes_no_redraw_until_something_changes(rig):
    _, engine, events = rig
    engine.start()
    board = BoardThread(engine)
    wait_until(lambda: "socket ● up" in board.last, timeout=10, message="first frame")
    wait_until(board.quiet, timeout=10, message="dashboard caught up")
    before = len(board.full)
    idle_turns(engine, events, 50)  # 50 turns of the engine's loop with nothing to change
    assert len(board.full) == before and board.quiet()
    assert not engine.changed.is_set()
    engine.put(ev.Pause())  # a real change: drawn
    wait_until(lambda: "PAUSED" in board.last.split("\n")[0], timeout=5, message="paused drawn")
    wait_until(board.quiet, timeout=10, message="dashboard caught up")
    assert len(board.full) > before
    drawn = len(board.full)
    idle_turns(engine, events, 50)  # and once it is drawn, nothing more without a change
    assert len(board.full) == drawn and board.quiet()
    engine.put(ev.StopRun())
    board.thread.join(10)


def test_engine_publishes_on_change_only_when_asked_so(rig):
    _, engine, events = rig
    engine.start()
    wait_until(lambda: engine.latest is not None, message="first snapshot")
    wait_until(lambda: engine.version == engine._published, timeout=10, message="settled")
    engine.changed.clear()
    engine.request_snapshot(if_changed=True)
    idle_turns(engine, events, 10)
    assert not engine.changed.is_set()  # nothing changed: nothing published
    engine.put(ev.Pause())
    assert engine.changed.wait(5) and engine.latest.paused
    first = engine.latest
    engine.changed.clear()
    engine.request_snapshot()  # the plain request still answers at once (tests, headless)
    assert engine.changed.wait(5) and engine.latest is not first
    engine.stop()


def test_keys_pause_and_quit_through_the_dashboard(rig):
    _, engine, _ = rig
    engine.start()
    board = BoardThread(engine)
    wait_until(lambda: "socket ● up" in board.last, timeout=10, message="first frame")
    board.dash._on_text("p")
    wait_until(lambda: "PAUSED" in board.last, timeout=5, message="paused")
    assert engine.latest.paused
    board.dash._on_text("x")  # nothing held: a notice, no prompt
    wait_until(lambda: "no positions to sell" in board.last, timeout=5, message="notice")
    board.dash._on_text("q")
    board.thread.join(10)
    assert board.result == ["stopped"] and engine.done.is_set()


def test_the_clock_beat_repaints_only_the_header_when_idle(rig):
    _, engine, _ = rig
    engine.start()
    board = BoardThread(engine, clock_beat=True)
    wait_until(lambda: "socket ● up" in board.last, timeout=10, message="first frame")
    wait_until(board.quiet, timeout=10, message="dashboard caught up")
    before = len(board.full)
    wait_until(lambda: sum(1 for kind, _ in board.paints if kind == "clock") >= 2, timeout=5,
               message="two clock beats")
    assert len(board.full) == before  # the beats were not full redraws
    clock = next(text for kind, text in reversed(board.paints) if kind == "clock")
    assert "KST" in clock and len(clock.split("\n")) == 2
    assert "\x1b[1;1H" in board.out.getvalue()
    engine.put(ev.StopRun())
    board.thread.join(10)


def section(frame: str, title: str) -> list[str]:
    lines = frame.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith(f"─ {title}")), None)
    if start is None:
        return []
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("─ ")), len(lines))
    return lines[start + 1:end]


def test_a_sell_condition_entry_shows_no_buy_made_later_on_the_buy_condition(rig):
    sim, engine, _ = rig
    engine.start()
    board = BoardThread(engine)
    sim.push_condition("2", "005930", "I")  # not held: nothing to sell
    wait_until(lambda: any("[seq 2]" in line for line in section(board.last, "Condition events")), timeout=10,
               message="sell-condition entry drawn")
    buy_one(sim, engine, board)  # then the buy condition: bought after a quote
    rows = section(board.last, "Condition events")
    sell = next(line for line in rows if "[seq 2]" in line)
    buy = next(line for line in rows if "[seq 1]" in line)
    assert "005930" in sell and "buy" not in sell
    assert "005930" in buy and "buy: " in buy
    engine.put(ev.StopRun())
    board.thread.join(10)


class Published:
    """All the dashboard may read of an engine: the published snapshot, two events, a clock, a queue."""

    __slots__ = ("latest", "changed", "done", "clock", "exit_reason", "events", "asked")

    def __init__(self, snap, clock) -> None:
        self.latest, self.clock, self.exit_reason = snap, clock, ""
        self.changed, self.done = threading.Event(), threading.Event()
        self.events: list = []
        self.asked = 0

    def put(self, event) -> None:
        self.events.append(event)

    def request_snapshot(self, if_changed: bool = False) -> None:
        self.asked += 1


def test_the_dashboard_draws_from_the_published_snapshot_alone(tmp_path):
    d = Driver(tmp_path / "journal.sqlite3", settings())
    d.buy("005930", 71_200)
    d.feed(tick("005930", 74_000))  # armed: the stop shown is the trailing trigger
    recent = Recent(NAMES)
    recent.consume(Turn(d.clock.now(), (entry("000660"), ev.Decision("buy_cond", "000660", "deny", "max positions"))))
    snap = d.state.snapshot(d.settings, recent)
    publisher = Published(snap, d.clock)
    run_info = info(settings=d.settings)
    frames: list[str] = []
    console = Console(file=io.StringIO(), width=160, height=30, force_terminal=True, color_system="truecolor")
    dash = Dashboard(publisher, run_info, console=console, on_render=lambda kind, f: frames.append(f.plain),
                     read_keys=False, clock_beat=False)
    result: list = []
    thread = threading.Thread(target=lambda: result.append(dash.run()), daemon=True)
    thread.start()
    wait_until(lambda: frames, timeout=10, message="first frame")
    d.feed(tick("005930", 60_000))  # the live state moves on: the frame is the snapshot's
    expected = render_board(BoardView(snapshot=snap, info=run_info, now=d.clock.now(),
                                      footer=tuple(KeyPad().footer(snap))), 160, 30).plain
    assert frames[0] == expected
    assert "73,200" in expected and "deny: max positions" in expected and "[급등주]" in expected
    dash._on_text("p")
    wait_until(lambda: len(frames) >= 2, timeout=10, message="redrawn after a key")
    publisher.done.set()
    publisher.changed.set()
    thread.join(10)
    assert result == ["stopped"] and publisher.events == [ev.Pause()]
    d.close()
