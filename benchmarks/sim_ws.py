"""Benchmark: REAL entries/s a websocket-client reader in another process receives from the simulator.

Target: >= 20,000 REAL entries/s on loopback, rate limits off. Not a test.

    python benchmarks/sim_ws.py [--entries 200000] [--batch 200] [--mode hub|exchange]

Modes:
  hub       synthetic TradePrints published on the loop in batches (the hub's fan-out, encoding,
            batching and the socket, without the market model's cost)
  exchange  Exchange.step(batch): the random-walk market model produces the trades
Also prints the in-process cost of encoding one 0B entry.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiwoom_cli.sim import wire_ws_real  # noqa: E402
from kiwoom_cli.sim.domain import SimConfig, TradePrint  # noqa: E402
from kiwoom_cli.sim.server import SimServer  # noqa: E402

APPKEY, SECRET = "bench-key", "bench-secret"


def reader(url: str, token: str, codes: list[str], expected: int, ready, result) -> None:
    """Log in, register 0B for `codes`, count REAL entries until `expected` arrived."""
    import orjson
    import websocket

    ws = websocket.create_connection(url, timeout=30, skip_utf8_validation=True,
                                     http_no_proxy=["127.0.0.1", "localhost"])
    ws.send(orjson.dumps({"trnm": "LOGIN", "token": token}).decode())
    while orjson.loads(ws.recv())["trnm"] != "LOGIN":
        pass
    ws.send(orjson.dumps({"trnm": "REG", "grp_no": "1", "refresh": "1",
                          "data": [{"item": codes, "type": ["0B"]}]}).decode())
    while orjson.loads(ws.recv())["trnm"] != "REG":
        pass
    ready.set()
    count = frames = 0
    first = last = 0.0
    try:
        while count < expected:
            raw = ws.recv()
            msg = orjson.loads(raw)
            trnm = msg["trnm"]
            if trnm == "REAL":
                if not count:
                    first = time.perf_counter()
                count += len(msg["data"])
                frames += 1
                last = time.perf_counter()
            elif trnm == "PING":
                ws.send(raw)
    finally:
        ws.close()
        result.put((count, frames, first, last))


def produce_hub(sim: SimServer, entries: int, batch: int) -> None:
    ex = sim.ctx.exchange
    views = sim.call(ex.instruments)
    now = sim.clock.now()
    prints = [TradePrint(code=v.code, price=v.price, qty=(i % 7) - 3 or 1, time=now, instrument=v)
              for i, v in enumerate(views)]
    n = len(prints)

    async def drive() -> None:
        # Publish `batch` events per loop turn, then yield: each turn's events leave as one frame.
        import asyncio

        publish = sim.ctx.publish
        done = 0
        while done < entries:
            size = min(batch, entries - done)
            for i in range(done, done + size):
                publish(prints[i % n])
            done += size
            await asyncio.sleep(0)

    sim.call(drive)


def produce_exchange(sim: SimServer, entries: int, batch: int) -> None:
    ex = sim.ctx.exchange
    done = 0
    while done < entries:
        size = min(batch, entries - done)
        sim.call(ex.step, size)
        done += size


def encode_cost_us() -> float:
    from kiwoom_cli.clock import ManualClock
    from kiwoom_cli.sim.exchange import Exchange

    ex = Exchange(SimConfig(seed=1, static=True), ManualClock())
    v = ex.instruments()[0]
    tp = TradePrint(code=v.code, price=v.price, qty=5, time=ManualClock().now(), instrument=v)
    n = 50_000
    return timeit.timeit(lambda: wire_ws_real.entry_0b(tp, "100.00"), number=n) / n * 1e6


def run(mode: str, entries: int, batch: int) -> None:
    config = SimConfig(seed=1, rate_limit=None, static=(mode == "hub"), tick_rate=0,
                       extra={"ping_interval_s": 3600, "ws_outbox_limit": 10**9})
    with SimServer(config) as sim:
        token = sim.call(sim.ctx.exchange.issue_token, APPKEY, SECRET)[0]
        codes = [v.code for v in sim.call(sim.ctx.exchange.instruments)]
        ctx = mp.get_context("spawn")
        ready, result = ctx.Event(), ctx.Queue()
        proc = ctx.Process(target=reader, args=(sim.ws_url, token, codes, entries, ready, result))
        proc.start()
        if not ready.wait(30):
            raise SystemExit("reader did not start")
        t0 = time.perf_counter()
        (produce_hub if mode == "hub" else produce_exchange)(sim, entries, batch)
        produced = time.perf_counter() - t0
        count, frames, first, last = result.get(timeout=120)
        proc.join(10)
    span = max(last - first, 1e-9)
    print(f"mode={mode} rate_limit=off entries={count} frames={frames} "
          f"entries/frame={count / max(frames, 1):.1f}")
    print(f"  producer: {entries / produced:,.0f} entries/s published ({produced:.2f} s)")
    print(f"  reader:   {count / span:,.0f} REAL entries/s, {frames / span:,.0f} frames/s "
          f"(target >= 20,000 entries/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=20, help="events published per loop turn")
    parser.add_argument("--mode", choices=("hub", "exchange", "both"), default="both")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    print(f"encode one 0B entry: {encode_cost_us():.2f} us")
    for mode in (("hub", "exchange") if args.mode == "both" else (args.mode,)):
        run(mode, args.entries, args.batch)


if __name__ == "__main__":
    main()
