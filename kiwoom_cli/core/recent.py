"""What the engine thread keeps for the dashboard besides the State: recent decisions, recent
condition events (each with the decision it caused), the socket's state and the hop latency.

A consumer of the fact stream (core/facts.py): `Recent.consume` is a sink of the Kernel, which the
Engine adds before the run's feed; it reads only the Turn, and the engine copies what it keeps into
every Snapshot it publishes (docs/architecture.md §2, The snapshot). A condition entry's decision is
the one the strategy made for that entry: in the same turn, or, when the entry waited for a quote
(an `AwaitQuote` fact), the buy_cond decision of the turn that priced it. Never matched by code
across events.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.facts import CatchUp, Turn
from kiwoom_cli.models import ConditionEvent, SocketStatus

LOG_SIZE = 200  # recent decisions kept
CONDITIONS_SIZE = 50  # recent condition events kept
ENTRY_RULES = ("buy_cond", "sell_cond", "catch_up")  # the rules that decide about a condition entry
SOCKET_STATES = {"connected": True, "disconnected": False, "kicked": "kicked", "login_failed": "login failed"}


@dataclass(frozen=True, slots=True)
class ConditionRow:
    """One condition event as the dashboard shows it."""

    at: dt.datetime
    event: ConditionEvent
    name: str  # the condition's name as the broker gives it ("" when unknown)
    decision: ev.Decision | None = None  # what the run decided for this event
    pending: bool = False  # the entry waits for a quote: its decision comes with the quote


class Recent:
    """The engine thread's recent log, condition rows, socket state and latency (one owner, no locks)."""

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        self.names = dict(names or {})  # condition seq -> name
        self.log: collections.deque = collections.deque(maxlen=LOG_SIZE)  # (time, Decision)
        self.conditions: collections.deque = collections.deque(maxlen=CONDITIONS_SIZE)  # ConditionRow
        self.socket: bool | str | None = None  # True up, False down, a word for another state
        self.latency: tuple[float, float] | None = None  # hop ms (last, peak) at the last publish
        self._waiting: dict[str, ConditionRow] = {}  # code -> the entry whose buy waits for a quote
        self._lat_last = self._lat_peak = -1.0

    def received(self, seconds: float) -> None:
        """One event's hop from the socket reader to the engine."""
        self._lat_last = seconds
        self._lat_peak = max(self._lat_peak, seconds)

    def take_latency(self) -> tuple[float, float] | None:
        """The hop (last, peak since the previous publish) in ms, for the snapshot being published."""
        if self._lat_last >= 0:
            peak = self._lat_peak if self._lat_peak >= 0 else self._lat_last
            self.latency = (self._lat_last * 1000, peak * 1000)
            self._lat_peak = -1.0
        return self.latency

    def consume(self, turn: Turn) -> None:
        """The kernel's sink (engine thread): keep the turn's decisions, condition events, socket state."""
        decisions: list[ev.Decision] = []
        events: list[ConditionEvent] = []
        waits: set[tuple[str, str]] = set()  # (code, seq) of the entries that wait for a quote
        for f in turn.facts:
            kind = type(f)
            if kind is ev.Decision:
                decisions.append(f)
            elif kind is ConditionEvent:
                events.append(f)
            elif kind is CatchUp:  # what the gap hid, shown with the pushes
                events += _hidden(f)
            elif kind is ev.AwaitQuote:
                waits.add((f.code, f.seq))
            elif kind is SocketStatus:
                self.socket = SOCKET_STATES.get(f.state, f.state)
        self.log.extend((turn.now, d) for d in decisions)
        for c in events:
            self._add(ConditionRow(turn.now, c, self.names.get(c.seq, "")), decisions, waits)
        if self._waiting and decisions:
            self._answered(decisions, {c.code for c in events})

    def _add(self, row: ConditionRow, decisions: list[ev.Decision], waits: set[tuple[str, str]]) -> None:
        c = row.event
        if c.entered:
            decision = _verdict(decisions, c.code)
            pending = decision is None and (c.code, c.seq) in waits
            row = dataclasses.replace(row, decision=decision, pending=pending)
            if pending:
                self._waiting[c.code] = row
        self.conditions.append(row)

    def _answered(self, decisions: list[ev.Decision], new: set[str]) -> None:
        """A priced entry's buy_cond decision goes to the entry that waited for that quote."""
        for d in decisions:
            if d.rule != "buy_cond" or d.code in new or d.code not in self._waiting:
                continue
            row = self._waiting.pop(d.code)
            self._replace(row, dataclasses.replace(row, decision=d, pending=False))

    def _replace(self, old: ConditionRow, new: ConditionRow) -> None:
        rows = self.conditions
        for i in range(len(rows) - 1, -1, -1):
            if rows[i] is old:
                rows[i] = new
                return  # an entry already scrolled out of the recent rows is not shown


def _verdict(decisions: list[ev.Decision], code: str) -> ev.Decision | None:
    """The decision the strategy made about an entry of `code` in its own turn: its first verdict
    (buy, sell, deny, skip ...), not an info note such as "buying on a fresh quote"."""
    mine = [d for d in decisions if d.code == code and d.rule in ENTRY_RULES]
    return next((d for d in mine if d.action != "info"), None)


def _hidden(c: CatchUp) -> list[ConditionEvent]:
    """The entries and exits a listing after a gap revealed, as the pushes that were lost."""
    return ([ConditionEvent(c.seq, code, True, "") for code in c.entered]
            + [ConditionEvent(c.seq, code, False, "") for code in c.left])
