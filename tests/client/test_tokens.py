"""TokenStore: file cache 0600, atomic replace, file lock, re-issue near expiry (docs/decisions.md §2)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import threading

import pytest

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.kiwoom.tokens import TokenStore


class Issuer:
    def __init__(self, clock, lifetime=dt.timedelta(hours=24)):
        self.clock, self.lifetime, self.count = clock, lifetime, 0

    def __call__(self):
        self.count += 1
        return f"token-{self.count}", self.clock.now() + self.lifetime


@pytest.fixture
def setup(tmp_path):
    clock = ManualClock()
    return TokenStore(tmp_path / "tokens", clock), clock, Issuer(clock)


def test_issues_once_then_reuses(setup):
    store, clock, issue = setup
    assert store.get("sim", "KEY", issue) == "token-1"
    assert store.get("sim", "KEY", issue) == "token-1"
    assert issue.count == 1


def test_file_is_private_and_named_by_hash(setup, tmp_path):
    store, _, issue = setup
    store.get("mock", "MY-APP-KEY", issue)
    path = store.path("mock", "MY-APP-KEY")
    assert path.name == f"mock-{hashlib.sha256(b'MY-APP-KEY').hexdigest()[:16]}.json"
    assert "MY-APP-KEY" not in path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # atomic replace left nothing


def test_second_store_shares_the_file(setup, tmp_path):
    store, clock, issue = setup
    store.get("sim", "KEY", issue)
    other = TokenStore(tmp_path / "tokens", clock)  # another process, same directory
    assert other.get("sim", "KEY", issue) == "token-1"
    assert issue.count == 1


def test_modes_and_keys_are_separate(setup):
    store, _, issue = setup
    assert store.get("sim", "KEY", issue) == "token-1"
    assert store.get("mock", "KEY", issue) == "token-2"
    assert store.get("sim", "OTHER", issue) == "token-3"


def test_reissued_near_expiry(setup):
    store, clock, issue = setup
    store.get("sim", "KEY", issue)
    clock.advance(24 * 3600 - 301)
    assert store.get("sim", "KEY", issue) == "token-1"  # 301 s left: still fine
    clock.advance(2)
    assert store.get("sim", "KEY", issue) == "token-2"  # inside the 300 s margin
    assert store.cached("sim", "KEY") == "token-2"


def test_refused_token_is_replaced_once(setup, tmp_path):
    store, clock, issue = setup
    store.get("sim", "KEY", issue)
    assert store.get("sim", "KEY", issue, refused="token-1") == "token-2"
    assert store.get("sim", "KEY", issue) == "token-2"


def test_refused_token_already_replaced_by_another_process(setup, tmp_path):
    store, clock, issue = setup
    store.get("sim", "KEY", issue)
    other = TokenStore(tmp_path / "tokens", clock)
    assert other.get("sim", "KEY", issue, refused="token-1") == "token-2"
    # our in-memory token-1 was refused too: take the file's token-2 instead of issuing a third
    assert store.get("sim", "KEY", issue, refused="token-1") == "token-2"
    assert issue.count == 2


def test_unreadable_cache_is_reissued(setup):
    store, clock, issue = setup
    store.get("sim", "KEY", issue)
    store.path("sim", "KEY").write_text("{not json")
    fresh = TokenStore(store.path("sim", "KEY").parent, clock)
    assert fresh.get("sim", "KEY", issue) == "token-2"


def test_discard(setup):
    store, _, issue = setup
    store.get("sim", "KEY", issue)
    store.discard("sim", "KEY")
    assert not store.path("sim", "KEY").exists()
    assert store.cached("sim", "KEY") is None
    assert store.get("sim", "KEY", issue) == "token-2"


def test_issuer_failure_leaves_no_file(setup):
    store, _, _ = setup

    def broken():
        raise RuntimeError("network down")

    with pytest.raises(RuntimeError):
        store.get("sim", "KEY", broken)
    assert not store.path("sim", "KEY").exists()


def test_concurrent_callers_issue_once(setup, tmp_path):
    """Threads with separate stores (as separate processes would have) serialise on the file lock."""
    _, clock, issue = setup
    stores = [TokenStore(tmp_path / "tokens", clock) for _ in range(6)]
    entered = threading.Barrier(6)
    results = []

    def slow_issue():
        return issue()

    def worker(store):
        entered.wait()
        results.append(store.get("sim", "KEY", slow_issue))

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["token-1"] * 6
    assert issue.count == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_lock_is_held_across_processes(setup, tmp_path):
    """A child process holding the lock makes us wait, then we read its token instead of issuing."""
    import multiprocessing

    store, clock, issue = setup
    ctx = multiprocessing.get_context("fork")
    locked, release = ctx.Event(), ctx.Event()

    def child():
        child_store = TokenStore(tmp_path / "tokens", clock)
        with child_store._file_lock("sim", "KEY"):
            locked.set()
            release.wait(10)
            child_store._write("sim", "KEY", ("child-token", clock.now() + dt.timedelta(hours=24)))

    proc = ctx.Process(target=child)
    proc.start()
    try:
        assert locked.wait(10)
        got, entering = [], threading.Event()

        def wait_for_token():
            entering.set()
            got.append(store.get("sim", "KEY", issue))

        waiter = threading.Thread(target=wait_for_token)
        waiter.start()
        assert entering.wait(10)
        # Without the lock the waiter would find no file now and issue token-1 itself.
        release.set()
        waiter.join(10)
        assert got == ["child-token"] and issue.count == 0
    finally:
        release.set()
        proc.join(10)


def test_margin_scales_with_a_short_lifetime(tmp_path):
    """A 30 s token (`kiwoom sim --token-lifetime 30`) is reused, not re-issued on every call."""
    clock = ManualClock()
    issue = Issuer(clock, lifetime=dt.timedelta(seconds=30))
    store = TokenStore(tmp_path / "tokens", clock)
    assert store.get("sim", "KEY", issue) == "token-1"
    clock.advance(26)  # 4 s left: outside 10 % of the lifetime
    assert store.get("sim", "KEY", issue) == "token-1"
    other = TokenStore(tmp_path / "tokens", clock)  # another process reads the same margin from the file
    assert other.get("sim", "KEY", issue) == "token-1" and other.cached("sim", "KEY") == "token-1"
    clock.advance(2)  # 2 s left: inside the margin
    assert store.get("sim", "KEY", issue) == "token-2"
    assert issue.count == 2


def test_margin_of_a_day_long_token_stays_300_s(setup):
    store, clock, issue = setup
    store.get("sim", "KEY", issue)
    clock.advance(24 * 3600 - 299)
    assert store.get("sim", "KEY", issue) == "token-2"
