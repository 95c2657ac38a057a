"""The journal's ahead file (core/ahead.py): an order turn is durable before its send, committed after it.

Other connections (what `kiwoom status` or a restart would read) check what SQLite holds; a killed
process is a real SIGKILL of a child process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.ahead import AheadFile, ahead_path
from kiwoom_cli.core.store import Journal
from kiwoom_cli.models import OrderType, Side
from tests.kit.core import T0, Driver, entry, quote, quotes

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


def waiting(journal_path: Path):
    """The turn waiting in a journal's ahead file, read as a restart reads it (None: none)."""
    f = AheadFile(ahead_path(journal_path))
    try:
        return f.turn()
    finally:
        f.close()


@contextlib.contextmanager
def restarted(path: Path):
    """Open the journal as the next run does: yield it and whether write_ahead() committed a turn."""
    j = Journal(path)
    try:
        yield j, j.write_ahead()
    finally:
        j.close()


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
    assert waiting(journal.path).ids == ("a1",)
    assert intent_ids(journal.path) == []
    journal.flush()
    assert intent_ids(journal.path) == ["a1"]
    assert [r[2:4] for r in rows(journal.path, "order_requests")] == [("a1", "place")]
    assert len(rows(journal.path, "decisions")) == 1
    assert waiting(journal.path) is None


def test_a_turn_without_orders_commits_at_once(journal):
    with journal.batch(ahead=True):
        journal.record_decision(ev.Decision("buy_cond", "005930", "deny", "window closed"), T0)
    assert len(rows(journal.path, "decisions")) == 1
    assert waiting(journal.path) is None


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
    assert waiting(journal.path) is None


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
    with restarted(path) as (j, recovered):
        assert recovered is True
        assert [(i["intent_id"], i["status"], i["rule"]) for i in j.intents()] == [("k1", "pending", "buy_cond")]
        assert [d["action"] for d in j.decisions()] == ["buy"]
        assert j.load(T0.date()).orders[0].unknown  # pending: settled with the broker, never resent
    with restarted(path) as (j, recovered):
        assert recovered is False
        assert intent_ids(path) == ["k1"]


def test_a_turn_committed_before_the_file_was_emptied_is_not_replayed(tmp_path):
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    with j.batch():
        buy_turn(j, place("c1"))
    j.close()
    f = AheadFile(ahead_path(path))  # a crash between the commit and marking the file empty
    f.write(["c1"], [["INSERT INTO decisions(ts, rule, code, action, reason) VALUES(?,?,?,?,?)",
                      [T0.isoformat(), "buy_cond", "005930", "buy", "twice?"]]])
    f.close()
    with restarted(path) as (j, recovered):
        assert recovered is False
        assert [d["reason"] for d in j.decisions()] == ["10 @ market"]
        assert waiting(path) is None


def test_a_write_that_never_finished_was_never_sent_and_is_dropped(tmp_path):
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    j.write_ahead()
    with j.batch(ahead=True):  # an earlier turn, longer than the next one, committed
        buy_turn(j, place("old-and-long-intent-id"))
    j.flush()
    j.close()
    scratch = tmp_path / "scratch"  # the next turn's record as AheadFile writes it...
    f = AheadFile(scratch)
    f.write(["t2"], [["INSERT INTO intents(intent_id, ts, day, kind, code, status) VALUES(?,?,?,?,?,?)",
                      ["t2", T0.isoformat(), "2026-11-25", "place", "000660", "pending"]]])
    f.close()
    fd = os.open(ahead_path(path), os.O_WRONLY)
    os.write(fd, scratch.read_bytes()[:40])  # ...cut short over the old one
    os.close(fd)
    assert waiting(path) is None  # the old record's tail does not make it whole
    with restarted(path) as (_, recovered):
        assert recovered is False
        assert intent_ids(path) == ["old-and-long-intent-id"]
        assert ahead_path(path).read_bytes()[:1] == b"\n"  # marked empty: nothing for others to look at


def test_each_record_is_written_over_the_last_and_checked_against_its_checksum(tmp_path):
    path = tmp_path / "j.sqlite3"
    f = AheadFile(ahead_path(path))
    f.write(["a-much-longer-intent-id"], [["SELECT 1", []]])
    f.write(["x1"], [])
    f.close()
    assert waiting(path).ids == ("x1",)
    good = ahead_path(path).read_bytes()
    ahead_path(path).write_bytes(good.replace(b"x1", b"x2"))
    assert waiting(path) is None


