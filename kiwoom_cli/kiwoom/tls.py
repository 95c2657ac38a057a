"""The client's one TLS context: which certificate authorities the REST and WebSocket connections trust.

Trusted: certifi's bundle, plus the file named by SSL_CERT_FILE (extra CAs, e.g. a network that
inspects TLS), plus the `ca_file` setting. A simulator started with `--tls` is trusted through
exactly its own CA file (sim.json names it), nothing else. Verification and hostname checking are
always on: there is no way to turn them off.
"""

from __future__ import annotations

import os
import ssl
from urllib.parse import urlsplit

from kiwoom_cli.errors import CertificateFailed, ConfigError

_cache: dict[tuple, ssl.SSLContext] = {}


def pem_problem(path: str) -> str | None:
    """Say what is wrong with a CA file (unreadable, not PEM certificates), or None when it loads."""
    try:
        with open(path, "rb") as fh:
            head = fh.read()
    except OSError as exc:
        return f"cannot read it: {exc.strerror or type(exc).__name__}"
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return "not a PEM file of certificates (no -----BEGIN CERTIFICATE----- block)"
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except (ssl.SSLError, ValueError) as exc:
        return f"not a PEM file of certificates ({getattr(exc, 'reason', None) or exc})"
    return None


def context(ca_file: str | None = None, *, only: bool = False) -> ssl.SSLContext:
    """Return the client context: certifi + $SSL_CERT_FILE + ca_file, or (only=True) ca_file alone.

    Built once per set of files (a file that changes gets a new context). A broken SSL_CERT_FILE
    is a ConfigError naming it; ca_file was checked when the settings were loaded.
    """
    files: list[tuple[str, str]] = []
    if not only:
        import certifi

        files.append((certifi.where(), "certifi"))
        extra = os.environ.get("SSL_CERT_FILE")
        if extra:
            files.append((extra, "environment variable SSL_CERT_FILE"))
    if ca_file:
        files.append((ca_file, "ca_file"))
    if not files:
        raise ValueError("context(only=True) needs a ca_file")
    key = tuple((path, _stamp(path)) for path, _ in files)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    ctx = ssl.create_default_context(cafile=files[0][0])  # CERT_REQUIRED, check_hostname True
    for path, origin in files[1:]:
        problem = pem_problem(path)
        if problem is not None:
            raise ConfigError(f"{origin} = {path}: {problem}. Allowed: a readable PEM file of CA certificates")
        ctx.load_verify_locations(cafile=path)
    _cache[key] = ctx
    return ctx


def for_endpoint(endpoint) -> ssl.SSLContext:
    """The context for an Endpoint (its ca_file and whether it is the only CA trusted)."""
    return context(endpoint.ca_file, only=endpoint.ca_only)


def host_of(url: str) -> str:
    """The host name of a URL, for messages (no scheme, port, path or query)."""
    return urlsplit(url).hostname or "?"


def verify_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate-verification error inside `exc` (urllib3 and websocket-client wrap it), else None."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return exc
        seen.add(id(exc))
        inner = next((a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)), None)
        exc = inner or exc.__cause__ or exc.__context__
    return None


def failed(url: str, exc: ssl.SSLCertVerificationError, api_id: str) -> CertificateFailed:
    """The error for a server whose certificate did not verify: the host and OpenSSL's reason, no more."""
    reason = exc.verify_message or exc.reason or "refused"
    return CertificateFailed(
        f"{api_id}: certificate verify failed for {host_of(url)} ({reason}); nothing was sent",
        api_id=api_id, hint="trust its CA with the ca_file setting or SSL_CERT_FILE")


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
