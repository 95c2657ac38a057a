"""Start-up reconciliation: the journal's view of the world against the broker's (pure).

- holdings the journal does not track are shown, and managed only with adopt_holdings;
- the run's own fills the journal never heard of (a crash while an order's answer or fill was in
  flight) are found in today's fills (ka10076): the holding is started at what the journal knew and
  the fills are applied by settle() as in a running session, so a bought position is managed, with
  the bought quantity, never counted twice;
- tracked stocks no longer held are dropped only when two well-formed balance answers, GONE_CONFIRM_S
  apart, agree (`gone`); one answer is never proof, and no answer (balance None: it was malformed)
  keeps the journal's positions as they are;
- open orders are re-attached to their intents (by order number, or for an intent whose answer
  never came, by code/side/qty in the open orders or the fills); broker orders nobody journaled are
  attached as "broker" orders so they block duplicates and hold cash; journaled orders the broker
  neither lists open nor shows fills for are closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import order_flow
from kiwoom_cli.core.order_states import OrderEv, OrderState, next_state
from kiwoom_cli.core.records import Order, OrderClosed, Position
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.state import State
from kiwoom_cli.core.journal import Stored
from kiwoom_cli.models import Balance, Cash, FillRow, Holding, OpenOrder, OrderType, Side

GONE_CONFIRM_S = 5.0  # a second balance answer this much later must also lack a tracked stock


@dataclass
class Reconciled:
    decisions: list[ev.Decision] = field(default_factory=list)
    closed: list[OrderClosed] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # tracked codes no longer held
    attached: list[Order] = field(default_factory=list)  # orders to (re)write in the journal


def reconcile(state: State, stored: Stored, balance: Balance | None, open_orders: list[OpenOrder],
              cash: Cash | None, settings: RunSettings, now: dt.datetime, fills: Iterable[FillRow] = (),
              gone: set[str] | None = None) -> Reconciled:
    """Fill an empty State from the journal and the broker; return what changed and why.

    balance None: the balance answer was malformed (tracked positions kept as journaled); gone: the
    tracked codes a second balance answer also lacked (None: no second answer, nothing is dropped).
    The fills found here for the journal's orders are applied by the caller, settle() style.
    """
    out = Reconciled()
    state.flags.update(stored.flags)
    state.realised = stored.realised
    state.cash = cash.orderable if cash else None
    fills = list(fills)
    _match_unanswered(stored, open_orders, fills)
    _positions(state, out, stored, balance, fills, settings, gone)
    out.decisions += _other_venue(open_orders, settings)
    claimed = _resume_journaled(state, out, stored.orders, open_orders, fills)
    _attach_unjournaled(state, out, open_orders, claimed, now)
    return out


def _positions(state: State, out: Reconciled, stored: Stored, balance: Balance | None, fills: list[FillRow],
               settings: RunSettings, gone: set[str] | None) -> None:
    tracked = {p.code: p for p in stored.positions}
    unapplied = unapplied_fills(stored.orders, fills)
    if balance is None:
        out.decisions.append(ev.Decision("reconcile", None, "warn",
                                         "balance answer unusable: tracked positions kept as journaled"))
        held = {}
    else:
        held = {h.code: h for h in balance.holdings if h.qty > 0}
    for code in dict.fromkeys([*held, *tracked, *unapplied]):
        _position(state, out, code, held.get(code), tracked.get(code), unapplied.get(code, 0),
                  balance is None, settings, gone)


def _other_venue(open_orders: list[OpenOrder], settings: RunSettings) -> list[ev.Decision]:
    """The run's amends and cancels go to its own venue (settings.exchange): warn of orders elsewhere."""
    return [ev.Decision("reconcile", o.code, "warn", (
        f"open order {o.order_no} is on {o.exchange}, this run trades on {settings.exchange}: "
        "its amends and cancels would go to the wrong venue; change it with `kiwoom order`"))
        for o in open_orders if o.exchange and o.exchange != settings.exchange and o.remaining_qty > 0]


def _resume_journaled(state: State, out: Reconciled, orders: list[Order], open_orders: list[OpenOrder],
                      fills: list[FillRow]) -> set[str]:
    """Re-attach the journal's open orders; close the numbered ones the broker no longer shows.
    Return the broker's order numbers they claim."""
    by_no = {o.order_no: o for o in open_orders}
    filled = {f.order_no for f in fills}
    claimed: set[str] = set()
    for order in orders:
        live = [by_no[n] for n in order.numbers if n in by_no]
        if live:
            order.remaining = live[-1].remaining_qty
            claimed.update(o.order_no for o in live)
        elif order.order_no is not None and filled.isdisjoint(order.numbers):
            order.state = OrderState.GONE  # never in the State: the journal alone closes it
            out.closed.append(OrderClosed(order.intent_id, order.state, "no longer open at the broker after restart"))
            continue
        # an unknown order stays pending (unknown) until a query settles it
        _attach(state, order)
        out.attached.append(order)
        out.decisions.append(ev.Decision("reconcile", order.code, "info", f"order {order.intent_id} re-attached"
                                         + (" (outcome unknown)" if order.unknown else "")))
    return claimed


def _attach_unjournaled(state: State, out: Reconciled, open_orders: list[OpenOrder], claimed: set[str],
                        now: dt.datetime) -> None:
    """Broker orders nobody journaled: attached as "broker" orders (they block duplicates, hold cash)."""
    for o in open_orders:
        if o.order_no in claimed or o.remaining_qty <= 0:  # rows with nothing open are possible (unverified)
            continue
        order = Order(f"broker-{o.order_no}", o.side, o.code, o.qty, o.price or None,
                      OrderType.LIMIT if o.price else OrderType.MARKET, "external", "broker", now,
                      name=o.name, order_no=o.order_no, numbers={o.order_no: "new"},
                      remaining=o.remaining_qty, filled=o.qty - o.remaining_qty, state=OrderState.ACKED)
        if o.side is Side.BUY:
            order.reserve = o.qty * (o.price or 0)  # held against cash like our own (upper limit unknown)
        _attach(state, order)
        out.attached.append(order)
        out.decisions.append(ev.Decision("reconcile", o.code, "info", f"open order {o.order_no} not in the journal: attached"))


