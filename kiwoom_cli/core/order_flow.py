"""An order's facts applied to the State: its request's answer, the broker's 00 frames, its fills.

Every change of an order's state goes through `move()`, which reads order_states.TABLE: an expected
event sets the next state (and closes the order when it leaves the open states); an unexpected one
is logged, counted in `State.unexpected`, leaves the state as it was and asks for a query of the
broker's open orders and fills (an `OrderRecheck` note, which the strategy answers with
ev.QueryOrders; docs/architecture.md §10, Order states).

Closed orders stay reachable by their numbers (`State.closed`/`closed_by_no`, the latest CLOSED_KEPT) so that a
fill arriving after the close (a cancel confirmed, then the fill of the part that filled before it)
still reaches the position.
"""

from __future__ import annotations

import logging

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import prices
from kiwoom_cli.core.order_states import OrderEv, OrderState, next_state
from kiwoom_cli.core.records import (
    FillApplied,
    Order,
    OrderClosed,
    OrderRecheck,
    OrderSettled,
    Position,
    PositionChanged,
)
from kiwoom_cli.models import OrderAction, OrderEvent, OrderStatus, Side

log = logging.getLogger(__name__)
CLOSED_KEPT = 256  # closed orders whose late fills are still taken
_MAX_ORPHANS = 256


# ------------------------------------------------------------------ the one way a state changes


def move(state, order: Order, event: OrderEv, reason: str = "") -> list:
    """Apply `event` to the order's state by the table; return the notes (a close, or a recheck)."""
    was = order.state
    nxt = next_state(was, event)
    if nxt is None:
        return unexpected(state, order, event)
    order.state = nxt
    if was.open and not nxt.open:
        return _close(state, order, reason)
    return []


def unexpected(state, order: Order, event: OrderEv) -> list:
    state.unexpected += 1
    why = f"{event} unexpected for order {order.intent_id} ({order.state})"
    log.warning("%s %s: %s; asking the broker for its open orders and fills", order.code, order.side.value, why)
    return ask(state, OrderRecheck(order.intent_id, order.code, f"{why}: asking the broker"))


def ask(state, recheck: OrderRecheck) -> list:
    """A query of open orders and fills wanted, sent after what asked for it (the strategy sends it)."""
    if state.query_in_flight:  # its answer may predate this: ask again once it is in (State.apply)
        state.requery = recheck
        return []
    return [recheck]


def _close(state, order: Order, reason: str) -> list:
    state.orders.pop(order.intent_id, None)
    state.closed[order.intent_id] = order
    for no in order.numbers:
        state.by_no.pop(no, None)
        state.closed_by_no[no] = order.intent_id
    while len(state.closed) > CLOSED_KEPT:
        old = state.closed.pop(next(iter(state.closed)))
        for no in old.numbers:
            if state.closed_by_no.get(no) == old.intent_id:
                del state.closed_by_no[no]
    notes: list = [OrderClosed(order.intent_id, order.state, reason)]
    if order.state is OrderState.CANCELLED:  # fills that raced the cancel may follow (its 04s too, first)
        state.settling[order.code] = order.intent_id
        why = f"order {order.intent_id} cancelled: asking the broker for fills that raced the cancel"
        notes += ask(state, OrderRecheck(order.intent_id, order.code, why))
    if order.side is Side.SELL:
        pos = state.positions.get(order.code)
        if pos is not None and pos.sell_intent == order.intent_id:
            pos.sell_intent = None
            pos.sellable = min(pos.qty, pos.sellable + max(order.remaining, 0))
            notes.append(PositionChanged(order.code, f"sell {order.state}"))
    return notes


def find(state, intent_id: str) -> Order | None:
    """An open order, or one closed lately."""
    return state.orders.get(intent_id) or state.closed.get(intent_id)


# ------------------------------------------------------------------ requests sent


def placed(state, out, now) -> list:
    """A PlaceOrder decided: the order is pending; a sell holds its shares."""
    state.orders[out.intent_id] = Order(
        out.intent_id, out.side, out.code, out.qty, out.price, out.order_type, out.rule,
        out.origin, now, name=out.name, upper=out.upper, lower=out.lower, reserve=out.reserve,
    )
    pos = state.positions.get(out.code)
    if out.side is Side.SELL and pos is not None:
        pos.sell_intent = out.intent_id
        pos.sellable = max(0, pos.sellable - out.qty)
        return [PositionChanged(out.code, "sell placed")]
    return []


