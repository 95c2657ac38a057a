"""The single-threaded trading core: state + strategy + journal, one event at a time.

`handle(event, now)` applies the event, asks the strategy and records its outputs in the state;
what the turn established is one ordered tuple of facts (core/facts.py), journaled in one commit;
then the turn's intents go to `dispatch` (the engine's: the workers' queues) and the Turn to each
sink (the dashboard's bookkeeping, the run's feed), before handle() returns the intents: every
intent is durable before its order can leave (docs/decisions.md §7), and queued before any report
of it. The engine (threads, queues, deadlines) wraps this; tests drive it directly with a ManualClock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import halt, manualfills
from kiwoom_cli.core.catchup import catching_up
from kiwoom_cli.core.facts import (
    CatchUp,
    JournalWriter,
    OrderAdopted,
    OrderEventSeen,
    OrderProgress,
    Outage,
    PositionSaved,
    Turn,
    copy_order,
)
from kiwoom_cli.core.order_flow import number_of
from kiwoom_cli.core.reconcile import close_not_open, missing_tracked, reconcile
from kiwoom_cli.core.records import (
    FillApplied,
    OrderClosed,
    OrderSettled,
    PositionChanged,
    PositionView,
    freeze,
)
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.settle import settle
from kiwoom_cli.core.state import State
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.core.strategy import Strategy
from kiwoom_cli.models import Balance, Cash, ConditionEvent, ConditionListed, OpenOrder, OrderEvent, SocketStatus, Tick

log = logging.getLogger(__name__)

_FOR_WORKERS = (
    ev.PlaceOrder, ev.AmendOrder, ev.CancelOrder, ev.RetryOrder, ev.GiveUp, ev.Register, ev.Unregister, ev.NeedQuotes,
    ev.QueryOrders, ev.RefreshCash,
)
_OUTPUT_FACTS = frozenset((ev.Decision, ev.PlaceOrder, ev.AmendOrder, ev.CancelOrder, ev.RetryOrder, ev.SetFlag,
                           ev.AwaitQuote))
_NOTE_FACTS = frozenset((FillApplied, OrderClosed, OrderSettled))
_ANSWERS = frozenset((ev.OrderAcked, ev.OrderFailed, ev.OrderUnknown, ev.OrderRefused))
_SAVES_ALL_ORDERS = (ev.OrderAcked, ev.OrderUnknown, ev.OrdersQueried)

Sink = Callable[[Turn], None]
Dispatch = Callable[[list], None]


class Kernel:
    def __init__(self, settings: RunSettings, journal: Journal, *, id_prefix: str = "i",
                 strategy: Strategy | None = None, sinks: Sequence[Sink] = ()) -> None:
        self.settings = settings
        self.journal = journal
        self.writer = JournalWriter(journal)  # the first consumer of every turn's facts
        # after the commit, the turn's intents to `dispatch` (the Engine sets it: the workers' queues;
        # its errors are the turn's), then the Turn to each sink in order (core/facts.py)
        self.dispatch: Dispatch | None = None
        self.sinks = tuple(sinks)
        self.state = State(settings.costs)
        self.strategy = strategy or Strategy(settings, id_prefix)
        self.day: dt.date | None = None
        self.halts = halt.Halts(self.state)  # buying halted by malformed broker answers

    def start(self, balance: Balance | None, open_orders: list[OpenOrder], cash: Cash | None,
              now: dt.datetime, fills=(), recheck=None, bad=None) -> list:
        """Load the journal, reconcile with the broker, return the first intents (registrations).

        They are not handed to `dispatch`: the engine makes the registrations itself, acked,
        before its threads start.

        fills: today's ka10076 rows (the run's own fills the journal missed are applied from them, and
        manual orders' fills journaled: core/manualfills.py);
        balance None / cash None: that answer was malformed (buying halts, exits keep working);
        recheck: returns a second balance answer GONE_CONFIRM_S later (None if malformed), asked
        only when tracked positions are missing; without it nothing tracked is dropped;
        bad: api-id -> what was wrong with a start-up answer (the halt's reason).
        """
        self.day = now.date()
        fills = tuple(fills)
        # manual orders' fills the journal lacks, first: the day's realised P&L counts them
        self._finish(now, manualfills.journal_facts(self.journal, fills, lambda: balance, self.settings.costs, now))
        stored = self.journal.load(self.day)
        gone = None
        if balance is not None and recheck is not None:
            missing = missing_tracked(stored, balance, open_orders, fills)
            second = recheck() if missing else None
            if second is not None:
                gone = missing & missing_tracked(stored, second, open_orders, fills)
                balance = second
        result = reconcile(self.state, stored, balance, open_orders, cash, self.settings, now, fills, gone)
        notes = settle(self.state, ev.OrdersQueried(tuple(open_orders), fills), now)
        notes += close_not_open(self.state, open_orders)
        result.decisions += [ev.Decision("reconcile", n.code, "info",
                                         f"own fill found after the restart: {n.qty} @ {n.price:,} ({n.intent_id})")
                             for n in notes if isinstance(n, FillApplied)]
        outs = [*self.halts.at_start(balance, cash, bad or {}), *self.strategy.sync_registrations(self.state)]
        facts: list = [PositionSaved(code, "no longer held at start", None) for code in result.dropped]
        facts += result.closed
        facts += [OrderAdopted(copy_order(order)) for order in result.attached]
        facts += [PositionSaved(p.code, "start", freeze(p, PositionView))
                  for p in self.state.positions.values() if p.managed]
        self._note_facts(notes, facts)
        facts += result.decisions
        try:
            return self._outputs([*outs, *self.strategy.at_start(self.state, now)], now, facts)
        finally:
            self._finish(now, facts)

    def handle(self, event: object, now: dt.datetime) -> list:
        """Process one event; return the intents for the workers (journaled, and dispatched if set).

        The turn's facts are journaled (one commit), its intents dispatched and the Turn handed to
        the sinks before this returns; a turn that fails half-way is journaled and handed to the
        sinks (what it did is kept), its intents are not dispatched and its error is raised.
        """
        if now.date() != self.day:  # a run across midnight (the sim is always open): a new trading day
            self.day = now.date()
            self.state.realised = 0.0
            self.state.flags.clear()
            self.halts.restore()
        if type(event) is Tick:  # the hot path: no fact, no journal unless a rule speaks
            notes = self.state.apply(event, now)  # a price that did not count: only its note speaks
            outs = self.strategy.on_notes(notes, self.state, now) if notes else self.strategy.decide(event, self.state, now)
            if not outs:
                return []
            facts: list = []
            intents: list = []  # stays empty if the turn fails: nothing of it is dispatched
            try:
                intents = self._outputs(outs, now, facts)
            finally:
                self._finish(now, facts, intents)
            return intents
        facts = [event] if type(event) in (ConditionEvent, SocketStatus) else []
        intents = []
        try:
            intents = self._turn(event, now, facts)
        finally:
            self._finish(now, facts, intents)
        return intents

    def next_deadline(self, now: dt.datetime) -> dt.datetime | None:
        """When the engine should deliver the next TimerFired."""
        return self.strategy.next_deadline(self.state, now)

    # ------------------------------------------------------------------ internals

    def _turn(self, event: object, now: dt.datetime, facts: list) -> list:
        state = self.state
        # an order's number, open or closed lately: a fill that raced a cancel is the order's too
        intent_id = number_of(state, event.order_no) if isinstance(event, OrderEvent) else None
        late = intent_id is not None and intent_id not in state.orders
        notes = state.apply(event, now)
        if isinstance(event, OrderEvent):
            facts.append(OrderEventSeen(event, intent_id or number_of(state, event.order_no)))
        elif type(event) in _ANSWERS:
            facts.append(event)
        self._note_facts(notes, facts)
        self._progress_facts(event, facts, late)
        outs = self.strategy.on_notes(notes, state, now) + self.strategy.decide(event, state, now)
        intents = self._outputs([*self.halts.on(event, now), *outs], now, facts)
        if isinstance(event, (SocketStatus, ConditionListed)):
            self._outage_facts(event, now, facts)
        return intents

    def _finish(self, now: dt.datetime, facts: list, intents: list = ()) -> None:
        """Journal the turn's facts (one commit), dispatch its intents, then hand the Turn to each
        sink; a sink's error is logged, dispatch's is raised."""
        if not facts:
            if intents and self.dispatch is not None:  # quotes, registrations, queries: nothing to journal
                self.dispatch(intents)
            return
        turn = Turn(now, tuple(facts), any(o.order_no is None for o in self.state.orders.values()))
        self.writer.write(turn)  # committed: from here the intents may leave
        if intents and self.dispatch is not None:
            self.dispatch(intents)  # on the workers' queues before any sink wakes another thread
        for sink in self.sinks:
            try:
                sink(turn)
            except Exception:  # reporting only: the turn is committed and its intents are queued
                log.exception("a fact sink failed on a turn; the journal has it")

    def _outputs(self, outs: list, now: dt.datetime, facts: list) -> list:
        intents: list = []
        for out in outs:
            notes = self.state.apply_output(out, now)
            kind = type(out)
            if kind in _OUTPUT_FACTS:
                facts.append(out)
            elif kind is ev.GiveUp:
                facts.append(ev.OrderFailed(out.intent_id, out.reason, out.error_code))
            if notes:
                self._note_facts(notes, facts)
            if isinstance(out, _FOR_WORKERS):
                intents.append(out)
        return intents

    def _note_facts(self, notes: list, facts: list) -> None:
        for n in notes:
            kind = type(n)
            if kind in _NOTE_FACTS:
                facts.append(n)
            elif kind is PositionChanged:
                pos = self.state.positions.get(n.code)
                if n.removed or pos is None:
                    facts.append(PositionSaved(n.code, n.reason, None))
                elif pos.managed:
                    facts.append(PositionSaved(n.code, n.reason, freeze(pos, PositionView)))

    def _progress_facts(self, event: object, facts: list, late: bool = False) -> None:
        # order progress (numbers, cumulative fills, unknown) must survive a restart
        orders = self.state.orders
        if isinstance(event, OrderEvent):
            intent_id = number_of(self.state, event.order_no)
            order = orders.get(intent_id) if intent_id else None
            if order is None and late:  # a frame on an order closed before it (a fill that raced a cancel)
                order = self.state.closed.get(intent_id)
            if order is not None:
                facts.append(OrderProgress(copy_order(order)))
        elif isinstance(event, _SAVES_ALL_ORDERS):
            facts += [OrderProgress(copy_order(o)) for o in orders.values()]

    def _outage_facts(self, event: object, now: dt.datetime, facts: list) -> None:
        """An Outage when the socket is back, a CatchUp for each condition listed after it."""
        members = self.state.members
        if isinstance(event, SocketStatus):
            if event.detail == "reconnected" and members.outage is not None and members.outage[1] == now:
                facts.append(Outage(members.outage[0], members.outage_s))
            return
        r = members.last
        if r is not None and r.seq == event.seq:
            entered = tuple(r.entered)
            acted = catching_up(self.settings, r.seq, r.gap_s)
            facts.append(CatchUp(r.seq, r.gap_s, entered, entered if acted else (), () if acted else entered,
                                 tuple(r.left)))
