"""Kinds of journal damage, each as a function of the journal's path (the tests and benchmarks/drills.py)."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.journal.legacy_ahead import ahead_path
from kiwoom_cli.core.journal.check import marker_path
from kiwoom_cli.core.records import Position
from kiwoom_cli.core.journal import Journal, journal_path
from tests.kit.core import T0
from tests.core.legacy_ahead import record

INTENT = ("INSERT INTO intents(intent_id, ts, day, kind, code, status) VALUES(?,?,?,?,?,?)",
          ["x1", T0.isoformat(), "2026-11-25", "place", "000660", "pending"])


def seeded() -> os.PathLike:
    """A journal as earlier sessions left it: a managed position and enough decisions for several pages."""
    path = journal_path("mock", "default")
    j = Journal(path)
    j.save_position(Position("005930", "삼성전자", 10, 10, 70_000.0), "bought", T0)
    for i in range(300):
        j.record_decision(ev.Decision("buy_cond", f"{i:06d}", "skip", "x" * 60), T0)
    j.close()  # the last connection checkpoints: everything is in the main file, no -wal left
    assert not path.with_name(path.name + "-wal").exists()
    return path


def flip_a_page_header(path) -> None:
    """Flip one bit of a table leaf page's header (its cell content offset): quick_check sees it."""
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    page = next(n for n in range(1, len(data) // size) if data[n * size] == 0x0D and data[n * size + 4])
    data[page * size + 5] ^= 0x10
    path.write_bytes(bytes(data))


def write_ahead(path, statements) -> None:
    """Leave a previous release's ahead record beside the journal (a valid checksum over what is written)."""
    ahead_path(path).write_bytes(record(["x1"], statements))


def empty(p):
    p.write_bytes(b"")


def truncated(p):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def random_bytes(p):
    p.write_bytes(os.urandom(p.stat().st_size))


def bit_flip(p):
    flip_a_page_header(p)
    with closing(sqlite3.connect(p)) as db:  # the damage is one that SQLite's own check finds
        assert db.execute("PRAGMA quick_check").fetchone()[0] != "ok"


def deleted(p):
    p.unlink()
    assert marker_path(p).exists()


def ahead_left_without_journal(p):
    write_ahead(p, [INTENT])
    p.unlink()
    marker_path(p).unlink()


def newer_version(p):
    with closing(sqlite3.connect(p)) as db:
        db.execute("PRAGMA user_version=99")
        db.commit()


def ahead_delete(p):
    write_ahead(p, [INTENT, ["DELETE FROM positions", []]])


def ahead_unknown_table(p):
    write_ahead(p, [["INSERT INTO elsewhere(a) VALUES(?)", [1]]])


DAMAGE = {
    "empty": (empty, "is empty"),
    "truncated": (truncated, "is damaged"),
    "random bytes": (random_bytes, "is damaged"),
    "bit flip": (bit_flip, "is damaged"),
    "deleted, marker left": (deleted, "is missing"),
    "ahead file, no journal": (ahead_left_without_journal, "is missing"),
    "newer user_version": (newer_version, "newer kiwoom"),
}
# the journal itself is sound: the record is moved aside with one warning, never executed, and the command goes on
AHEAD_DAMAGE = {
    "ahead DELETE": (ahead_delete, "never writes"),
    "ahead unknown table": (ahead_unknown_table, "unknown table"),
}
