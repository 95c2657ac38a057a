"""The token cache shared by every process of one (mode, app key) (docs/decisions.md §2).

One file per (mode, sha256(app_key)[:16]) holding {"token", "expires_at"}: 0600, replaced
atomically (paths.write_private), issued under a file lock (fcntl.flock where available) so that
a one-shot command reuses the running session's token instead of issuing (and maybe revoking) one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Callable, Iterator

from kiwoom_cli.clock import Clock, SystemClock
from kiwoom_cli.paths import ensure_private_dir, write_private

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: threads of one process are still serialised
    fcntl = None

log = logging.getLogger(__name__)

Issuer = Callable[[], tuple[str, dt.datetime]]
# (token, expires_at, margin): the margin is fixed when the token is issued, from its lifetime
Entry = tuple[str, dt.datetime, dt.timedelta]
# A short-lived token (`kiwoom sim --token-lifetime 30`) keeps most of its life: the margin is at
# most this fraction of the lifetime, so a 30 s token is re-issued 3 s before it ends, not on every call.
MARGIN_FRACTION = 0.1


class TokenStore:
    """Cache tokens in memory and in `directory`; re-issue when less than the margin remains.

    The margin is `margin` seconds, or MARGIN_FRACTION of the token's lifetime when that is less.
    """

    def __init__(self, directory: Path, clock: Clock | None = None, *, margin: float = 300.0) -> None:
        self._dir = Path(directory)
        self._clock = clock or SystemClock()
        self._margin = dt.timedelta(seconds=margin)
        self._memory: dict[tuple[str, str], Entry] = {}
        self._lock = threading.Lock()

    def path(self, mode: str, app_key: str) -> Path:
        """Return the cache file of (mode, app key); the key itself never appears in the name."""
        digest = hashlib.sha256(app_key.encode("utf-8")).hexdigest()[:16]
        return self._dir / f"{mode}-{digest}.json"

    def _fresh(self, entry: Entry | None) -> bool:
        return entry is not None and entry[1] - self._clock.now() > entry[2]

    def _margin_for(self, lifetime: dt.timedelta) -> dt.timedelta:
        return max(dt.timedelta(0), min(self._margin, lifetime * MARGIN_FRACTION))

    def _issue(self, issue: Issuer) -> tuple[Entry, dt.datetime]:
        issued_at = self._clock.now()
        token, expires = issue()
        return (token, expires, self._margin_for(expires - issued_at)), issued_at

    def get(self, mode: str, app_key: str, issue: Issuer, *, refused: str | None = None) -> str:
        """Return a valid token, issuing one with `issue()` when none is cached or it nears expiry.

        `refused` is a token the broker just refused ([8005]): it is never returned again; a
        different valid token found in the file (another process re-issued) is used instead.
        """
        key = (mode, app_key)
        with self._lock:
            entry = self._memory.get(key)
            if self._fresh(entry) and entry[0] != refused:
                return entry[0]
            with self._file_lock(mode, app_key):
                entry = self._read(mode, app_key)
                if not (self._fresh(entry) and entry[0] != refused):
                    entry, issued_at = self._issue(issue)
                    self._write(mode, app_key, entry, issued_at)
                self._memory[key] = entry
                return entry[0]

    def cached(self, mode: str, app_key: str) -> str | None:
        """Return the cached token if one is still valid, without issuing."""
        key = (mode, app_key)
        with self._lock:
            entry = self._memory.get(key)
            if not self._fresh(entry):  # another process may have issued one: the file is shared
                entry = self._read(mode, app_key)
                if not self._fresh(entry):
                    return None
                self._memory[key] = entry
            return entry[0]

    def discard(self, mode: str, app_key: str) -> None:
        """Forget the token (after revoking it)."""
        with self._lock, self._file_lock(mode, app_key):
            self._memory.pop((mode, app_key), None)
            self.path(mode, app_key).unlink(missing_ok=True)

    def _read(self, mode: str, app_key: str) -> Entry | None:
        path = self.path(mode, app_key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            token = data["token"]
            expires = dt.datetime.fromisoformat(data["expires_at"])
            issued = data.get("issued_at")  # absent in files of older releases: the fixed margin
            lifetime = None if issued is None else expires - dt.datetime.fromisoformat(issued)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ignoring unreadable token cache %s", path.name)
            return None
        if not isinstance(token, str) or expires.tzinfo is None:
            return None
        return token, expires, self._margin if lifetime is None else self._margin_for(lifetime)

    def _write(self, mode: str, app_key: str, entry: tuple, issued_at: dt.datetime | None = None) -> None:
        data = {"token": entry[0], "expires_at": entry[1].isoformat()}
        if issued_at is not None:
            data["issued_at"] = issued_at.isoformat()
        write_private(self.path(mode, app_key), json.dumps(data).encode("utf-8"))

    @contextlib.contextmanager
    def _file_lock(self, mode: str, app_key: str) -> Iterator[None]:
        ensure_private_dir(self._dir)
        if fcntl is None:
            yield
            return
        lock_path = self.path(mode, app_key).with_suffix(".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock
