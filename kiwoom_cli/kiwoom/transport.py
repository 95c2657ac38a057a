"""HTTP POST over one urllib3 keep-alive pool (what requests runs on), for RestClient.

Why not requests.Session: on the order path it cost ~0.5 ms more per call than a urllib3 pool
(benchmarks/order_transport.py: 0.91 vs 0.37 ms call -> bytes written, sparse
calls). urllib3's pools are thread-safe; RestClient still keeps one client per thread (docs/decisions.md §2).

No environment proxy lookup (the HTTP(S)_PROXY variables are ignored, as requests' trust_env=False
did); an explicit proxy is honoured. No retries and no redirects here: RestClient decides what may be
resent. https pools use the context kiwoom/tls.py builds (certifi + SSL_CERT_FILE + ca_file), made
on the first https request, so a plain-http client never loads a CA bundle.
"""

from __future__ import annotations

import ssl
from typing import Callable

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProxyError,
)

from kiwoom_cli.kiwoom import tls

CERTIFICATE = "certificate"  # SendError.kind of a server certificate that failed verification


class SendError(Exception):
    """The request failed below HTTP. `nothing_sent`: the connection was never made.

    `verify` is the certificate error when kind is CERTIFICATE (the handshake refused the server).
    """

    def __init__(self, kind: str, nothing_sent: bool, verify: ssl.SSLCertVerificationError | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.nothing_sent = nothing_sent
        self.verify = verify


class Transport:
    """POST bytes to `base_url + path` on a kept-alive connection; answer (status, body, headers)."""

    def __init__(self, timeout: float, proxy: str | None = None,
                 ssl_context: Callable[[], ssl.SSLContext] = tls.context) -> None:
        kw: dict = {
            "maxsize": 1,  # one thread uses it at a time; a concurrent caller gets a throwaway connection
            "block": False,
            "retries": False,
            "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        }
        self._ssl_context = ssl_context  # called for the first https pool (verification always on)
        if proxy:  # the proxy manager builds its pools itself: give it the context now
            kw["ssl_context"] = ssl_context()
        self._proxied = bool(proxy)
        self._manager = urllib3.ProxyManager(proxy, **kw) if proxy else urllib3.PoolManager(**kw)
        self._pool: tuple[str, urllib3.HTTPConnectionPool] | None = None  # (base_url, its pool)

    def post(self, base_url: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict]:
        """Send one POST and read the whole answer; raise SendError on a transport failure."""
        try:
            if self._proxied:  # the proxy manager rewrites the request for the proxy
                response = self._manager.urlopen(
                    "POST", base_url + path, body=body, headers=headers, retries=False, redirect=False
                )
            else:
                response = self._pool_for(base_url).urlopen(
                    "POST", path, body=body, headers=headers, retries=False, redirect=False
                )
            return response.status, response.data, dict(response.headers)
        except (HTTPError, OSError) as exc:
            raise _send_error(exc) from None

    def _pool_for(self, base_url: str) -> urllib3.HTTPConnectionPool:
        cached = self._pool
        if cached is not None and cached[0] == base_url:
            return cached[1]
        https = base_url.startswith("https:")
        pool = self._manager.connection_from_url(
            base_url, pool_kwargs={"ssl_context": self._ssl_context()} if https else None)
        self._pool = (base_url, pool)
        return pool

    def close(self) -> None:
        """Close every pooled connection."""
        self._manager.clear()
        self._pool = None


def _send_error(exc: BaseException) -> SendError:
    cause = exc
    if isinstance(exc, ProxyError):  # could not reach the proxy: look at why
        cause = getattr(exc, "original_error", None) or exc
    # urllib3 connects (TCP, then the TLS handshake) before it writes the request, and a certificate
    # is verified only in the handshake: a verification failure means nothing was sent.
    verify = tls.verify_failure(exc)
    if verify is not None:
        return SendError(CERTIFICATE, True, verify)
    # NewConnectionError (refused, DNS) and connect timeouts fail before any byte of the request
    nothing_sent = isinstance(cause, (NewConnectionError, ConnectTimeoutError))
    return SendError(type(cause).__name__, nothing_sent)
