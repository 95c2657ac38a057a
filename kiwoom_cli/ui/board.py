"""The dashboard's frame, pure: (snapshot, run info, now) -> one Rich Text.

No I/O, threads or clocks: everything shown comes from the engine's Snapshot (core/snapshot.py:
positions, P&L, stop prices, the log, condition rows, socket, latency) and the run's fixed info; the
dashboard passes `now`, so ages and the clock are rendered against the time of drawing and need no
new snapshot. Every line is exactly the console width or less:
columns are dropped as the terminal narrows, never wrapped (80 columns stays readable).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text

from kiwoom_cli.core.events import Decision
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.ui.cells import Frame, age, direction, signed_won, spread, won
from kiwoom_cli.ui.panes import (
    pane_conditions,
    pane_log,
    pane_orders,
    pane_positions,
    position_rows,
)

REST_FAILURE_WINDOW_S = 60.0  # a REST failure this recent shows in the header


@dataclass(frozen=True)
class RunInfo:
    """What the dashboard shows about the run besides the engine's snapshot."""

    mode: str  # "sim" | "mock" | "real"
    account: str
    buy_cond: tuple[str, str] | None  # (name, seq)
    sell_cond: tuple[str, str] | None
    settings: RunSettings
    journal_path: Path | str
    started_at: dt.datetime


@dataclass(frozen=True)
class BoardView:
    """Everything one frame shows."""

    snapshot: object | None  # core.snapshot.Snapshot; None before the first one
    info: RunInfo
    now: dt.datetime
    footer: Sequence[tuple[str, str]] = field(default_factory=tuple)


MODE_STYLE = {"real": "bold white on red", "mock": "bold black on yellow", "sim": "bold black on cyan"}


