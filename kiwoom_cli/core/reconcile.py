"""Start-up reconciliation: the journal's view of the world against the broker's (pure).

- holdings the journal does not track are shown, and managed only with adopt_holdings;
- tracked stocks no longer held are dropped;
- open orders are re-attached to their intents (by order number, or for an intent whose answer
  never came, by code/side/qty); broker orders nobody journaled are attached as "broker" orders so
  they block duplicates and hold cash; journaled orders the broker no longer lists are closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.records import Order, OrderClosed, Position
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.state import State
from kiwoom_cli.core.store import Stored
from kiwoom_cli.models import Balance, Cash, OpenOrder, OrderType


@dataclass
class Reconciled:
    decisions: list[ev.Decision] = field(default_factory=list)
    closed: list[OrderClosed] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # tracked codes no longer held
    attached: list[Order] = field(default_factory=list)  # orders to (re)write in the journal


def reconcile(state: State, stored: Stored, balance: Balance, open_orders: list[OpenOrder],
              cash: Cash | None, settings: RunSettings, now: dt.datetime) -> Reconciled:
    """Fill an empty State from the journal and the broker; return what changed and why."""
    out = Reconciled()
    tracked = {p.code: p for p in stored.positions}
    state.flags.update(stored.flags)
    state.realised = stored.realised
    state.cash = cash.orderable if cash else None
    for h in balance.holdings:
        if h.qty <= 0:
            continue
        known = tracked.get(h.code)
        managed = known is not None or settings.adopt_holdings
        pos = Position(h.code, h.name or (known.name if known else ""), h.qty, h.sellable_qty,
                       float(h.avg_price), h.current_price, managed=managed)
        if known is not None:
            pos.armed, pos.high = known.armed, known.high
        pos.return_pct = state.net_return(pos.avg_price, pos.price)
        state.positions[h.code] = pos
        if known is None:
            what = "adopted" if managed else "shown, not managed (adopt_holdings is off)"
            out.decisions.append(ev.Decision("reconcile", h.code, "info", f"holding not in the journal: {what}"))
    for code in tracked:
        if code not in state.positions:
            out.dropped.append(code)
            out.decisions.append(ev.Decision("reconcile", code, "info", "tracked but no longer held: dropped"))

    for o in open_orders:  # the run's amends and cancels go to its own venue (settings.exchange)
        if o.exchange and o.exchange != settings.exchange and o.remaining_qty > 0:
            out.decisions.append(ev.Decision("reconcile", o.code, "warn", (
                f"open order {o.order_no} is on {o.exchange}, this run trades on {settings.exchange}: "
                "its amends and cancels would go to the wrong venue; change it with `kiwoom order`")))
    by_no = {o.order_no: o for o in open_orders}
    claimed: set[str] = set()
    for order in stored.orders:
        live = [by_no[n] for n in order.numbers if n in by_no]
        if order.order_no is None:  # the answer never came: find it by what it asked for
            match = next((o for o in open_orders if o.order_no not in claimed and o.order_no not in _all_numbers(stored)
                          and o.code == order.code and o.side is order.side and o.qty == order.qty), None)
            if match is not None:
                order.order_no, order.unknown, order.unknown_since = match.order_no, False, None
                order.numbers[match.order_no] = "new"
                live = [match]
        if live:
            order.remaining = live[-1].remaining_qty
            claimed.update(o.order_no for o in live)
        elif order.order_no is not None:
            out.closed.append(OrderClosed(order.intent_id, "gone", "no longer open at the broker after restart"))
            continue
        # an unknown order stays pending (unknown) until a query settles it
        _attach(state, order)
        out.attached.append(order)
        out.decisions.append(ev.Decision("reconcile", order.code, "info", f"order {order.intent_id} re-attached"
                                         + (" (outcome unknown)" if order.unknown else "")))
    for o in open_orders:
        if o.order_no in claimed or o.remaining_qty <= 0:  # rows with nothing open are possible (§4.7 ?)
            continue
        order = Order(f"broker-{o.order_no}", o.side, o.code, o.qty, o.price or None,
                      OrderType.LIMIT if o.price else OrderType.MARKET, "external", "broker", now,
                      name=o.name, order_no=o.order_no, numbers={o.order_no: "new"},
                      remaining=o.remaining_qty, filled=o.qty - o.remaining_qty)
        if o.side.value == "buy":
            order.reserve = o.qty * (o.price or 0)  # held against cash like our own (upper limit unknown)
        _attach(state, order)
        out.attached.append(order)
        out.decisions.append(ev.Decision("reconcile", o.code, "info", f"open order {o.order_no} not in the journal: attached"))
    return out


def _all_numbers(stored: Stored) -> set[str]:
    return {n for o in stored.orders for n in o.numbers}


def _attach(state: State, order: Order) -> None:
    state.orders[order.intent_id] = order
    for no in order.numbers:
        state.by_no[no] = order.intent_id
    pos = state.positions.get(order.code)
    if order.side.value == "sell" and pos is not None:
        pos.sell_intent = order.intent_id
