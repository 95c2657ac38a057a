"""The journal's checks on open (core/journal/check.py) and of a previous release's ahead record (legacy_ahead.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.core.journal.check import JournalError, marker_path
from kiwoom_cli.core.journal.legacy_ahead import DamagedRecord, ahead_path, checked_turn
from kiwoom_cli.core.journal.schema import SCHEMA, VERSION
from kiwoom_cli.core.records import FillApplied, Position
from kiwoom_cli.models import Side
from tests.kit.core import T0
from tests.core.legacy_ahead import leave, record
from tests.core.test_journal_ahead import place
from tests.kit.core import T0


def test_a_journal_from_before_versions_is_checked_upgraded_and_given_its_marker(tmp_path):
    path = tmp_path / "j.sqlite3"
    with closing(sqlite3.connect(path)) as db:  # as earlier releases created it: WAL, never checkpointed
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        db.execute("INSERT INTO positions(code, qty) VALUES('005930', 10)")
        db.commit()
        j = Journal(path)  # opened while the WAL holds the rows (the main file may still be empty)
        try:
            assert [p.code for p in j.load(T0.date()).positions] == ["005930"]
            assert j._db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        finally:
            j.close()
    assert marker_path(path).exists()


def test_a_journal_without_our_tables_is_refused(tmp_path):
    path = tmp_path / "j.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE other(a)")
        db.commit()
    with pytest.raises(JournalError, match="no journal tables"):
        Journal(path)


class Recording:
    """The journal's connection, noting each statement with its arguments."""

    def __init__(self, db) -> None:
        self.db, self.seen = db, []

    def execute(self, sql, args=()):
        self.seen.append([sql, list(args)])
        return self.db.execute(sql, args)

    def __getattr__(self, name):
        return getattr(self.db, name)


def test_every_statement_of_a_turn_the_journal_writes_passes_the_ahead_check(tmp_path):
    """The writer's statements are the previous release's (unchanged since schema version 1): a record
    of them passes the check that an ahead file's record gets before it is committed."""
    j = Journal(tmp_path / "j.sqlite3")
    j._db = recording = Recording(j._db)
    try:
        with j.batch():
            intent = place("a1")
            j.record_intent(intent, T0)
            j.record_outcome(ev.OrderAcked("a1", "0000001"), T0)
            j.record_intent(ev.AmendOrder("a2", "a1", "0000001", "005930", 10, 70_100), T0)
            j.record_intent(ev.CancelOrder("a3", "a1", "0000001", "005930"), T0)
            j.record_fill(FillApplied("a1", "0000001", "005930", Side.BUY, 10, 70_000, 0.0), T0)
            j.save_position(Position("005930", "삼성전자", 10, 10, 70_000.0), "bought", T0)
            j.delete_position("000660", "sold", T0)
            j.close_order("a1", "filled", "", T0)
            j.record_decision(ev.Decision("buy_cond", "005930", "buy", "10 @ market"), T0)
            j.set_flag(T0.date(), "halted", "test")
        statements = [s for s in recording.seen if s[0] not in ("BEGIN", "COMMIT")]
        turn = checked_turn(record(["a1", "a2", "a3"], statements))
        assert turn.ids == ("a1", "a2", "a3") and len(turn.sql) >= 12
        assert any(sql.startswith("DELETE FROM positions") for sql, _ in turn.sql)
    finally:
        j.close()


@pytest.mark.parametrize("statements, why", [
    ([["DELETE FROM intents", []]], "never writes"),
    ([["DELETE FROM positions WHERE code=? OR 1", ["x"]]], "never writes"),
    ([["DROP TABLE positions", []]], "never writes"),
    ([["UPDATE intents SET status='failed'", []]], "never writes"),  # every UPDATE of ours has a WHERE
    ([["INSERT INTO decisions(ts) VALUES(?); DELETE FROM intents", ["t"]]], "never writes"),
    ([["INSERT INTO sqlite_master(name) VALUES(?)", ["x"]]], "unknown table"),
    ([["INSERT INTO decisions(ts, rule) VALUES(?,?)", ["t"]]], "do not fit"),
    ([["INSERT INTO decisions(ts) VALUES(?)", [["nested"]]]], "do not fit"),
    ([[1, []]], "never writes"),
    # the shape of one of ours, but not one of ours: each could write off an order that may fill
    ([["UPDATE intents SET status='failed', reason=?, updated=? WHERE intent_id=? OR 1=1", ["x", "t", "x1"]]],
     "never writes"),
    ([["UPDATE positions SET qty=0 WHERE 1", []]], "never writes"),
    ([["INSERT OR REPLACE INTO intents(intent_id, ts, day, kind, status) VALUES(?,?,?,?,?)",
       ["p4", "t", "d", "place", "failed"]]], "never writes"),
    ([["INSERT INTO decisions(ts, rule, code, action, reason) SELECT ts, ?, code, ?, reason FROM intents",
       ["r", "a"]]], "never writes"),
    ([["INSERT INTO decisions(ts) VALUES(?)", ["t"], "extra"]], "not a list"),
    ({"sql": "x"}, "not a list"),
])
def test_a_record_the_journal_would_not_write_is_damage(statements, why):
    with pytest.raises(DamagedRecord, match=why):
        checked_turn(record(["x1"], statements))


