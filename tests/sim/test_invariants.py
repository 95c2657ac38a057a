"""Money invariants under random sequences of orders, amends, cancels and trades (hypothesis)."""

from __future__ import annotations

import random
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from kiwoom_cli import market
from kiwoom_cli.sim.domain import SimError
from tests.sim.conftest import KEY, make_exchange

CODES = ("005930", "002630", "032820", "000660")  # tick 100, 1, 5, 1,000
CASH = 50_000_000


def _random_actions(rng: random.Random, n: int) -> list[tuple]:
    """A plausible trading session: mostly limit orders near the price, some amends, cancels, trades."""
    actions = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            ticks = None if rng.random() < 0.3 else rng.randint(-6, 6)
            side = "buy" if rng.random() < 0.6 else "sell"
            actions.append(("order", rng.choice(CODES), side, rng.randint(1, 60), ticks))
        elif r < 0.5:
            actions.append(("amend", rng.randint(0, 30), rng.randint(0, 50), rng.randint(-6, 6)))
        elif r < 0.6:
            actions.append(("cancel", rng.randint(0, 30), rng.randint(0, 50)))
        elif r < 0.8:
            actions.append(("price", rng.choice(CODES), rng.randint(-8, 8)))
        else:
            actions.append(("step", rng.randint(1, 40)))
    return actions


def _apply(ex, clock, action) -> None:
    kind = action[0]
    if kind == "order":
        _, code, side, qty, ticks = action
        inst = ex.instrument(code)
        price = None if ticks is None else _near(inst, ticks)
        ex.place_order(KEY, side, code, qty, price, "3" if ticks is None else "0")
    elif kind in ("amend", "cancel"):
        orders = ex.open_orders(KEY)
        if not orders:
            return
        order = orders[action[1] % len(orders)]
        qty = action[2] % (order.remaining_qty + 1)
        if kind == "amend":
            ex.amend_order(KEY, order.order_no, order.code, qty, _near(ex.instrument(order.code), action[3]))
        else:
            ex.cancel_order(KEY, order.order_no, order.code, qty)
    elif kind == "price":
        inst = ex.instrument(action[1])
        ex.set_price(action[1], _near(inst, action[2]))
    else:
        clock.advance(1)
        ex.step(action[1])


def _near(inst, ticks: int) -> int:
    return max(inst.lower_limit, min(inst.upper_limit, market.add_ticks(inst.price, ticks)))


def _check(ex) -> None:
    acct = ex.account(KEY)
    fills = ex.fills(KEY)
    cash = CASH
    qty = defaultdict(int)
    by_order = defaultdict(int)
    for f in fills:
        amount = f.price * f.qty
        if f.side == "buy":
            cash -= amount + f.commission
            qty[f.code] += f.qty
        else:
            cash += amount - f.commission - f.tax
            qty[f.code] -= f.qty
        assert f.commission == f.commission // 10 * 10
        by_order[f.order_no] += f.qty
    assert acct.deposit == cash
    assert {h.code: h.qty for h in acct.holdings} == {c: q for c, q in qty.items() if q}
    assert acct.orderable >= 0, "open buys reserve more cash than the account has"
    for h in acct.holdings:
        assert 0 <= h.sellable_qty <= h.qty
    orders = ex.orders(KEY)
    moved = defaultdict(int)
    for o in orders:
        if o.kind != "new":
            moved[o.orig_order_no] += o.qty
    for o in orders:
        assert o.filled_qty == by_order[o.order_no]
        if o.kind != "cancel":
            assert o.filled_qty + o.remaining_qty + moved[o.order_no] == o.qty
            assert o.remaining_qty >= 0
    assert [o.order_no for o in ex.open_orders(KEY)] == [o.order_no for o in orders if o.remaining_qty > 0]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_cash_holdings_and_order_quantities_always_add_up(seed):
    ex, _, clock = make_exchange(seed=seed, static=False, cash=CASH)
    for action in _random_actions(random.Random(seed), 150):
        try:
            _apply(ex, clock, action)
        except SimError:
            pass  # a rejection must leave everything consistent too
        _check(ex)
