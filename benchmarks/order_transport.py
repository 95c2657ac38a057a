"""Benchmark: call -> kt10000 bytes written for three HTTP clients, sparse and back-to-back. Not a test.

    python benchmarks/order_transport.py [--n 150] [--gaps 30,0]

Why: in entry_to_order.py the biggest stage of the in-process path is RestClient._post -> bytes
written (requests). This puts numbers on the alternatives, same body, same headers, same warm
keep-alive connection, against a SimServer in another process (rate limits off):
  RestClient RestClient.buy (what the order worker runs: a urllib3 pool since the PERF change)
  requests   requests.Session().post, trust_env False (what RestClient used before)
  urllib3    HTTPConnectionPool.urlopen (what requests runs on)
  http.client HTTPConnection.request + getresponse
"Bytes written" = http.client.HTTPConnection.send returning for the chunk holding the body (urllib3's
connection subclasses it). `--gaps` in ms between calls: entries are sparse, and on this VM code that
ran 30 ms ago is cold (2-4x slower than back-to-back); both are printed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _engine_rig as R


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--gaps", default="30,0", help="ms between calls, comma-separated")
    args = ap.parse_args()
    stamps: list[float] = []
    original = http.client.HTTPConnection.send

    def send(self, data):
        original(self, data)
        if b'"stk_cd"' in data:
            stamps.append(time.perf_counter())

    http.client.HTTPConnection.send = send
    import urllib3

    from kiwoom_cli.kiwoom import codec, protocol
    from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
    from kiwoom_cli.kiwoom.rest import RestClient
    from kiwoom_cli.kiwoom.tokens import TokenStore

    print(R.machine_line())
    print("simulator: separate process, static, rate limits OFF; market buy of 1 share per call")
    with R.SimProcess(rate_limit=None) as sim, tempfile.TemporaryDirectory() as tmp:
        rest = RestClient(Endpoint("sim", sim.rest_url, sim.ws_url), Credentials(R.APP_KEY, R.SECRET),
                          tokens=TokenStore(Path(tmp)))
        code, api = "005930", "kt10000"
        body = codec.dumps(protocol.order_body(code, 1, None))
        headers = dict(protocol.rest_headers(api, rest.token(), None))
        host, port = sim.rest_url.split("//")[1].split(":")
        pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=1)
        conn = http.client.HTTPConnection(host, int(port))
        path = protocol.PATHS[api]

        import requests

        session = requests.Session()
        session.trust_env = False
        url = sim.rest_url + protocol.PATHS[api]

        def via_requests():
            session.post(url, data=body, headers=headers, timeout=10).content  # noqa: B018

        def via_urllib3():
            pool.urlopen("POST", path, body=body, headers=headers).data  # noqa: B018 - read the answer

        def via_http_client():
            conn.request("POST", path, body=body, headers=headers)
            conn.getresponse().read()

        clients = (("RestClient.buy", lambda: rest.buy(code, 1, None)), ("requests.Session", via_requests),
                   ("urllib3 pool urlopen", via_urllib3), ("http.client", via_http_client))
        print("\ncall -> order bytes written, ms" + " " * 25 + "n     p50       p90       p99       max")
        for gap in (float(g) / 1000 for g in args.gaps.split(",")):
            for name, fn in clients:
                fn()
                fn()  # connection open and warm
                lat = []
                for _ in range(args.n):
                    if gap:
                        time.sleep(gap)
                    n = len(stamps)
                    t0 = time.perf_counter()
                    fn()
                    lat.append((stamps[n] - t0) * 1000)
                print(f"  gap {gap * 1000:3.0f} ms  {name:<27} {R.summary(lat)}")
        rest.close()
        session.close()
        conn.close()
        pool.close()


if __name__ == "__main__":
    main()
