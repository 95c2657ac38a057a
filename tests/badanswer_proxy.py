"""A local stand-in for the simulator's `bad_answer` fault: an HTTP proxy on 127.0.0.1 port 0 that
answers the next `count` requests of one api-id with a given body (HTTP 200) and forwards
everything else to the simulator unchanged."""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BadAnswerProxy:
    def __init__(self, rest_url: str) -> None:
        self.target = urllib.parse.urlsplit(rest_url)
        self.bad: dict[str, list] = {}  # api-id -> [count left (None: always), body bytes]
        self.served: list[str] = []  # api-ids answered badly, in order
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                api_id = self.headers.get("api-id", "")
                bad = proxy._take(api_id)
                if bad is not None:
                    status, headers, content = 200, {"content-type": "application/json;charset=UTF-8"}, bad
                else:
                    status, headers, content = proxy._forward(self.path, body, dict(self.headers))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, api_id: str, body: bytes, count: int | None = 1) -> None:
        """Answer the next `count` requests of `api_id` (None: all of them) with `body`."""
        with self.lock:
            self.bad[api_id] = [count, body]

    def _take(self, api_id: str) -> bytes | None:
        with self.lock:
            entry = self.bad.get(api_id)
            if entry is None:
                return None
            if entry[0] is not None:
                entry[0] -= 1
                if entry[0] <= 0:
                    del self.bad[api_id]
            self.served.append(api_id)
            return entry[1]

    def _forward(self, path: str, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=30)
        try:
            keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection", "content-length")}
            conn.request("POST", path, body, keep)
            resp = conn.getresponse()
            content = resp.read()
            passed = {k: v for k, v in resp.getheaders()
                      if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")}
            return resp.status, passed, content
        finally:
            conn.close()

    def __enter__(self) -> "BadAnswerProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
