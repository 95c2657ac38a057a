"""Load-generate the simulator's REST side from other processes; print requests/s.

    python benchmarks/sim_rest.py [--seconds 5] [--workers 2] [--api ka10001] [--client requests|http]

The simulator runs in this process (one asyncio loop thread, limits off); the load comes from
`--workers` separate processes, each with one keep-alive requests.Session (trust_env False,
no proxy lookup per call). `--client http` uses http.client instead, whose ~4x smaller per-call cost shows
the server's own ceiling on a small machine. Target: >= 2,000 requests/s. Not a test: no
assertion, just numbers (they move with whatever else the machine is running).
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing as mp
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BODIES = {
    "ka10001": ("/api/dostk/stkinfo", {"stk_cd": "005930"}),
    "ka10095": ("/api/dostk/stkinfo", {"stk_cd": "005930|000660|035420|035720|005380"}),
    "kt00001": ("/api/dostk/acnt", {"qry_tp": "3"}),
    "kt10000": ("/api/dostk/ordr", {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1", "ord_uv": "",
                                    "trde_tp": "3", "cond_uv": ""}),
}


def _poster(rest_url: str, client: str):
    """Return post(path, body, headers) -> (status, json) over one keep-alive connection."""
    if client == "requests":
        import requests

        s = requests.Session()
        s.trust_env = False

        def post(path, body, headers):
            r = s.post(rest_url + path, json=body, headers=headers)
            return r.status_code, r.json()

        return post
    import http.client
    import json
    from urllib.parse import urlsplit

    u = urlsplit(rest_url)
    conn = http.client.HTTPConnection(u.hostname, u.port)

    def post(path, body, headers):
        conn.request("POST", path, json.dumps(body), {**headers, "content-type": "application/json"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())

    return post


def worker(rest_url: str, api_id: str, client: str, seconds: float, start_at: float, out: mp.Queue) -> None:
    path, body = BODIES[api_id]
    post = _poster(rest_url, client)
    _, token = post("/oauth2/token", {"grant_type": "client_credentials",
                                      "appkey": f"bench-{os.getpid()}", "secretkey": "x"}, {})
    headers = {"api-id": api_id, "authorization": f"Bearer {token['token']}"}
    while time.time() < start_at:
        time.sleep(0.001)
    n = errors = 0
    lat = []
    end = start_at + seconds
    while True:
        t0 = time.perf_counter()
        status, data = post(path, body, headers)
        lat.append(time.perf_counter() - t0)
        if status != 200 or data.get("return_code") != 0:
            errors += 1
        n += 1
        if time.time() >= end:
            break
    out.put((n, errors, lat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--api", choices=sorted(BODIES), default="ka10001")
    ap.add_argument("--client", choices=("requests", "http"), default="requests")
    args = ap.parse_args()

    from kiwoom_cli.sim.domain import SimConfig
    from kiwoom_cli.sim.server import SimServer

    config = SimConfig(rate_limit=None, static=True, cash=10**15)
    ctx = mp.get_context("spawn")
    with SimServer(config) as sim:
        out = ctx.Queue()
        start_at = time.time() + 2.0  # let every worker connect and log in first
        procs = [ctx.Process(target=worker, args=(sim.rest_url, args.api, args.client, args.seconds, start_at, out))
                 for _ in range(args.workers)]
        for p in procs:
            p.start()
        results = [out.get(timeout=args.seconds + 60) for _ in procs]
        for p in procs:
            p.join()
        logged = len(sim.request_log)
    total = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    p50 = lat[len(lat) // 2] * 1000
    p99 = lat[int(len(lat) * 0.99)] * 1000
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    print(f"simulator REST load: api-id {args.api}, {args.workers} worker process(es) x {args.client}, "
          f"{args.seconds:.1f} s, server loop {loop}")
    print("limits: rate_limit=off (SimConfig.rate_limit=None), static market, keep-alive connections"
          + (", trust_env=False" if args.client == "requests" else ""))
    print(f"load average before: {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "")
    print(f"machine: {os.cpu_count()} CPU(s), Python {platform.python_version()}, {platform.system()}")
    print(f"requests: {total} ({errors} non-success), server logged {logged}")
    print(f"throughput: {total / args.seconds:,.0f} requests/s (target >= 2,000)")
    print(f"round trip: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
