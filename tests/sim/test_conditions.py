"""Conditions: entries and exits as prices move, forced pushes, and the liveliness of the default market."""

from __future__ import annotations

import pytest

from kiwoom_cli import market
from kiwoom_cli.sim.domain import (
    ConditionChange,
    OrderUpdate,
    SimInputError,
    TradePrint,
)
from tests.sim.conftest import KEY, make_exchange

SAMSUNG = "005930"


def changes(events, seq=None):
    return [(e.seq, e.code, e.event) for e in events.of(ConditionChange) if seq is None or e.seq == seq]


def test_at_least_five_named_conditions_with_purposes(sim):
    ex, _, _ = sim
    defs = ex.conditions()
    assert len(defs) >= 5
    assert [d.seq for d in defs] == [str(i) for i in range(len(defs))]
    assert all(d.name and d.purpose for d in defs)
    assert {"급등주 포착", "단기 과열(매도)"} <= {d.name for d in defs}


def test_momentum_entry_then_exit_as_the_move_fades(sim):
    ex, events, clock = sim
    for price in (97_600, 97_800, 98_200):
        clock.advance(2)
        ex.set_price(SAMSUNG, price)
    assert changes(events, "0") == []
    clock.advance(2)
    ex.set_price(SAMSUNG, 98_600)  # +1.02 % over the window
    assert changes(events, "0") == [("0", SAMSUNG, "I")]
    assert ex.condition_matches("0") == [SAMSUNG]
    clock.advance(31)  # the rise leaves the 30 s window
    ex.set_price(SAMSUNG, 98_600)
    assert changes(events, "0") == [("0", SAMSUNG, "I"), ("0", SAMSUNG, "D")]
    assert ex.condition_matches("0") == []


def test_events_after_a_trade_come_in_contract_order(sim):
    ex, events, clock = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, 98_600, "0")  # fills at 97,600 at once
    ex.set_price(SAMSUNG, 97_800)
    ex.place_order(KEY, "buy", SAMSUNG, 10, 97_700, "0")  # below the ask of 97,900: rests
    events.clear()
    clock.advance(1)
    ex.set_price(SAMSUNG, 97_700)  # fills the resting buy
    clock.advance(1)
    ex.set_price(SAMSUNG, 99_000)  # +1.3 %: enters the momentum condition
    kinds = [type(e).__name__ for e in events]
    assert kinds[:3] == ["TradePrint", "OrderUpdate", "PositionUpdate"]
    second = kinds[kinds.index("TradePrint", 1) :]
    assert second[0] == "TradePrint" and "ConditionChange" in second


def test_upper_limit_condition_enters_and_leaves(sim):
    ex, events, clock = sim
    upper = ex.instrument(SAMSUNG).upper_limit
    ex.set_price(SAMSUNG, upper)
    assert ("4", SAMSUNG, "I") in changes(events)
    clock.advance(61)
    ex.set_price(SAMSUNG, 100_000)
    assert ("4", SAMSUNG, "D") in changes(events)


def test_forced_entry_is_published_and_pinned_until_forced_out(sim):
    ex, events, clock = sim
    change = ex.push_condition("0", SAMSUNG, "I")
    assert (change.seq, change.code, change.event) == ("0", SAMSUNG, "I")
    assert events[-1] == change
    clock.advance(40)
    ex.set_price(SAMSUNG, 97_500)  # no momentum, but the forced entry stays
    assert ex.condition_matches("0") == [SAMSUNG]
    ex.push_condition("0", SAMSUNG, "D")
    assert ex.condition_matches("0") == []


@pytest.mark.parametrize("args", [("9", SAMSUNG, "I"), ("0", "999999", "I"), ("0", SAMSUNG, "X")])
def test_push_condition_rejects_bad_input(sim, args):
    ex, _, _ = sim
    with pytest.raises(SimInputError):
        ex.push_condition(*args)


