"""Settle orders against a ka10075/ka10076 answer: unknown outcomes, missed fills, vanished orders.

An order whose answer never came stays "unknown" (pending, cash reserved, code blocked) until a
query finds it, or until two queries CONFIRM_S apart both miss it (docs/decisions.md §7, docs/architecture.md §6):
one empty answer a few seconds after a timed-out request is not proof, since the request may still
be queued at the broker, and writing it off would free its cash and let a second order for the same
code go out while the first may still land.
"""

from __future__ import annotations

import datetime as dt

from dataclasses import dataclass

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import order_flow, prices
from kiwoom_cli.core.order_states import OrderEv, OrderState

SETTLE_GRACE_S = 3.0  # how long after "unknown" the first settle query is sent
CONFIRM_S = 10.0  # a second query this long after the first must miss it too (the REST timeout, unverified)


@dataclass
class _Answer:
    """One ka10075/ka10076 answer, by order number; `known`: numbers some order of ours holds."""

    q: ev.OrdersQueried
    open_by_no: dict
    filled_by_no: dict
    known: set


def settle(state, q: ev.OrdersQueried, now: dt.datetime) -> list:
    """Reconcile orders with the broker's open orders and fills, state by state; return change notes.

    unknown: found under a number (acked), or written off after two misses (not_placed);
    acked: fills we missed applied, then still open, filled, or gone after two misses;
    closed lately: fills that came after the close applied (a cancel's race, core/order_flow.py).
    """
    answer = _Answer(q, {o.order_no: o for o in q.open_orders}, {f.order_no: f for f in q.fills},
                     set(state.by_no) | set(state.closed_by_no))
    notes: list = []
    for order in _in(state, OrderState.UNKNOWN):
        notes += _settle_unknown(state, order, answer, now)
    for order in _in(state, OrderState.ACKED):
        notes += _missed_fills(state, order, answer)
        notes += _settle_acked(state, order, answer, now)
    for order in list(state.closed.values()):
        notes += _missed_fills(state, order, answer)
    return notes + _correct_flagged(state, answer)


def _in(state, which: OrderState) -> list:
    return [o for o in state.orders.values() if o.state is which]


def _settle_unknown(state, order, answer: _Answer, now: dt.datetime) -> list:
    rows = [(o.order_no, o.code, o.side, o.qty) for o in answer.q.open_orders]
    rows += [(f.order_no, f.code, f.side, f.order_qty) for f in answer.q.fills]
    match = next((no for no, code, side, qty in rows if no not in answer.known and code == order.code
                  and side is order.side and qty == order.qty), None)
    if match is not None:
        order.missing_since = None
        answer.known.add(match)
        return order_flow.attach(state, order.intent_id, match)
    if _age(order.unknown_since, now) >= SETTLE_GRACE_S and _confirmed_missing(order, now):
        return order_flow.move(state, order, OrderEv.NOT_FOUND, "not found at the broker in two queries")
    return []


def _missed_fills(state, order, answer: _Answer) -> list:
    notes: list = []
    for no in list(order.numbers):
        row = answer.filled_by_no.get(no)
        if row is not None:
            notes += order_flow.take_fill(state, order, no, row.filled_qty, row.fill_price, row.name)
    return notes


def _settle_acked(state, order, answer: _Answer, now: dt.datetime) -> list:
    live = [answer.open_by_no[no] for no in order.numbers if no in answer.open_by_no]
    if live:
        order.missing_since = None
        order.remaining = live[-1].remaining_qty
        return []
    if order.remaining <= 0:
        return order_flow.move(state, order, OrderEv.FILLED_ALL)
    if _age(order.created, now) >= SETTLE_GRACE_S and _confirmed_missing(order, now):
        return order_flow.move(state, order, OrderEv.VANISHED, "no longer open at the broker in two queries")
    return []


def _correct_flagged(state, answer: _Answer) -> list:
    """Fills applied at a substitute price (core/prices.py): the broker's record gives the price."""
    notes: list = []
    for no, flag in list(state.suspect.items()):
        row = answer.filled_by_no.get(no)
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
