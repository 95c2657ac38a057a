"""A journal written by the previous release (tests/fixtures/journal_v1) opens, migrates and reads the same.

The fixture is that release's own output: an SQL dump of its journal and the ahead record a run
killed between its send and its commit left. This release reads the ahead file once, on open.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing

import pytest

from kiwoom_cli.core.journal import Journal, JournalError
from kiwoom_cli.core.journal.legacy_ahead import ahead_path
from kiwoom_cli.core.journal.schema import VERSION
from tests.core.legacy_ahead import journal_v1, killed_runs_turn, leave

DAY = dt.date(2026, 11, 25)


def count(path, sql: str) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchone()[0]


def assert_reads_as_written(j: Journal, *, with_k1: bool) -> None:
    stored = j.load(DAY)
    assert [(p.code, p.qty, p.sellable, p.avg_price, p.armed, p.high) for p in stored.positions] == [
        ("005930", 5, 5, 70_000.0, True, 72_000), ("035720", 4, 4, 40_050.0, False, 0)]
    opened = {o.intent_id: o for o in stored.orders}
    assert list(opened) == ["p3", "p4", *(["k1"] if with_k1 else [])]  # in the order they were placed
    p3 = opened["p3"]
    assert (p3.order_no, p3.price, p3.remaining, p3.filled, p3.amended, p3.unknown) == (
        "0000014", 40_050, 6, 4, True, False)
    assert p3.numbers == {"0000013": "new", "0000014": "amend"} and p3.filled_by_no == {"0000014": 4}
    assert opened["p4"].unknown and opened["p4"].unknown_since is not None  # answer never came: settle asks
    assert stored.realised == 9_321.5  # today's only: yesterday's -5,432 is not in it
    assert stored.flags == {"paused": "x pressed"}
    assert j._db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    statuses = {i["intent_id"]: i["status"] for i in j.intents()}
    assert statuses["p5"] == "failed" and statuses["p6"] == "cancelled" and statuses["p1"] == "filled"
    assert [c["intent_id"] for c in j.orders_for("p3")["children"]] == ["p3-a"]


def test_the_previous_releases_journal_and_its_killed_runs_turn_open_as_they_were(tmp_path):
    path = journal_v1(tmp_path / "sim-paper.sqlite3")
    leave(path, killed_runs_turn())
    j = Journal(path)
    try:
        assert j.ahead_recovered is True and j.ahead_set_aside is None
        assert not ahead_path(path).exists()  # read once: gone from its place
        assert_reads_as_written(j, with_k1=True)
        k1 = j.load(DAY).orders[-1]
        assert (k1.code, k1.qty, k1.unknown) == ("000270", 7, True)  # pending: settled with the broker, never resent
        assert [d["reason"] for d in j.decisions() if d["code"] == "000270"] == ["7 @ market"]
    finally:
        j.close()
    j = Journal(path)  # the next command: nothing more to commit
    try:
        assert j.ahead_recovered is False
        assert_reads_as_written(j, with_k1=True)
    finally:
        j.close()
    assert count(path, "SELECT COUNT(*) FROM intents WHERE intent_id='k1'") == 1
    assert count(path, "SELECT COUNT(*) FROM order_requests WHERE intent_id='k1'") == 1


def test_an_ahead_record_whose_turn_is_already_in_sqlite_is_removed_not_replayed(tmp_path):
    path = journal_v1(tmp_path / "sim-paper.sqlite3")
    leave(path, killed_runs_turn())
    Journal(path).close()  # committed by this open...
    leave(path, killed_runs_turn())  # ...as if killed before the file was removed (or the old run committed it)
    j = Journal(path)
    try:
        assert j.ahead_recovered is False and j.ahead_set_aside is None
        assert not ahead_path(path).exists()
    finally:
        j.close()
    assert count(path, "SELECT COUNT(*) FROM intents WHERE intent_id='k1'") == 1
    assert count(path, "SELECT COUNT(*) FROM decisions WHERE code='000270'") == 1


def test_the_previous_releases_journal_without_an_ahead_file_reads_the_same(tmp_path):
    path = journal_v1(tmp_path / "sim-paper.sqlite3")
    j = Journal(path)
    try:
        assert j.ahead_recovered is False
        assert_reads_as_written(j, with_k1=False)
    finally:
        j.close()


def test_a_version_0_journal_is_migrated_to_this_version(tmp_path):
    path = journal_v1(tmp_path / "sim-paper.sqlite3", version=0)  # before versions: the same tables...
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP INDEX intents_status")  # ...less what the migration adds when it is missing
        db.commit()
    leave(path, killed_runs_turn())
    j = Journal(path)
    try:
        assert j.ahead_recovered is True
        assert_reads_as_written(j, with_k1=True)
        assert j._db.execute("SELECT 1 FROM sqlite_master WHERE name='intents_status'").fetchone() is not None
    finally:
        j.close()


def test_a_journal_of_a_newer_version_is_refused_and_left_as_it_is(tmp_path):
    path = journal_v1(tmp_path / "sim-paper.sqlite3", version=VERSION + 1)
    leave(path, killed_runs_turn())
    before = path.read_bytes()
    with pytest.raises(JournalError, match="newer kiwoom"):
        Journal(path)
    assert path.read_bytes() == before and ahead_path(path).exists()  # nothing replayed into it


def test_a_migration_step_that_fails_leaves_the_journal_at_its_version(tmp_path, monkeypatch):
    from kiwoom_cli.core.journal import schema

    path = journal_v1(tmp_path / "sim-paper.sqlite3", version=0)

    def half_done(db):
        db.execute("CREATE TABLE half(a)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(schema, "MIGRATIONS", (half_done,))
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        Journal(path)
    assert count(path, "PRAGMA user_version") == 0
    assert count(path, "SELECT COUNT(*) FROM sqlite_master WHERE name='half'") == 0  # the step, whole or not at all
    monkeypatch.undo()
    j = Journal(path)  # the next open migrates
    try:
        assert_reads_as_written(j, with_k1=False)
    finally:
        j.close()


def test_a_hostile_record_in_the_shape_of_ours_is_set_aside_and_writes_nothing_off(tmp_path):
    """A checksum is no signature: a record that writes every order off with one of our statements'
    shapes (p4's outcome is unknown: it may still fill) is moved aside, not executed."""
    from tests.core.legacy_ahead import record

    path = journal_v1(tmp_path / "sim-paper.sqlite3")
    leave(path, record(["h1"], [["UPDATE intents SET status='failed', reason=?, updated=? WHERE intent_id=? OR 1=1",
                                 ["x", "2026-11-25T10:00:00+09:00", "h1"]]]))
    j = Journal(path)
    try:
        assert j.ahead_recovered is False and j.ahead_set_aside is not None
        assert_reads_as_written(j, with_k1=False)
    finally:
        j.close()