def close_not_open(state: State, open_orders: list[OpenOrder]) -> list:
    """Close the journal's numbered orders the broker no longer lists open (their fills applied)."""
    open_nos = {o.order_no for o in open_orders}
    notes: list = []
    for order in list(state.orders.values()):
        if order.state is OrderState.ACKED and open_nos.isdisjoint(order.numbers):
            if order.remaining <= 0:
                notes += order_flow.move(state, order, OrderEv.FILLED_ALL)
            else:
                notes += order_flow.move(state, order, OrderEv.VANISHED, "no longer open at the broker after restart")
    return notes


def missing_tracked(stored: Stored, balance: Balance, open_orders: list[OpenOrder],
                    fills: Iterable[FillRow] = ()) -> set[str]:
    """Tracked codes this balance answer lacks (own sells the fills explain are not "missing")."""
    fills = list(fills)
    _match_unanswered(stored, open_orders, fills)
    held = {h.code for h in balance.holdings if h.qty > 0}
    sold = {code for code, delta in unapplied_fills(stored.orders, fills).items() if delta < 0}
    return {p.code for p in stored.positions} - held - sold


def unapplied_fills(orders: Iterable[Order], fills: list[FillRow]) -> dict[str, int]:
    """Per code, the shares the broker filled for the journal's orders beyond what the journal
    applied: + bought, - sold (the balance already holds them; settle() applies them)."""
    by_no = {f.order_no: f for f in fills}
    delta: dict[str, int] = {}
    for order in orders:
        for no in order.numbers:
            row = by_no.get(no)
            extra = row.filled_qty - order.filled_by_no.get(no, 0) if row is not None else 0
            if extra > 0:
                sign = 1 if order.side is Side.BUY else -1
                delta[order.code] = delta.get(order.code, 0) + sign * extra
    return delta


def _position(state: State, out: Reconciled, code: str, h: Holding | None, known: Position | None,
              unapplied: int, no_balance: bool, settings: RunSettings, gone: set[str] | None) -> None:
    """Put one code's position in the state as it was before the unapplied fills (settle adds them)."""
    if no_balance:
        if known is not None:
            state.positions[code] = known
        return
    qty = (h.qty if h else 0) - unapplied
    if qty <= 0:
        if known is not None and not unapplied:
            _not_held(out, code, gone)
        return  # the run's own buy fills will make the position (managed) when applied
    managed = known is not None or settings.adopt_holdings
    pos = _before_fills(code, h, known, qty, unapplied, managed)
    pos.return_pct = state.net_return(pos.avg_price, pos.price)
    state.positions[code] = pos
    if known is None:
        what = "adopted" if managed else "shown, not managed (adopt_holdings is off)"
        out.decisions.append(ev.Decision("reconcile", code, "info", f"holding not in the journal: {what}"))


def _before_fills(code: str, h: Holding | None, known: Position | None, qty: int, unapplied: int,
                  managed: bool) -> Position:
    if h is None:  # sold since, per the fills: the journal's position, the sell fills apply next
        return Position(code, known.name, qty, qty, known.avg_price, known.price, armed=known.armed, high=known.high)
    pos = Position(code, h.name or (known.name if known else ""), qty, max(0, min(qty, h.sellable_qty - unapplied)),
                   float(h.avg_price), h.current_price, managed=managed)
    if known is not None:
        pos.armed, pos.high = known.armed, known.high
        if unapplied:
            pos.avg_price = known.avg_price  # the fills' prices are averaged in by settle()
    return pos


def _not_held(out: Reconciled, code: str, gone: set[str] | None) -> None:
    """A tracked code the balance lacks: dropped only when a second answer agreed (`gone`)."""
    if gone is not None and code in gone:
        out.dropped.append(code)
        out.decisions.append(ev.Decision("reconcile", code, "info", "tracked but no longer held: dropped"))
    else:
        out.decisions.append(ev.Decision("reconcile", code, "warn", "tracked but not in the balance answer:"
                                         " kept until a second answer agrees"))


def _match_unanswered(stored: Stored, open_orders: list[OpenOrder], fills: list[FillRow]) -> None:
    """Give a journaled order whose answer never came the broker's number for it, if there is one."""
    taken = _all_numbers(stored)
    rows = [(o.order_no, o.code, o.side, o.qty) for o in open_orders]
    rows += [(f.order_no, f.code, f.side, f.order_qty) for f in fills]
    for order in stored.orders:
        if order.order_no is not None:
            continue
        match = next((no for no, code, side, qty in rows if no not in taken and code == order.code
                      and side is order.side and qty == order.qty), None)
        if match is not None:
            taken.add(match)
            order.order_no, order.unknown_since = match, None
            order.state = next_state(order.state, OrderEv.FOUND) or order.state
            order.numbers[match] = "new"


def _all_numbers(stored: Stored) -> set[str]:
    return {n for o in stored.orders for n in o.numbers}


def _attach(state: State, order: Order) -> None:
    state.orders[order.intent_id] = order
    for no in order.numbers:
        state.by_no[no] = order.intent_id
    pos = state.positions.get(order.code)
    if order.side is Side.SELL and pos is not None:
        pos.sell_intent = order.intent_id
