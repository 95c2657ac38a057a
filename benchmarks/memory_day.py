"""Benchmark: memory over a simulated trading day, through the path `kiwoom run` uses. Not a test.

    python benchmarks/memory_day.py           # 6.5 hours, 100 codes, the simulator's default tick rate
    python benchmarks/memory_day.py --short   # a scaled-down day (30 minutes), well under a minute

What runs (cli/runner.py's wiring, without the network): the Engine's event loop (_process, Idle,
_publish, the decision and condition logs) around the Kernel and its journal, with a Feed as the
kernel's fact sink, whose thread writes every fact as a JSON line (to
/dev/null, as headless) and to the run's log file. Once a simulated second the dashboard's frame
is rendered from the published snapshot (ui/board.render_board). The clock is a ManualClock.

The broker is played here (the edge of the world): ticks for 100 codes at `tick_rate` trades a
second across the market (sim.tick_rate's default, config_schema.py), entries and exits of the
buy and sell conditions, every order answered (ack, 00 accepted, 00 fills, 04 balance), amends
of buys left resting, quotes, cash and order queries.

Prints RSS after the warm-up and at the end, the growth, and (when it is >= 10 %, or --trace) the
top allocation sites by tracemalloc between the same two points (a second run with tracing on).
Then the simulator `kiwoom run` hosts in its process (sim mode): RSS per REST request of a run's mix
after its first 1,000, over real sockets (its logs keep the latest 1,000 requests and orders).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gc
import io
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kiwoom_cli.clock import KST, ManualClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.models import AccountTotals, Balance, Cash, ConditionEvent, OrderType

from _day_broker import Broker  # noqa: E402 - beside this file

DAY_S = int(6.5 * 3600)
SHORT_S = 30 * 60
TICK_RATE = 20.0  # trades a second across the market: sim.tick_rate's default (config_schema.py)
CODES = 100
BUY_COND, SELL_COND = "1", "2"
ENTRY_EVERY_S = 20  # a buy-condition entry (and, as often, an exit of an earlier one)
SELL_SIGNAL_EVERY_S = 45  # a held code enters the sell condition
GROWTH_LIMIT_PCT = 10.0


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Day:
    """The run's parts, wired as cli/runner.py wires them, on a ManualClock in a temporary state dir."""

    def __init__(self, tmp: Path, seed: int = 1, render_every_s: int = 1) -> None:
        from rich.console import Console

        from kiwoom_cli.cli.runfeed import Feed
        from kiwoom_cli.cli.runlog import open_log
        from kiwoom_cli.core.engine import Engine
        from kiwoom_cli.core.kernel import Kernel
        from kiwoom_cli.core.settings import RunSettings
        from kiwoom_cli.core.journal import Journal
        from kiwoom_cli.ui.board import RunInfo

        os.environ["KIWOOM_HOME"] = str(tmp)  # the run log goes under the temporary state dir
        self.clock = ManualClock(dt.datetime(2026, 11, 25, 9, 0, 0, tzinfo=KST))
        self.settings = RunSettings(buy_cond=BUY_COND, sell_cond=SELL_COND, max_positions=10,
                                    buy_order=OrderType.LIMIT, buy_ticks=1)
        _, self.log_handler = open_log(self.clock.now())
        self.sink = open(os.devnull, "w")  # noqa: SIM115 - closed in close()
        self.feed = Feed(self.sink)  # headless: every event a JSON line on "stdout", and in the log
        self.feed.start()
        self.journal = Journal(tmp / "journal.sqlite3")
        self.kernel = Kernel(self.settings, self.journal, id_prefix="m", sinks=[self.feed.consume])
        self.engine = Engine(self.kernel, socket=_NoSocket(), rest_factory=lambda: None, clock=self.clock)
        self.rng = random.Random(seed)
        prices = {f"{100000 + i:06d}": self.rng.choice((5_000, 12_000, 48_000, 150_000)) for i in range(CODES)}
        self.broker = Broker(self.engine, self.clock, self.rng, prices)
        self.info = RunInfo(mode="sim", account="0000000000", buy_cond=("day", BUY_COND),
                            sell_cond=("day-exit", SELL_COND), settings=self.settings,
                            journal_path=tmp / "journal.sqlite3", started_at=self.clock.now())
        self.console_file = io.StringIO()
        self.console = Console(file=self.console_file, width=160, height=50, force_terminal=True,
                               color_system="truecolor")
        self.entered: collections.deque = collections.deque()  # codes in the buy condition (oldest first)
        self.renders = 0
        self.render_every_s = render_every_s
        now = self.clock.now()
        cash = Cash(10**11, 10**11, 10**11)
        self.engine._dispatch(self.kernel.start(Balance(AccountTotals(0, 0, 0, 0.0, 0), ()), [], cash, now))
        self.engine._note(now)
        self.broker.drain()
        codes = tuple(prices)
        self.engine.put(ev.QuotesArrived(tuple(self.broker.quote(c) for c in codes), ()))  # today's limits
        self.pump()

    def pump(self) -> None:
        """One engine wake-up as Engine._run does it: everything waiting, then Idle, then publish."""
        e, q = self.engine, self.engine.events
        while True:
            while not q.empty():
                e._process(q.get_nowait())
                self.broker.drain()
            e._process(ev.Idle())
            self.broker.drain()
            if q.empty():
                break
        now = self.clock.now()
        due = self.kernel.next_deadline(now)
        if due is not None and due <= now:
            e._process(ev.TimerFired())
            self.broker.drain()
            if not q.empty():
                self.pump()
                return
        e._publish()

    def second(self, t: int, tick_rate: float) -> None:
        """One simulated second of the market."""
        self.clock.advance(1.0)
        b, put = self.broker, self.engine.put
        n = int(tick_rate * (t + 1)) - int(tick_rate * t)
        b.ticks(n)
        hhmmss = b.hhmmss()
        if t % ENTRY_EVERY_S == 0:
            code = self.rng.choice(list(b.prices))
            put(ConditionEvent(BUY_COND, code, True, hhmmss))
            self.entered.append(code)
            if len(self.entered) > 20:
                put(ConditionEvent(BUY_COND, self.entered.popleft(), False, hhmmss))
        if t % SELL_SIGNAL_EVERY_S == 0 and b.held:
            put(ConditionEvent(SELL_COND, self.rng.choice(sorted(b.held)), True, hhmmss))
        self.engine.request_snapshot(if_changed=True)  # the dashboard's ask
        self.pump()
        if self.engine.changed.is_set() and t % self.render_every_s == 0:
            self.engine.changed.clear()
            self.render()

    def render(self) -> None:
        from kiwoom_cli.ui.board import BoardView, render_board

        e = self.engine
        view = BoardView(snapshot=e.latest, info=self.info, now=self.clock.now())
        self.console.print(render_board(view, 160, 50))
        self.console_file.seek(0)
        self.console_file.truncate()
        self.renders += 1

    def settle(self) -> None:
        """Wait until the feed's writer has written everything queued (RSS is read after)."""
        if not self.feed.drain(60.0):
            raise TimeoutError("the feed did not write what was queued")

    def close(self) -> None:
        from kiwoom_cli.cli.runlog import close_log

        self.feed.close()
        close_log(self.log_handler)
        self.journal.close()
        self.sink.close()