def test_unknown_condition_seq(sim):
    ex, _, _ = sim
    with pytest.raises(SimInputError):
        ex.condition_matches("42")


# --------------------------------------------------------------------------- liveliness (docs/decisions.md §4)

BUY_AMOUNT = 1_000_000
MAX_POSITIONS = 5


def _mini_trader(seed: int) -> tuple[int, int, int]:
    """Run 60 s of the default market (20 trades/s) with the client's default rules.

    Buys at market on entries into seq 0, sells at market on seq 2 entries, a -2 % stop-loss or a
    trailing stop (arm +2 %, drop 1 %). Decisions are taken after each step, as a client would.
    Returns (momentum entries, buys filled, exits filled).
    """
    ex, events, clock = make_exchange(seed=seed, static=False)
    rates = ex.costs()
    positions: dict[str, dict] = {}  # code -> {"avg", "high" or None}
    entries = buys = exits = 0
    for _ in range(60 * 20):
        clock.advance(0.05)
        start = len(events)
        ex.step(1)
        to_buy, to_sell = [], []
        for e in events[start:]:
            if isinstance(e, ConditionChange) and e.event == "I":
                if e.seq == "0":
                    entries += 1
                    if e.code not in positions and len(positions) < MAX_POSITIONS:
                        to_buy.append(e.code)
                elif e.seq == "2" and e.code in positions:
                    to_sell.append(e.code)
            elif isinstance(e, TradePrint) and e.code in positions:
                pos = positions[e.code]
                ret = market.net_return_pct(pos["avg"], e.price, rates)
                if pos["high"] is None and ret >= 2.0:
                    pos["high"] = e.price
                if pos["high"] is not None:
                    pos["high"] = max(pos["high"], e.price)
                    if (pos["high"] - e.price) / pos["high"] * 100 >= 1.0:
                        to_sell.append(e.code)
                if ret <= -2.0:
                    to_sell.append(e.code)
        for code in dict.fromkeys(to_sell):
            qty = next(h.qty for h in ex.account(KEY).holdings if h.code == code)
            ex.place_order(KEY, "sell", code, qty, None, "3")
            del positions[code]
            exits += 1
        for code in to_buy:
            qty = BUY_AMOUNT // ex.instrument(code).price
            if qty == 0:  # a share costs more than the buy amount: the client skips it
                continue
            ex.place_order(KEY, "buy", code, qty, None, "3")
            holding = next(h for h in ex.account(KEY).holdings if h.code == code)
            positions[code] = {"avg": holding.avg_price, "high": None}
            buys += 1
    filled = [e for e in events.of(OrderUpdate) if e.status == "체결" and e.order.remaining_qty == 0]
    assert len(filled) == buys + exits  # every market order filled completely
    return entries, buys, exits


@pytest.mark.parametrize("seed", [1, 2, 3, 7, 42])
def test_default_market_is_lively_enough_to_trade(seed):
    entries, buys, exits = _mini_trader(seed)
    assert entries >= 4, (entries, buys, exits)
    assert buys >= 2, (entries, buys, exits)
    assert exits >= 1, (entries, buys, exits)


def test_every_movement_condition_sees_entries_and_exits_in_five_minutes():
    ex, events, clock = make_exchange(seed=1, static=False)
    for _ in range(5 * 60 * 20):
        clock.advance(0.05)
        ex.step()
    seen = {(e.seq, e.event) for e in events.of(ConditionChange)}
    for seq in ("0", "1", "2", "3", "5"):  # "4" (near the upper limit) needs a +23 % day
        assert {(seq, "I"), (seq, "D")} <= seen, seq
    members: dict[str, set] = {}
    for e in events.of(ConditionChange):  # exits only for members, entries only for non-members
        inside = members.setdefault(e.seq, set())
        assert (e.code in inside) == (e.event == "D")
        (inside.add if e.event == "I" else inside.discard)(e.code)
    for seq, inside in members.items():
        assert set(ex.condition_matches(seq)) == inside
