"""The dashboard's panes below the header: positions, pending orders, condition events, the log.

Pure functions that append fixed-width lines to a Frame (see board.py for the whole frame).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiwoom_cli.models import Side
from kiwoom_cli.ui.cells import (
    DOWN,
    UP,
    Column,
    Frame,
    age,
    choose,
    direction,
    signed_won,
    won,
)

if TYPE_CHECKING:
    from kiwoom_cli.ui.board import BoardView

POSITION_COLUMNS = (
    Column("code", "Code", 6, keep=100),
    Column("name", "Name", 8, keep=90, max_width=18),
    Column("qty", "Qty", 6, right=True, keep=95),
    Column("avg", "Avg", 9, right=True, keep=40),
    Column("price", "Current", 9, right=True, keep=80),
    Column("ret", "Return", 7, right=True, keep=99),
    Column("trail", "Trailing", 16, keep=70),
    Column("stop", "Stop at", 9, right=True, keep=60),
    Column("value", "Value", 12, right=True, keep=10),
    Column("pnl", "P&L", 11, right=True, keep=20),
    Column("state", "State", 7, keep=30),
)

ORDER_COLUMNS = (
    Column("age", "Age", 6, right=True, keep=95),
    Column("side", "Side", 4, keep=100),
    Column("code", "Code", 6, keep=99),
    Column("name", "Name", 8, keep=50, max_width=18),
    Column("qty", "Filled", 9, right=True, keep=90),
    Column("price", "Price", 9, right=True, keep=60),
    Column("rule", "Rule", 11, keep=40),
    Column("status", "Status", 12, keep=85),
)


# ------------------------------------------------------------------ positions


def position_rows(snap) -> list:
    """Positions in display order: managed first, then by code."""
    return sorted(snap.positions.values(), key=lambda p: (not p.managed, p.code))


def pane_positions(f: Frame, view: BoardView, rows: list, limit: int) -> None:
    """Add the positions table (at most `limit` rows, then a '... N more' line)."""
    f.rule(f"Positions ({len(rows)})")
    sized = choose(POSITION_COLUMNS, f.width)
    f.header(sized)
    if not rows:
        f.line([("no positions", "dim")])
        return
    shown = rows if len(rows) <= limit else rows[: max(limit - 1, 0)]
    for p in shown:
        f.row(sized, _position_cells(view, p), style="" if p.managed else "dim")
    if len(shown) < len(rows):
        f.line([(f"... {len(rows) - len(shown)} more", "dim")])


def _position_cells(view: BoardView, p) -> dict[str, tuple[str, str]]:
    s, snap = view.info.settings, view.snapshot
    name = p.name or (snap.marks[p.code].name if p.code in snap.marks else "")
    cells = {
        "code": (p.code, "bold"),
        "name": (name, ""),
        "qty": (f"{p.qty:,}", ""),
        "avg": (won(p.avg_price), ""),
        "price": (won(p.price) if p.price else "-", direction(p.price - p.avg_price) if p.price else ""),
        "ret": (f"{p.return_pct:+.2f}%", direction(p.return_pct)),
        "value": (won(p.qty * (p.price or p.avg_price)), ""),
    }
    pnl = snap.pnl.positions.get(p.code)
    if pnl is not None:
        cells["pnl"] = (signed_won(pnl), direction(pnl))
    if not p.managed:
        cells["trail"] = ("not managed", "dim")
        cells["state"] = ("held", "dim")
        return cells
    if not s.trailing_on:
        cells["trail"] = ("off", "dim")
    elif p.armed:
        cells["trail"] = (f"armed hi {p.high:,}", "bold magenta")
    else:
        cells["trail"] = (f"arms at +{s.trail_arm_pct:g}%", "dim")
    exits = snap.exits.get(p.code)  # the price at which the strategy's sell fires (core/exits.py)
    if exits is not None and exits.sell_at is not None:
        cells["stop"] = (won(exits.sell_at), "dim")
    if p.sell_intent is not None:
        cells["state"] = ("selling", f"bold {DOWN}")
    return cells


# ------------------------------------------------------------------ orders


def pane_orders(f: Frame, view: BoardView, orders: list, limit: int) -> None:
    """Add the pending orders with their age at render time."""
    if not orders:
        f.rule("Pending orders: none")
        return
    f.rule(f"Pending orders ({len(orders)})")
    sized = choose(ORDER_COLUMNS, f.width)
    f.header(sized)
    shown = orders if len(orders) <= limit else orders[: max(limit - 1, 0)]
    for o in shown:
        f.row(sized, _order_cells(view, o))
    if len(shown) < len(orders):
        f.line([(f"... {len(orders) - len(shown)} more", "dim")])


def _order_cells(view: BoardView, o) -> dict[str, tuple[str, str]]:
    buy = o.side is Side.BUY
    if o.unknown:
        status = ("UNKNOWN", "bold yellow")
    elif o.cancel_sent:
        status = ("cancelling", "yellow")
    elif o.order_no is None:
        status = ("sending", "dim")
    else:
        status = (("amended " if o.amended else "#") + o.order_no, "")
    return {
        "age": (age((view.now - o.created).total_seconds()), ""),
        "side": ("buy" if buy else "sell", UP if buy else DOWN),
        "code": (o.code, "bold"),
        "name": (o.name, ""),
        "qty": (f"{o.filled:,}/{o.qty:,}", ""),
        "price": ("market" if o.price is None else won(o.price), ""),
        "rule": (o.rule, "dim"),
        "status": status,
    }


# ------------------------------------------------------------------ condition events and log


def pane_conditions(f: Frame, view: BoardView, limit: int) -> None:
    """Add the latest condition events, each with the decision the run made for it (core/recent.py)."""
    f.rule("Condition events")
    snap = view.snapshot
    for row in list(snap.conditions)[-limit:] if limit else ():
        c = row.event
        label = row.name or f"seq {c.seq}"
        name = _name(snap, c.code)
        d = row.decision
        if not c.entered:
            outcome = ("left", "dim")
        elif d is not None:
            outcome = (f"{d.action}: {d.reason}", _action_style(d.action))
        else:
            outcome = ("awaiting a quote", "dim") if row.pending else ("", "")
        f.line([
            (f"{row.at:%H:%M:%S} ", "dim"),
            ("IN  " if c.entered else "OUT ", "bold" if c.entered else "dim"),
            (f"{c.code} ", "bold"),
            (f"{name} " if name else "", ""),
            (f"[{label}] ", "cyan"),
            outcome,
        ])


def _name(snap, code: str) -> str:
    pos = snap.positions.get(code)
    if pos is not None and pos.name:
        return pos.name
    mark = snap.marks.get(code)
    return mark.name if mark is not None else ""


def pane_log(f: Frame, view: BoardView, limit: int) -> None:
    """Add the latest decisions, oldest first."""
    f.rule("Log")
    entries = list(view.snapshot.log)[-limit:] if limit else []
    if not entries and limit:
        f.line([("nothing yet", "dim")])
    for when, d in entries:
        f.line([
            (f"{when:%H:%M:%S} ", "dim"),
            (f"{d.rule:<14.14} ", "cyan"),
            (f"{d.code or '':<7}", "bold"),
            (f"{d.action:<7.7}", _action_style(d.action)),
            (d.reason, ""),
        ])


def _action_style(action: str) -> str:
    return {"buy": f"bold {UP}", "sell": f"bold {DOWN}", "deny": "yellow", "halt": "bold red",
            "skip": "dim", "arm": "magenta"}.get(action, "")
