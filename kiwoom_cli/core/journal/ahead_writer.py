"""The journal's side of the ahead file (ahead.py), a part of Journal (store.py).

In `kiwoom run` (write_ahead()), an engine turn that places orders is made durable in the ahead file
before its orders leave and committed to SQLite right after (flush()). A killed run's waiting turn is
committed by the next command that opens the journal (recover_ahead()); a record kiwoom would not have
written is moved aside and reported, never executed.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from kiwoom_cli.core import lock
from kiwoom_cli.core.journal.legacy_ahead import AheadFile, DamagedRecord, ahead_path, owner_lock_path, waiting
from kiwoom_cli.core.journal.check import set_aside
from kiwoom_cli.core.journal.schema import TABLES
from kiwoom_cli.errors import AccountBusy

log = logging.getLogger("kiwoom_cli.core.journal")


class AheadJournal:
    """Mixed into Journal: uses its _db, _commit_all(), _owner, _ahead, _held, _pending."""

    def write_ahead(self) -> bool:
        """Journal order turns through the ahead file from now on (`kiwoom run`).

        Holds the file's owner lock until close(), and first commits what a killed run left in it;
        returns whether there was such a turn.
        """
        self._owner = lock.acquire(owner_lock_path(self.path))
        try:
            recovered = self._recover_owned()
            self._ahead = AheadFile(ahead_path(self.path))
        except BaseException:
            lock.release(self._owner)
            self._owner = None
            raise
        return recovered

    def recover_ahead(self) -> bool:
        """Commit the turn a killed run left in the ahead file, unless a live run owns the file."""
        if self._owner is not None or not waiting(ahead_path(self.path)):
            return False
        try:
            held = lock.acquire(owner_lock_path(self.path))
        except AccountBusy:
            return False  # a live run's file: what it holds is a turn in flight for under a millisecond
        try:
            return self._recover_owned()
        finally:
            lock.release(held)

    def _recover_owned(self) -> bool:
        path = ahead_path(self.path)
        if not waiting(path):
            return False
        file = AheadFile(path)
        try:
            try:
                turn = file.checked_turn(TABLES)  # None: a write cut short; nothing was sent after it
            except DamagedRecord as exc:
                file.close()
                self._set_aside_ahead(path, str(exc))
                return False
            done = turn is None or self._db.execute(
                f"SELECT 1 FROM intents WHERE intent_id IN ({','.join('?' * len(turn.ids))})", turn.ids
            ).fetchone() is not None  # committed before the crash, the file not yet marked empty
            if not done:
                self._commit_all(turn.sql)
            file.clear()
            return not done
        finally:
            file.close()

    def _set_aside_ahead(self, path: Path, why: str) -> None:
        """Move a damaged ahead record aside (kept, never executed) and say so, once: the journal goes on."""
        [(_, kept)] = set_aside(self.path, ("-ahead",), dt.datetime.now())
        self.ahead_set_aside = (
            f"journal: the ahead file {path.name} held a record kiwoom would not have written ({why}); moved to "
            f"{kept}, its turn was not replayed: its orders, if any left, are not in the journal, so the "
            "broker's lists show them as orders kiwoom did not place (a run attaches an open one; a holding "
            "is shown, not managed, unless adopt_holdings)")
        log.warning("%s", self.ahead_set_aside)

    def flush(self) -> None:
        """Commit the turn batch(ahead=True) left in the ahead file (its orders have left); empty the file.

        On an error the turn stays waiting, in memory and in the file (the next batch tries again).
        """
        if self._pending:
            self._commit_all(self._pending)
            self._pending = None
            self._ahead.clear()

    def _end_ahead(self, ok: bool) -> None:
        held, ids, self._held = self._held, self._held_ids, None
        if ok and ids:
            try:
                self._ahead.write(ids, held)  # durable from here: the caller may send
                self._pending = held
                return
            except (OSError, TypeError) as exc:  # disk full, I/O error, a value JSON cannot hold
                log.warning("journal ahead file not written (%s): this turn is committed to SQLite before "
                            "its orders leave", type(exc).__name__)
        if not held:
            return
        if ok:  # nothing to send, or the ahead file failed: commit before the caller sends, as a batch does
            self._commit_all(held)
            return
        try:  # the turn failed: keep what it wrote, as a plain batch does, without hiding its error
            self._commit_all(held)
        except Exception:
            log.exception("journal: the writes of a failed turn could not be committed")
