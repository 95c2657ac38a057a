"""Shared rig for the engine benchmarks (entry_to_order, burst, tick_throughput, idle). Not a test.

- SimProcess: the simulator in its own process (as the broker is another machine: in-process it would
  share our GIL and inflate every figure), driven over a Pipe (push_condition, set_price, logs).
- build_engine: the real Engine + Kernel + Journal + SocketClient + RestClients, wired as
  tests/core/test_engine_sim.py does, against any REST / WebSocket URLs.
- WireTap: stamps (time.monotonic) when the REST request bytes have been handed to the kernel, by
  wrapping urllib3's HTTPConnection.send in this process (no change to kiwoom_cli).
- EventTap: the engine's SimpleQueue with put() recording ConditionEvents (their `received` stamp)
  and counting Ticks.
- start_dashboard: run_dashboard(engine, RunInfo) on a 160-column StringIO console, if it is real.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import io
import multiprocessing as mp
import os
import queue
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _report import GcWatch, machine_line, pct, polling_hop, summary  # noqa: F401 - re-exported

APP_KEY = "BENCH-APP-KEY-0123456789abcdefghijklmnopqrstu"
SECRET = "BENCH-SECRET-9876543210zyxwvutsrqponmlkjihgfed"


# --------------------------------------------------------------------------- simulator process


def _sim_main(conn, config_kw: dict, cpus: set[int] | None = None) -> None:
    from kiwoom_cli.sim.domain import SimConfig
    from kiwoom_cli.sim.server import SimServer

    if cpus:
        os.sched_setaffinity(0, cpus)

    with SimServer(SimConfig(**config_kw)) as sim:
        ex = lambda: sim.ctx.exchange
        pushed: list[float] = []
        conn.send((sim.rest_url, sim.ws_url))
        while True:
            cmd, *args = conn.recv()
            try:
                if cmd == "stop":
                    conn.send(None)
                    return
                if cmd == "push":  # [(seq, code, event)...] in one loop turn; wall time just before
                    def push(items=args[0], delay=args[1]):
                        def fire():
                            pushed.append(time.time())
                            for seq, code, event in items:
                                ex().push_condition(seq, code, event)
                        if delay:
                            asyncio.get_running_loop().call_later(delay, fire)
                            return None
                        fire()
                        return pushed[-1]
                    conn.send(sim.call(push))
                elif cmd == "pushed":  # wall times of the pushes made since the last call
                    conn.send(sim.call(lambda: [pushed.pop(0) for _ in range(len(pushed))]))
                elif cmd == "price":
                    def trade(items=args[0]):
                        for code, price in items:
                            ex().set_price(code, price)
                    conn.send(sim.call(trade))
                elif cmd == "instruments":
                    conn.send(sim.call(
                        lambda: [(v.code, v.price, v.upper_limit, v.base_price) for v in ex().instruments()]))
                elif cmd == "request_log":
                    conn.send(sim.call(lambda: [
                        {k: e.get(k) for k in ("time", "api_id", "status", "body")} for e in sim.ctx.request_log
                    ]))
                elif cmd == "order_log":
                    conn.send(sim.call(lambda: [
                        {"time": e["time"], "api_id": e["api_id"], "body": e["body"],
                         "return_code": (e["result"] or {}).get("return_code")} for e in sim.ctx.order_log
                    ]))
                elif cmd == "clear_logs":
                    def clear():
                        sim.ctx.request_log.clear()
                        sim.ctx.order_log.clear()
                    conn.send(sim.call(clear))
                elif cmd == "cpu":
                    conn.send(time.process_time())
                else:
                    conn.send(RuntimeError(f"unknown command {cmd}"))
            except Exception as exc:  # noqa: BLE001 - report to the parent
                conn.send(exc)


def split_cpus() -> tuple[set[int], set[int]] | None:
    """(ours, the simulator's): disjoint CPU sets, or None with fewer than 2 CPUs (or no affinity API).

    Why: on loopback, our send wakes the simulator, and Linux likes to run the woken task on the
    waker's CPU: the simulator then pre-empts the thread that is still writing the order, for as long
    as it takes to handle it (~0.6 ms measured: wall 600-900 us around a send that used 25 us of
    CPU). The broker is another machine; giving the simulator its own CPU measures our process as
    it runs against the broker. --no-pin shows the shared-CPU figures.
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None
    if len(cpus) < 2:
        return None
    half = len(cpus) // 2
    return set(cpus[:half]), set(cpus[half:])


class SimProcess:
    """A SimServer in a spawned process; methods are synchronous calls over a Pipe."""

    def __init__(self, cpus: set[int] | None = None, **config_kw) -> None:
        """cpus: the simulator process's CPUs (see split_cpus)."""
        config_kw.setdefault("static", True)
        config_kw.setdefault("cash", 10**11)
        self.config_kw = config_kw
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_sim_main, args=(child, config_kw, cpus), daemon=True)
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        self._proc.start()
        self.rest_url, self.ws_url = self._conn.recv()
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            self._call("stop")
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()

    def _call(self, *cmd):
        with self._lock:
            self._conn.send(cmd)
            out = self._conn.recv()
        if isinstance(out, Exception):
            raise out
        return out

    def push(self, items, delay: float = 0.0) -> float | None:
        """Push [(seq, code, "I"|"D")] in one loop turn; return the sim's wall time just before.

        delay > 0: answer at once and push `delay` seconds later (None; see pushed()), so the caller
        is asleep again, not competing for this process's GIL, when the frame arrives.
        """
        return self._call("push", list(items), delay)

    def pushed(self) -> list[float]:
        """Wall times of the delayed pushes made since the last call."""
        return self._call("pushed")

    def set_prices(self, items) -> None:
        self._call("price", list(items))

    def instruments(self) -> list[tuple[str, int, int, int]]:
        return self._call("instruments")

    def request_log(self) -> list[dict]:
        return self._call("request_log")

    def order_log(self) -> list[dict]:
        return self._call("order_log")

    def clear_logs(self) -> None:
        self._call("clear_logs")

    def cpu(self) -> float:
        return self._call("cpu")

    @property
    def pid(self) -> int:
        return self._proc.pid


