"""A damaged, missing or newer journal stops `kiwoom run` and the order commands (exit 2, nothing sent)
until `kiwoom journal reset` sets it aside, kept; a first run with nothing there starts as before."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing

import pytest

from kiwoom_cli.core.ahead import ahead_path
from kiwoom_cli.core.journal_check import marker_path
from kiwoom_cli.core.records import Position
from kiwoom_cli.core.store import Journal, journal_path
from tests.cli.conftest import kiwoom
from tests.core.harness import T0
from tests.run.journal_damage import DAMAGE, seeded, truncated
from tests.run.runkit import ANY_HOUR, kiwoom_exe, mock_env

RUN = ("run", "--headless", "--buy-cond", "1", *ANY_HOUR)


@pytest.fixture
def env(sim, monkeypatch):
    values = mock_env(sim)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def refused(ran_code: int, err: str, named, what: str) -> None:
    assert ran_code == 2, err
    assert str(named) in err and what in err and "kiwoom journal reset" in err, err
    assert len(err.strip().splitlines()) == 1, err  # one line, no traceback


@pytest.mark.parametrize("kind", DAMAGE)
def test_damage_refuses_run_and_orders_until_reset_sets_it_aside(kind, sim, env, start_run):
    path = seeded()
    damage, what = DAMAGE[kind]
    damage(path)
    ahead_only = kind in ("ahead DELETE", "ahead unknown table")  # the journal itself is sound
    named = ahead_path(path) if ahead_only else path
    before = {p.name: p.read_bytes() for p in path.parent.iterdir() if not p.name.endswith(".lock")}

    run = subprocess.run([kiwoom_exe(), *RUN], env={**os.environ, **env}, capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL, check=False)
    refused(run.returncode, run.stderr, named, what)
    assert run.stdout == ""  # no start line: the run never began
    buy = kiwoom("order", "buy", "005930", "1", "--market", "--wait", "0")
    refused(buy.code, buy.err, named, what)
    listed = kiwoom("orders")
    refused(listed.code, listed.err, named, what)
    assert sim.order_log == []  # nothing reached the broker
    after = {p.name: p.read_bytes() for p in path.parent.iterdir() if not p.name.endswith(".lock")}
    assert after == before  # refusing changed nothing: nothing executed, nothing replaced

    reset = kiwoom("journal", "reset")
    assert reset.code == 0, reset.err
    kept = {p.name: p.read_bytes() for p in path.parent.iterdir() if ".damaged-" in p.name}
    assert sorted(kept.values()) == sorted(before[n] for n in before if n in (
        [ahead_path(path).name] if ahead_only else before))  # the old bytes, every one, under new names
    assert all(name in reset.out for name in kept)
    if ahead_only:  # the journal itself was sound: kept as it is, its position still managed
        assert not ahead_path(path).exists()
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("SELECT code, qty FROM positions").fetchall() == [("005930", 10)]
            assert db.execute("SELECT COUNT(*) FROM intents").fetchone()[0] == 0  # x1 never executed
    else:
        assert "started a new journal" in reset.out and marker_path(path).exists()

    second = start_run("--buy-cond", "1", *ANY_HOUR)
    start = second.wait_for("start")[0]
    assert start["journal"] == str(path)
    second.signal()
    assert second.wait_exit() == 130
    assert sim.order_log == []


def test_a_first_run_with_nothing_there_starts_a_journal_with_its_marker(sim, start_run):
    path = journal_path("mock", "default")
    assert not path.exists() and not marker_path(path).exists()
    run = start_run("--buy-cond", "1", *ANY_HOUR)
    run.wait_for("start")
    run.signal()
    assert run.wait_exit() == 130
    assert path.exists() and marker_path(path).exists()
    assert oct(marker_path(path).stat().st_mode & 0o777) == "0o600"
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1


def test_after_a_reset_the_old_journals_holdings_are_shown_not_managed(sim, env, start_run):
    bought = kiwoom("order", "buy", "005930", "10", "--market", "--wait", "0")
    assert bought.code == 0, bought.err
    path = journal_path("mock", "default")
    j = Journal(path)
    j.save_position(Position("005930", "삼성전자", 10, 10, 70_000.0), "bought", T0)  # as a run tracks it
    j.close()
    truncated(path)
    assert kiwoom("journal", "reset").code == 0
    run = start_run("--buy-cond", "1", *ANY_HOUR)
    (shown,) = run.wait_for("decision", rule="reconcile", code="005930")
    assert "not managed" in shown["reason"], shown  # the new journal never adopts on its own
    run.signal()
    assert run.wait_exit() == 130
    assert [o["api_id"] for o in sim.order_log] == ["kt10000"]  # the one buy, nothing since
