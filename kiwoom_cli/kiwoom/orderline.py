"""Order lines: an order's request written by one thread, its answer read by another.

Why: on the path from a condition entry to the order's bytes (issue #5: p50 < 0.5 ms), handing the
order to the order worker cost a thread hop (~0.13 ms here, the worker's wake-up) and urllib3's
machinery another ~0.3 ms. The write is short and never blocks (a few hundred bytes into the
kernel's buffer); what takes long is the answer. So the engine writes the order on an idle line,
and the order worker, which has nothing else to do, waits for the answer and reports it.
benchmarks/entry_to_order.py measures both paths.

A line is one kept-alive HTTP/1.1 connection used only for orders. Lines move between threads
through queues (idle pool -> engine -> order job -> worker -> idle pool): one thread at a time
touches a line. `try_send` never waits: with no idle connected line, no free rate-limit slot or no
valid cached token, it sends nothing and answers None, and the caller takes the ordinary path (the
worker's RestClient). Connecting is the worker's job (`fill`), never the engine's.

How long the broker keeps an idle connection open is unverified. A line the server closed while
idle is found (usable()) at the next order, which then takes the ordinary path while the worker
reconnects the line afterwards: after a quiet spell longer than the server's keep-alive, the first
order pays ~0.5 ms more. A line found closed is never written on; one the server closes at the very
moment of a write ends as an unknown outcome, never a resend (as with urllib3's reuse check).

The answer is read with the RestClient's own rules (rest.py: order_answer / order_lost), so an order
means the same on both paths: refused before any effect -> OrderFailed; sent and unanswered ->
OutcomeUnknown, never resent.
"""

from __future__ import annotations

import http.client
import logging
import queue
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from kiwoom_cli.kiwoom import codec, protocol
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.models import OrderAck

log = logging.getLogger(__name__)

LINES = 2  # the broker's burst per api-id (docs/decisions.md §8): more would wait for a rate slot anyway


