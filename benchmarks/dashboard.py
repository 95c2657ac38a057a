"""Benchmark: the dashboard's cost. Not a test.

    python benchmarks/dashboard.py [--idle-seconds 10] [--burst-seconds 5] [--rate 25000]

1. Idle CPU of a real `kiwoom run` process with its dashboard in a real terminal (tmux, 160x40),
   in mock mode against a static simulator in this process (no ticks, no entries): CPU time of all
   its threads from /proc/<pid>/task/*/schedstat over the window, as % of one core. Budget: < 0.1 %.
2. A 25,000 ticks/s burst into a real Engine (real simulator, real clients, 5 held positions) with
   the dashboard drawing 160x40 frames to /dev/null: redraws/s and the engine's hop latency
   (tick `received` stamp -> Kernel.handle), dashboard off vs on, at the default GIL switch interval
   and at the 0.5 ms `kiwoom run` sets. A producer thread stands in for the socket reader.
3. The cost of one full frame and of one clock repaint (render only, 160x40).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import queue
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rich.color import ColorSystem
from rich.console import Console

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.models import Tick
from kiwoom_cli.ui.board import render_board, render_clock
from kiwoom_cli.ui.dashboard import Dashboard
from tests.kit.core import settings
from tests.kit.sim import endpoint, rest_client, running_sim
from tests.ui.samples import info, view

CODES = ("005930", "000660", "035420", "005380", "051910")


# --------------------------------------------------------------------------- 1. idle CPU in tmux


def proc_cpu(pid: int) -> float:
    """CPU seconds of a process, every thread, from schedstat (ns; /proc/<pid>/stat counts 10 ms ticks)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError):
            total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
    return total / 1e9


def idle_cpu(seconds: float) -> None:
    server = f"kiwoom-bench-{uuid.uuid4().hex[:8]}"
    tmux = lambda *a: subprocess.run(["tmux", "-L", server, *a], capture_output=True, text=True,
                                     check=False).stdout
    with running_sim() as sim, tempfile.TemporaryDirectory() as home:
        env = {"KIWOOM_MODE": "mock", "KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
               "KIWOOM_APPKEY": "bench-app-key-0123456789", "KIWOOM_SECRETKEY": "bench-secret-0123456789",
               "KIWOOM_HOME": home, "XDG_CONFIG_HOME": home, "NO_PROXY": "127.0.0.1,localhost"}
        cmd = ["env", *(f"{k}={v}" for k, v in env.items()), sys.executable, "-m", "kiwoom_cli", "run",
               "--buy-cond", "1", "--window", "false"]
        tmux("new-session", "-d", "-s", "b", "-x", "160", "-y", "40", "-c", home, shlex.join(cmd))
        try:
            deadline = time.monotonic() + 20
            while "socket ● up" not in tmux("capture-pane", "-p", "-t", "b"):
                if time.monotonic() > deadline:
                    raise SystemExit("kiwoom run did not come up:\n" + tmux("capture-pane", "-p", "-t", "b"))
                time.sleep(0.2)
            sim.push_condition("1", "005930", "I")  # one held position on screen (static: no ticks)
            time.sleep(3)  # settle: the buy, its fill, the balance frame
            pid = int(tmux("display-message", "-p", "-t", "b", "#{pane_pid}").strip())
            c0, t0 = proc_cpu(pid), time.monotonic()
            time.sleep(seconds)
            c1, t1 = proc_cpu(pid), time.monotonic()
            pct = (c1 - c0) / (t1 - t0) * 100
            print(f"1. idle `kiwoom run` + dashboard (tmux 160x40, 1 position): {pct:.3f} % of a core "
                  f"over {t1 - t0:.0f} s ({(c1 - c0) * 1000:.1f} ms CPU)"
                  f"  budget 0.1 %: {'OK' if pct < 0.1 else 'OVER'}")
            tmux("send-keys", "-t", "b", "q")
            deadline = time.monotonic() + 15
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            tmux("kill-server")
            sock = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}" / server
            sock.unlink(missing_ok=True)


# --------------------------------------------------------------------------- 2. burst


