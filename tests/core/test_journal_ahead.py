"""An order turn is committed before its orders leave; the previous release's ahead file is read once.

The journal commits each engine turn to SQLite before the kernel hands its intents over (no ahead
file). A file that a run of the previous release left (core/journal/legacy_ahead.py) is committed,
skipped or dropped the first time the journal opens, and is gone from its place afterwards. Other
connections (what `kiwoom status` or a restart would read) check what SQLite holds; a killed process
is a real SIGKILL of a child process.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.core.journal.legacy_ahead import ahead_path, read_turn
from kiwoom_cli.models import OrderType, Side
from tests.kit.core import T0, Driver, entry, quote, quotes
from tests.core.legacy_ahead import journal_v1, killed_runs_turn, leave, record

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
    yield j
    j.close()


def test_an_order_turn_is_in_sqlite_when_its_batch_ends_and_no_ahead_file_is_written(journal):
    with journal.batch():
        buy_turn(journal, place("a1"))
        assert intent_ids(journal.path) == []  # one transaction: nothing seen before its end
    assert intent_ids(journal.path) == ["a1"]  # the moment the engine sends
    assert [r[2:4] for r in rows(journal.path, "order_requests")] == [("a1", "place")]
    assert len(rows(journal.path, "decisions")) == 1
    assert not ahead_path(journal.path).exists()


def test_a_failed_turn_keeps_what_it_wrote_and_raises(journal):
    with pytest.raises(RuntimeError), journal.batch():
        buy_turn(journal, place("a1"))
        raise RuntimeError("a bug in the middle of a turn")
    assert intent_ids(journal.path) == ["a1"]  # what was written is kept


KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from kiwoom_cli.core.journal import Journal
    from tests.core.test_journal_ahead import buy_turn, place
    j = Journal({path!r})
    with j.batch():
        buy_turn(j, place("k1"))
    print("sent", flush=True)  # the engine hands the order over here, once the turn is committed
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_run_killed_after_the_commit_has_its_intent_and_nothing_twice(tmp_path):
    path = tmp_path / "j.sqlite3"
    child = subprocess.run([sys.executable, "-c", KILLED_RUN.format(root=str(ROOT), path=str(path))],
                           check=False, capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL and child.stdout == "sent\n", child.stderr
    j = Journal(path)
    try:
        assert [(i["intent_id"], i["status"], i["rule"]) for i in j.intents()] == [("k1", "pending", "buy_cond")]
        assert [d["action"] for d in j.decisions()] == ["buy"]
        assert j.load(T0.date()).orders[0].unknown  # pending: settled with the broker, never resent
    finally:
        j.close()


def test_the_kernel_returns_a_turns_orders_once_the_turn_is_committed(tmp_path):
    d = Driver(tmp_path / "j.sqlite3")
    try:
        d.feed(entry("005930"), ev.Idle())
        out = d.kernel.handle(quotes(quote("005930", 70_000)), d.clock.now())
        placed = [i.intent_id for i in out if isinstance(i, ev.PlaceOrder)]
        assert placed and intent_ids(d.journal.path) == placed  # in SQLite, as another connection reads it
    finally:
        d.close()


def test_a_turn_that_fails_half_way_still_has_its_turn_committed_and_its_error_raised(tmp_path):
    d = Driver(tmp_path / "j.sqlite3")
    apply_output = d.state.apply_output

    def broken(out, now):  # fails on the turn's registration, after its order was recorded
        if isinstance(out, ev.Register):
            raise ConnectionError("order worker gone")
        return apply_output(out, now)

    try:
        d.feed(entry("005930"), ev.Idle())
        d.state.apply_output = broken
        with pytest.raises(ConnectionError, match="order worker gone"):
            d.kernel.handle(quotes(quote("005930", 70_000)), d.clock.now())
        assert len(intent_ids(d.journal.path)) == 1
    finally:
        d.close()


def test_the_engine_hands_orders_over_only_once_their_turn_is_committed(tmp_path):
    """What the order worker's queue sees when an order goes out: its intent already in SQLite
    (issue #13: the commit has finished before the gateway is called)."""
    import queue

    from kiwoom_cli.core.engine import Engine

    d = Driver(tmp_path / "j.sqlite3")
    engine = Engine(d.kernel, socket=None, rest_factory=None, clock=d.clock, events=queue.SimpleQueue())
    seen = []

    class Jobs:
        def put(self, intent):
            seen.append((intent.intent_id, intent_ids(d.journal.path)))

    engine._order_jobs = Jobs()
    try:
        d.feed(entry("005930"), ev.Idle())
        engine._process(quotes(quote("005930", 70_000)))
        (placed,) = [i for i in d.state.orders]
        assert seen == [(placed, [placed])]
    finally:
        d.close()


# ------------------------------------------------------------------ the previous release's ahead file


def test_a_turn_committed_before_the_file_was_emptied_is_not_replayed(tmp_path):
    path = tmp_path / "j.sqlite3"
    j = Journal(path)
    with j.batch():
        buy_turn(j, place("c1"))
    j.close()
    leave(path, record(["c1"], [["INSERT INTO decisions(ts, rule, code, action, reason) VALUES(?,?,?,?,?)",
                                 [T0.isoformat(), "buy_cond", "005930", "buy", "twice?"]],
                                ["INSERT INTO intents(intent_id, ts, day, kind, target_id, code, qty, price, status,"
                                 " order_no, updated) VALUES(?,?,?,?,?,?,?,?,'pending',?,?)",
                                 ["c1", T0.isoformat(), "d", "cancel", "t1", "005930", 0, None, "1", "t"]]]))
    j = Journal(path)
    try:
        assert j.ahead_recovered is False and j.ahead_set_aside is None  # skipped: intact, and in SQLite
        assert [d["reason"] for d in j.decisions()] == ["10 @ market"]
        assert not ahead_path(path).exists()
    finally:
        j.close()


def test_a_write_that_never_finished_was_never_sent_and_is_dropped(tmp_path):
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    older = record(["old-and-long-intent-id"], [["INSERT INTO decisions(ts) VALUES(?)", ["x" * 40]]])
    newer = record(["t2"], [["INSERT INTO intents(intent_id, ts, day, kind, code, status) VALUES(?,?,?,?,?,?)",
                             ["t2", T0.isoformat(), "2026-11-25", "place", "000660", "pending"]]])
    leave(path, newer[:40] + older[40:])  # the next record cut short over the last one
    assert read_turn(ahead_path(path).read_bytes()) is None  # the old record's tail does not make it whole
    j = Journal(path)
    try:
        assert j.ahead_recovered is False and j.ahead_set_aside is None
        assert intent_ids(path) == [] and j.decisions() == []
        assert not ahead_path(path).exists()
    finally:
        j.close()


@pytest.mark.parametrize("data", [b"\n", b"\n" + record(["x1"], [])[1:], b""])
def test_an_empty_ahead_file_is_removed(tmp_path, data):
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    leave(path, data)  # the previous release marked a committed turn so: one newline over it
    Journal(path).close()
    assert not ahead_path(path).exists() and intent_ids(path) == []


def test_a_record_is_checked_against_its_checksum(tmp_path):
    good = record(["x1"], [])
    assert read_turn(good).ids == ("x1",)
    assert read_turn(good.replace(b"x1", b"x2")) is None


OPEN = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from kiwoom_cli.core.journal import Journal
    print("opening", flush=True)
    j = Journal({path!r})
    print(j.ahead_recovered, flush=True)
    j.close()
""")


def test_two_processes_opening_at_once_commit_the_turn_once(tmp_path):
    path = journal_v1(tmp_path / "sim-paper.sqlite3")
    leave(path, killed_runs_turn())
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # both openers find the file, then wait for SQLite's write lock
    code = OPEN.format(root=str(ROOT), path=str(path))
    children = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
    try:
        for child in children:
            assert child.stdout.readline() == "opening\n"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    said = sorted(child.communicate(timeout=60)[0].strip() for child in children)
    assert said == ["False", "True"], [c.stderr for c in children]
    assert intent_ids(path).count("k1") == 1
    assert len([r for r in rows(path, "decisions") if r[3] == "000270"]) == 1
    assert not ahead_path(path).exists()
    assert [c.returncode for c in children] == [0, 0]
    assert [p.name for p in tmp_path.iterdir() if ".damaged-" in p.name] == []  # neither took it for damage
