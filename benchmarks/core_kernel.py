"""Benchmark: the trading core's per-event cost (Kernel.handle: state + rules + journal). Not a test.

    python benchmarks/core_kernel.py [--ticks 50000]

- tick, held code, no rule fires (the hot path: no journal write);
- tick, code not held (price mark only);
- a new trailing high per tick (one journal commit each);
- condition entry -> NeedQuotes -> quote -> PlaceOrder journaled (one commit per event);
- the quote's turn with the run's feed as the kernel's fact sink, as kiwoom run wires it (warm
  figures: benchmarks/entry_to_order.py shows the path right after a wake-up);
- snapshot() of the state (what the dashboard gets).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kiwoom_cli.cli.runfeed import Feed
from kiwoom_cli.core import events as ev
from tests.kit.core import Driver, entry, quote, quotes, settings, tick


def per_call(fn, items) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1e6)
    return out


def show(name: str, us: list[float]) -> None:
    us = sorted(us)
    p = lambda q: us[min(len(us) - 1, int(q * len(us)))]
    print(f"{name:<48} p50 {p(0.5):7.2f} µs   p99 {p(0.99):7.2f} µs   mean {statistics.fmean(us):7.2f} µs")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticks", type=int, default=50_000)
    n = ap.parse_args().ticks
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory() as tmp:
        d = Driver(Path(tmp) / "j.sqlite3", settings(trail_arm_pct=50.0, stop_loss_pct=-50.0))
        d.buy("005930", 100_000)
        k, now = d.kernel, d.clock.now()
        held = [tick("005930", 100_000 + (i % 20) * 100, 100_000) for i in range(n)]
        show("tick, held code, no rule fires", per_call(lambda t: k.handle(t, now), held))
        k.handle(quotes(quote("000660", 50_000), requested=()), now)  # its limits: the ticks count
        other = [tick("000660", 50_000 + (i % 20) * 100, 50_000) for i in range(n)]
        show("tick, code not held", per_call(lambda t: k.handle(t, now), other))
        d2 = Driver(Path(tmp) / "j2.sqlite3", settings(trail_arm_pct=0.1))
        d2.buy("005930", 10_000)
        rising = [tick("005930", 10_100 + i, 10_000) for i in range(min(n, 2_800))]  # inside the upper limit
        show("tick, new trailing high (1 commit)", per_call(lambda t: d2.kernel.handle(t, now), rising))
        d3 = Driver(Path(tmp) / "j3.sqlite3", settings(buy_amount=10_000), cash=10**12)
        codes = [f"{i:06d}" for i in range(1, min(n, 3_000))]

        def one_buy(code: str) -> None:
            d3.kernel.handle(entry(code), now)
            d3.kernel.handle(ev.Idle(), now)
            d3.kernel.handle(quotes(quote(code, 5_000)), now)

        def forget(code: str) -> None:  # refuse it, so the state stays the size of a real session
            (intent_id,) = list(d3.state.orders)
            d3.kernel.handle(ev.OrderFailed(intent_id, "benchmark"), now)

        times = []
        for code in codes:
            times += per_call(one_buy, [code])
            forget(code)
        show("entry -> Idle -> quote -> PlaceOrder journaled", times)
        # kiwoom run's way: the run's feed as the kernel's sink (its thread writes the lines)
        d4 = Driver(Path(tmp) / "j4.sqlite3", settings(buy_amount=10_000), cash=10**12)
        feed = Feed(None)
        feed.start()
        d4.kernel.sinks = (feed.consume,)
        whole: list[float] = []
        for code in codes:
            d4.kernel.handle(entry(code), now)
            d4.kernel.handle(ev.Idle(), now)
            t0 = time.perf_counter()
            d4.kernel.handle(quotes(quote(code, 5_000)), now)
            whole.append((time.perf_counter() - t0) * 1e6)
            (intent_id,) = list(d4.state.orders)
            d4.kernel.handle(ev.OrderFailed(intent_id, "benchmark"), now)
        show("quote -> order committed, feed sink", whole)
        feed.close()
        show("snapshot() with 1 position", per_call(lambda _: d.state.snapshot(), range(2_000)))
        for x in (d, d2, d3, d4):
            x.close()


if __name__ == "__main__":
    main()