def test_the_kernel_sends_once_the_turn_is_durable_and_commits_after(tmp_path):
    d = Driver(tmp_path / "j.sqlite3")
    d.journal.write_ahead()
    seen = []

    def send(intents):
        place_ = next(i for i in intents if isinstance(i, ev.PlaceOrder))
        on_disk = waiting(d.journal.path)
        seen.append((place_.intent_id, [on_disk.ids], intent_ids(d.journal.path)))

    try:
        d.feed(entry("005930"), ev.Idle())
        out = d.kernel.handle(quotes(quote("005930", 70_000)), d.clock.now(), send)
        placed = [i.intent_id for i in out if isinstance(i, ev.PlaceOrder)]
        assert seen == [(placed[0], [tuple(placed)], [])]  # in the ahead file, not in SQLite, when sent
        assert intent_ids(d.journal.path) == placed
        assert waiting(d.journal.path) is None
    finally:
        d.close()


def test_an_ahead_file_that_cannot_be_written_makes_the_turn_durable_in_sqlite_instead(journal, monkeypatch):
    def disk_full(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(AheadFile, "write", disk_full)
    with journal.batch(ahead=True):
        buy_turn(journal, place("a1"))
    assert intent_ids(journal.path) == ["a1"]  # before the caller sends: the order may still leave
    assert len(rows(journal.path, "decisions")) == 1


def test_a_flush_that_fails_keeps_the_turn_waiting_and_the_next_batch_commits_it(journal):
    with journal.batch(ahead=True):
        buy_turn(journal, place("a1"))
    journal._db.execute("PRAGMA busy_timeout=0")
    other = sqlite3.connect(journal.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the database
    with pytest.raises(sqlite3.OperationalError):
        journal.flush()
    assert waiting(journal.path).ids == ("a1",)
    other.execute("ROLLBACK")
    other.close()
    with journal.batch(ahead=True):  # the next turn commits the waiting one before it writes its own
        buy_turn(journal, place("a2", "000660"))
    assert intent_ids(journal.path) == ["a1"]
    assert waiting(journal.path).ids == ("a2",)
    journal.flush()
    assert intent_ids(journal.path) == ["a1", "a2"]


def test_a_send_that_fails_still_has_its_turn_committed_and_its_error_raised(tmp_path):
    d = Driver(tmp_path / "j.sqlite3")
    d.journal.write_ahead()

    def broken_send(intents):
        raise ConnectionError("order worker gone")

    try:
        d.feed(entry("005930"), ev.Idle())
        with pytest.raises(ConnectionError, match="order worker gone"):
            d.kernel.handle(quotes(quote("005930", 70_000)), d.clock.now(), broken_send)
        assert len(intent_ids(d.journal.path)) == 1
        assert waiting(d.journal.path) is None
    finally:
        d.close()


def test_the_engine_hands_orders_over_only_once_their_turn_is_durable(tmp_path):
    """The Engine's own wiring of send: what its dispatch sees when an order goes out."""
    import queue

    from kiwoom_cli.core.engine import Engine

    d = Driver(tmp_path / "j.sqlite3")
    d.journal.write_ahead()
    engine = Engine(d.kernel, socket=None, rest_factory=None, clock=d.clock, events=queue.SimpleQueue())
    seen = []
    engine._order = lambda intent: seen.append((intent.intent_id, waiting(d.journal.path).ids,
                                                intent_ids(d.journal.path)))
    try:
        d.feed(entry("005930"), ev.Idle())
        engine._process(quotes(quote("005930", 70_000)))
        (placed,) = [i for i in d.state.orders]
        assert seen == [(placed, (placed,), [])]
        assert intent_ids(d.journal.path) == [placed]
    finally:
        d.close()


def test_a_run_owns_its_ahead_file_until_it_closes_the_journal(tmp_path):
    from kiwoom_cli.core import lock
    from kiwoom_cli.core.ahead import owner_lock_path
    from kiwoom_cli.errors import AccountBusy

    j = Journal(tmp_path / "j.sqlite3")
    j.write_ahead()
    with pytest.raises(AccountBusy):
        lock.acquire(owner_lock_path(j.path))
    j.close()
    lock.release(lock.acquire(owner_lock_path(j.path)))