def test_a_damaged_record_is_never_executed_but_moved_aside_and_reported(tmp_path, caplog):
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    j.save_position(Position("005930", "삼성전자", 10, 10, 70_000.0), "bought", T0)
    j.close()
    bad = leave(path, record(["x1"], [["DELETE FROM positions WHERE code=?", ["005930"]],
                                      ["DELETE FROM positions", []]])).read_bytes()
    with caplog.at_level("WARNING"):
        j = Journal(path)
    try:
        assert j.ahead_recovered is False  # nothing replayed
        assert not ahead_path(path).exists()
        assert [p.code for p in j.load(T0.date()).positions] == ["005930"]  # its first statement not run either
        [kept] = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
        assert kept.name.startswith("j.damaged-") and kept.name.endswith(".sqlite3-ahead")
        assert kept.read_bytes() == bad
        assert j.ahead_set_aside is not None and str(kept) in j.ahead_set_aside
        assert "never writes" in j.ahead_set_aside and "not replayed" in j.ahead_set_aside
        assert [r.getMessage() for r in caplog.records if "moved to" in r.getMessage()] == [j.ahead_set_aside]
    finally:
        j.close()


def test_a_creation_that_lost_the_race_leaves_the_other_processs_journal_in_place(tmp_path):
    from kiwoom_cli.core.journal import check as journal_check

    path = tmp_path / "j.sqlite3"
    j = Journal(path)  # another process created it and wrote to it after we found no journal
    j.save_position(Position("005930", "삼성전자", 10, 10, 70_000.0), "bought", T0)
    j.close()
    journal_check._create(path)
    j = Journal(path)
    try:
        assert [p.code for p in j.load(T0.date()).positions] == ["005930"]
    finally:
        j.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".new")] == []


def test_a_record_with_a_valid_checksum_that_is_not_json_is_damage_not_a_crash():
    import zlib

    payload = b"DELETE FROM intents"
    with pytest.raises(DamagedRecord, match="not a list"):
        checked_turn(b"%08x " % zlib.crc32(payload) + payload + b"\n")


def test_a_record_whose_statement_sqlite_refuses_is_moved_aside_with_nothing_of_it_kept(tmp_path):
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    leave(path, record(["x1"], [["INSERT INTO decisions(ts, rule, code, action, reason) VALUES(?,?,?,?,?)",
                                 ["t", "buy_cond", "005930", "buy", "first"]],
                                ["INSERT INTO intents(intent_id, ts, day, kind, target_id, code, qty, price, status,"
                                 " order_no, updated) VALUES(?,?,?,?,?,?,?,?,'pending',?,?)",
                                 ["x1", None, "d", "cancel", "t1", "005930", 0, None, "1", "t"]]]))  # NOT NULL ts
    j = Journal(path)
    try:
        assert j.ahead_recovered is False and "SQLite refused" in j.ahead_set_aside
        assert j.decisions() == [] and j.intents() == []  # the whole turn or none of it
        assert not ahead_path(path).exists()
        assert len([p for p in tmp_path.iterdir() if ".damaged-" in p.name]) == 1
    finally:
        j.close()


def test_a_record_whose_ids_are_not_the_intents_it_inserts_is_damage_and_never_committed_twice(tmp_path):
    """import_left skips a record whose intents SQLite already has: that is how a second process,
    reading the file after the first one's commit and before its unlink, commits it once. A record
    naming an intent it does not insert would pass that test every time: its fill counted twice."""
    fill = ["INSERT INTO fills(ts, day, intent_id, order_no, code, side, qty, price, realised)"
            " VALUES(?,?,?,?,?,?,?,?,?)",
            [T0.isoformat(), T0.date().isoformat(), "k9", "0000009", "005930", "sell", 10, 60_000, -100_000.0]]
    data = record(["k9"], [fill])
    with pytest.raises(DamagedRecord, match="intent ids"):
        checked_turn(data)
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    for _ in range(2):  # the second open reads the file as the first one left it (its unlink raced)
        leave(path, data)
        Journal(path).close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT COUNT(*) FROM fills").fetchone()[0] == 0