def render_board(view: BoardView, width: int, height: int) -> Text:
    """Build the whole frame for a console of `width` x `height` cells (never more)."""
    height = max(height, 2)
    f = Frame(max(width, 1), limit=height - 1)  # the last line is the footer's
    snap = view.snapshot
    _header(f, view)
    if snap is None:
        f.line([("waiting for the engine's first snapshot ...", "dim")])
    else:
        positions = position_rows(snap)
        orders = list(snap.orders.values())
        room = f.room
        # positions first, then orders, then the condition events and the log share what is left
        pos_rows = max(1, min(len(positions) or 1, room - 2 - 1 - 4))
        room -= 2 + pos_rows
        ord_rows = max(1, min(len(orders), room - 2 - 4)) if orders else 0
        pane_positions(f, view, positions, pos_rows)
        pane_orders(f, view, orders, ord_rows)
        room = f.room
        if snap.conditions and room >= 4:
            pane_conditions(f, view, min(len(snap.conditions), (room - 2) // 2))
        if f.room >= 2:
            pane_log(f, view, f.room - 1)
    while f.room > 0:
        f.line()
    f.line(list(view.footer), force=True)
    return f.text


# ------------------------------------------------------------------ header


def render_clock(view: BoardView, width: int) -> list[Text]:
    """The header's first two lines alone (clock, window, health), as the full frame has them."""
    f = Frame(max(width, 1))
    _header_top(f, view)
    return f.text.split("\n")


def _header(f: Frame, view: BoardView) -> None:
    _header_top(f, view)
    _totals(f, view)


def _header_top(f: Frame, view: BoardView) -> None:
    info, snap, now = view.info, view.snapshot, view.now
    s = info.settings
    badges: list[tuple[str, str, int]] = []
    if snap is not None and snap.paused:
        badges.append((" PAUSED ", "bold black on yellow", 97))
    if snap is not None and "max_loss" in snap.flags:
        badges.append((" HALTED: max daily loss ", "bold white on red", 96))
    if snap is not None and "bad_answer" in snap.flags:  # core/halt.py
        badges.append((" BUYING HALTED: unexpected broker answer ", "bold white on red", 96))
    if snap is not None and "liquidated" in snap.flags:
        badges.append((" LIQUIDATED ", "bold white on blue", 95))
    if s.window is None:
        window = ("window: always", "dim", 40)
    else:
        span = f"{s.window[0]:%H:%M}-{s.window[1]:%H:%M}"
        window = ((f"window open {span}", "green", 80) if s.in_window(now)
                  else (f"window closed ({span})", "bold yellow", 90))
    up = (now - info.started_at).total_seconds()
    f.line(spread([
        ("kiwoom run", "bold", 50),
        (f" {info.mode.upper()} ", MODE_STYLE.get(info.mode, "reverse"), 99),
        (f"acct {info.account}", "", 30),
        (f"{now:%H:%M:%S} KST", "bold", 98),
        window,
        *badges,
        (f"up {age(up)}", "dim", 10),
    ], f.width))
    _health(f, view)


def _health(f: Frame, view: BoardView) -> None:
    """The header's second line: socket and REST health, the hop latency, the conditions."""
    info, snap = view.info, view.snapshot
    parts = [_socket_part(snap.socket if snap is not None else None), _rest_part(view)]
    if snap is not None and snap.latency is not None:
        last, peak = snap.latency
        parts.append((f"hop {last:.2f} ms (peak {peak:.2f})", "dim", 40))
    if info.buy_cond is not None:
        parts.append((f"buy: {info.buy_cond[0]} [{info.buy_cond[1]}]", "", 35))
    if info.sell_cond is not None:
        parts.append((f"sell: {info.sell_cond[0]} [{info.sell_cond[1]}]", "", 34))
    f.line(spread(parts, f.width))


def _totals(f: Frame, view: BoardView) -> None:
    snap, s = view.snapshot, view.info.settings
    if snap is None:
        return
    pnl, realised = snap.pnl.day, snap.pnl.realised
    cash = snap.available_cash()
    held = sum(1 for p in snap.positions.values() if p.managed)
    other = len(snap.positions) - held  # holdings shown but not traded (adopt_holdings off)
    f.line(spread([
        (f"day P&L {signed_won(pnl)}", "bold " + direction(pnl), 99),
        (f"realised {signed_won(realised)}", direction(realised), 40),
        (f"cash {won(cash)}" if cash is not None else "cash ?", "", 60),
        (f"positions {held}/{s.max_positions}" + (f" (+{other} held)" if other else ""), "", 90),
        (f"orders {len(snap.orders)}", "", 70),
    ], f.width))


def _socket_part(state: bool | str | None) -> tuple[str, str, int]:
    if state is True:
        return ("socket ● up", "green", 97)
    if state is False:
        return ("socket ● DOWN", "bold red", 97)
    if state is None:
        return ("socket ?", "dim", 97)
    return (f"socket {state}", "yellow", 97)


def _rest_part(view: BoardView) -> tuple[str, str, int]:
    snap = view.snapshot
    state = rest_health(snap, snap.log if snap is not None else (), view.now)
    if state is True:
        return ("REST ● ok", "green", 96)
    if state is False:
        return ("REST ● DOWN", "bold red", 96)
    return (f"REST ! {state}", "bold yellow", 96)


def rest_health(snap, log: Sequence[tuple[dt.datetime, Decision]], now: dt.datetime) -> bool | str:
    """Say True when REST looks healthy, else a short reason (from the snapshot and recent decisions)."""
    if snap is not None:
        unknown = sum(1 for o in snap.orders.values() if o.unknown)
        if snap.query_retry_at is not None:
            return "settle query failing"
        if unknown:
            return f"{unknown} order(s) outcome unknown"
    for when, d in reversed(log):
        if (now - when).total_seconds() > REST_FAILURE_WINDOW_S:
            break
        if d.rule == "order" and ("failed" in d.reason or "unknown" in d.reason):
            return d.reason[:40]
        if d.rule == "buy_cond" and d.action == "skip" and d.reason.startswith("no quote:"):
            return "quote failed"
    return True


