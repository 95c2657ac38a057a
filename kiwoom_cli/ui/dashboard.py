"""The Rich dashboard of `kiwoom run`: Live on the alternate screen, keys, redraw on change only.

The calling thread is the dashboard thread. It blocks on the engine's `changed` event and redraws
from `engine.latest` (a frozen Snapshot that carries everything the frame shows: it reads nothing
else of the engine's) at most 1/FLOOR_S times a second, then asks for the next snapshot with
`request_snapshot(if_changed=True)`: the engine answers only when its state changed, so a burst of
500 ticks costs one or two redraws and an idle session none (docs/decisions.md §9; measured: Rich's
auto-refresh costs 14 % of a core idle; this path, Live(auto_refresh=False) + explicit refresh).

The one beat: the clock. Once a second the two header lines (clock, window, uptime, health) are
repainted alone (~0.2 ms, ~0.02 % of a core) instead of the whole frame (~1.5 ms, 0.15 % at 1/s:
over the 0.1 % idle budget). While orders are pending their ages tick, so that second is a full
redraw; pending orders are not idle.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable

from rich.console import COLOR_SYSTEMS, Console
from rich.live import Live
from rich.text import Text

from kiwoom_cli.core import events as ev
from kiwoom_cli.ui.board import BoardView, RunInfo, render_board, render_clock
from kiwoom_cli.ui.keys import KeyPad, split_keys
from kiwoom_cli.ui.terminal import KeyReader

__all__ = ["FLOOR_S", "Dashboard", "RunInfo", "run_dashboard"]

FLOOR_S = 0.25  # at most 4 redraws a second (docs/decisions.md §9)
STOP_WAIT_S = 30.0  # how long `q` / Ctrl-C waits for the engine to finish


def run_dashboard(engine, info: RunInfo, *, console: Console | None = None,
                  on_render: Callable[[str, Text], None] | None = None, read_keys: bool = True,
                  clock_beat: bool = True) -> str:
    """Show the dashboard until the engine is done or the user quits; return the exit reason.

    Ctrl-C (and SIGTERM, unless someone else handles it) stops the engine, restores the terminal
    and re-raises KeyboardInterrupt. on_render(kind, frame) is called after each paint, kind being
    "full" or "clock" (tests and benchmarks count redraws with it).
    """
    return Dashboard(engine, info, console=console, on_render=on_render, read_keys=read_keys,
                     clock_beat=clock_beat).run()


class Dashboard:
    def __init__(self, engine, info: RunInfo, *, console: Console | None = None,
                 on_render: Callable[[str, Text], None] | None = None, read_keys: bool = True,
                 clock_beat: bool = True) -> None:
        self.engine = engine
        self.info = info
        self.console = console or Console()
        self.on_render = on_render
        self.read_keys = read_keys
        self.clock_beat = clock_beat
        self.keys = KeyPad()
        self._keys_lock = threading.Lock()  # the key thread and the dashboard thread share `keys`
        self._floor = threading.Event()  # never set: a bounded wait between two redraws
        self._live: Live | None = None
        self._size: tuple[int, int] = (0, 0)  # of the last full frame
        self._header_cache: dict[int, str] = {}  # header lines on screen since the last full frame
        self.renders = 0  # full frames painted
        self.drawn = None  # the snapshot of the last full frame

    # ------------------------------------------------------------------ lifecycle

    def run(self) -> str:
        engine = self.engine
        reader = KeyReader(self._on_text) if self.read_keys else None
        restore_signals = self._install_signals()
        # no stdout/stderr redirection: it swaps sys.stdout for the whole process (other threads'
        # prints would land in the frame); the next full redraw repaints over any stray output
        live = Live(console=self.console, screen=True, auto_refresh=False, transient=False,
                    redirect_stdout=False, redirect_stderr=False)
        try:
            with live:
                self._live = live
                if reader is not None and not reader.start():
                    self.keys.notice = "keys unavailable here (no terminal input): Ctrl-C stops the run"
                self._loop()
        except KeyboardInterrupt:
            if reader is not None:
                reader.stop()  # the terminal back first: the engine may take a moment to stop
            with contextlib.suppress(Exception):
                engine.put(ev.StopRun())
            engine.done.wait(STOP_WAIT_S)
            raise
        finally:
            self._live = None
            if reader is not None:
                reader.stop()  # back to cooked mode, even if Live or the loop failed
            restore_signals()
        return engine.exit_reason or "stopped"

    def _loop(self) -> None:
        engine = self.engine
        engine.changed.clear()  # what is published now is drawn now
        last_snap = engine.latest
        self._paint_full()
        last_full = time.monotonic()
        if last_snap is not None:
            engine.request_snapshot(if_changed=True)
        while not engine.done.is_set():
            woke = engine.changed.wait(self._beat_timeout())
            if engine.done.is_set():
                return
            if not woke:  # the clock's second
                snap = engine.latest
                if snap is not None and snap.orders:
                    self._paint_full()
                    last_full = time.monotonic()
                else:
                    self._paint_clock()
                continue
            delay = last_full + FLOOR_S - time.monotonic()
            if delay > 0:
                self._floor.wait(delay)  # the floor: changes meanwhile are drawn together
                if engine.done.is_set():
                    return
            engine.changed.clear()
            snap = engine.latest
            self._paint_full()
            last_full = time.monotonic()
            if snap is not last_snap:  # the engine answered: ask for the next change
                last_snap = snap
                engine.request_snapshot(if_changed=True)

    def _beat_timeout(self) -> float | None:
        if not self.clock_beat:
            return None
        now = self.engine.clock.now()
        return 1.0 - now.microsecond / 1e6 + 0.002  # just after the next second starts

    # ------------------------------------------------------------------ painting

    def _view(self) -> BoardView:
        """The frame's content: the published snapshot (read-only, frozen) and this thread's own."""
        snap = self.engine.latest
        with self._keys_lock:
            footer = tuple(self.keys.footer(snap))
        return BoardView(snapshot=snap, info=self.info, now=self.engine.clock.now(), footer=footer)

    def _paint_full(self) -> None:
        width, height = self.console.size
        view = self._view()
        frame = render_board(view, width, height)
        self.drawn = view.snapshot
        self._size = (width, height)
        self._header_cache: dict[int, str] = {}  # the next clock beat repaints both header lines
        self._live.update(frame, refresh=True)
        self.renders += 1
        if self.on_render is not None:
            self.on_render("full", frame)

    def _paint_clock(self) -> None:
        """Repaint only the header lines that changed (cursor to the line, the line, erase the rest)."""
        console = self.console
        size = console.size
        if size != self._size or console.legacy_windows or not console.is_terminal:
            self._paint_full()
            return
        lines = render_clock(self._view(), size[0])
        system = COLOR_SYSTEMS.get(console.color_system or "")
        out = []
        for row, line in enumerate(lines, start=1):
            if self._header_cache.get(row) == line.plain:
                continue  # only the clock line changes every second
            self._header_cache[row] = line.plain
            out.append(f"\x1b[{row};1H")
            for seg in line.render(console, end=""):
                out.append(seg.style.render(seg.text, color_system=system) if seg.style and system else seg.text)
            out.append("\x1b[K")
        if out:
            with getattr(console, "_lock", contextlib.nullcontext()):
                console.file.write("".join(out))
                console.file.flush()
        if self.on_render is not None:
            self.on_render("clock", Text("\n").join(lines))

    # ------------------------------------------------------------------ keys and signals

    def _on_text(self, text: str) -> None:
        """Key thread: turn keys into engine events, then wake the dashboard thread to redraw."""
        engine = self.engine
        for key in split_keys(text):
            with self._keys_lock:
                events = self.keys.press(key, engine.latest)
            for event in events:
                engine.put(event)
        engine.changed.set()  # the footer changed: redraw (with the same snapshot if nothing else did)

    def _install_signals(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        # No SIGWINCH handler: setting an Event from a handler can deadlock on the Event's own lock;
        # a resize is seen by the next clock beat (within a second), which then redraws in full.
        saved: dict[int, object] = {}

        def on_term(signum, frame) -> None:
            raise KeyboardInterrupt

        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # someone else's handler wins
            saved[signal.SIGTERM] = signal.signal(signal.SIGTERM, on_term)

        def restore() -> None:
            for signum, handler in saved.items():
                signal.signal(signum, handler)

        return restore

