"""WebSocket connection primitives for SocketClient: open, send, decode, read, LOGIN handshake (docs/protocol.md, WebSocket)."""

from __future__ import annotations

import logging
import ssl
import time
from typing import Callable
from urllib.parse import urlsplit

import websocket

from kiwoom_cli.errors import ApiError, TemporaryError, TokenInvalid
from kiwoom_cli.kiwoom import codec, protocol, tls
from kiwoom_cli.kiwoom.codec import ProtocolError

log = logging.getLogger(__name__)

_NO_HOST = "no-proxy.invalid"


def open_socket(url: str, timeout: float, proxy: str | None = None,
                ssl_context: Callable[[], ssl.SSLContext] = tls.context) -> websocket.WebSocket:
    """Connect to `url` (thread-safe sends, no UTF-8 re-validation); TemporaryError when unreachable.

    wss:// uses `ssl_context()` (kiwoom/tls.py: verification always on); a certificate that fails
    it is CertificateFailed (the LOGIN and its token are never sent).
    """
    # Like the REST session (trust_env False): the environment's proxy settings are ignored and
    # an explicit proxy applies to every host. websocket-client 1.9 reads http_no_proxy only when
    # http_proxy_host is set (otherwise it consults $no_proxy), so "no proxy" is spelled as a
    # proxy that every host ("*") bypasses.
    if proxy:
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        options = dict(
            http_proxy_host=parts.hostname,
            http_proxy_port=parts.port or 8080,
            http_no_proxy=[_NO_HOST],  # a non-empty list so $no_proxy is not consulted
        )
    else:
        options = dict(http_proxy_host=_NO_HOST, http_proxy_port=1, http_no_proxy=["*"])
    if url.startswith("wss:"):
        options["sslopt"] = {"context": ssl_context()}
    try:
        # skip_utf8_validation: the pure-Python check is 85 % of read time (measured);
        # the text is still decoded strictly by the JSON parser.
        return websocket.create_connection(
            url, timeout=timeout, skip_utf8_validation=True, enable_multithread=True, **options
        )
    except (websocket.WebSocketException, OSError) as exc:
        verify = tls.verify_failure(exc)
        if verify is not None:
            raise tls.failed(url, verify, "LOGIN") from None
        raise TemporaryError(f"cannot connect to {url} ({type(exc).__name__})") from None


def send(ws: websocket.WebSocket, frame: dict | bytes | str) -> None:
    """Send one text frame (a dict is serialised); TemporaryError when the connection is gone."""
    payload = frame if isinstance(frame, (bytes, str)) else codec.dumps(frame)
    try:
        ws.send(payload)
    except (websocket.WebSocketException, OSError) as exc:
        raise TemporaryError(f"socket send failed ({type(exc).__name__})") from None


BARE_PING = {"trnm": "PING"}  # what a bare `PING` text frame decodes to (it is echoed as it came)


def decode(data: bytes | str) -> dict:
    """Parse one text frame into a JSON object with a string `trnm`; ProtocolError for anything else.

    Any bytes are safe here: not UTF-8, not JSON, too deep, numbers past the parser's limits, or
    JSON that is not an object. A bare `PING` text (not JSON, as Kiwoom's own client accepts it)
    decodes to BARE_PING.
    """
    if len(data) <= 16 and data.strip().upper() in (b"PING", "PING"):
        return BARE_PING
    try:
        frame = codec.loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ProtocolError("frame is not JSON") from None
    if not isinstance(frame, dict):
        raise ProtocolError(f"frame is not a JSON object ({type(frame).__name__})")
    if not isinstance(frame.get("trnm"), str):
        raise ProtocolError("frame has no trnm text")
    return frame


