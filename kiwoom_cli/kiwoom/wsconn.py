"""WebSocket connection primitives for SocketClient: open, send, decode, LOGIN handshake (§5.1-5.2)."""

from __future__ import annotations

import logging
import ssl
import time
from typing import Callable
from urllib.parse import urlsplit

import websocket

from kiwoom_cli.errors import TemporaryError
from kiwoom_cli.kiwoom import codec, protocol, tls

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
        # skip_utf8_validation: the pure-Python check is 85 % of read time (performance.md);
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


def decode(data: bytes | str) -> dict | None:
    """Parse a frame; None (logged) when it is not a JSON object."""
    try:
        frame = codec.loads(data)
    except ValueError:
        log.warning("dropping a frame that is not JSON (%d bytes)", len(data))
        return None
    return frame if isinstance(frame, dict) else None


def login(
    ws: websocket.WebSocket,
    token: str,
    timeout: float,
    on_frame: Callable[[bytes, dict], None],
) -> None:
    """Send LOGIN and wait for its reply; frames before it (PING, SYSTEM, REAL) go to `on_frame`.

    The reply is not necessarily the first frame (production interleaves SYSTEM frames). A close
    before the reply is retryable (TemporaryError, §7 item 2); a refusal raises AuthError or
    TokenInvalid ([8005]).
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
        frame = decode(data)
        if frame is None:
            continue
        if frame.get("trnm") == "LOGIN":
            error = protocol.ws_error_for(frame)
            if error is not None:
                raise error
            return
        on_frame(data, frame)
