"""The journal's ahead file (core/ahead.py): an order turn is durable before its send, committed after it.

Other connections (what `kiwoom status` or a restart would read) check what SQLite holds; a killed
process is a real SIGKILL of a child process.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.ahead import AheadFile, AheadFileCorrupt, ahead_path
from kiwoom_cli.core.store import Journal
from kiwoom_cli.models import OrderType, Side
from tests.core.harness import T0, Driver, entry, quote, quotes

ROOT = Path(__file__).resolve().parents[2]


def place(intent_id: str = "a1", code: str = "005930") -> ev.PlaceOrder:
    return ev.PlaceOrder(intent_id, Side.BUY, code, 10, None, OrderType.MARKET, "buy_cond", "run", name="삼성전자",
                         ref_price=70_000, upper=91_000, lower=49_000, reserve=910_130)


def buy_turn(j: Journal, intent: ev.PlaceOrder) -> None:
    j.record_decision(ev.Decision("buy_cond", intent.code, "buy", "10 @ market"), T0)
    j.record_intent(intent, T0)


def rows(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as other:
        return other.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def intent_ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as other:
        return [r[0] for r in other.execute("SELECT intent_id FROM intents ORDER BY rowid")]


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    j.write_ahead()
    yield j
    j.close()


def test_an_order_turn_is_in_the_ahead_file_then_in_sqlite_after_flush(journal):
    with journal.batch(ahead=True):
        buy_turn(journal, place("a1"))
    # durable in the ahead file, not yet in SQLite: the moment the engine sends
    assert [t.ids for t in AheadFile(ahead_path(journal.path)).turns()] == [("a1",)]
    assert intent_ids(journal.path) == []
    journal.flush()
    assert intent_ids(journal.path) == ["a1"]
    assert [r[2:4] for r in rows(journal.path, "order_requests")] == [("a1", "place")]
    assert len(rows(journal.path, "decisions")) == 1
    assert ahead_path(journal.path).stat().st_size == 0


def test_a_turn_without_orders_commits_at_once(journal):
    with journal.batch(ahead=True):
        journal.record_decision(ev.Decision("buy_cond", "005930", "deny", "window closed"), T0)
    assert len(rows(journal.path, "decisions")) == 1
    assert ahead_path(journal.path).stat().st_size == 0


def test_without_write_ahead_a_batch_commits_before_returning(tmp_path):
    j = Journal(tmp_path / "j.sqlite3")
    try:
        with j.batch(ahead=True):
            buy_turn(j, place("a1"))
        assert intent_ids(j.path) == ["a1"]
        assert not ahead_path(j.path).exists()
    finally:
        j.close()


def test_a_failed_turn_is_committed_as_a_plain_batch_and_never_left_for_a_send(journal):
    with pytest.raises(RuntimeError), journal.batch(ahead=True):
        buy_turn(journal, place("a1"))
        raise RuntimeError("a bug in the middle of a turn")
    assert intent_ids(journal.path) == ["a1"]  # as before the ahead file: what was written is kept
    assert ahead_path(journal.path).stat().st_size == 0


def test_an_unflushed_turn_is_committed_before_the_next_batch(journal):
    with journal.batch(ahead=True):
        buy_turn(journal, place("a1"))
    with journal.batch():
        journal.record_decision(ev.Decision("user", None, "info", "buying paused"), T0)
    assert intent_ids(journal.path) == ["a1"]
    assert len(rows(journal.path, "decisions")) == 2


KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from kiwoom_cli.core.store import Journal
    from tests.core.test_journal_ahead import buy_turn, place
    j = Journal({path!r})
    j.write_ahead()
    with j.batch(ahead=True):
        buy_turn(j, place("k1"))
    print("sent", flush=True)  # the engine would write the order's bytes here
    os.kill(os.getpid(), signal.SIGKILL)  # before the SQLite commit
""")


def test_a_run_killed_between_send_and_commit_loses_nothing_and_duplicates_nothing(tmp_path):
    path = tmp_path / "j.sqlite3"
    child = subprocess.run([sys.executable, "-c", KILLED_RUN.format(root=str(ROOT), path=str(path))],
                           check=False, capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL and child.stdout == "sent\n", child.stderr
    assert intent_ids(path) == []  # SQLite never saw the turn
    j = Journal(path)
    try:
        assert j.write_ahead() == 1
        assert [(i["intent_id"], i["status"], i["rule"]) for i in j.intents()] == [("k1", "pending", "buy_cond")]
        assert [d["action"] for d in j.decisions()] == ["buy"]
        assert j.load(T0.date()).orders[0].unknown  # pending: settled with the broker, never resent
    finally:
        j.close()
    j = Journal(path)
    try:
        assert j.write_ahead() == 0
        assert intent_ids(path) == ["k1"]
    finally:
        j.close()


def test_a_turn_committed_before_the_file_was_emptied_is_not_replayed(tmp_path):
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    with j.batch():
        buy_turn(j, place("c1"))
    j.close()
    f = AheadFile(ahead_path(path))  # a crash between the commit and the truncation
    f.append(["c1"], [["INSERT INTO decisions(ts, rule, code, action, reason) VALUES(?,?,?,?,?)",
                       [T0.isoformat(), "buy_cond", "005930", "buy", "twice?"]]])
    f.close()
    j = Journal(path)
    try:
        assert j.write_ahead() == 0
        assert [d["reason"] for d in j.decisions()] == ["10 @ market"]
    finally:
        j.close()


def test_a_torn_last_line_was_never_sent_and_is_dropped(tmp_path):
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    f = AheadFile(ahead_path(path))
    f.append(["t1"], [["INSERT INTO intents(intent_id, ts, day, kind, code, status) VALUES(?,?,?,?,?,?)",
                       ["t1", T0.isoformat(), "2026-11-25", "place", "005930", "pending"]]])
    os.write(os.open(ahead_path(path), os.O_WRONLY | os.O_APPEND), b'{"ids":["t2"],"sql":[["INSERT')
    f.close()
    j = Journal(path)
    try:
        assert j.write_ahead() == 1
        assert intent_ids(path) == ["t1"]
    finally:
        j.close()


def test_a_corrupt_line_in_the_middle_stops_the_start_and_keeps_the_file(tmp_path):
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    ahead_path(path).write_bytes(b'not json\n{"ids":["x"],"sql":[]}\n')
    j = Journal(path)
    try:
        with pytest.raises(AheadFileCorrupt, match="line 1"):
            j.write_ahead()
        assert ahead_path(path).read_bytes().startswith(b"not json")
    finally:
        j.close()


def test_the_kernel_sends_once_the_turn_is_durable_and_commits_after(tmp_path):
    d = Driver(tmp_path / "j.sqlite3")
    d.journal.write_ahead()
    seen = []

    def send(intents):
        place_ = next(i for i in intents if isinstance(i, ev.PlaceOrder))
        on_disk = AheadFile(ahead_path(d.journal.path)).turns()
        seen.append((place_.intent_id, [t.ids for t in on_disk], intent_ids(d.journal.path)))

    try:
        d.feed(entry("005930"), ev.Idle())
        out = d.kernel.handle(quotes(quote("005930", 70_000)), d.clock.now(), send)
        placed = [i.intent_id for i in out if isinstance(i, ev.PlaceOrder)]
        assert seen == [(placed[0], [tuple(placed)], [])]  # in the ahead file, not in SQLite, when sent
        assert intent_ids(d.journal.path) == placed
        assert ahead_path(d.journal.path).stat().st_size == 0
    finally:
        d.close()