# --------------------------------------------------------------------------- taps


class WireTap:
    """Record every REST request written by this process: (monotonic, wall, thread, api_id, body)."""

    _API = re.compile(rb"\r\napi-id: ([A-Za-z0-9]+)\r\n", re.IGNORECASE)

    def __init__(self) -> None:
        self.writes: list[tuple[float, float, str, str, bytes]] = []
        self.cond = threading.Condition()
        self._pending: dict[int, str] = {}  # thread id -> api-id whose headers went out

    def install(self) -> WireTap:
        import urllib3.connection as uc

        original = uc.HTTPConnection.send
        tap = self

        def send(conn, data):
            original(conn, data)
            now = time.monotonic()
            tid = threading.get_ident()
            m = tap._API.search(data) if data[:5] == b"POST " else None
            if m is not None:
                tap._pending[tid] = m.group(1).decode()
                if not data.endswith(b"\r\n\r\n"):  # headers and body in one write
                    tap._record(now, tid, data.split(b"\r\n\r\n", 1)[1])
            elif tid in tap._pending:
                tap._record(now, tid, bytes(data))

        uc.HTTPConnection.send = send
        self._original = original
        return self

    def _record(self, now: float, tid: int, body: bytes) -> None:
        api_id = self._pending.pop(tid)
        with self.cond:
            self.writes.append((now, time.time(), threading.current_thread().name, api_id, body))
            self.cond.notify_all()

    def wait_for(self, pred, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: pred(self.writes), timeout)


def body_code(body: bytes) -> str | None:
    m = re.search(rb'"stk_cd":"([0-9A-Za-z_]+)"', body)
    return m.group(1).decode() if m else None


