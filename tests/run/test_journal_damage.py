"""A damaged, missing or newer journal stops `kiwoom run` and the order commands (exit 2, nothing sent)
until `kiwoom journal reset` sets it aside, kept; a first run with nothing there starts as before. A
damaged ahead record is moved aside with one warning, never executed, and the command goes on."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing

import pytest

from kiwoom_cli.core.journal.legacy_ahead import ahead_path
from kiwoom_cli.core.journal.check import marker_path
from kiwoom_cli.core.records import Position
from kiwoom_cli.core.journal import Journal, journal_path
from tests.kit.cli import kiwoom
from tests.kit.cli import kiwoom_exe
from tests.kit.cli import mock_env
from tests.kit.core import T0
from tests.kit.run import ANY_HOUR
from tests.run.journal_damage import AHEAD_DAMAGE, DAMAGE, seeded, truncated

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
    named = path
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
    assert sorted(kept.values()) == sorted(before.values())  # the old bytes, every one, under new names
    assert all(name in reset.out for name in kept)
    assert "started a new journal" in reset.out and marker_path(path).exists()

    second = start_run("--buy-cond", "1", *ANY_HOUR)
    start = second.wait_for("start")[0]
    assert start["journal"] == str(path)
    second.signal()
    assert second.wait_exit() == 130
    assert sim.order_log == []


def journal_rows(path) -> tuple[list, int]:
    with closing(sqlite3.connect(path)) as db:
        return (db.execute("SELECT code, qty FROM positions").fetchall(),
                db.execute("SELECT COUNT(*) FROM intents WHERE intent_id='x1'").fetchone()[0])


@pytest.mark.parametrize("first", ["run", "orders"])
@pytest.mark.parametrize("kind", AHEAD_DAMAGE)
def test_a_damaged_ahead_record_is_moved_aside_reported_and_never_executed(kind, first, sim, env, start_run):
    path = seeded()
    damage, what = AHEAD_DAMAGE[kind]
    damage(path)
    record = ahead_path(path).read_bytes()
    if first == "run":
        run = start_run("--buy-cond", "1", *ANY_HOUR)
        start = run.wait_for("start")[0]
        assert journal_rows(path) == ([("005930", 10)], 0)  # its DELETE did not run, nor its INSERT
        run.signal()
        assert run.wait_exit() == 130
        err = "".join(run.err)
        moved_to = start["ahead_set_aside"]
    else:
        listed = kiwoom("orders")
        assert listed.code == 0, listed.err
        err, moved_to = listed.err, None
        assert journal_rows(path) == ([("005930", 10)], 0)
    warnings = [line for line in err.splitlines() if "moved to" in line]
    assert len(warnings) == 1, err
    [kept] = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert kept.name.endswith(".sqlite3-ahead") and kept.read_bytes() == record  # kept, byte for byte
    assert str(kept) in warnings[0] and what in warnings[0] and "not replayed" in warnings[0]
    assert moved_to in (None, warnings[0].removeprefix("kiwoom: warning: "))
    assert sim.order_log == []
    again = kiwoom("orders")  # reported once: the next command finds nothing to move
    assert again.code == 0 and "moved to" not in again.err, again.err


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