class _NoSocket:
    """The engine's socket: only Engine.start/_run call it, and the Day drives the loop itself."""

    connected = True


def run_day(seconds: int, warmup_s: int, tick_rate: float = TICK_RATE, *, trace: bool = False,
            seed: int = 1, render_every_s: int = 1, tune: bool = True) -> dict:
    """Drive `seconds` of market; return the figures (and the Day, under "day", still open).

    tune: tune the GC as `kiwoom run` does once started (a test leaves its process's GC alone).
    """
    from kiwoom_cli.cli.runner import tune_gc

    tmp = tempfile.TemporaryDirectory(prefix="kiwoom-memday-")
    day = Day(Path(tmp.name), seed, render_every_s)
    if tune:
        tune_gc()
    out: dict = {"tmp": tmp, "day": day}
    t0 = time.perf_counter()
    for t in range(seconds):
        if t == warmup_s:
            day.settle()
            gc.collect()
            out["rss_warm"] = rss_bytes()
            if trace:
                tracemalloc.start(10)
                out["trace_warm"] = tracemalloc.take_snapshot()
        day.second(t, tick_rate)
    day.settle()
    gc.collect()
    out["rss_end"] = rss_bytes()
    if trace:
        out["trace_end"] = tracemalloc.take_snapshot()
        tracemalloc.stop()
    out["wall_s"] = time.perf_counter() - t0
    return out


def close_day(out: dict) -> None:
    out["day"].close()
    out["tmp"].cleanup()