def body_codes(body: bytes) -> list[str]:
    m = re.search(rb'"stk_cd":"([^"]*)"', body)
    return re.split(r"[|,]", m.group(1).decode()) if m else []


class EventTap(queue.SimpleQueue):
    """The engine's queue; put() also records condition entries and counts ticks (one Python call)."""

    def __init__(self) -> None:
        super().__init__()
        from kiwoom_cli.models import ConditionEvent, Tick

        self._cond_type, self._tick_type = ConditionEvent, Tick
        self.conditions: list = []
        self.ticks = 0

    def put(self, item, block=True, timeout=None):
        t = type(item)
        if t is self._tick_type:
            self.ticks += 1
        elif t is self._cond_type:
            self.conditions.append(item)
        super().put(item)


# --------------------------------------------------------------------------- the engine


class Rig:
    """An Engine and its parts; close() stops everything this rig started."""

    dashboard_error: str | None = None
    renders: dict | None = None
    feed = log_handler = None  # the run's Feed and log file, when build_engine(feed=True)

    def __init__(self, engine, journal, token_rest, tmp, dashboard_thread=None) -> None:
        self.engine, self.journal, self.token_rest, self.tmp = engine, journal, token_rest, tmp
        self.dashboard_thread = dashboard_thread

    def snapshot(self, timeout: float = 5.0):
        e = self.engine
        e.changed.clear()
        e.request_snapshot()
        if not e.changed.wait(timeout):
            raise TimeoutError("no snapshot")
        return e.latest

    def close(self) -> None:
        e = self.engine
        if not e.done.is_set() and e._thread.is_alive():
            e.stop()
        if self.dashboard_thread is not None:
            self.dashboard_thread.join(5)
        if self.feed is not None:
            from kiwoom_cli.cli.runlog import close_log

            self.feed.close()
            close_log(self.log_handler)
        self.journal.close()
        self.token_rest.close()
        self.tmp.cleanup()


def build_engine(rest_url: str, ws_url: str, settings, *, limits=None, events=None,
                 ws_reader_url: str | None = None, feed: bool = True):
    """Wire Engine + Kernel + Journal + SocketClient + RestClients (as tests/core/test_engine_sim.py);
    orders leave from the engine's order worker, through its OrderService, as in `kiwoom run`.

    feed: what `kiwoom run` adds (cli/runner.py): a Feed as the kernel's sink, whose thread logs
    every fact to a run log file.
    """
    from kiwoom_cli.clock import SystemClock
    from kiwoom_cli.core.engine import Engine
    from kiwoom_cli.core.kernel import Kernel
    from kiwoom_cli.core.journal import Journal
    from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
    from kiwoom_cli.kiwoom.ratelimit import RateLimiter
    from kiwoom_cli.kiwoom.rest import RestClient
    from kiwoom_cli.kiwoom.socket import SocketClient
    from kiwoom_cli.kiwoom.tokens import TokenStore

    tmp = tempfile.TemporaryDirectory(prefix="kiwoom-bench-")
    endpoint = Endpoint("sim", rest_url, ws_url)
    creds = Credentials(APP_KEY, SECRET)
    limiter = RateLimiter(*limits, clock=SystemClock()) if limits else None  # one per process

    def rest_factory():
        return RestClient(endpoint, creds, tokens=TokenStore(Path(tmp.name) / "tokens"), limiter=limiter)

    token_rest = rest_factory()
    events = events if events is not None else queue.SimpleQueue()
    socket = SocketClient(endpoint, token_rest.token, events, backoff=(0.05, 0.5))
    run_feed = None
    if feed:
        from kiwoom_cli.cli.runfeed import Feed
        from kiwoom_cli.cli.runlog import open_log

        os.environ["KIWOOM_HOME"] = tmp.name  # the run log goes under the rig's temporary state dir
        _, log_handler = open_log(dt.datetime.now())
        run_feed = Feed(None)  # the dashboard's case: no JSON lines on stdout, every event in the log
        run_feed.start()
    journal = Journal(Path(tmp.name) / "journal.sqlite3")
    kernel = Kernel(settings, journal, id_prefix="b", sinks=[run_feed.consume] if run_feed is not None else ())
    engine = Engine(kernel, socket=socket, rest_factory=rest_factory, clock=SystemClock(), events=events)
    rig = Rig(engine, journal, token_rest, tmp)
    if run_feed is not None:
        rig.feed, rig.log_handler = run_feed, log_handler
    return rig


