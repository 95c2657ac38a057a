"""Persistence: JSON state round-trip, 0600 atomic file, deterministic continuation, day roll-over."""

from __future__ import annotations

import json
import stat

import pytest

from kiwoom_cli.sim.domain import SimAuthError, SimConfig
from kiwoom_cli.sim.exchange import Exchange
from tests.sim.conftest import KEY, Recorder, make_exchange, trace

SAMSUNG = "005930"


def _busy_exchange(tmp_path, seed=9):
    path = tmp_path / "sim" / "state.json"
    ex, events, clock = make_exchange(seed=seed, static=False, state_path=str(path))
    token, _ = ex.issue_token(KEY, "secret")
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    ex.place_order(KEY, "buy", "035720", 5, 50_000, "0")  # rests
    ex.place_order(KEY, "sell", SAMSUNG, 4, 120_000, "0")  # rests
    ex.push_condition("1", "000660", "I")
    for _ in range(300):
        clock.advance(0.05)
        ex.step()
    return ex, events, clock, token, path




def test_save_writes_private_json_that_reloads_to_the_same_views(tmp_path):
    ex, _, clock, token, path = _busy_exchange(tmp_path)
    ex.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    json.loads(path.read_text(encoding="utf-8"))  # valid JSON
    again = Exchange.open(ex.config, clock)
    assert again.account(KEY) == ex.account(KEY)
    assert again.orders(KEY) == ex.orders(KEY)
    assert again.open_orders(KEY) == ex.open_orders(KEY)
    assert again.fills(KEY) == ex.fills(KEY)
    assert again.instruments() == ex.instruments()
    assert again.account_for_token(token) == ex.account(KEY)
    for cond in ex.conditions():
        assert again.condition_matches(cond.seq) == ex.condition_matches(cond.seq)
    assert "000660" in again.condition_matches("1")  # a pinned forced entry survives the reload


def test_reloaded_seeded_market_continues_identically(tmp_path):
    ex, events, clock, _, _ = _busy_exchange(tmp_path)
    reloaded_events = Recorder()
    again = Exchange.from_state(
        json.loads(json.dumps(ex.to_state())), ex.config, clock, reloaded_events.append
    )
    events.clear()
    for _ in range(300):
        clock.advance(0.05)
        ex.step()
        again.step()
    assert trace(events) and trace(events) == trace(reloaded_events)
    assert again.account(KEY) == ex.account(KEY)
    n1 = ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3").order_no
    n2 = again.place_order(KEY, "buy", SAMSUNG, 1, None, "3").order_no
    assert n1 == n2


def test_next_day_rolls_prices_and_expires_orders(tmp_path):
    ex, _, clock, token, _ = _busy_exchange(tmp_path)
    last = ex.instrument(SAMSUNG).price
    held = ex.account(KEY).holdings
    state = ex.to_state()
    clock.advance(24 * 3600)
    again = Exchange.from_state(state, ex.config, clock)
    inst = again.instrument(SAMSUNG)
    assert (inst.base_price, inst.price, inst.volume, inst.open) == (last, last, 0, 0)
    assert again.open_orders(KEY) == [] and again.orders(KEY) == [] and again.fills(KEY) == []
    acct = again.account(KEY)
    assert [(h.code, h.qty, h.avg_price) for h in acct.holdings] == [
        (h.code, h.qty, h.avg_price) for h in held
    ]
    assert acct.orderable == acct.deposit
    assert all(h.today_buy_qty == 0 for h in acct.holdings)
    with pytest.raises(SimAuthError):  # 24 h tokens have expired
        again.account_for_token(token)


def test_in_memory_exchange_save_is_a_noop(tmp_path):
    ex, _, _ = make_exchange()
    ex.save()
    assert not any(tmp_path.rglob("*.json"))


def test_unknown_state_version_is_refused():
    ex, _, clock = make_exchange()
    state = ex.to_state()
    state["version"] = 99
    with pytest.raises(ValueError, match="version"):
        Exchange.from_state(state, SimConfig(), clock)
