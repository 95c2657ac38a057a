"""Benchmark: trade ticks/s the engine keeps up with, dashboard on (issue #5: >= 25,000/s). Not a test.

    python benchmarks/tick_throughput.py [--entries 200000] [--rate 25000] [--seconds 10]
        [--batch 1,10] [--paths A,B] [--dashboard on|off]

The engine holds a managed position in every code (bought on the simulator, adopted at start:
adopt_holdings), so every tick is the hot path "held code, exit rules evaluated, none fires".

Path A (the engine's own ceiling): REST from a SimServer process; the WebSocket from a blaster
process we control (aiohttp) that answers LOGIN/REG and sends pre-encoded REAL 0B frames of
`--batch` entries. Real SocketClient (websocket-client reader, orjson, parse_real_entry) -> engine
SimpleQueue -> Engine thread (Kernel.handle) with the dashboard redrawing. Two runs per batch size:
  max:    N entries as fast as the blaster can send (TCP back-pressure is the only limit);
  paced:  `--rate` entries/s for `--seconds`: does the engine keep up (queue and lag flat)?
The last frame carries a sentinel price; "done" = the engine's mark shows it (every tick before it
was handled). ticks/s = entries / (sentinel handled - first tick read).
Path B (the whole product): the SimServer's own tick generator (tick_rate high, market model
stepping) in its process, the engine subscribed through the real simulator WebSocket.
Backlog = engine queue size, sampled 10x a second by a bench thread. Path B counts ticks with
EventTap (a Python-level SimpleQueue.put, ~10 % of the reader's time at batch 1); path A does not.
Baseline in the same run: the polling design (wake every 10 ms, one message per wake-up).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _engine_rig as R

VALUES = {"20": "165208", "10": "0", "11": "0", "12": "0.00", "27": "0", "28": "0", "15": "+82",
          "13": "30379732", "14": "632640", "16": "0", "17": "0", "18": "0", "25": "5", "228": "98.92",
          "290": "2", "9081": "1"}


# --------------------------------------------------------------------------- the blaster process


def blaster(port_out, go, cmd_q, result_q) -> None:
    import asyncio

    from aiohttp import web

    state: dict = {}

    async def handler(request):
        ws = web.WebSocketResponse(autoping=False, max_msg_size=0)
        await ws.prepare(request)
        state["ws"] = ws
        async for msg in ws:
            frame = json.loads(msg.data)
            trnm = frame.get("trnm")
            if trnm in ("LOGIN", "REG", "REMOVE"):
                await ws.send_str(json.dumps({"trnm": trnm, "return_code": 0, "return_msg": ""}))
        return ws

    def encode(entries, batch):
        return [json.dumps({"trnm": "REAL", "data": entries[i:i + batch]}, ensure_ascii=False)
                for i in range(0, len(entries), batch)]

    async def run_job(job):
        ws = state["ws"]
        frames = encode(job["entries"], job["batch"])
        sentinel = json.dumps({"trnm": "REAL", "data": [job["sentinel"]]}, ensure_ascii=False)
        per_frame = job["batch"]
        rate = job.get("rate")
        t0 = time.monotonic()
        slip = 0.0
        if rate is None:
            for f in frames:
                await ws.send_str(f)
        else:
            gap = per_frame / rate
            chunk = max(1, int(0.002 / gap))  # wake every ~2 ms, send what is due
            i = 0
            while i < len(frames):
                due = t0 + i * gap
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    slip = max(slip, -delay)
                for f in frames[i:i + chunk]:
                    await ws.send_str(f)
                i += chunk
        t_last = time.monotonic()
        await ws.send_str(sentinel)
        return {"t0": t0, "t_last": t_last, "slip": slip, "frames": len(frames)}

    async def main():
        app = web.Application()
        app.router.add_get("/api/dostk/websocket", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put(site._server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        while True:
            job = await loop.run_in_executor(None, cmd_q.get)
            if job is None:
                return
            result_q.put(await run_job(job))

    asyncio.run(main())


# --------------------------------------------------------------------------- helpers


def entry(code: str, price: int, base: int) -> dict:
    values = dict(VALUES)
    change = price - base
    values.update({"10": f"{price:+d}" if change else str(price), "11": f"{change:+d}",
                   "12": f"{change / base * 100:+.2f}", "27": str(price), "28": str(price)})
    return {"type": "0B", "name": "주식체결", "item": code, "values": values}


def buy_holdings(sim: R.SimProcess, codes: list[str]) -> None:
    """One share of each code on the simulator account (the engine adopts them at start)."""
    import tempfile
    from pathlib import Path

    from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
    from kiwoom_cli.kiwoom.rest import RestClient
    from kiwoom_cli.kiwoom.tokens import TokenStore

    with tempfile.TemporaryDirectory() as tmp:
        rest = RestClient(Endpoint("sim", sim.rest_url, sim.ws_url), Credentials(R.APP_KEY, R.SECRET),
                          tokens=TokenStore(Path(tmp)))
        with rest:
            for code in codes:
                rest.buy(code, 1, None)


class Sampler(threading.Thread):
    """Every 0.1 s: (t, ticks put, queue size)."""

    def __init__(self, events: R.EventTap) -> None:
        super().__init__(daemon=True, name="bench-sampler")
        self.events, self.samples, self.stop = events, [], threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.samples.append((time.monotonic(), getattr(self.events, "ticks", 0), self.events.qsize()))


def backlog_line(samples, t_from: float, t_to: float) -> str:
    s = [x for x in samples if t_from <= x[0] <= t_to]
    if len(s) < 4:
        return f"queue size samples: {[x[2] for x in s]}"
    q = [x[2] for x in s]
    half = len(q) // 2
    first, second = sum(q[:half]) / half, sum(q[half:]) / (len(q) - half)
    return (f"queue size (10 Hz, {len(q)} samples): max {max(q):,}, mean first half {first:,.0f}, "
            f"second half {second:,.0f}, last {q[-1]:,}")


def start_engine(rest_url: str, ws_url: str, dashboard: bool, settings, count: bool):
    # EventTap's Python-level put() costs ~10 % of the reader's time at batch 1 (py-spy): only where
    # a tick count is needed (path B); path A counts nothing on the hot path (sentinel + qsize).
    events = R.EventTap() if count else queue.SimpleQueue()
    rig = R.build_engine(rest_url, ws_url, settings, events=events)
    rig.engine.start()
    how = R.start_dashboard(rig) if dashboard else "off"
    return rig, events, how


def positions_ready(rig, codes, timeout=10) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = rig.snapshot()
        if all(c in s.positions and s.positions[c].managed for c in codes) and set(codes) <= set(s.registered):
            return
        time.sleep(0.05)
    raise SystemExit("engine did not adopt and register the holdings")


# --------------------------------------------------------------------------- path A


def path_a(args, batches) -> list[str]:
    from kiwoom_cli.market import add_ticks

    lines = []
    ctx = mp.get_context("spawn")
    port_q, cmd_q, res_q = ctx.Queue(), ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=blaster, args=(port_q, None, cmd_q, res_q), daemon=True)
    proc.start()
    port = port_q.get(timeout=30)
    ws_url = f"ws://127.0.0.1:{port}/api/dostk/websocket"
    settings = R.run_settings(buy_cond=None, adopt_holdings=True)
    with R.SimProcess(rate_limit=None) as sim:
        inst = [(c, p, b) for c, p, up, b in sim.instruments()][: args.codes]
        codes = [c for c, _, _ in inst]
        buy_holdings(sim, codes)
        rig, events, how = start_engine(sim.rest_url, ws_url, args.dashboard == "on", settings, False)
        lines.append(f"path A dashboard: {how}")
        try:
            positions_ready(rig, codes)
            marks = rig.engine.kernel.state.marks
            price_sets = {c: [add_ticks(p, k) for k in (-2, -1, 0, 1, 2)] for c, p, _ in inst}
            base_of = {c: b for c, _, b in inst}
            cpu_line = []
            run_no = 0
            for batch in batches:
                for mode in ("max", "paced"):
                    n = args.entries if mode == "max" else int(args.rate * args.seconds)
                    entries = [entry(codes[i % len(codes)], price_sets[codes[i % len(codes)]][(i // len(codes)) % 5],
                                     base_of[codes[i % len(codes)]]) for i in range(n)]
                    sc = codes[0]
                    run_no += 1  # a sentinel price the stream never uses, different from the last run's
                    sentinel_price = add_ticks(price_sets[sc][2], 3 if run_no % 2 else -3)
                    job = {"entries": entries, "batch": batch, "sentinel": entry(sc, sentinel_price, base_of[sc]),
                           "rate": args.rate if mode == "paced" else None}
                    sampler = Sampler(events)
                    sampler.start()
                    cpu0, wall0 = time.process_time(), time.monotonic()
                    cmd_q.put(job)
                    ok = wait_mark(marks, sc, sentinel_price, 120)
                    t_done = time.monotonic()
                    cpu = (time.process_time() - cpu0) / (t_done - wall0) * 100
                    res = res_q.get(timeout=60)
                    sampler.stop.set()
                    sampler.join()
                    span = t_done - res["t0"]
                    rate = n / span
                    lag = (t_done - res["t_last"]) * 1000
                    label = f"A {mode:<5} batch {batch:>3}"
                    if mode == "max":
                        lines.append(f"  {label}: {n:,} entries in {span:.2f} s = {rate:,.0f} ticks/s handled "
                                     f"(blaster sent its last at +{res['t_last'] - res['t0']:.2f} s); "
                                     f"bench process CPU {cpu:.0f} % of one core{'' if ok else '; SENTINEL NOT SEEN'}")
                    else:
                        lines.append(f"  {label}: target {args.rate:,.0f}/s for {args.seconds:g} s -> {rate:,.0f}/s "
                                     f"handled; blaster slip max {res['slip'] * 1000:.1f} ms, last tick handled "
                                     f"{lag:.1f} ms after the last was sent; CPU {cpu:.0f} %"
                                     f"{'' if ok else '; SENTINEL NOT SEEN'}")
                        lines.append(f"      {backlog_line(sampler.samples, res['t0'], res['t_last'])}")
                    time.sleep(0.5)
            lines += cpu_line
            lines.append(f"  path A dashboard at the end{R.dashboard_note(rig) or ': ok'}")
        finally:
            rig.close()
            cmd_q.put(None)
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
    return lines


def wait_mark(marks, code, price, timeout) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = marks.get(code)
        if m is not None and m.price == price:
            return True
        time.sleep(0.002)
    return False


# --------------------------------------------------------------------------- path B


def path_b(args) -> list[str]:
    lines = []
    settings = R.run_settings(buy_cond=None, adopt_holdings=True, stop_loss_pct=-29.0, trail_arm_pct=29.0)
    with R.SimProcess(rate_limit=None, static=False, seed=1, tick_rate=args.sim_tick_rate,
                      extra={"ping_interval_s": 3600, "ws_outbox_limit": 10**9}) as sim:
        codes = [c for c, *_ in sim.instruments()][: args.codes]
        buy_holdings(sim, codes)
        rig, events, how = start_engine(sim.rest_url, sim.ws_url, args.dashboard == "on", settings, True)
        try:
            positions_ready(rig, codes)
            events.ticks = 0
            sampler = Sampler(events)
            sampler.start()
            cpu0, sim_cpu0, t0 = time.process_time(), sim.cpu(), time.monotonic()
            time.sleep(args.seconds)
            t1 = time.monotonic()
            cpu, sim_cpu = time.process_time() - cpu0, sim.cpu() - sim_cpu0
            n = events.ticks
            sampler.stop.set()
            sampler.join()
            q_end = events.qsize()
            lines.append(f"path B dashboard: {how}")
            lines.append(f"  B sim tick generator, tick_rate {args.sim_tick_rate:,.0f}/s asked: engine read "
                         f"{n / (t1 - t0):,.0f} ticks/s over {t1 - t0:.1f} s; queue at the end {q_end:,}; "
                         f"engine process CPU {cpu / (t1 - t0) * 100:.0f} %, simulator process CPU "
                         f"{sim_cpu / (t1 - t0) * 100:.0f} % of one core")
            lines.append(f"      {backlog_line(sampler.samples, t0, t1)}")
            lines.append(f"  path B dashboard at the end{R.dashboard_note(rig) or ': ok'}")
        finally:
            rig.close()
    return lines


def polling_rate(seconds: float = 2.0) -> float:
    """The replaced design: messages/s a consumer waking every 10 ms (one message per wake) drains."""
    q: queue.SimpleQueue = queue.SimpleQueue()
    for i in range(10_000):
        q.put(i)
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.010)
        try:
            q.get_nowait()
            n += 1
        except queue.Empty:
            pass
    return n / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=200_000, help="entries in the 'max' runs")
    ap.add_argument("--rate", type=float, default=25_000, help="entries/s in the 'paced' runs")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the paced run and of path B")
    ap.add_argument("--batch", default="1,10", help="entries per REAL frame (path A), comma-separated")
    ap.add_argument("--codes", type=int, default=40, help="held codes")
    ap.add_argument("--paths", default="A,B")
    ap.add_argument("--sim-tick-rate", type=float, default=50_000)
    ap.add_argument("--dashboard", choices=("on", "off"), default="on")
    ap.add_argument("--switch-interval", type=float, default=5.0,
                    help="sys.setswitchinterval in ms (5: Python's default, which kiwoom run keeps)")
    args = ap.parse_args()
    sys.setswitchinterval(args.switch_interval / 1000)
    print(R.machine_line())
    print(f"held codes {args.codes}, rate limits OFF, dashboard {args.dashboard}")
    lines = []
    paths = args.paths.split(",")
    if "A" in paths:
        lines += path_a(args, [int(b) for b in args.batch.split(",")])
    if "B" in paths:
        lines += path_b(args)
    base = polling_rate()
    print("\n".join(lines))
    print(f"baseline, polling design (wake every 10 ms, 1 msg per wake): {base:,.0f} msg/s; "
          f"target >= 25,000 ticks/s with no growing backlog")


if __name__ == "__main__":
    main()
