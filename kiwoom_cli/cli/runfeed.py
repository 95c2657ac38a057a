"""What a `kiwoom run` tells the outside world: one JSON object per fact, and the closing summary.

The Feed is a sink of the kernel's fact stream (core/facts.py): the engine thread only puts each
turn's facts on a SimpleQueue (`consume`); the feed's own thread turns them into JSON lines
(headless stdout) and log lines and keeps the summary's tallies, so a reader that stalls never
stalls trading. Ticks are not reported.
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
from kiwoom_cli.core.facts import CatchUp, OrderEventSeen, Outage, Turn
from kiwoom_cli.core.records import FillApplied, OrderClosed, OrderSettled
from kiwoom_cli.models import ConditionEvent, OrderEvent, SocketStatus

log = logging.getLogger("kiwoom.run")
_STOP = object()
# After a turn wakes it, the feed's thread lets the engine and the order worker have the CPU first:
# it waits this long before writing (the turns that came meanwhile are written with it). The turn
# reaches the feed only once its order is on the order worker's queue (core/kernel.py), yet woken at
# once its JSON and writes still take the interpreter from the order on its way out: in eight paired
# runs of benchmarks/entry_to_order.py (dashboard on, `--feed-wait 2` / `0`) the frame -> bytes p50
# was lower with the wait in seven, 1.33-1.60 ms against 1.37-1.91 ms (README, Benchmarks).
AFTER_TURN_S = 0.002


def _ts(now: dt.datetime) -> str:
    return now.isoformat(timespec="milliseconds")


def _value(v: object) -> object:
    return getattr(v, "value", v)  # enums -> their wire value


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


def _catch_up_fields(c: CatchUp) -> dict:
    return {"seq": c.seq, "gap_s": round(c.gap_s, 3), "entered": list(c.entered), "caught_up": list(c.caught_up),
            "missed": list(c.missed), "left": list(c.left)}


class Feed:
    """Carry the run's facts from the engine thread to stdout (headless) and the log file."""

    def __init__(self, out: TextIO | None) -> None:
        self._out = out
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="kiwoom-feed", daemon=True)
        self._closing = threading.Event()  # set by close(): no more waiting after a turn
        # Tallies for the summary; written only by the feed's thread, read after close().
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
        # An order's 00 frames may come before the REST answer (or the settle query) names its number.
        # While an order of ours awaits its number, order events with no intent are held here and
        # reported once linked, so each JSON line names its intent; the rest are reported when no
        # order awaits a number any more, or at close().
        self._unlinked: dict[str, list] = {}  # order no -> held (time, fields)
        self._facts = {
            ev.PlaceOrder: self._intent, ev.AmendOrder: self._intent, ev.CancelOrder: self._intent,
            ev.OrderRefused: self._refused, ev.RetryOrder: self._retry,
            ev.OrderAcked: self._acked, ev.OrderFailed: self._failed, ev.OrderUnknown: self._unknown,
            OrderEventSeen: self._order_event, OrderSettled: lambda f, turn: self._link(f.intent_id, f.order_no),
            FillApplied: self._fill, OrderClosed: self._closed,
            ev.Decision: lambda f, turn: self._line("decision", turn.now, _decision_fields(f)),
            ev.SetFlag: lambda f, turn: self._line("flag", turn.now, {"name": f.name, "reason": f.reason}),
            ConditionEvent: lambda f, turn: self._line("condition", turn.now, _condition_fields(f)),
            SocketStatus: lambda f, turn: self._line("socket", turn.now, {"state": f.state, "detail": f.detail}),
            Outage: lambda f, turn: self._line("outage", turn.now, {"since": _ts(f.since),
                                                                    "seconds": round(f.seconds, 3)}),
            CatchUp: lambda f, turn: self._line("catch_up", turn.now, _catch_up_fields(f)),
        }  # order progress, adoptions, position changes: in the journal, not reported

    def start(self) -> None:
        self._thread.start()

    def consume(self, turn: Turn) -> None:
        """The kernel's sink: queue one turn's facts (the engine thread; never blocks)."""
        self._q.put(turn)

    def emit(self, kind: str, now: dt.datetime, **fields: object) -> None:
        """Queue one line that is not a fact (the run's start)."""
        self._q.put((kind, now, fields))

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until the feed's thread has written everything queued before this call."""
        done = threading.Event()
        self._q.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (and the order events still held), then stop the writer."""
        self._closing.set()
        self._q.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if type(item) is Turn:
                self._closing.wait(AFTER_TURN_S)  # once per wake-up: what queues meanwhile follows at once
            while item is not _STOP:
                try:
                    self._take(item)
                except Exception:  # reporting only: the journal has the facts
                    log.exception("feed: a turn could not be reported")
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    break
            if item is _STOP:
                self._release_unlinked()  # not ours, or the run ends: reported as they are
                return

    def _take(self, item) -> None:
        if type(item) is Turn:
            self._turn(item)
        elif type(item) is threading.Event:
            item.set()
        else:
            self._line(*item)

    def _turn(self, turn: Turn) -> None:
        facts = self._facts
        for fact in turn.facts:
            report = facts.get(type(fact))
            if report is not None:
                report(fact, turn)
        if self._unlinked and not turn.awaiting_numbers:
            self._release_unlinked()

    def _line(self, kind: str, now: dt.datetime, fields: dict) -> None:
        self.write({"time": _ts(now), "kind": kind, **fields})

    def write(self, item: dict) -> None:
        """Write one object as a JSON line now (the feed's thread, or the summary after it stopped)."""
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

    # ------------------------------------------------------------------ facts -> lines and tallies

    def _intent(self, intent, turn: Turn) -> None:
        kind = _INTENT_KINDS[type(intent)]
        self.intents[kind] += 1
        self.unanswered[intent.intent_id] = {
            "intent_id": intent.intent_id, "action": kind, "side": _value(getattr(intent, "side", None)),
            "code": intent.code, "tries": 1, "refused": None}
        self._line("order", turn.now, _order_fields(intent))

    def _refused(self, f: ev.OrderRefused, turn: Turn) -> None:
        waiting = self.unanswered.get(f.intent_id)
        if waiting is not None:
            waiting["refused"] = f.kind
            waiting["tries"] += int(f.resent)
        self._line("order_refused", turn.now, {"intent_id": f.intent_id, "refusal": f.kind, "reason": f.reason,
                                               "error_code": f.error_code, "resent": f.resent})

    def _retry(self, f: ev.RetryOrder, turn: Turn) -> None:
        waiting = self.unanswered.get(f.intent.intent_id)
        if waiting is not None:
            waiting["tries"] = f.attempt
        self._line("order_retry", turn.now, {"intent_id": f.intent.intent_id, "attempt": f.attempt,
                                             "price": getattr(f.intent, "price", None)})

    def _acked(self, f: ev.OrderAcked, turn: Turn) -> None:
        self._link(f.intent_id, f.order_no)  # its events that came before the number, first
        self.unanswered.pop(f.intent_id, None)
        self._line("order_result", turn.now, {"intent_id": f.intent_id, "result": "acked", "order_no": f.order_no})

    def _failed(self, f: ev.OrderFailed, turn: Turn) -> None:
        self.unanswered.pop(f.intent_id, None)
        self._line("order_result", turn.now, {"intent_id": f.intent_id, "result": "failed", "reason": f.reason,
                                              "error_code": f.error_code})

    def _unknown(self, f: ev.OrderUnknown, turn: Turn) -> None:
        self.unanswered.pop(f.intent_id, None)
        self._line("order_result", turn.now, {"intent_id": f.intent_id, "result": "unknown", "reason": f.reason})

    def _order_event(self, f: OrderEventSeen, turn: Turn) -> None:
        fields = _order_event_fields(f.event, f.intent_id)
        if f.intent_id is None and turn.awaiting_numbers and len(self._unlinked) < _MAX_UNLINKED:
            self._unlinked.setdefault(f.event.order_no, []).append((turn.now, fields))  # ours, probably
        else:
            self._line("order_event", turn.now, fields)

    def _link(self, intent_id: str, order_no: str) -> None:
        """Report the order's events that came before its number, now with their intent."""
        for now, fields in self._unlinked.pop(order_no, ()):
            self._line("order_event", now, {**fields, "intent_id": intent_id})

    def _release_unlinked(self) -> None:
        for lines in self._unlinked.values():
            for now, fields in lines:
                self._line("order_event", now, fields)
        self._unlinked.clear()

    def _fill(self, f: FillApplied, turn: Turn) -> None:
        self.filled_intents[f.intent_id] = _value(f.side)
        self.realised += f.realised
        self._line("fill", turn.now, {"intent_id": f.intent_id, "order_no": f.order_no, "code": f.code,
                                      "side": _value(f.side), "qty": f.qty, "price": f.price,
                                      "realised": round(f.realised)})

    def _closed(self, f: OrderClosed, turn: Turn) -> None:
        self.closed[f.status] += 1
        side = self.filled_intents.pop(f.intent_id, None)
        if side is not None:
            self.filled_sides[side] += 1
        self._line("order_closed", turn.now, {"intent_id": f.intent_id, "status": f.status, "reason": f.reason})


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