def sample(data: bytes | str, size: int = 60) -> str:
    """The first bytes of a frame for a log line; never a token (LOGIN frames carry one)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
    if b"token" in raw.lower():
        return f"<{len(raw)} bytes, not shown: it mentions a token>"
    head = raw[:size].decode("utf-8", "replace")
    return f"{head!r}{'...' if len(raw) > size else ''} ({len(raw)} bytes)"


def log_bad_frame(count: int, exc: Exception, data: bytes | str) -> None:
    """Log a dropped frame: each of the first ten, then every 1000th (a flood must not fill the disk)."""
    if count <= 10 or count % 1000 == 0:
        log.warning("dropped a malformed frame (%d so far): %s: %s", count, exc, sample(data))


def login_error(frame: dict) -> ApiError | None:
    """The error a LOGIN reply carries, or None: a token refusal (8005, 8031, 8103 in any form) is
    TokenInvalid, so the caller logs in again with a fresh token; anything else stays AuthError."""
    error = protocol.ws_error_for(frame)
    if error is None or isinstance(error, TokenInvalid):
        return error
    # top level, [8005:...] or [CODE=8005, ...]: a fresh token may pass
    if error.code in protocol.TOKEN_REFUSED or str(error.return_code) in protocol.TOKEN_REFUSED:
        message = error.message if error.code in error.message else f"{error.message} [{error.code}]"
        return TokenInvalid(message, return_code=error.return_code, code=error.code, api_id="LOGIN")
    return error


def read(
    ws: websocket.WebSocket,
    silence_s: float,
    on_frame: Callable[[bytes, dict], None],
    on_bad: Callable[[ProtocolError, bytes], None],
    overdue: Callable[[], bool],
) -> str:
    """Read frames into `on_frame` until the connection ends, stays silent for `silence_s` (the
    watchdog), a frame breaks `on_frame`, or `overdue()`; return why. Never raises."""
    recv = ws.recv_data
    ws.settimeout(silence_s)  # stop() aborts the connection to wake this up sooner
    while True:
        try:
            opcode, data = recv()
        except websocket.WebSocketTimeoutException:
            return f"nothing received for {silence_s:g}s"
        except websocket.WebSocketConnectionClosedException:
            return "connection closed"
        except (websocket.WebSocketException, OSError) as exc:
            return f"connection lost ({type(exc).__name__})"
        except Exception as exc:  # the library choking on hostile framing
            log.warning("socket read failed (%s)", type(exc).__name__, exc_info=True)
            return f"connection lost ({type(exc).__name__})"
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return "closed by the server"
        try:
            frame = decode(data)
        except ProtocolError as exc:
            on_bad(exc, data)
            continue
        try:
            on_frame(data, frame)
        except Exception as exc:  # a frame we did not foresee broke us: start over on a new connection
            log.error("socket reader failed on a frame (%s): %s", type(exc).__name__, sample(data),
                      exc_info=True)
            return f"socket reader failed ({type(exc).__name__})"
        if overdue():
            return "the restore after the reconnect was not acknowledged"


def login(
    ws: websocket.WebSocket,
    token: str,
    timeout: float,
    on_frame: Callable[[bytes, dict], None],
) -> None:
    """Send LOGIN and wait for its reply; frames before it (PING, SYSTEM, REAL) go to `on_frame`.

    The reply is not necessarily the first frame (production interleaves SYSTEM frames). A close
    before the reply is retryable (TemporaryError; docs/protocol.md, WebSocket); a refusal raises AuthError or
    TokenInvalid (login_error). A frame that cannot be decoded is skipped.
    """
    send(ws, protocol.login_frame(token))
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TemporaryError(f"LOGIN: no reply within {timeout:g}s", api_id="LOGIN")
        ws.settimeout(remaining)
        try:
            opcode, data = ws.recv_data()
        except websocket.WebSocketTimeoutException:
            raise TemporaryError(f"LOGIN: no reply within {timeout:g}s", api_id="LOGIN") from None
        except (websocket.WebSocketException, OSError) as exc:
            raise TemporaryError(
                f"LOGIN: connection closed before the reply ({type(exc).__name__})", api_id="LOGIN"
            ) from None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise TemporaryError("LOGIN: connection closed before the reply", api_id="LOGIN")
        try:
            frame = decode(data)
        except ProtocolError as exc:
            log.warning("skipping a frame before the LOGIN reply: %s: %s", exc, sample(data))
            continue
        if frame.get("trnm") == "LOGIN":
            error = login_error(frame)
            if error is not None:
                raise error
            return
        on_frame(data, frame)