def change_sent(state, out) -> list:
    """An AmendOrder or CancelOrder decided: a fact about requests, not a state (order_states.py)."""
    order = state.orders.get(out.target_id)
    if order is not None:
        kind = "amend" if isinstance(out, ev.AmendOrder) else "cancel"
        if kind == "amend":
            order.amended = True
        else:
            order.cancel_sent = True
        state.side_intents[out.intent_id] = (out.target_id, kind)
    return []


# ------------------------------------------------------------------ the request's answer


def acked(state, intent_id: str, order_no: str) -> list:
    side = state.side_intents.pop(intent_id, None)
    if side is not None:  # an amend or cancel got its own (new) number
        order = find(state, side[0])
        if order is None:
            return []
        alias(state, order, order_no, side[1])
        return _replay(state, order_no)
    order = find(state, intent_id)
    if order is None:
        return []
    return numbered(state, order, order_no, OrderEv.ACK)


def numbered(state, order: Order, order_no: str, event: OrderEv) -> list:
    """The order's number is known (its answer, or a query found it): frames held for it apply now."""
    notes = move(state, order, event)
    if order.state is not OrderState.ACKED or order.order_no is not None:
        return notes  # unexpected: the recheck settles it
    order.order_no, order.unknown_since = order_no, None
    alias(state, order, order_no, "new")
    return notes + _replay(state, order_no)


def attach(state, intent_id: str, order_no: str) -> list:
    """Give an unknown order the number a query found for it."""
    return [OrderSettled(intent_id, order_no), *numbered(state, state.orders[intent_id], order_no, OrderEv.FOUND)]


def failed(state, intent_id: str, reason: str) -> list:
    order = find(state, intent_id)
    if order is None:
        state.side_intents.pop(intent_id, None)
        return []
    return move(state, order, OrderEv.FAIL, reason)


def unknown(state, intent_id: str, now) -> list:
    order = find(state, intent_id)
    if order is None:
        return []
    was = order.state
    notes = move(state, order, OrderEv.UNKNOWN)
    if was is OrderState.PENDING and order.state is OrderState.UNKNOWN:
        order.unknown_since = now
    return notes


def alias(state, order: Order, order_no: str, kind: str) -> None:
    order.numbers[order_no] = kind
    (state.by_no if order.state.open else state.closed_by_no)[order_no] = order.intent_id


def number_of(state, order_no: str) -> str | None:
    """The intent an order number belongs to, open or closed lately."""
    return state.by_no.get(order_no) or state.closed_by_no.get(order_no)


def _replay(state, order_no: str) -> list:
    notes: list = []
    for event in state.orphans.pop(order_no, []):
        notes += order_event(state, event)
    return notes


# ------------------------------------------------------------------ the broker's 00 frames


def order_event(state, e: OrderEvent) -> list:
    order = _order_of(state, e)
    if order is None:
        if e.order_no not in state.orphans and len(state.orphans) >= _MAX_ORPHANS:
            # the oldest number goes, not this one: numbers never claimed (orders placed elsewhere on
            # the account) pile up over a day, and this frame may be ours, ahead of its answer
            del state.orphans[next(iter(state.orphans))]
        state.orphans.setdefault(e.order_no, []).append(e)
        return []
    kind = order.numbers.get(e.order_no, "new")
    return _BY_STATUS.get(e.status, _done)(state, order, e, kind)


def _rejected(state, order: Order, e: OrderEvent, kind: str) -> list:
    # a refused amend/cancel leaves the order itself as it was
    return move(state, order, OrderEv.REJECT if kind == "new" else OrderEv.CHANGE, e.reject_reason or "")


def _filled(state, order: Order, e: OrderEvent, kind: str) -> list:
    # cumulative fill of this order number from 900 - 902, which holds whether or not 911 is
    # cumulative (unverified, docs/protocol.md, FIDs we read); a repeated frame then adds nothing
    cumulative = e.order_qty - e.remaining_qty if e.order_qty > 0 else e.filled_qty
    notes = take_fill(state, order, e.order_no, cumulative, e.fill_price or e.order_price, e.name,
                      remaining=e.remaining_qty)
    done = notes and order.state.open and order.remaining <= 0
    return notes + (move(state, order, OrderEv.FILLED_ALL) if done else [])


def _accepted(state, order: Order, e: OrderEvent, kind: str) -> list:
    notes = move(state, order, OrderEv.ACCEPT if kind == "new" else OrderEv.CHANGE)
    if order.state is OrderState.ACKED and kind != "cancel":
        order.remaining = e.remaining_qty
        if kind == "amend" and e.order_price:
            order.price = e.order_price
    return notes


