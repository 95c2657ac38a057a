"""The Snapshot: a frozen copy of the State plus everything the dashboard shows
(docs/architecture.md §2, The snapshot).

Built on the engine thread (`State.snapshot`, called by `Engine._publish`), read by any thread. It
carries the figures the dashboard shows as the core computes them: the P&L (the same realised and
unrealised figures the max-loss check uses, and each position's), each managed position's stop-loss
and trailing trigger prices (core/exits.py, the prices at which the strategy's sell fires), and the
engine's recent decisions, condition rows, socket state and hop latency (core/recent.py). The UI
renders snapshots only.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kiwoom_cli.core.catchup import Membership
from kiwoom_cli.core.exits import ExitPrices, exit_prices
from kiwoom_cli.core.reads import Reads
from kiwoom_cli.core.records import AwaitingView, Mark, OrderView, PositionView, freeze
from kiwoom_cli.market import CostRates


@dataclass(frozen=True)
class Pnl:
    """The day's P&L after costs: realised + unrealised = day; by code, each position's if sold now."""

    realised: float = 0.0
    unrealised: float = 0.0  # managed positions whose price counts (Reads.unrealised)
    day: float = 0.0
    positions: Mapping[str, float] = field(default_factory=dict)  # every position with a price


@dataclass(frozen=True)
class Snapshot(Reads):
    """An immutable copy of the state for the dashboard and tests."""

    costs: CostRates
    positions: Mapping[str, PositionView]
    orders: Mapping[str, OrderView]
    marks: Mapping[str, Mark]
    awaiting: Mapping[str, AwaitingView]
    priced: tuple[AwaitingView, ...]
    registered: frozenset[str]
    cash: int | None
    spent: Mapping[int, int]
    fill_seq: int
    realised: float
    paused: bool
    flags: Mapping[str, str]
    quotes_in_flight: bool
    query_in_flight: bool
    query_retry_at: dt.datetime | None
    price_drops: Mapping[str, int]
    quotes_asked: Mapping[str, dt.datetime]
    retries: Mapping[str, object] = field(default_factory=dict)  # intent id -> retry.Retry (copies)
    members: Membership = field(default_factory=Membership)  # a copy
    pnl: Pnl = field(default_factory=Pnl)
    exits: Mapping[str, ExitPrices] = field(default_factory=dict)  # managed code -> where its sell fires
    log: tuple = ()  # recent (time, Decision), oldest first
    conditions: tuple = ()  # recent core.recent.ConditionRow, oldest first
    socket: bool | str | None = None  # True up, False down, a word for another state, None unknown
    latency: tuple[float, float] | None = None  # hop ms from the socket reader to the engine: (last, peak)


def take(state, settings=None, recent=None) -> Snapshot:
    """Freeze `state` (settings: for the exit prices; recent: the engine's core.recent.Recent)."""
    positions = {c: freeze(p, PositionView) for c, p in state.positions.items()}
    return Snapshot(
        costs=state.costs,
        positions=MappingProxyType(positions),
        orders=MappingProxyType({i: freeze(o, OrderView) for i, o in state.orders.items()}),
        marks=MappingProxyType(dict(state.marks)),
        awaiting=MappingProxyType({c: freeze(a, AwaitingView) for c, a in state.awaiting.items()}),
        priced=tuple(freeze(a, AwaitingView) for a in state.priced),
        registered=frozenset(state.registered),
        cash=state.cash,
        spent=MappingProxyType(dict(state.spent)),
        fill_seq=state.fill_seq,
        realised=state.realised,
        paused=state.paused,
        flags=MappingProxyType(dict(state.flags)),
        quotes_in_flight=state.quotes_in_flight,
        query_in_flight=state.query_in_flight,
        query_retry_at=state.query_retry_at,
        price_drops=MappingProxyType(dict(state.price_drops)),
        quotes_asked=MappingProxyType(dict(state.quotes_asked)),
        retries=MappingProxyType({i: copy.copy(r) for i, r in state.retries.items()}),
        members=state.members.copy(),
        pnl=pnl_of(state),
        exits=MappingProxyType(_exits(state, settings)),
        **_recent(recent),
    )


def pnl_of(state) -> Pnl:
    """The P&L figures of a State or a Snapshot (Reads), as the rules compute them."""
    by_code = {c: state.position_pnl(p) for c, p in state.positions.items() if p.price > 0}
    return Pnl(state.realised, state.unrealised(), state.day_pnl(), MappingProxyType(by_code))


def _exits(state, settings) -> dict[str, ExitPrices]:
    if settings is None:
        return {}
    return {c: exit_prices(p, settings, state.costs) for c, p in state.positions.items() if p.managed}


def _recent(recent) -> dict:
    if recent is None:
        return {}
    return {"log": tuple(recent.log), "conditions": tuple(recent.conditions), "socket": recent.socket,
            "latency": recent.latency}
