"""The run lock (core/lock.py) and what one-shot commands do while a `kiwoom run` holds it (docs/decisions.md §2)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from kiwoom_cli.core import lock
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.errors import AccountBusy
from tests.kit.cli import kiwoom

HOLD = ("from kiwoom_cli.core import lock; held = lock.acquire(); print('held', flush=True); "
        "import sys; sys.stdin.read(); lock.release(held)")


@pytest.fixture
def run_holder(isolated_home):
    """Another process holding the run lock, as `kiwoom run` will."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            proc.stdin.close()
            proc.wait(timeout=10)


def test_free_lock_has_no_holder_and_can_be_taken_and_given_back(isolated_home):
    assert lock.holder_pid() is None
    held = lock.acquire()
    try:
        assert lock.lock_path().read_text() != ""
        with pytest.raises(AccountBusy):  # a second holder, even in this process (flock per open file)
            lock.acquire()
    finally:
        lock.release(held)
    assert lock.holder_pid() is None
    lock.release(lock.acquire())


def test_holder_is_named_and_a_dead_holder_leaves_no_stale_lock(run_holder):
    assert lock.holder_pid() == run_holder.pid
    with pytest.raises(AccountBusy, match=f"pid {run_holder.pid}"):
        lock.acquire()
    run_holder.send_signal(signal.SIGKILL)  # no chance to clean up: the OS drops the lock
    run_holder.wait(timeout=10)
    assert lock.holder_pid() is None
    lock.release(lock.acquire())


def test_conditions_exit_6_naming_the_run(mock_env, sim, run_holder):
    ran = kiwoom("conditions", "list")
    assert ran.code == 6
    assert f"pid {run_holder.pid}" in ran.err and "kiwoom run" in ran.err


def test_order_wait_follows_over_rest_while_a_run_holds_the_socket(mock_env, sim, run_holder):
    ran = kiwoom("order", "buy", "005930", "2", "--market", "--wait", "5")
    assert ran.code == 0, ran.err
    assert "following over REST" in ran.err and f"pid {run_holder.pid}" in ran.err
    assert "Filled 2 of 2" in ran.out
    assert "ka10076" in [e["api_id"] for e in sim.request_log]


def test_rest_follow_reports_a_resting_order_as_open(mock_env, sim, run_holder):
    lower = sim.call(lambda: sim.ctx.exchange.instrument("005930")).lower_limit
    ran = kiwoom("order", "buy", "005930", "1", "--price", str(lower), "--wait", "0.3", "--json")
    assert ran.code == 0, ran.err
    doc = json.loads(ran.out)
    assert doc["followed_via"] == "rest" and doc["status"] == "open" and doc["remaining"] == 1


def test_queries_still_work_while_a_run_holds_the_account(mock_env, sim, run_holder):
    assert kiwoom("account").code == 0
    assert kiwoom("orders").code == 0
    assert lock.holder_pid() == run_holder.pid  # they did not disturb it


def test_cancel_is_confirmed_over_rest_while_a_run_holds_the_socket(mock_env, sim, run_holder):
    lower = sim.call(lambda: sim.ctx.exchange.instrument("005930")).lower_limit
    assert kiwoom("order", "buy", "005930", "1", "--price", str(lower), "--wait", "0").code == 0
    order_no = sim.order_log[0]["result"]["ord_no"]
    ran = kiwoom("order", "cancel", order_no, "--json")
    assert ran.code == 0, ran.err
    doc = json.loads(ran.out)
    assert doc["followed_via"] == "rest" and doc["status"] == "confirmed"
    assert json.loads(kiwoom("orders", "--json").out)["open_orders"] == []


def _killed_run_turn():
    """A journal whose ahead file holds one order turn, as a killed run of the previous release left it."""
    from kiwoom_cli.core.journal import journal_path
    from tests.core.legacy_ahead import killed_runs_turn, leave

    path = journal_path("sim", "paper")
    Journal(path).close()
    leave(path, killed_runs_turn())  # that release's own record (intent k1), verbatim
    return path


def test_a_one_shot_command_commits_what_a_killed_run_left_even_while_another_run_trades(run_holder):
    path = _killed_run_turn()  # the run lock is another run's (the run_holder process)
    journal = Journal(path)
    try:
        assert journal.ahead_recovered is True
        assert [i["intent_id"] for i in journal.intents("pending")] == ["k1"]
    finally:
        journal.close()


def test_a_one_shot_command_leaves_a_live_previous_release_runs_ahead_file_alone(isolated_home):
    from kiwoom_cli.core.journal.legacy_ahead import ahead_path, owner_lock_path

    path = _killed_run_turn()
    live = subprocess.Popen([sys.executable, "-c", OWN.format(path=str(owner_lock_path(path)))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert live.stdout.readline().strip() == "held"
        before = ahead_path(path).read_bytes()
        journal = Journal(path)
        try:
            assert journal.ahead_recovered is False
            assert journal.intents() == [] and ahead_path(path).read_bytes() == before
        finally:
            journal.close()
    finally:
        live.stdin.close()
        live.wait(timeout=10)
    journal = Journal(path)  # that run gone: the next open commits its turn
    try:
        assert journal.ahead_recovered is True and not ahead_path(path).exists()
    finally:
        journal.close()


OWN = ("from pathlib import Path; from kiwoom_cli.core import lock; held = lock.acquire(Path({path!r})); "
       "print('held', flush=True); import sys; sys.stdin.read(); lock.release(held)")


def test_a_one_shot_command_does_not_touch_a_lock_when_no_ahead_file_is_there(isolated_home, monkeypatch):
    from kiwoom_cli.core.journal import Journal, journal_path

    Journal(journal_path("sim", "paper")).close()
    taken = []
    monkeypatch.setattr(lock, "acquire", lambda *a: taken.append(a))
    monkeypatch.setattr(lock, "holder_pid", lambda *a: taken.append(a))
    journal = Journal(journal_path("sim", "paper"))
    try:
        assert journal.ahead_recovered is False
        assert taken == []
    finally:
        journal.close()


def test_manual_fills_are_left_to_the_run_while_it_holds_the_account(mock_env, sim, run_holder):
    """The run may hold a manual order it found at its start and journal its fills itself: a
    one-shot command journals none meanwhile (the run's next start does, core/manualfills.py)."""
    assert kiwoom("order", "buy", "005930", "1", "--market", "--wait", "0").code == 0
    assert kiwoom("orders").code == 0
    journal = Journal.open_for("mock", "default")
    try:
        [intent] = journal.intents()
        assert journal.orders_for(intent["intent_id"])["fills"] == []
    finally:
        journal.close()
    run_holder.stdin.close()
    run_holder.wait(timeout=10)
    assert kiwoom("orders").code == 0  # the account is free: journaled now
    journal = Journal.open_for("mock", "default")
    try:
        assert [f["qty"] for f in journal.orders_for(intent["intent_id"])["fills"]] == [1]
    finally:
        journal.close()