def _done(state, order: Order, e: OrderEvent, kind: str) -> list:
    """CONFIRMED / CANCELLED: a cancel (or an amend) is done."""
    if kind == "cancel" or e.status is OrderStatus.CANCELLED or e.action is OrderAction.CANCEL:
        return move(state, order, OrderEv.CANCEL_DONE)
    return move(state, order, OrderEv.CHANGE)


_BY_STATUS = {OrderStatus.REJECTED: _rejected, OrderStatus.FILLED: _filled, OrderStatus.ACCEPTED: _accepted}


def _order_of(state, e: OrderEvent) -> Order | None:
    intent_id = number_of(state, e.order_no)
    orig = number_of(state, e.orig_order_no) if intent_id is None and e.orig_order_no else None
    if orig is not None:
        order = find(state, orig)  # amend/cancel seen before its REST answer
        if order is not None:
            alias(state, order, e.order_no, "cancel" if e.action is OrderAction.CANCEL else "amend")
        return order
    return find(state, intent_id) if intent_id else None


# ------------------------------------------------------------------ fills: always to the position


def take_fill(state, order: Order, order_no: str, cumulative: int, price: int, name: str = "",
              remaining: int | None = None) -> list:
    """Apply the shares of `order_no` filled beyond what was applied, whatever the order's state
    (the shares are real); `remaining` from the frame, or (None) reduced by the new shares."""
    delta = cumulative - order.filled_by_no.get(order_no, 0)
    if delta <= 0:
        return []
    order.filled_by_no[order_no] = cumulative
    order.filled += delta
    order.remaining = max(0, order.remaining - delta) if remaining is None else remaining
    if not order.state.open:
        notes = move(state, order, OrderEv.FILL)  # absorbed by a cancel's race, or unexpected
        return apply_fill(state, order, order_no, delta, price, name) + notes
    return apply_fill(state, order, order_no, delta, price, name)


def apply_fill(state, order: Order, order_no: str, qty: int, price: int, name: str = "") -> list:
    """Apply `qty` shares filled at `price` to the position; return notes. Never dropped (the
    shares are real): an implausible price is replaced, flagged and checked (core/prices.py)."""
    flag = prices.flag_fill(order, state.marks.get(order.code), state.today, order_no, qty, price)
    if flag is None:
        return _to_position(state, order, order_no, qty, price, name)
    state.suspect[order_no] = flag
    log.warning("%s: fill of %d at %r: %s; applied at %s", order.code, qty, price, flag.reason, flag.used)
    return [*_to_position(state, order, order_no, qty, flag.used, name), flag]


def _to_position(state, order: Order, order_no: str, qty: int, price: int, name: str) -> list:
    state.fill_seq += 1
    if order.side is Side.BUY:
        return _bought(state, order, order_no, qty, price, name)
    return _sold(state, order, order_no, qty, price)


def _bought(state, order: Order, order_no: str, qty: int, price: int, name: str) -> list:
    c = state.costs
    state.spent[state.fill_seq] = qty * price + c.commission_on(qty * price)
    pos = state.positions.get(order.code)
    if pos is None:
        # a manual order's shares are shown, not managed (docs/decisions.md §7: only adopt_holdings adopts)
        pos = Position(order.code, name or order.name, 0, 0, 0.0, price, managed=order.origin != "manual")
        state.positions[order.code] = pos
    pos.avg_price = (pos.avg_price * pos.qty + price * qty) / (pos.qty + qty)
    pos.qty += qty
    pos.sellable += qty
    pos.price = pos.price or price
    pos.return_pct = state.net_return(pos.avg_price, pos.price)
    fill = FillApplied(order.intent_id, order_no, order.code, Side.BUY, qty, price, 0.0)
    return [fill, PositionChanged(order.code, "buy fill")]


def _sold(state, order: Order, order_no: str, qty: int, price: int) -> list:
    c = state.costs
    pos = state.positions.get(order.code)
    avg = pos.avg_price if pos else float(price)
    realised = qty * (price * (1 - c.commission - c.sell_tax) - avg * (1 + c.commission))
    state.realised += realised
    fill = FillApplied(order.intent_id, order_no, order.code, Side.SELL, qty, price, realised)
    if pos is None:
        return [fill]
    pos.qty -= qty
    if not order.state.open:  # its close gave back the shares it held, these among them
        pos.sellable = max(0, min(pos.qty, pos.sellable - qty))
    if pos.qty <= 0:
        del state.positions[order.code]
        return [fill, PositionChanged(order.code, "sold", removed=True)]
    return [fill, PositionChanged(order.code, "sell fill")]