def hosted_sim(requests: int, warmup: int) -> tuple[int, int, int]:
    """The simulator `kiwoom run` hosts in its process (sim mode, none running): `requests` REST
    requests of a run's mix (quote, buy, cash, sell, cash) over real sockets. Return (RSS after
    `warmup` requests, RSS at the end, entries its request log holds)."""
    from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
    from kiwoom_cli.kiwoom.rest import RestClient
    from kiwoom_cli.kiwoom.tokens import TokenStore
    from kiwoom_cli.sim.domain import SimConfig
    from kiwoom_cli.sim.server import SimServer

    with tempfile.TemporaryDirectory(prefix="kiwoom-memsim-") as tmp, \
            SimServer(SimConfig(rate_limit=None, static=True, cash=10**12)) as sim:
        rest = RestClient(Endpoint("sim", sim.rest_url, sim.ws_url),
                          Credentials("MEMDAY-APP-KEY-0123456789abcdef", "MEMDAY-SECRET-0123456789abcdef"),
                          tokens=TokenStore(Path(tmp)))
        codes = [c for c, *_ in sim.call(lambda: [(i.code,) for i in sim.ctx.exchange.instruments()])][:20]
        calls = [lambda c: rest.quotes([c]), lambda c: rest.buy(c, 1, None), lambda c: rest.cash(),
                 lambda c: rest.sell(c, 1, None), lambda c: rest.cash()]
        rss_warm = 0
        with rest:
            for i in range(requests):
                if i == warmup:
                    gc.collect()
                    rss_warm = rss_bytes()
                calls[i % len(calls)](codes[(i // len(calls)) % len(codes)])
        gc.collect()
        return rss_warm, rss_bytes(), len(sim.request_log)


def top_sites(warm, end, n: int = 12) -> list[str]:
    stats = end.compare_to(warm, "traceback")
    lines = []
    for s in stats[:n]:
        frames = [f"{f.filename.split('kiwoom_cli/')[-1]}:{f.lineno}" for f in s.traceback[-4:]]
        lines.append(f"  {s.size_diff / 1024:+9.1f} KiB {s.count_diff:+8d} blocks  {' <- '.join(reversed(frames))}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help=f"a {SHORT_S // 60}-minute day (warm-up 5 minutes)")
    ap.add_argument("--tick-rate", type=float, default=TICK_RATE, help="trades a second across the market")
    ap.add_argument("--sim-requests", type=int, default=6_000,
                    help="REST requests for the hosted-simulator figure (a day's run sends ~5,000; 0: skip)")
    ap.add_argument("--trace", action="store_true", help="always print the tracemalloc top sites")
    args = ap.parse_args()
    seconds, warm = (SHORT_S, 5 * 60) if args.short else (DAY_S, 3600)
    out = run_day(seconds, warm, args.tick_rate)
    day = out["day"]
    b = day.broker
    growth = (out["rss_end"] - out["rss_warm"]) / out["rss_warm"] * 100
    ticks = int(args.tick_rate * seconds)
    print(f"simulated {seconds / 3600:.2f} h: {CODES} codes, {ticks:,} ticks ({args.tick_rate:g}/s), "
          f"{b.orders:,} orders, {b.fills:,} fills, {day.renders:,} dashboard frames; {out['wall_s']:.1f} s wall")
    print(f"RSS after the warm-up ({warm // 60} min): {out['rss_warm'] / 2**20:.1f} MiB; at the end: "
          f"{out['rss_end'] / 2**20:.1f} MiB; growth {growth:+.1f} % (limit < {GROWTH_LIMIT_PCT:g} %)")
    close_day(out)
    n_req, n_warm = (2_000, 1_000) if args.short else (args.sim_requests, 1_000)
    if n_req > n_warm:
        s_warm, s_end, kept = hosted_sim(n_req, n_warm)
        print(f"hosted simulator, {n_req:,} REST requests (quote, buy, cash, sell, cash): RSS after "
              f"{n_warm:,}: {s_warm / 2**20:.1f} MiB; at the end: {s_end / 2**20:.1f} MiB "
              f"({(s_end - s_warm) / 2**10 / (n_req - n_warm):+.2f} KiB a request); its request log holds {kept:,}")
    if growth >= GROWTH_LIMIT_PCT or args.trace:
        # tracemalloc makes Rich's frames ~100x dearer: this run renders one frame in 30 s
        print("top allocation sites between the warm-up and the end (a second run, tracemalloc on, "
              "a dashboard frame every 30 s):")
        traced = run_day(seconds, warm, args.tick_rate, trace=True, render_every_s=30)
        print("\n".join(top_sites(traced["trace_warm"], traced["trace_end"])))
        close_day(traced)


if __name__ == "__main__":
    main()
