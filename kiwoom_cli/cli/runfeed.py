"""What a `kiwoom run` tells the outside world: one JSON object per event, and the closing summary.

The journal already sees every fact worth reporting (intents, answers, order events, fills,
decisions) at the moment it is made durable, so an ObservedJournal reports each one right after
writing it; an ObservedKernel adds the inbound condition and socket events. Both run on the engine
thread and only build a small dict and put it on a SimpleQueue: a writer thread does the JSON and
the (possibly slow) stdout pipe, so a reader that stalls never stalls trading. Ticks are not reported.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import queue
import threading
from typing import TextIO

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.catchup import catching_up
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.records import FillApplied
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.models import ConditionEvent, ConditionListed, OrderEvent, SocketStatus, Tick

log = logging.getLogger("kiwoom.run")
_STOP = object()


def _ts(now: dt.datetime) -> str:
    return now.isoformat(timespec="milliseconds")


def _value(v: object) -> object:
    return getattr(v, "value", v)  # enums -> their wire value


class Feed:
    """Carry run events from the engine thread to stdout (headless) and the log file."""

    def __init__(self, out: TextIO | None) -> None:
        self._out = out
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="kiwoom-feed", daemon=True)
        # Tallies for the summary; written only by the engine thread, read after it has ended.
        self.intents: collections.Counter = collections.Counter()  # "place" / "amend" / "cancel"
        self.closed: collections.Counter = collections.Counter()  # close status -> count
        # Intents with any fill, counted by side: an open one is kept by id (its later fills add
        # nothing), a closed one only in `filled_sides`, so the run holds no id per order of the day.
        self.filled_intents: dict[str, str] = {}  # intent id -> side, open intents with any fill
        self.filled_sides: collections.Counter = collections.Counter()  # side -> closed intents with any fill
        self.realised = 0.0
        # intent id -> what the summary says of an order still without an answer when the run ends
        # (waiting to go again after a rate limit, or held behind one): never placed as far as we know
        self.unanswered: dict[str, dict] = {}
        self._held: list | None = None  # the engine turn's events, while one is handled

    def start(self) -> None:
        self._thread.start()

    def emit(self, kind: str, now: dt.datetime, **fields: object) -> None:
        """Queue one event (cheap: called on the engine thread)."""
        self._queue((kind, now, fields))  # made a dict by the writer thread

    def emit_with(self, kind: str, now: dt.datetime, build, obj) -> None:
        """Queue one event whose fields the writer thread builds: build(obj), obj immutable.

        The engine thread then only queues a reference (the entry -> order path's events).
        """
        self._queue((kind, now, (build, obj)))

    def _queue(self, item: tuple) -> None:
        if self._held is not None:
            self._held.append(item)
        else:
            self._q.put(item)

    def hold(self) -> None:
        """Keep the events emitted from now on until release() (the engine thread, during one turn).

        Why: each put wakes the writer thread, which then takes turns with the engine for the GIL
        and the CPU (json, logging, a file write) while the engine is on its way to an order's
        bytes: 0.3-0.4 ms on that path (benchmarks/entry_to_order.py). Released after the send.
        """
        self._held = []

    def release(self) -> None:
        held, self._held = self._held, None
        if held:
            self._q.put(held)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer."""
        self._q.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                return
            for kind, now, fields in item if isinstance(item, list) else (item,):
                if type(fields) is tuple:  # emit_with
                    build, obj = fields
                    fields = build(obj)
                self.write({"time": _ts(now), "kind": kind, **fields})

    def write(self, item: dict) -> None:
        """Write one object as a JSON line now (the writer thread, or the summary after it stopped)."""
        line = json.dumps(item, ensure_ascii=False, default=str)
        log.info("%s", line)
        if self._out is None:
            return
        try:
            self._out.write(line + "\n")
            self._out.flush()
        except (BrokenPipeError, ValueError):  # the reader went away: keep trading, keep logging
            log.warning("stdout closed; events continue in the log only")
            self._out = None


_INTENT_KINDS = {ev.PlaceOrder: "place", ev.AmendOrder: "amend", ev.CancelOrder: "cancel"}


def _order_fields(intent) -> dict:
    if isinstance(intent, ev.PlaceOrder):
        return {"action": "place", "intent_id": intent.intent_id, "side": _value(intent.side),
                "code": intent.code, "name": intent.name, "qty": intent.qty, "price": intent.price,
                "order_type": _value(intent.order_type), "rule": intent.rule, "origin": intent.origin,
                "ref_price": intent.ref_price}
    fields = {"action": _INTENT_KINDS[type(intent)], "intent_id": intent.intent_id,
              "target_id": intent.target_id, "order_no": intent.order_no, "code": intent.code, "qty": intent.qty}
    if isinstance(intent, ev.AmendOrder):
        fields["price"] = intent.price
    return fields


def _order_event_fields(e: OrderEvent, intent_id: str | None) -> dict:
    return {"intent_id": intent_id, "order_no": e.order_no, "orig_order_no": e.orig_order_no, "code": e.code,
            "side": _value(e.side), "status": _value(e.status), "action": _value(e.action),
            "order_qty": e.order_qty, "order_price": e.order_price, "remaining": e.remaining_qty,
            "filled_qty": e.filled_qty, "fill_price": e.fill_price, "fill_qty": e.fill_qty,
            "reject_reason": e.reject_reason}


_MAX_UNLINKED = 1000  # order numbers held at most (a bound, should a flood of foreign frames come)


def _decision_fields(d: ev.Decision) -> dict:
    return {"rule": d.rule, "code": d.code, "action": d.action, "reason": d.reason}


def _condition_fields(e: ConditionEvent) -> dict:
    return {"seq": e.seq, "code": e.code, "event": "I" if e.entered else "D"}


class ObservedJournal(Journal):
    """The run's journal: every write is also reported on the feed, after it is journaled."""

    def __init__(self, path, feed: Feed, clock) -> None:
        super().__init__(path)
        self.feed = feed
        self._clock = clock  # set_flag() is given a day, not a time
        # An order's 00 frames may come before the REST answer (or the settle query) names its number.
        # While an order of ours awaits its number, order events with no intent are held here and
        # reported once linked (link_order), so each JSON line names its intent; the rest are
        # reported when nothing awaits a number any more (ObservedKernel).
        self._unlinked: dict[str, list] = {}  # order no -> held (time, fields)
        self.answer_pending = lambda: False  # set by the ObservedKernel: does an order of ours lack a number?

    def record_intent(self, intent, now: dt.datetime) -> None:
        super().record_intent(intent, now)
        self.feed.intents[_INTENT_KINDS[type(intent)]] += 1
        self.feed.unanswered[intent.intent_id] = {
            "intent_id": intent.intent_id, "action": _INTENT_KINDS[type(intent)],
            "side": _value(getattr(intent, "side", None)), "code": intent.code, "tries": 1, "refused": None}
        self.feed.emit_with("order", now, _order_fields, intent)

    def record_refusal(self, event: ev.OrderRefused, now: dt.datetime) -> None:
        super().record_refusal(event, now)
        waiting = self.feed.unanswered.get(event.intent_id)
        if waiting is not None:
            waiting["refused"] = event.kind
            waiting["tries"] += int(event.resent)
        self.feed.emit("order_refused", now, intent_id=event.intent_id, refusal=event.kind, reason=event.reason,
                       error_code=event.error_code, resent=event.resent)

    def record_retry(self, intent, attempt: int, now: dt.datetime) -> None:
        super().record_retry(intent, attempt, now)
        waiting = self.feed.unanswered.get(intent.intent_id)
        if waiting is not None:
            waiting["tries"] = attempt
        self.feed.emit("order_retry", now, intent_id=intent.intent_id, attempt=attempt,
                       price=getattr(intent, "price", None))

    def record_outcome(self, event, now: dt.datetime) -> None:
        super().record_outcome(event, now)
        self.feed.unanswered.pop(event.intent_id, None)
        if isinstance(event, ev.OrderAcked):
            self.feed.emit("order_result", now, intent_id=event.intent_id, result="acked", order_no=event.order_no)
        elif isinstance(event, ev.OrderFailed):
            self.feed.emit("order_result", now, intent_id=event.intent_id, result="failed", reason=event.reason,
                           error_code=event.error_code)
        elif isinstance(event, ev.OrderUnknown):
            self.feed.emit("order_result", now, intent_id=event.intent_id, result="unknown", reason=event.reason)

    def record_order_event(self, e: OrderEvent, intent_id: str | None, now: dt.datetime) -> None:
        super().record_order_event(e, intent_id, now)
        line = (now, _order_event_fields(e, intent_id))
        if intent_id is None and self.answer_pending() and len(self._unlinked) < _MAX_UNLINKED:
            self._unlinked.setdefault(e.order_no, []).append(line)  # ours, probably: see link_order
        else:
            self.feed.emit("order_event", line[0], **line[1])

    def link_order(self, intent_id: str, order_no: str) -> None:
        """Report the order's events that came before its number, now with their intent."""
        super().link_order(intent_id, order_no)
        for now, fields in self._unlinked.pop(order_no, ()):
            self.feed.emit("order_event", now, **{**fields, "intent_id": intent_id})

    def end_turn(self) -> None:
        """After an engine turn: once no order of ours awaits its number, report what is still held."""
        if self._unlinked and not self.answer_pending():
            self.release_unlinked()

    def release_unlinked(self) -> None:
        """Report the held order events as they are (not ours, or the run ends)."""
        for lines in self._unlinked.values():
            for now, fields in lines:
                self.feed.emit("order_event", now, **fields)
        self._unlinked.clear()

    def record_fill(self, f: FillApplied, now: dt.datetime) -> None:
        super().record_fill(f, now)
        self.feed.filled_intents[f.intent_id] = _value(f.side)
        self.feed.realised += f.realised
        self.feed.emit("fill", now, intent_id=f.intent_id, order_no=f.order_no, code=f.code, side=_value(f.side),
                       qty=f.qty, price=f.price, realised=round(f.realised))

    def close_order(self, intent_id: str, status: str, reason: str, now: dt.datetime) -> None:
        super().close_order(intent_id, status, reason, now)
        self.feed.closed[status] += 1
        side = self.feed.filled_intents.pop(intent_id, None)
        if side is not None:
            self.feed.filled_sides[side] += 1
        self.feed.emit("order_closed", now, intent_id=intent_id, status=status, reason=reason)

    def record_decision(self, d: ev.Decision, now: dt.datetime) -> None:
        super().record_decision(d, now)
        self.feed.emit_with("decision", now, _decision_fields, d)

    def set_flag(self, day: dt.date, name: str, reason: str) -> None:
        super().set_flag(day, name, reason)
        self.feed.emit("flag", self._clock.now(), name=name, reason=reason)


class ObservedKernel(Kernel):
    """The run's kernel: reports condition entries/exits and socket changes as they arrive."""

    def __init__(self, *args, feed: Feed, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.feed = feed
        self._observed = self.journal if isinstance(self.journal, ObservedJournal) else None
        if self._observed is not None:
            orders = self.state.orders
            self._observed.answer_pending = lambda: any(o.order_no is None for o in orders.values())

    def handle(self, event: object, now: dt.datetime, send=None) -> list:
        feed = self.feed
        feed.hold()  # reported after the turn's orders left (Feed.hold)
        try:
            if type(event) is not Tick:  # a tick (the hot path) is never reported itself
                if isinstance(event, ConditionEvent):
                    feed.emit_with("condition", now, _condition_fields, event)
                elif isinstance(event, SocketStatus):
                    feed.emit("socket", now, state=event.state, detail=event.detail)
            intents = super().handle(event, now, send)
            if isinstance(event, (SocketStatus, ConditionListed)):
                self._report_outage(event, now)
            return intents
        finally:
            if self._observed is not None and type(event) is not Tick:
                self._observed.end_turn()
            feed.release()

    def _report_outage(self, event, now: dt.datetime) -> None:
        """An "outage" line when the socket is back, a "catch_up" line per condition listed after it."""
        members = self.state.members
        if isinstance(event, SocketStatus):
            if event.detail == "reconnected" and members.outage is not None and members.outage[1] == now:
                self.feed.emit("outage", now, since=_ts(members.outage[0]), seconds=round(members.outage_s, 3))
            return
        r = members.last
        if r is not None and r.seq == event.seq:
            acted = catching_up(self.settings, r.seq, r.gap_s)
            self.feed.emit("catch_up", now, seq=r.seq, gap_s=round(r.gap_s, 3), entered=list(r.entered),
                           caught_up=list(r.entered) if acted else [], missed=[] if acted else list(r.entered),
                           left=list(r.left))


def summary(feed: Feed, snapshot, *, exit_reason: str, started: dt.datetime, now: dt.datetime) -> dict:
    """Build the closing summary: buys, sells, realised P&L, open positions, order counts, exit reason."""
    sides = feed.filled_sides + collections.Counter(feed.filled_intents.values())
    positions = []
    if snapshot is not None:
        positions = [
            {"code": p.code, "name": p.name, "qty": p.qty, "avg_price": round(p.avg_price, 2), "price": p.price,
             "return_pct": round(p.return_pct, 2), "armed": p.armed, "managed": p.managed}
            for p in snapshot.positions.values()
        ]
    return {
        "time": _ts(now),
        "kind": "summary",
        "started": _ts(started),
        "exit_reason": exit_reason,
        "buys": sides["buy"],
        "sells": sides["sell"],
        "realised_pnl": round(feed.realised),
        "day_realised_pnl": round(snapshot.realised) if snapshot is not None else None,
        "open_positions": positions,
        "orders": {
            "sent": sum(feed.intents.values()),
            "placed": feed.intents["place"],
            "amended": feed.intents["amend"],
            "cancel_requests": feed.intents["cancel"],
            "filled": feed.closed["filled"],
            "rejected": feed.closed["rejected"] + feed.closed["failed"] + feed.closed["not_placed"],
            "cancelled": feed.closed["cancelled"],
            "open": len(snapshot.orders) if snapshot is not None else None,
        },
        # orders the run ended before they were answered: rate-limited and waiting to go again, or
        # held behind one (none of them placed as far as the run knows)
        "unanswered": list(feed.unanswered.values()),
    }
