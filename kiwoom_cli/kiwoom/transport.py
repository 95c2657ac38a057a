"""HTTP POST over one urllib3 keep-alive pool (what requests runs on), for RestClient.

Why not requests.Session: on the order path it cost ~0.5 ms more per call than a urllib3 pool
(performance.md; benchmarks/order_transport.py: 0.91 vs 0.37 ms call -> bytes written, sparse
calls). urllib3's pools are thread-safe; RestClient still keeps one client per thread (§2).

No environment proxy lookup (the HTTP(S)_PROXY variables are ignored, as requests' trust_env=False
did); an explicit proxy is honoured. No retries and no redirects here: RestClient decides what may be
resent. Certificates are checked against certifi's bundle when it is installed (requests' choice).
"""

from __future__ import annotations

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProxyError,
)

try:  # requests' CA bundle; urllib3 alone would use the system store
    import certifi

    _CA_CERTS: str | None = certifi.where()
except ImportError:  # pragma: no cover - certifi comes with requests
    _CA_CERTS = None


class SendError(Exception):
    """The request failed below HTTP. `nothing_sent`: the connection was never made."""

    def __init__(self, kind: str, nothing_sent: bool) -> None:
        super().__init__(kind)
        self.kind = kind
        self.nothing_sent = nothing_sent


class Transport:
    """POST bytes to `base_url + path` on a kept-alive connection; answer (status, body, headers)."""

    def __init__(self, timeout: float, proxy: str | None = None) -> None:
        kw: dict = {
            "maxsize": 1,  # one thread uses it at a time; a concurrent caller gets a throwaway connection
            "block": False,
            "retries": False,
            "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        }
        if _CA_CERTS is not None:
            kw["ca_certs"] = _CA_CERTS
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
        pool = self._manager.connection_from_url(base_url)
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
    # NewConnectionError (refused, DNS) and connect timeouts fail before any byte of the request
    nothing_sent = isinstance(cause, (NewConnectionError, ConnectTimeoutError))
    return SendError(type(cause).__name__, nothing_sent)
