"""The fills of manual orders (`kiwoom order buy|sell`), journaled from today's fills list (ka10076).

A one-shot command follows its order for a few seconds at most and no run sees it, so its fills
are found later in the broker's list of today's fills: when a command that uses the journal runs
(`kiwoom order ...` before its checks, `kiwoom orders`) and when a run starts (Kernel.start, before
it loads the journal). They are matched as a restarted run matches its own (settle(): by order
number and cumulative quantity, order_flow.take_fill), so a fill already journaled is never
journaled again, and written as the run writes its facts (JournalWriter).

A sell's realised P&L is counted against the average price of the position kiwoom manages for the
code, or, for a code it does not manage, the broker's average price (kt00018), or, when the broker
no longer holds the code, the average of today's journaled buy fills of it (docs/decisions.md §7).
A manual buy creates no managed position (a run adopts holdings only with adopt_holdings); a
manual fill of a code kiwoom manages changes that position, as the run's reconcile would.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import order_flow
from kiwoom_cli.core.facts import JournalWriter, OrderProgress, PositionSaved, Turn, copy_order
from kiwoom_cli.core.order_states import OrderEv, OrderState
from kiwoom_cli.core.records import FillApplied, Order, OrderClosed, Position, PositionView, freeze
from kiwoom_cli.core.state import State
from kiwoom_cli.market import CostRates
from kiwoom_cli.models import Balance, FillRow, Side

log = logging.getLogger(__name__)

RULE = "manual"  # the rule name of the decisions written here


def journal_facts(journal, fills: Iterable[FillRow] | Callable[[], Iterable[FillRow]],
                  balance: Callable[[], Balance | None], costs: CostRates, now: dt.datetime) -> list:
    """The facts that journal the fills of today's manual orders the journal lacks ([] if none).

    fills: today's ka10076 rows, or a function that asks for them (called only when some manual
    order lacks fills); balance: asked at most once, when a sell of a code kiwoom does not manage
    needs the broker's average price (None: that answer was malformed, such a sell waits for a
    later answer).
    """
    orders = journal.manual_unjournaled(now.date())
    if not orders:
        return []
    rows = {f.order_no: f for f in (fills() if callable(fills) else fills)}
    orders = [o for o in orders if any(no in rows for no in o.numbers)]
    if not orders:
        return []
    state = State(costs)
    managed = {p.code: p for p in journal.load(now.date()).positions}
    state.positions.update(managed)
    waiting, by_broker = _sold_unmanaged(journal, state, orders, balance, now.date())
    facts: list = []
    for order in orders:
        if order.code not in waiting:
            facts += _take_priced(state, order, rows, managed, order.code in by_broker)
    return facts


def _take_priced(state: State, order: Order, rows: dict[str, FillRow], managed: dict[str, Position],
                 by_broker: bool) -> list:
    """_take(), leaving a holding the broker priced as it was: the broker's average has its buys."""
    held = state.positions.get(order.code) if by_broker else None
    if held is None:
        return _take(state, order, rows, managed)
    before = held.qty, held.avg_price
    try:
        return _take(state, order, rows, managed)
    finally:
        held.qty, held.avg_price = before
        state.positions[order.code] = held  # a sell of all of it removed it from the scratch State


def _sold_unmanaged(journal, state: State, orders: list[Order], balance: Callable[[], Balance | None],
                    day: dt.date) -> tuple[set[str], set[str]]:
    """Put in `state` the average price of each code sold here that kiwoom does not manage; return
    the codes left for later (the balance answer was malformed) and those the broker priced."""
    codes = {o.code for o in orders if o.side is Side.SELL and o.code not in state.positions}
    if not codes:
        return set(), set()
    answer = balance()
    if answer is None:
        log.warning("balance answer unusable: manual sells of %s are journaled later", sorted(codes))
        return codes, set()
    held = {h.code: h for h in answer.holdings if h.qty > 0}
    for code in codes:
        h = held.get(code)
        if h is not None:
            state.positions[code] = Position(code, h.name, h.qty, h.qty, float(h.avg_price), managed=False)
            continue
        qty, value = journal.bought(day, code)
        if qty > 0:
            state.positions[code] = Position(code, "", qty, qty, value / qty, managed=False)
        else:  # no average anywhere: the realised P&L counts the costs only (order_flow._sold)
            log.warning("%s: a manual sell of shares neither the journal nor the balance prices", code)
    return set(), codes & set(held)


def _take(state: State, order: Order, rows: dict[str, FillRow], managed: dict[str, Position]) -> list:
    """One order's missing fills (take_fill), its progress, its close when all are in, and the
    managed position they change. An order the command's follow closed stays as it was closed."""
    was = order.state
    order.state = OrderState.ACKED  # its fills taken as an open order's
    order.remaining = max(0, order.qty - order.filled)
    notes: list = []
    for no in list(order.numbers):
        row = rows.get(no)
        if row is not None:
            notes += order_flow.take_fill(state, order, no, row.filled_qty, row.fill_price, row.name)
    fills = [n for n in notes if isinstance(n, FillApplied)]
    if not fills:
        order.state = was
        return []
    closed: list = []
    if not was.open:
        order.state = was
    elif order.remaining <= 0:
        closed = [n for n in order_flow.move(state, order, OrderEv.FILLED_ALL, "filled (today's fills)")
                  if isinstance(n, OrderClosed)]
    facts: list = [*fills, OrderProgress(copy_order(order)), *closed]
    if order.code in managed:
        facts.append(_position_fact(state, order.code))
    facts += [ev.Decision(RULE, f.code, "info", f"manual fill journaled: {f.side.value} {f.qty:,} @ {f.price:,}"
                          f" ({f.intent_id})") for f in fills]
    return facts


def _position_fact(state: State, code: str) -> PositionSaved:
    pos = state.positions.get(code)
    if pos is None:
        return PositionSaved(code, "manual sell fill", None)
    pos.sellable = min(pos.sellable, pos.qty)
    return PositionSaved(code, "manual fill", freeze(pos, PositionView))


def record(journal, rest, costs: CostRates, now: dt.datetime, fills: Iterable[FillRow] | None = None) -> list:
    """Journal, in one commit, the fills of today's manual orders the journal lacks; return them.

    fills None: asked of `rest` (ka10076), once, only when some manual order lacks fills. An error
    of either query propagates: nothing is journaled then.
    """
    facts = journal_facts(journal, rest.fills if fills is None else fills, rest.balance, costs, now)
    if facts:
        JournalWriter(journal).write(Turn(now, tuple(facts)))
    return [f for f in facts if isinstance(f, FillApplied)]
