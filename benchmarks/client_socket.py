"""Benchmark: SocketClient, WebSocket frame read -> parsed event on the queue. Not a test.

    python benchmarks/client_socket.py [--frames 20000] [--batch 1] [--rate 2000]

A minimal aiohttp WebSocket server in a separate process answers LOGIN, then sends REAL 0B frames
(the official sample's FIDs; `--batch` entries per frame). The client's reader thread parses each
entry into a Tick and puts it on a SimpleQueue; this process consumes the queue.

- throughput: frames blasted as fast as the server can write; entries/s at the consumer.
- latency: frames paced at `--rate`/s, each carrying its perf_counter send time in FID 20; latency
  = consumer dequeue time - send time (same machine, CLOCK_MONOTONIC), p50/p90/p99/max.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import queue
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

VALUES = {
    "20": "165208",
    "10": "-20800",
    "11": "-50",
    "12": "-0.24",
    "27": "-20800",
    "28": "-20700",
    "15": "+82",
    "13": "30379732",
    "14": "632640",
    "16": "20850",
    "17": "+21150",
    "18": "-20450",
    "25": "5",
    "228": "98.92",
    "290": "2",
    "9081": "1",
}


def serve(port_out, mode: str, frames: int, batch: int, rate: float) -> None:
    import asyncio

    from aiohttp import web

    async def handler(request):
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        msg = await ws.receive()
        assert json.loads(msg.data)["trnm"] == "LOGIN"
        await ws.send_str('{"trnm":"LOGIN","return_code":0,"return_msg":""}')
        await ws.receive()  # the client's "go" REG
        if mode == "throughput":
            entry = {"type": "0B", "name": "주식체결", "item": "005930", "values": VALUES}
            text = json.dumps({"trnm": "REAL", "data": [entry] * batch}, ensure_ascii=False)
            for _ in range(frames):
                await ws.send_str(text)
        else:
            gap = 1.0 / rate
            start = time.perf_counter()
            for i in range(frames):
                target = start + i * gap
                delay = target - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                values = dict(VALUES, **{"20": repr(time.perf_counter())})
                entry = {"type": "0B", "name": "주식체결", "item": "005930", "values": values}
                await ws.send_str(json.dumps({"trnm": "REAL", "data": [entry] * batch}, ensure_ascii=False))
        await ws.receive()
        return ws

    async def main():
        app = web.Application()
        app.router.add_get("/api/dostk/websocket", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put(site._server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


class PerfClock:
    """SocketClient stamps `received` with this; perf_counter matches the server process's stamps."""

    def now(self):
        from kiwoom_cli.clock import SystemClock

        return SystemClock().now()

    def monotonic(self) -> float:
        return time.perf_counter()


def run(mode: str, frames: int, batch: int, rate: float) -> dict:
    from kiwoom_cli.kiwoom import codec
    from kiwoom_cli.kiwoom.endpoint import Endpoint
    from kiwoom_cli.kiwoom.socket import SocketClient

    ports = mp.Queue()
    server = mp.Process(target=serve, args=(ports, mode, frames, batch, rate), daemon=True)
    server.start()
    port = ports.get(timeout=20)
    events: queue.SimpleQueue = queue.SimpleQueue()
    url = f"ws://127.0.0.1:{port}/api/dostk/websocket"
    client = SocketClient(
        Endpoint("bench", f"http://127.0.0.1:{port}", url),
        lambda f: "T",
        events,
        clock=PerfClock(),
        reconnect=False,
    )
    client.start()
    try:
        client._ws.send(codec.dumps({"trnm": "REG", "go": 1}))  # noqa: SLF001 - start signal
        total = frames * batch
        latencies, first, last = [], None, None
        from kiwoom_cli.models import Tick

        got = 0
        while got < total:
            event = events.get(timeout=60)
            now = time.perf_counter()
            if not isinstance(event, Tick):
                continue  # SocketStatus
            got += 1
            first = first or now
            last = now
            if mode == "latency":
                latencies.append((now - float(event.time)) * 1000)
    finally:
        client.stop()
        server.terminate()
    result = {"entries": total, "seconds": last - first}
    if mode == "throughput":
        result["entries_per_s"] = (total - 1) / (last - first) if last > first else float("nan")
    else:
        latencies.sort()
        pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
        result.update(
            p50_ms=pick(0.50),
            p90_ms=pick(0.90),
            p99_ms=pick(0.99),
            max_ms=latencies[-1],
            mean_ms=statistics.fmean(latencies),
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1, help="entries per REAL frame")
    parser.add_argument("--rate", type=float, default=2000, help="frames/s in the latency run")
    args = parser.parse_args()
    try:
        import orjson  # noqa: F401

        parser_name = "orjson"
    except ImportError:
        parser_name = "json"
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; parser {parser_name}"
    )
    tp = run("throughput", args.frames, args.batch, args.rate)
    print(
        f"throughput: {tp['entries']} entries ({args.batch}/frame) in {tp['seconds']:.3f}s "
        f"= {tp['entries_per_s']:,.0f} entries/s"
    )
    lat_frames = min(args.frames, int(args.rate * 5))
    lat = run("latency", lat_frames, args.batch, args.rate)
    print(
        f"latency at {args.rate:g} frames/s ({lat['entries']} entries): p50 {lat['p50_ms']:.3f} ms, "
        f"p90 {lat['p90_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms, max {lat['max_ms']:.3f} ms"
    )


if __name__ == "__main__":
    main()
