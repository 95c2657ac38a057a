"""`kiwoom journal reset`: never while a run holds the account, asks in real mode, leaves a sound journal alone."""

from __future__ import annotations

from kiwoom_cli.core import lock
from kiwoom_cli.core.journal.check import marker_path
from kiwoom_cli.core.journal import Journal, journal_path
from tests.kit.cli import kiwoom
from tests.kit.sim import APP_KEY, SECRET



def damaged(mode: str, account: str):
    path = journal_path(mode, account)
    Journal(path).close()
    path.write_bytes(b"not a database, not at all" * 200)
    return path


def files(path) -> dict:
    return {p.name: p.read_bytes() for p in path.parent.iterdir() if not p.name.endswith(".lock")}


def test_reset_refuses_while_a_run_holds_the_account(isolated_home):
    path = damaged("sim", "paper")
    before = files(path)
    held = lock.acquire()  # as `kiwoom run` holds it (flock: refused even to this process)
    try:
        ran = kiwoom("journal", "reset")
    finally:
        lock.release(held)
    assert ran.code == 6, ran.err
    assert "kiwoom run" in ran.err and "cannot be reset" in ran.err
    assert files(path) == before
    assert kiwoom("journal", "reset").code == 0  # once the run is gone


def test_reset_in_real_mode_needs_confirmation_and_without_a_terminal_moves_nothing(isolated_home, monkeypatch):
    monkeypatch.setenv("KIWOOM_APPKEY", APP_KEY)
    monkeypatch.setenv("KIWOOM_SECRETKEY", SECRET)
    path = damaged("real", "default")
    before = files(path)
    ran = kiwoom("journal", "reset", "--mode", "real")
    assert ran.code == 2 and "confirmation" in ran.err, ran.err
    assert files(path) == before
    ran = kiwoom("journal", "reset", "--mode", "real", "--yes")
    assert ran.code == 0, ran.err
    assert "started a new journal" in ran.out
    assert sorted(before.values()) == sorted(v for k, v in files(path).items() if ".damaged-" in k)


def test_a_sound_journal_is_left_alone_and_an_absent_one_is_not_created(isolated_home):
    path = journal_path("sim", "paper")
    ran = kiwoom("journal", "reset")
    assert ran.code == 0 and "nothing to reset" in ran.out
    assert not path.exists() and not marker_path(path).exists()
    Journal(path).close()
    before = files(path)
    ran = kiwoom("journal", "reset")
    assert ran.code == 0 and "passed its checks" in ran.out
    assert files(path) == before


def test_a_second_reset_keeps_both_old_journals(isolated_home):
    path = damaged("sim", "paper")
    assert kiwoom("journal", "reset").code == 0
    path.write_bytes(b"damaged again" * 300)
    assert kiwoom("journal", "reset").code == 0
    kept = [v for k, v in files(path).items() if ".damaged-" in k and k.endswith(".sqlite3")]
    assert len(kept) == 2


def test_a_previous_releases_damaged_ahead_file_alone_is_set_aside_and_the_journal_kept(isolated_home):
    from tests.core.legacy_ahead import leave, record

    path = journal_path("sim", "paper")
    Journal(path).close()
    journal = path.read_bytes()
    bad = leave(path, record(["x1"], [["DELETE FROM intents", []]])).read_bytes()
    ran = kiwoom("journal", "reset")
    assert ran.code == 0, ran.err
    assert "is kept as it is" in ran.out
    kept = {k: v for k, v in files(path).items() if ".damaged-" in k}
    assert list(kept.values()) == [bad] and next(iter(kept)).endswith(".sqlite3-ahead")
    assert path.read_bytes() == journal
