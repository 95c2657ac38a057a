"""The single-threaded trading core: state + strategy + journal, one event at a time.

`handle(event, now)` applies the event, asks the strategy, records its outputs in the state and
journals everything in one commit, then returns the intents for the workers. The commit happens
before handle() returns, so every intent is durable before its order bytes can leave (docs/decisions.md §7). The
engine (threads, queues, deadline heap) wraps this; tests drive it directly with a ManualClock.

`handle(event, now, send)` (the engine's way) hands the intents to `send` itself, once the turn is
committed.
"""

from __future__ import annotations

import datetime as dt
import logging

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import halt
from kiwoom_cli.core.reconcile import close_not_open, missing_tracked, reconcile
from kiwoom_cli.core.records import (
    FillApplied,
    OrderClosed,
    OrderSettled,
    PositionChanged,
)
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.settle import settle
from kiwoom_cli.core.state import State
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.core.strategy import Strategy
from kiwoom_cli.models import Balance, Cash, OpenOrder, OrderEvent, Tick

log = logging.getLogger(__name__)

_FOR_WORKERS = (
    ev.PlaceOrder, ev.AmendOrder, ev.CancelOrder, ev.RetryOrder, ev.GiveUp, ev.Register, ev.Unregister, ev.NeedQuotes,
    ev.QueryOrders, ev.RefreshCash,
)


class Kernel:
    def __init__(self, settings: RunSettings, journal: Journal, *, id_prefix: str = "i",
                 strategy: Strategy | None = None) -> None:
        self.settings = settings
        self.journal = journal
        self.state = State(settings.costs)
        self.strategy = strategy or Strategy(settings, id_prefix)
        self.decisions: list[ev.Decision] = []  # the latest call's, for the dashboard's log
        self.day: dt.date | None = None
        self.halts = halt.Halts(self.state)  # buying halted by malformed broker answers

    def start(self, balance: Balance | None, open_orders: list[OpenOrder], cash: Cash | None,
              now: dt.datetime, fills=(), recheck=None, bad=None) -> list:
        """Load the journal, reconcile with the broker, return the first intents (registrations).

        fills: today's ka10076 rows (the run's own fills the journal missed are applied from them);
        balance None / cash None: that answer was malformed (buying halts, exits keep working);
        recheck: returns a second balance answer GONE_CONFIRM_S later (None if malformed), asked
        only when tracked positions are missing; without it nothing tracked is dropped;
        bad: api-id -> what was wrong with a start-up answer (the halt's reason).
        """
        self.day = now.date()
        stored = self.journal.load(self.day)
        fills = tuple(fills)
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
        with self.journal.batch():
            for code in result.dropped:
                self.journal.delete_position(code, "no longer held at start", now)
            for closed in result.closed:
                self.journal.close_order(closed.intent_id, closed.status, closed.reason, now)
            for order in result.attached:
                self.journal.adopt_order(order, now)
            for pos in self.state.positions.values():
                if pos.managed:
                    self.journal.save_position(pos, "start", now)
            self._journal_notes(notes, now)
            for d in result.decisions:
                self.journal.record_decision(d, now)
            intents = self._outputs([*outs, *self.strategy.at_start(self.state, now)], now)
            self.decisions = list(result.decisions) + self.decisions
            return intents

    def handle(self, event: object, now: dt.datetime, send=None) -> list:
        """Process one event; return the intents to hand to workers (already journaled).

        send: called with the intents once they are committed (before handle() returns).
        """
        intents = self._handle(event, now)
        if send is not None and intents:
            send(intents)
        return intents

    def _handle(self, event: object, now: dt.datetime) -> list:
        if now.date() != self.day:  # a run across midnight (the sim is always open): a new trading day
            self.day = now.date()
            self.state.realised = 0.0
            self.state.flags.clear()
            self.halts.restore()
        if type(event) is Tick:  # the hot path: no journal unless a rule speaks
            notes = self.state.apply(event, now)  # a price that did not count: only its note speaks
            outs = self.strategy.on_notes(notes, self.state, now) if notes else self.strategy.decide(event, self.state, now)
            if not outs:
                return []
            with self.journal.batch():
                return self._outputs(outs, now)
        with self.journal.batch():
            intent_id = self.state.by_no.get(event.order_no) if isinstance(event, OrderEvent) else None
            notes = self.state.apply(event, now)
            if isinstance(event, OrderEvent):
                intent_id = intent_id or self.state.by_no.get(event.order_no)
                self.journal.record_order_event(event, intent_id, now)
            elif isinstance(event, ev.ORDER_OUTCOMES):
                self.journal.record_outcome(event, now)
            elif isinstance(event, ev.OrderRefused):
                self.journal.record_refusal(event, now)
            self._journal_notes(notes, now)
            self._save_open_orders(event, now)
            outs = self.strategy.on_notes(notes, self.state, now) + self.strategy.decide(event, self.state, now)
            return self._outputs([*self.halts.on(event, now), *outs], now)

    def next_deadline(self, now: dt.datetime) -> dt.datetime | None:
        """When the engine should deliver the next TimerFired."""
        return self.strategy.next_deadline(self.state, now)

    # ------------------------------------------------------------------ internals

    def _outputs(self, outs: list, now: dt.datetime) -> list:
        intents: list = []
        self.decisions = []
        for out in outs:
            notes = self.state.apply_output(out, now)
            if isinstance(out, ev.Decision):
                self.journal.record_decision(out, now)
                self.decisions.append(out)
            elif isinstance(out, ev.ORDER_INTENTS):
                self.journal.record_intent(out, now)
            elif isinstance(out, ev.RetryOrder):
                self.journal.record_retry(out.intent, out.attempt, now)
            elif isinstance(out, ev.GiveUp):
                self.journal.record_outcome(ev.OrderFailed(out.intent_id, out.reason, out.error_code), now)
            elif isinstance(out, ev.SetFlag):
                self.journal.set_flag(now.date(), out.name, out.reason)
            self._journal_notes(notes, now)
            if isinstance(out, _FOR_WORKERS):
                intents.append(out)
        return intents

    def _journal_notes(self, notes: list, now: dt.datetime) -> None:
        j = self.journal
        for n in notes:
            if isinstance(n, FillApplied):
                j.record_fill(n, now)
            elif isinstance(n, PositionChanged):
                pos = self.state.positions.get(n.code)
                if n.removed or pos is None:
                    j.delete_position(n.code, n.reason, now)
                elif pos.managed:
                    j.save_position(pos, n.reason, now)
            elif isinstance(n, OrderClosed):
                j.close_order(n.intent_id, n.status, n.reason, now)
            elif isinstance(n, OrderSettled):
                j.record_request(n.intent_id, "settle", "found", n.order_no, now)
                j.link_order(n.intent_id, n.order_no)

    def _save_open_orders(self, event: object, now: dt.datetime) -> None:
        # order progress (numbers, cumulative fills, unknown) must survive a restart
        if isinstance(event, OrderEvent):
            intent_id = self.state.by_no.get(event.order_no)
            order = self.state.orders.get(intent_id) if intent_id else None
            if order is not None:
                self.journal.save_order(order, now)
        elif isinstance(event, (ev.OrderAcked, ev.OrderUnknown, ev.OrdersQueried)):
            for order in self.state.orders.values():
                self.journal.save_order(order, now)