def run_settings(**kw):
    from kiwoom_cli.core.settings import RunSettings

    kw.setdefault("buy_cond", "4")  # "near the upper limit": a static market never enters it by itself
    kw.setdefault("sell_cond", None)
    kw.setdefault("max_positions", 100)
    kw.setdefault("buy_amount", 1_000_000)
    return RunSettings(**kw)


# --------------------------------------------------------------------------- dashboard


def dashboard_status() -> str:
    """'real', 'placeholder' or 'missing' (kiwoom_cli/ui/dashboard.py is being written meanwhile)."""
    try:
        from kiwoom_cli.ui import dashboard
    except ImportError:
        return "missing"
    src = inspect.getsource(dashboard)
    return "real" if "Live(" in src else "placeholder"


def start_dashboard(rig: Rig, *, width: int = 160, height: int = 50) -> str:
    """Run run_dashboard(engine, RunInfo) in a thread on a StringIO console; return how it was driven."""
    status = dashboard_status()
    if status != "real":
        return f"off ({status})"
    from rich.console import Console

    from kiwoom_cli.ui import dashboard

    engine = rig.engine
    console = Console(file=io.StringIO(), width=width, height=height, force_terminal=True,
                      color_system="truecolor", legacy_windows=False)
    info = dashboard.RunInfo(
        mode="sim", account="0000000000", buy_cond=("bench", engine.kernel.settings.buy_cond or "-"),
        sell_cond=None, settings=engine.kernel.settings, journal_path=Path(rig.tmp.name) / "journal.sqlite3",
        started_at=dt.datetime.now(dt.timezone.utc),
    )
    params = inspect.signature(dashboard.run_dashboard).parameters
    kwargs: dict = {}
    rig.renders = {"full": 0, "clock": 0}
    if "console" in params:
        kwargs["console"] = console
    else:
        return "off (run_dashboard takes no console=)"
    if "read_keys" in params:
        kwargs["read_keys"] = False
    if "on_render" in params:
        def on_render(kind, frame):
            rig.renders[kind] = rig.renders.get(kind, 0) + 1
            if console.file.tell() > 1 << 22:  # keep the StringIO small on long runs
                console.file.seek(0)
                console.file.truncate()
        kwargs["on_render"] = on_render

    rig.dashboard_error = None

    def run():
        try:
            dashboard.run_dashboard(engine, info, **kwargs)
        except Exception as exc:  # noqa: BLE001 - report, the benchmark goes on
            rig.dashboard_error = f"{type(exc).__name__}: {exc}"
            print(f"dashboard thread failed: {rig.dashboard_error}", file=sys.stderr)

    t = threading.Thread(target=run, name="bench-dashboard", daemon=True)
    t.start()
    rig.dashboard_thread = t
    rig.dashboard_console = console
    return f"run_dashboard(console=StringIO {width}x{height}, read_keys=False), clock beat on"


# --------------------------------------------------------------------------- reporting


def dashboard_note(rig: Rig) -> str:
    """Redraw counts, and a loud note if the dashboard thread died (then the run was NOT 'dashboard on')."""
    out = ""
    if rig.renders:
        out += f"; redraws full {rig.renders.get('full', 0)}, clock {rig.renders.get('clock', 0)}"
    if rig.dashboard_error:
        out += f"; DASHBOARD THREAD DIED ({rig.dashboard_error}): not a dashboard-on figure"
    return out

