"""Reporting helpers for the engine benchmarks: percentiles, the machine line, GC pauses, the polling baseline."""

from __future__ import annotations

import os
import queue
import sys
import threading
import time


class GcWatch:
    """Record garbage-collector pauses (gc.callbacks) to tell GC tails from others."""

    def __init__(self) -> None:
        import gc

        self.pauses: list[tuple[float, float, int]] = []  # (start, ms, generation)
        self._t = 0.0
        gc.callbacks.append(self._cb)

    def _cb(self, phase, info) -> None:
        if phase == "start":
            self._t = time.monotonic()
        else:
            self.pauses.append((self._t, (time.monotonic() - self._t) * 1000, info.get("generation", -1)))

    def line(self) -> str:
        big = [p for p in self.pauses if p[1] >= 1.0]
        return (f"GC: {len(self.pauses)} collections, {len(big)} of them >= 1 ms"
                + (f" (max {max(p[1] for p in big):.1f} ms, generations {sorted({p[2] for p in big})})" if big else ""))


def wait(pred, timeout: float, step: float = 0.001) -> bool:
    """Poll pred() until true or timeout (benchmarks only: tests wait on events)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def summary(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (f"n={len(values):4d}  p50 {pct(values, .5):8.3f}  p90 {pct(values, .9):8.3f}  "
            f"p99 {pct(values, .99):8.3f}  max {max(values):8.3f}")


def machine_line() -> str:
    import platform

    try:
        import orjson  # noqa: F401

        parser = "orjson"
    except ImportError:
        parser = "json"
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    la = os.getloadavg()
    return (f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
            f"load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}; json {parser}, sim loop {loop}, "
            f"switch interval {sys.getswitchinterval() * 1000:g} ms")


def polling_hop(rate: float, n: int, interval: float = 0.010) -> list[float]:
    """The replaced design: a consumer waking every `interval`, one message per wake-up. Latency ms."""
    q: queue.SimpleQueue = queue.SimpleQueue()
    out: list[float] = []
    done = threading.Event()

    def consumer():
        while len(out) < n:
            time.sleep(interval)
            try:
                t = q.get_nowait()
            except queue.Empty:
                continue
            out.append((time.monotonic() - t) * 1000)
        done.set()

    threading.Thread(target=consumer, daemon=True).start()
    start = time.monotonic()
    for i in range(n):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        q.put(time.monotonic())
    done.wait(n / rate + n * interval + 10)
    return out
