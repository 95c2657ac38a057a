"""The journal's WAL is checkpointed by its own thread, woken every CHECKPOINT_EVERY commits."""

from __future__ import annotations

import datetime as dt
import sqlite3

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.journal import Journal
from tests.kit.helpers import wait_until
from kiwoom_cli.core.journal import CHECKPOINT_EVERY, Journal

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def test_wal_is_copied_into_the_database_off_the_writing_thread(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    try:
        assert journal._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # never inside a COMMIT
        start = path.stat().st_size
        reason = "x" * 4000  # ~one page per commit: 100 commits stay far below SQLite's own 1000-page mark
        for i in range(CHECKPOINT_EVERY):
            journal.record_decision(ev.Decision("buy_cond", f"{i:06d}", "skip", reason), NOW)
        wait_until(lambda: path.stat().st_size > start + 200_000, message="pages checkpointed into the file")
        # everything is there for another reader, and the journal keeps working
        with sqlite3.connect(path) as other:
            assert other.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == CHECKPOINT_EVERY
        journal.record_decision(ev.Decision("buy_cond", "000001", "skip", "after"), NOW)
    finally:
        journal.close()
    assert not journal._checkpointer._thread.is_alive()
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == CHECKPOINT_EVERY + 1