class Line:
    """One kept-alive connection to the REST host: connect and read in the worker, write anywhere."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, timeout: float) -> None:
        self.host, self.port, self.tls, self.timeout = host, port, tls, timeout
        self.sock: socket.socket | None = None

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock

    def usable(self) -> bool:
        """Connected, and the server has not closed it (an idle keep-alive line says nothing)."""
        sock = self.sock
        if sock is None:
            return False
        try:  # what urllib3 checks before reusing a connection: readable = EOF or junk
            readable = select.select([sock], [], [], 0)[0]
        except (OSError, ValueError):
            readable = True
        if readable or (isinstance(sock, ssl.SSLSocket) and sock.pending()):
            self.close()
            return False
        return True

    def write(self, data: bytes) -> int:
        """Write all of `data`; on failure raise WriteFailed with how many bytes had left."""
        view, sent = memoryview(data), 0
        try:
            while sent < len(data):
                sent += self.sock.send(view[sent:])
        except OSError as exc:
            self.close()
            raise WriteFailed(type(exc).__name__, sent) from None
        return sent

    def read(self) -> tuple[int, bytes]:
        """Read one answer (status, body); close the line if the server says it will."""
        response = http.client.HTTPResponse(self.sock, method="POST")
        try:
            response.begin()
            body = response.read()
        finally:
            response.close()
        if response.will_close:
            self.close()
        return response.status, body

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


class WriteFailed(Exception):
    def __init__(self, kind: str, sent: int) -> None:
        super().__init__(kind)
        self.kind, self.sent = kind, sent


@dataclass(slots=True)
class Sent:
    """An order written on a line; its answer is still to be read (`lost`: the write broke midway)."""

    api_id: str
    token: str
    line: Line
    lost: str | None = None


class OrderLines:
    """A few order lines over one RestClient's token, rate limit and reading of answers."""

    def __init__(self, rest: RestClient, *, size: int = LINES, timeout: float = 10.0) -> None:
        url = urlsplit(rest.endpoint.rest_url)
        self._rest = rest
        self._path_host = url.netloc
        if url.scheme != "http":  # TLS orders leave through the order worker's RestClient (kiwoom/tls.py)
            raise ValueError(f"order lines speak plain http only, not {url.scheme}://")
        self._lines = [Line(url.hostname or "", url.port or 80, None, timeout) for _ in range(size)]
        self._idle: queue.SimpleQueue[Line] = queue.SimpleQueue()
        self._fill_lock = threading.Lock()
        self._closed = False
        self._out: set[int] = set()  # ids of lines written and not yet answered (the worker's)
        self.written = 0  # orders written by try_send (the others took the ordinary path)
        self._heads: dict[str, bytes] = {}  # api-id -> request head for _heads_token (engine thread)
        self._heads_token = ""

    # ------------------------------------------------------------------ worker side

    def fill(self) -> None:
        """Connect the lines that are down (blocks: the worker's thread or start-up, never the engine's).

        A line is down when it never connected, or a thread closed it (dropped by the server, broken
        write, `Connection: close`) and let it go. A line in use is never down: whoever holds it has
        a live socket, or has it in `_out` until the worker reads its answer. A failed connect leaves
        the line down; orders then take the ordinary path.
        """
        with self._fill_lock:
            for line in self._lines:
                if self._closed or line.sock is not None or id(line) in self._out:
                    continue
                try:
                    line.connect()
                except OSError as exc:
                    log.info("order line not connected (%s): orders take the ordinary path", type(exc).__name__)
                    continue
                self._idle.put(line)

    def answer(self, sent: Sent) -> OrderAck:
        """Read the answer of a written order (the worker's thread); raise as RestClient's orders do."""
        line = sent.line
        try:
            if sent.lost is not None:
                raise self._rest.order_lost(sent.api_id, sent.lost)
            try:
                status, content = line.read()
            except (OSError, http.client.HTTPException) as exc:
                line.close()
                raise self._rest.order_lost(sent.api_id, type(exc).__name__) from None
            return self._rest.order_answer(sent.api_id, status, content, sent.token)
        finally:
            self._out.discard(id(line))
            if line.sock is not None and not self._closed:
                self._idle.put(line)

    # ------------------------------------------------------------------ engine side

    def try_buy(self, code: str, qty: int, price: int | None) -> Sent | None:
        return self.try_send(protocol.BUY, protocol.order_body(code, qty, price, self._rest.exchange))

    def try_sell(self, code: str, qty: int, price: int | None) -> Sent | None:
        return self.try_send(protocol.SELL, protocol.order_body(code, qty, price, self._rest.exchange))

    def try_amend(self, order_no: str, code: str, qty: int, price: int) -> Sent | None:
        return self.try_send(protocol.AMEND, protocol.amend_body(order_no, code, qty, price, self._rest.exchange))

    def try_cancel(self, order_no: str, code: str, qty: int = 0) -> Sent | None:
        return self.try_send(protocol.CANCEL, protocol.cancel_body(order_no, code, qty, self._rest.exchange))

    def try_send(self, api_id: str, body: dict) -> Sent | None:
        """Write an order now if nothing has to wait; None = nothing was sent (take the ordinary path)."""
        try:
            line = self._idle.get_nowait()
        except queue.Empty:
            return None
        if not line.usable():
            return None  # closed by the server while idle: down until fill() reconnects it
        token = self._rest.token_now()
        if token is None or not _header_safe(token) or not self._rest.slot_now(api_id):
            self._idle.put(line)
            return None
        data = self._request(api_id, codec.dumps(body), token)
        self._out.add(id(line))
        try:
            line.write(data)
        except WriteFailed as exc:
            if exc.sent == 0:  # not one byte left: the ordinary path may send it
                self._out.discard(id(line))
                return None
            self.written += 1
            return Sent(api_id, token, line, lost=exc.kind)
        self.written += 1
        return Sent(api_id, token, line)

    def _request(self, api_id: str, body: bytes, token: str) -> bytes:
        if token != self._heads_token:  # a new token: the old heads are done with
            self._heads, self._heads_token = {}, token
        head = self._heads.get(api_id)
        if head is None:  # once per api-id and token: what stays the same from one order to the next
            head = self._heads[api_id] = (
                f"POST {protocol.PATHS[api_id]} HTTP/1.1\r\nHost: {self._path_host}\r\n"
                "Accept-Encoding: identity\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in protocol.rest_headers(api_id, token).items())
            ).encode("latin-1")
        return b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)

    def renew_token(self, refused: str) -> None:
        """The broker refused the token an order carried: the lines' next orders carry another, issued
        now unless another client already has (the worker's thread)."""
        self._rest.token(refused=refused)

    def close(self) -> None:
        with self._fill_lock:
            self._closed = True
            for line in self._lines:
                line.close()
        self._rest.close()


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable()
