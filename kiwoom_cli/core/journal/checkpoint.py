"""The journal's WAL checkpointer: a thread with its own connection, woken every few commits.

WAL checkpoints (copying the log into the database, with two fsyncs) took 5-6 ms inside whichever
COMMIT crossed SQLite's 1000-page mark. So the writing connection never checkpoints by itself
(wal_autocheckpoint=0); it wakes this thread, which runs a PASSIVE checkpoint: it never blocks the
writer, and sqlite3 releases the GIL while it runs.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class Checkpointer:
    """A thread with its own connection that checkpoints the WAL when woken (never on a timer)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._wanted = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="kiwoom-journal-checkpoint", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wanted.set()

    def _run(self) -> None:
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stop:
                    return
                # PASSIVE: copy what no reader needs, never wait for the writer. A failure only
                # leaves a longer WAL (readers still see every commit): worth no more than a retry.
                try:
                    self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    pass
        finally:
            self._db.close()

    def close(self) -> None:
        self._stop = True
        self._wanted.set()
        self._thread.join(10)