class TimedKernel(Kernel):
    """Records each tick's hop: the producer's `received` stamp -> the engine thread handling it."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.hops: list[float] = []

    def handle(self, event, now):
        if type(event) is Tick:
            self.hops.append(time.monotonic() - event.received)
        return super().handle(event, now)


def burst(rate: int, seconds: float, dashboard: bool) -> dict:
    with running_sim() as sim, tempfile.TemporaryDirectory() as tmp:
        events: queue.SimpleQueue = queue.SimpleQueue()
        rest = lambda: rest_client(sim, Path(tmp) / "tokens")
        token_rest = rest()
        socket = SocketClient(endpoint(sim), token_rest.token, events, backoff=(0.05, 0.5))
        journal = Journal(Path(tmp) / "j.sqlite3")
        kernel = TimedKernel(settings(buy_cond="1", sell_cond="2", trail_arm_pct=50.0, stop_loss_pct=-50.0),
                             journal, id_prefix="b")
        engine = Engine(kernel, socket=socket, rest_factory=rest, clock=SystemClock(), events=events)
        engine.start()
        for code in CODES:
            sim.push_condition("1", code, "I")
        deadline = time.monotonic() + 20
        while True:
            engine.changed.clear()
            engine.request_snapshot()
            engine.changed.wait(5)
            if len(engine.latest.positions) == len(CODES) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        marks = {c: engine.latest.marks[c] for c in CODES}
        paints: list[float] = []
        board = None
        if dashboard:
            console = Console(file=open(os.devnull, "w"), width=160, height=40, force_terminal=True,  # noqa: SIM115
                              color_system="truecolor")
            board = Dashboard(engine, info(mode="sim", settings=kernel.settings), console=console,
                              on_render=lambda kind, f: paints.append(time.monotonic()) if kind == "full" else None,
                              read_keys=False)
            board_thread = threading.Thread(target=board.run, daemon=True)
            board_thread.start()
            time.sleep(0.5)
        kernel.hops.clear()
        sent, slot, per_slot = 0, 0.01, max(1, int(rate * 0.01))
        start = time.monotonic()
        paints_before = len(paints)
        while time.monotonic() - start < seconds:  # 10 ms slots of rate/100 ticks: the reader's pace
            t = time.monotonic()
            for i in range(per_slot):
                code = CODES[i % len(CODES)]
                m = marks[code]
                price = m.price + (i % 3) * 0  # same price: no rule, no journal: the hot path
                events.put(Tick(code, price, price - m.base, 0.0, 1, sent + i, "100000", time.monotonic()))
            sent += per_slot
            pause = slot - (time.monotonic() - t)
            if pause > 0:
                time.sleep(pause)
        elapsed = time.monotonic() - start
        deadline = time.monotonic() + 30
        while len(kernel.hops) < sent and time.monotonic() < deadline:
            time.sleep(0.01)
        drained = time.monotonic() - start
        redraws = len(paints) - paints_before
        engine.stop()
        if board is not None:
            board_thread.join(10)
        journal.close()
        token_rest.close()
    hops = sorted(h * 1000 for h in kernel.hops)
    q = lambda p: hops[min(len(hops) - 1, int(p * len(hops)))] if hops else float("nan")
    return {"sent": sent, "rate": sent / elapsed, "drained": drained, "p50": q(0.5), "p99": q(0.99),
            "max": hops[-1] if hops else float("nan"), "redraws_s": redraws / elapsed}


# --------------------------------------------------------------------------- 3. frame cost


def frame_cost() -> None:
    v = view()
    console = Console(file=io.StringIO(), width=160, height=40, force_terminal=True, color_system="truecolor")
    n = 300
    t0 = time.perf_counter()
    for _ in range(n):
        console.print(render_board(v, 160, 40))
    full = (time.perf_counter() - t0) / n * 1000
    t0 = time.perf_counter()
    for _ in range(n):  # as Dashboard._paint_clock: segments -> ANSI, no Console.print
        out = []
        for line in render_clock(v, 160):
            out.extend(seg.style.render(seg.text, color_system=ColorSystem.TRUECOLOR) if seg.style else seg.text
                       for seg in line.render(console, end=""))
        "".join(out)
    clock = (time.perf_counter() - t0) / n * 1000
    print(f"3. one full frame 160x40 built + rendered: {full:.2f} ms; one clock repaint (2 lines): {clock:.3f} ms"
          f" -> a full redraw every second would cost {full / 10:.2f} % of a core, the clock line {clock / 10:.3f} %")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    ap.add_argument("--burst-seconds", type=float, default=5.0)
    ap.add_argument("--rate", type=int, default=25_000)
    ap.add_argument("--skip-idle", action="store_true")
    a = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus; "
          "simulator in-process, rate limits off")
    if not a.skip_idle:
        idle_cpu(a.idle_seconds)
    print(f"2. {a.rate:,} ticks/s for {a.burst_seconds:.0f} s into the engine (5 held codes, no rule fires):")
    for interval in (0.005, 0.0005):
        sys.setswitchinterval(interval)
        for dash in (False, True):
            r = burst(a.rate, a.burst_seconds, dash)
            print(f"   switch {interval * 1000:.1f} ms, dashboard {'on ' if dash else 'off'}: sent {r['rate']:,.0f}/s, "
                  f"all handled after {r['drained']:.2f} s; hop p50 {r['p50']:.3f} ms p99 {r['p99']:.3f} ms "
                  f"max {r['max']:.1f} ms; redraws {r['redraws_s']:.1f}/s")
    frame_cost()


if __name__ == "__main__":
    main()
