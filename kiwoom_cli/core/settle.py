"""Settle orders against a ka10075/ka10076 answer: unknown outcomes, missed fills, vanished orders.

An order whose answer never came stays "unknown" (pending, cash reserved, code blocked) until a
query finds it, or until two queries CONFIRM_S apart both miss it (docs/decisions.md §7, docs/architecture.md §5):
one empty answer a few seconds after a timed-out request is not proof, since the request may still
be queued at the broker, and writing it off would free its cash and let a second order for the same
code go out while the first may still land.
"""

from __future__ import annotations

import datetime as dt

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import prices

SETTLE_GRACE_S = 3.0  # how long after "unknown" the first settle query is sent
CONFIRM_S = 10.0  # a second query this long after the first must miss it too (the REST timeout, unverified)


def settle(state, q: ev.OrdersQueried, now: dt.datetime) -> list:
    """Reconcile pending orders with the broker's open orders and fills; return change notes."""
    notes: list = []
    known = set(state.by_no)
    open_by_no = {o.order_no: o for o in q.open_orders}
    filled_by_no = {f.order_no: f for f in q.fills}
    for order in list(state.orders.values()):
        if not order.unknown:
            continue
        candidates = [
            o.order_no for o in q.open_orders
            if o.order_no not in known and o.code == order.code and o.side is order.side and o.qty == order.qty
        ] + [
            f.order_no for f in q.fills
            if f.order_no not in known and f.code == order.code and f.side is order.side
            and f.order_qty == order.qty
        ]
        if candidates:
            order.missing_since = None
            known.add(candidates[0])
            notes += state.attach(order.intent_id, candidates[0])
        elif _age(order.unknown_since, now) >= SETTLE_GRACE_S and _confirmed_missing(order, now):
            notes += state.close_order(order, "not_placed", "not found at the broker in two queries")
    for order in list(state.orders.values()):
        if order.order_no is None or order.intent_id not in state.orders:
            continue
        for no in list(order.numbers):
            row = filled_by_no.get(no)
            done = order.filled_by_no.get(no, 0)
            if row is not None and row.filled_qty > done:
                order.filled_by_no[no] = row.filled_qty
                order.filled += row.filled_qty - done
                order.remaining = max(0, order.remaining - (row.filled_qty - done))
                notes += state.apply_fill(order, no, row.filled_qty - done, row.fill_price, row.name)
        live = [open_by_no[no] for no in order.numbers if no in open_by_no]
        if live:
            order.missing_since = None
            order.remaining = live[-1].remaining_qty
        elif order.remaining <= 0:
            notes += state.close_order(order, "filled", "")
        elif _age(order.created, now) >= SETTLE_GRACE_S and _confirmed_missing(order, now):
            notes += state.close_order(order, "gone", "no longer open at the broker in two queries")
    for no, flag in list(state.suspect.items()):  # fills applied at a substitute price
        row = filled_by_no.get(no)
        if row is not None:
            del state.suspect[no]
            notes += prices.correct_fill(state, flag, row.fill_price)
    return notes


def _confirmed_missing(order, now: dt.datetime) -> bool:
    """True on the second miss at least CONFIRM_S after the first; the first miss only starts the clock."""
    if order.missing_since is None:
        order.missing_since = now
        return False
    return _age(order.missing_since, now) >= CONFIRM_S


def _age(since: dt.datetime | None, now: dt.datetime) -> float:
    return (now - since).total_seconds() if since else 0.0
