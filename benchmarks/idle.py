"""Benchmark: CPU of an idle run (engine + socket + workers + dashboard), % of one core (issue #5: < 0.1 %).

    python benchmarks/idle.py [--seconds 30] [--settle 3] [--dashboard on|off]

The real Engine against a SimServer in another process (static market: no ticks, no entries; the
simulator's PING every 10 s, its default, is answered). Nothing else runs in this process during the
window except the main thread blocked in sleep. CPU = time.process_time() delta / wall, and per thread
from /proc/self/task/<tid>/stat (utime + stime, clock ticks) to say who spends it.
Baseline measured at the same time in a child process: the polling design's two timers (two threads,
each waking every 10 ms to look at a queue).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _engine_rig as R

HZ = os.sysconf("SC_CLK_TCK")


def thread_cpu() -> dict[int, float]:
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[int(tid)] = (int(fields[11]) + int(fields[12])) / HZ
        except OSError:
            continue
    return out


def polling_design(seconds: float, result) -> None:
    q: queue.SimpleQueue = queue.SimpleQueue()

    def timer():
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.010)
            try:
                q.get_nowait()
            except queue.Empty:
                pass

    c0, t0 = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=timer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.put((time.process_time() - c0) / (time.monotonic() - t0) * 100)


PAINT: dict[str, list[float]] = {}


def wrap_paints() -> None:
    """Account the dashboard's repaint CPU (time.thread_time) per call: bench-only wrappers."""
    try:
        from kiwoom_cli.ui.dashboard import Dashboard
    except ImportError:
        return
    for name in ("_paint_clock", "_paint_full"):
        original = getattr(Dashboard, name, None)
        if original is None:
            continue

        def wrapped(self, _original=original, _name=name):
            t = time.thread_time()
            try:
                return _original(self)
            finally:
                PAINT.setdefault(_name, []).append(time.thread_time() - t)

        setattr(Dashboard, name, wrapped)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--settle", type=float, default=3.0, help="seconds after start before measuring")
    ap.add_argument("--dashboard", choices=("on", "off"), default="on")
    ap.add_argument("--switch-interval", type=float, default=5.0,
                    help="sys.setswitchinterval in ms (5: Python's default, which kiwoom run keeps)")
    args = ap.parse_args()
    sys.setswitchinterval(args.switch_interval / 1000)
    wrap_paints()
    print(R.machine_line())
    with R.SimProcess(rate_limit=None) as sim:
        rig = R.build_engine(sim.rest_url, sim.ws_url, R.run_settings())
        rig.engine.start()
        how = R.start_dashboard(rig) if args.dashboard == "on" else "off"
        print(f"simulator: separate process, static, PING every 10 s; dashboard: {how}")
        try:
            time.sleep(args.settle)
            ctx = mp.get_context("spawn")
            res = ctx.Queue()
            base = ctx.Process(target=polling_design, args=(args.seconds, res), daemon=True)
            base.start()
            renders0 = dict(getattr(rig, "renders", {}) or {})
            names = {t.native_id: t.name for t in threading.enumerate()}
            for v in PAINT.values():
                v.clear()
            th0, c0, s0, t0 = thread_cpu(), time.process_time(), sim.cpu(), time.monotonic()
            time.sleep(args.seconds)
            th1, c1, s1, t1 = thread_cpu(), time.process_time(), sim.cpu(), time.monotonic()
            names.update({t.native_id: t.name for t in threading.enumerate()})
            renders1 = dict(getattr(rig, "renders", {}) or {})
            paint = {k: list(v) for k, v in PAINT.items()}
            pings = rig.engine.socket.pings
            baseline = res.get(timeout=args.seconds + 30)
            base.join(5)
        finally:
            rig.close()
    wall = t1 - t0
    ours = (c1 - c0) / wall * 100
    print(f"\nidle window {wall:.1f} s (ticks of the per-thread clock: {1000 / HZ:g} ms)")
    print(f"  this process (engine, socket reader, workers, dashboard): {ours:.3f} % of one core "
          f"(target < 0.1 %) {'OK' if ours < 0.1 else 'MISS'}")
    for tid in sorted(th1, key=lambda t: -(th1[t] - th0.get(t, 0))):
        used = th1[tid] - th0.get(tid, 0.0)
        if used > 0:
            print(f"    thread {names.get(tid, tid)!s:<22} {used * 1000:7.1f} ms CPU = {used / wall * 100:.3f} %")
    print(f"  redraws in the window: {({k: renders1.get(k, 0) - renders0.get(k, 0) for k in renders1})}; "
          f"PINGs echoed in total: {pings}")
    for name, v in paint.items():
        if v:
            print(f"    {name}: {len(v)} calls, {sum(v) / len(v) * 1000:.2f} ms CPU each (thread_time), "
                  f"{sum(v) / wall * 100:.3f} % of a core")
    if rig.dashboard_error:
        print(f"  {R.dashboard_note(rig)[2:]}")
    print(f"  simulator process (not ours): {(s1 - s0) / wall * 100:.3f} %")
    print(f"  baseline, polling design (two 10 ms timers): {baseline:.3f} % -> ratio {baseline / max(ours, 1e-9):.0f}x")


if __name__ == "__main__":
    main()
