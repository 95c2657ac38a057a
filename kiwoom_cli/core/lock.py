"""The account lock of a `kiwoom run`: state_dir()/run.lock, held with an OS file lock (docs/decisions.md §2).

The broker allows one WebSocket login per app key, so while a run holds this lock one-shot
commands that need the socket stay off it (they exit 6 naming the run's pid, or follow orders
over REST). The OS releases the lock when the holder dies, so a crashed run never leaves a
stale lock behind; the pid written into the file only names the holder in messages.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kiwoom_cli.errors import AccountBusy
from kiwoom_cli.paths import ensure_private_dir, state_dir


def lock_path() -> Path:
    """Return state_dir()/run.lock."""
    return state_dir() / "run.lock"


@dataclass
class RunLock:
    """A held run lock; give it back with release()."""

    path: Path
    handle: IO[bytes]


def acquire(path: Path | None = None) -> RunLock:
    """Take the run lock without waiting and write our pid into it; AccountBusy names the holder."""
    path = path or lock_path()
    handle = _open(path)
    if not _try_lock(handle):
        handle.close()
        pid = holder_pid(path)
        who = f"pid {pid}" if pid else "another process"
        raise AccountBusy(
            f"the account is in use by `kiwoom run` ({who})",
            hint="stop that run first, or let it trade for you",
        )
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()).encode("ascii"))
    handle.flush()
    return RunLock(path, handle)


def release(lock: RunLock) -> None:
    """Give the run lock back (the file stays; only the lock means anything)."""
    if lock.handle.closed:
        return
    try:
        lock.handle.seek(0)
        lock.handle.truncate()
        lock.handle.flush()
        _unlock(lock.handle)
    finally:
        lock.handle.close()


def holder_pid(path: Path | None = None) -> int | None:
    """Return the pid of the live process holding the run lock, or None when nobody holds it.

    A holder that has not written its pid yet is reported as -1 (held, pid not known).
    """
    path = path or lock_path()
    if not path.exists():
        return None
    handle = _open(path)
    try:
        if _try_lock(handle):  # free: nobody runs
            _unlock(handle)
            return None
        handle.seek(0)
        text = handle.read(32).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else -1
    finally:
        handle.close()


def _open(path: Path) -> IO[bytes]:
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return os.fdopen(fd, "r+b")


def _try_lock(handle: IO[bytes]) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            # Lock a byte far past the pid so readers can still read the pid (unverified on Windows).
            os.lseek(handle.fileno(), 1 << 20, os.SEEK_SET)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(handle.fileno(), 1 << 20, os.SEEK_SET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
