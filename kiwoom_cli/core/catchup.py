"""Catch-up after a reconnect: each condition's membership, and what changed in it during an outage.

Pushes (REAL 02) sent while the socket is down are lost, but the broker lists a condition's members
again when the run re-subscribes (CNSRREQ search_type 1, ConditionListed). `Membership` keeps the set
of codes per condition (the subscription's list at start, then every I/D push) and times each outage
from the disconnected status to the reconnected one. A code listed after the outage that was not a
member before it entered during the gap; a member no longer listed left during it.

What the run does with them (`catch_up`): an entry on the sell condition sells a held position as
the push would have; an entry on the buy condition takes the normal entry path with a fresh quote
when the gap was at most `catch_up_s`, and is logged as missed otherwise; an exit is only recorded,
as a D push is. The list a run gets when it first subscribes is not a gap: its codes are members,
never entries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import risk
from kiwoom_cli.models import ConditionEvent, ConditionListed, SocketStatus


@dataclass(frozen=True)
class Relisted:
    """One condition's list after an outage: what entered and left during the gap (gap_s long)."""

    seq: str
    entered: tuple[str, ...]
    left: tuple[str, ...]
    gap_s: float


@dataclass
class Membership:
    """Condition members and outages; fed by State.apply, read by the strategy (`last`, `outage_s`)."""

    members: dict[str, set[str]] = field(default_factory=dict)
    down_since: dt.datetime | None = None  # the outage under way
    outage: tuple[dt.datetime, dt.datetime] | None = None  # the last one that ended
    stale: set[str] = field(default_factory=set)  # conditions not listed again since the last disconnect
    last: Relisted | None = None  # the latest ConditionListed's changes (None: not after a gap)

    def copy(self) -> Membership:
        """A copy for a snapshot (the strategy reads either)."""
        members = {seq: set(codes) for seq, codes in self.members.items()}
        return Membership(members, self.down_since, self.outage, set(self.stale), self.last)

    def seed(self, seq: str, codes) -> None:
        """The list a run gets when it first subscribes: members, not entries."""
        self.members[seq] = set(codes)
        self.stale.discard(seq)

    def apply(self, event: object, now: dt.datetime) -> None:
        if isinstance(event, ConditionEvent):
            codes = self.members.setdefault(event.seq, set())
            if event.entered:
                codes.add(event.code)
            else:
                codes.discard(event.code)
        elif isinstance(event, SocketStatus):
            if event.state == "disconnected" and event.detail != "stopped" and self.down_since is None:
                self.down_since = now
                self.stale = set(self.members)
            elif event.state == "connected" and event.detail == "reconnected" and self.down_since is not None:
                self.outage, self.down_since = (self.down_since, now), None
        elif isinstance(event, ConditionListed):
            self.last = self._relisted(event, now)

    def _relisted(self, event: ConditionListed, now: dt.datetime) -> Relisted | None:
        seq, listed = event.seq, set(event.codes)
        before = self.members.get(seq)
        self.members[seq] = listed
        start = self.down_since or (self.outage[0] if self.outage else None)
        if before is None or start is None or seq not in self.stale:
            return None  # not a condition we followed through an outage: nothing to catch up
        self.stale.discard(seq)
        entered = tuple(c for c in event.codes if c not in before)
        return Relisted(seq, entered, tuple(sorted(before - listed)), (now - start).total_seconds())

    @property
    def outage_s(self) -> float | None:
        return (self.outage[1] - self.outage[0]).total_seconds() if self.outage else None


def catching_up(settings, seq: str, gap_s: float) -> bool:
    """Whether an entry missed during a gap is acted on: always on the sell condition, else within catch_up_s."""
    if settings.sell_cond is not None and seq == settings.sell_cond:
        return True
    return settings.catch_up_s is not None and gap_s <= settings.catch_up_s


def catch_up(strategy, event: ConditionListed, view, now: dt.datetime) -> list:
    """The outputs for a condition's list after an outage: sells, entries to price, missed, left."""
    r = view.members.last
    if r is None or r.seq != event.seq:
        return []
    s = strategy.s
    gap = f"a {r.gap_s:.1f}s outage"
    out: list = []
    for code in r.entered:
        if s.sell_cond is not None and r.seq == s.sell_cond:
            pos = view.positions.get(code)
            if pos is not None and pos.managed:
                why = f"entered sell condition {r.seq} during {gap}"
                out += strategy.sell(view, code, "sell_cond", now, reason=why)
        elif s.buy_cond is None or r.seq == s.buy_cond:
            out += _entry(strategy, view, r, code, gap, now)
    for code in r.left:
        out.append(ev.Decision("catch_up", code, "info", f"left condition {r.seq} during {gap}"))
    return [_summary(s, r, gap)] + out


def _entry(strategy, view, r: Relisted, code: str, gap: str, now: dt.datetime) -> list:
    s = strategy.s
    if not catching_up(s, r.seq, r.gap_s):
        limit = "catch_up is off" if s.catch_up_s is None else f"longer than catch_up_s {s.catch_up_s:g}s"
        return [ev.Decision("catch_up", code, "skip", f"missed entry: entered condition {r.seq} during {gap}, {limit}")]
    denial = risk.precheck_buy(view, s, code, now)
    if denial:
        return [ev.Decision("buy_cond", code, "deny", denial.reason)]
    why = f"entered condition {r.seq} during {gap}: buying on a fresh quote"
    return [ev.Decision("catch_up", code, "info", why), ev.AwaitQuote(code, r.seq)]


def _summary(s, r: Relisted, gap: str) -> ev.Decision:
    acted = catching_up(s, r.seq, r.gap_s)
    entered = _codes(r.entered) or "none"
    what = "caught up" if acted else "missed"
    left = f"; left: {_codes(r.left)}" if r.left else ""
    return ev.Decision("socket", None, "info", f"condition {r.seq} after {gap}: {what}: {entered}{left}")


def _codes(codes: tuple[str, ...], shown: int = 10) -> str:
    more = f" and {len(codes) - shown} more" if len(codes) > shown else ""
    return ", ".join(codes[:shown]) + more


def outage_note(status: SocketStatus, view, now: dt.datetime) -> list:
    """A decision naming the outage this reconnected status ended, and its length."""
    outage = view.members.outage
    if status.state != "connected" or status.detail != "reconnected" or outage is None or outage[1] != now:
        return []
    return [ev.Decision("socket", None, "info", f"outage of {view.members.outage_s:.1f}s since {outage[0]:%H:%M:%S}")]
