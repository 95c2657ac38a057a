"""The fact stream: what one engine turn established, as one ordered tuple of immutable facts.

`Kernel.handle(event, now)` (and `Kernel.start`) collects the turn's facts in the order they
happened and hands them, as one `Turn`, to its consumers: first the journal (`JournalWriter`, one
transaction, before any intent reaches a worker); then the turn's intents go to the workers'
queues (`Kernel.dispatch`, set by the Engine); then each sink, in order: the dashboard's
bookkeeping (`core/recent.Recent.consume`, added by the Engine) and the run's JSON-lines feed
(`cli/runfeed.Feed.consume`). No consumer sees another's work; a sink only reads the Turn
(docs/architecture.md §4).

A fact is either a frozen type the core already has, when it is the fact itself:
- `events.PlaceOrder` / `AmendOrder` / `CancelOrder`: an intent, and its first request, sent;
- `events.RetryOrder`: another try of a refused intent (priced anew);
- `events.OrderAcked` / `OrderFailed` / `OrderUnknown` / `OrderRefused`: the answer to a request
  (a give-up after rate limits is an `OrderFailed`);
- `records.FillApplied`, `records.OrderClosed`, `records.OrderSettled` (an unknown order found
  under a number);
- `events.Decision`, `events.SetFlag` (a once-a-day flag), `events.AwaitQuote` (an entry waits
  for a quote: its decision comes with the quote);
- `models.ConditionEvent`, `models.SocketStatus` (inbound, as they arrived);
or one of the types below, where a fact needs more than the event (the intent an order event
belongs to) or a frozen copy of a live record (an order's progress, a position's saved values).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.records import (
    FillApplied,
    Order,
    OrderClosed,
    OrderSettled,
    OrderView,
    PositionView,
    freeze,
)
from kiwoom_cli.models import OrderEvent


@dataclass(frozen=True, slots=True)
class Turn:
    """One engine turn's facts, in order, all at `now`.

    awaiting_numbers: whether an order of ours still lacked its broker number when the turn ended
    (an order event with no intent may then be that order's, reported once the number is known).
    """

    now: dt.datetime
    facts: tuple
    awaiting_numbers: bool = False


@dataclass(frozen=True, slots=True)
class OrderEventSeen:
    """A REAL 00 order event and the intent it belongs to, if the state knows it."""

    event: OrderEvent
    intent_id: str | None


def copy_order(order: Order) -> OrderView:
    """A frozen copy of an order for a fact (records.OrderView, the snapshot's type)."""
    return freeze(order, OrderView)


@dataclass(frozen=True, slots=True)
class OrderProgress:
    """An open order's progress (numbers, fills, flags), as saved so a restart resumes it."""

    order: OrderView


@dataclass(frozen=True, slots=True)
class OrderAdopted:
    """An order found at the broker that no intent of ours described, now tracked."""

    order: OrderView


@dataclass(frozen=True, slots=True)
class PositionSaved:
    """A managed position's saved values after a change; position None: it is gone."""

    code: str
    reason: str
    position: PositionView | None


@dataclass(frozen=True, slots=True)
class Outage:
    """The socket is back after an outage that began at `since`."""

    since: dt.datetime
    seconds: float


@dataclass(frozen=True, slots=True)
class CatchUp:
    """A condition listed after a reconnect: what the gap hid, and whether entries were acted on."""

    seq: str
    gap_s: float
    entered: tuple[str, ...]
    caught_up: tuple[str, ...]
    missed: tuple[str, ...]
    left: tuple[str, ...]


class JournalWriter:
    """The journal's consumer: each fact to the journal's write method, one transaction per turn."""

    def __init__(self, journal) -> None:
        self.journal = j = journal
        intent = lambda f, now: j.record_intent(f, now)  # noqa: E731
        outcome = lambda f, now: j.record_outcome(f, now)  # noqa: E731
        self._writers = {
            ev.PlaceOrder: intent, ev.AmendOrder: intent, ev.CancelOrder: intent,
            ev.RetryOrder: lambda f, now: j.record_retry(f.intent, f.attempt, now),
            ev.OrderAcked: outcome, ev.OrderFailed: outcome, ev.OrderUnknown: outcome,
            ev.OrderRefused: lambda f, now: j.record_refusal(f, now),
            OrderEventSeen: lambda f, now: j.record_order_event(f.event, f.intent_id, now),
            FillApplied: lambda f, now: j.record_fill(f, now),
            PositionSaved: self._position,
            OrderProgress: lambda f, now: j.save_order(f.order, now),
            OrderAdopted: lambda f, now: j.adopt_order(f.order, now),
            OrderClosed: lambda f, now: j.close_order(f.intent_id, f.status, f.reason, now),
            OrderSettled: self._settled,
            ev.Decision: lambda f, now: j.record_decision(f, now),
            ev.SetFlag: lambda f, now: j.set_flag(now.date(), f.name, f.reason),
        }  # condition events, socket states, outages, catch-ups, entries awaiting a quote: the journal
        # has their decisions

    def write(self, turn: Turn) -> None:
        """Journal the turn in one transaction (committed when this returns)."""
        writers, now = self._writers, turn.now
        with self.journal.batch():
            for fact in turn.facts:
                write = writers.get(type(fact))
                if write is not None:
                    write(fact, now)

    def _position(self, f: PositionSaved, now: dt.datetime) -> None:
        if f.position is None:
            self.journal.delete_position(f.code, f.reason, now)
        else:
            self.journal.save_position(f.position, f.reason, now)

    def _settled(self, f: OrderSettled, now: dt.datetime) -> None:
        self.journal.record_request(f.intent_id, "settle", "found", f.order_no, now)
        self.journal.link_order(f.intent_id, f.order_no)
