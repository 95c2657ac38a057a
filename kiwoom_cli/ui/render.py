"""Pure builders: models -> Rich renderables (one-shot views) and plain dicts (--json).

Korean convention: red is up, blue is down. No I/O here; commands print what these return.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from enum import Enum
from typing import Any, Iterable, Sequence

from rich.table import Table
from rich.text import Text

from kiwoom_cli.models import Balance, Cash, Condition, ConditionMatch, FillRow, OpenOrder, Quote

UP, DOWN, FLAT = "red", "blue", ""


def direction_style(value: float) -> str:
    """Return the Korean up/down colour for a signed value."""
    return UP if value > 0 else DOWN if value < 0 else FLAT


def won(value: int) -> str:
    return f"{value:,}"


def signed(value: int | float, fmt: str = "{:+,}") -> Text:
    """A signed number coloured by direction."""
    return Text(fmt.format(value), style=direction_style(value))


def pct(value: float) -> Text:
    return Text(f"{value:+.2f}%", style=direction_style(value))


def to_jsonable(obj: Any) -> Any:
    """Dataclasses/enums/tuples -> plain JSON values (for --json)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: to_jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


def quotes_table(quotes: Sequence[Quote]) -> Table:
    table = Table(title="Quotes", title_justify="left")
    for col, just in (("Code", "left"), ("Name", "left"), ("Price", "right"), ("Change", "right"),
                      ("%", "right"), ("Upper", "right"), ("Lower", "right"), ("Volume", "right")):
        table.add_column(col, justify=just)
    for q in quotes:
        table.add_row(q.code, q.name, Text(won(q.price), style=direction_style(q.change)), signed(q.change),
                      pct(q.change_pct), won(q.upper_limit), won(q.lower_limit),
                      won(q.volume) if q.volume is not None else "-")
    return table


def cash_table(cash: Cash, balance: Balance) -> Table:
    t = balance.totals
    table = Table(title="Account", title_justify="left", show_header=False)
    table.add_column("Item")
    table.add_column("Value", justify="right")
    table.add_row("Deposit (예수금)", won(cash.deposit))
    table.add_row("Orderable (주문가능)", won(cash.orderable))
    table.add_row("D+2 deposit", won(cash.d2_deposit))
    table.add_row("Purchase total", won(t.purchase_amount))
    table.add_row("Evaluation total", won(t.eval_amount))
    table.add_row("P&L", signed(t.pnl))
    table.add_row("Return", pct(t.return_pct))
    table.add_row("Estimated assets", won(t.estimated_assets))
    return table


def holdings_table(balance: Balance) -> Table:
    table = Table(title="Holdings", title_justify="left")
    for col, just in (("Code", "left"), ("Name", "left"), ("Qty", "right"), ("Sellable", "right"),
                      ("Avg", "right"), ("Current", "right"), ("P&L", "right"), ("Return", "right")):
        table.add_column(col, justify=just)
    for h in balance.holdings:
        table.add_row(h.code, h.name, won(h.qty), won(h.sellable_qty), won(h.avg_price),
                      Text(won(h.current_price), style=direction_style(h.current_price - h.avg_price)),
                      signed(h.pnl), pct(h.return_pct))
    if not balance.holdings:
        table.add_row("-", "no holdings", "", "", "", "", "", "")
    return table


def open_orders_table(orders: Iterable[OpenOrder]) -> Table:
    table = Table(title="Open orders", title_justify="left")
    for col, just in (("Order", "left"), ("Code", "left"), ("Name", "left"), ("Side", "left"),
                      ("Type", "left"), ("Qty", "right"), ("Price", "right"), ("Open", "right"),
                      ("Time", "left")):
        table.add_column(col, justify=just)
    rows = list(orders)
    for o in rows:
        side = Text(o.side.value, style=UP if o.side.value == "buy" else DOWN)
        table.add_row(o.order_no, o.code, o.name, side, o.order_type, won(o.qty),
                      won(o.price) if o.price else "market", won(o.remaining_qty), _hhmmss(o.time))
    if not rows:
        table.add_row("-", "", "no open orders", "", "", "", "", "", "")
    return table


def fills_table(fills: Iterable[FillRow]) -> Table:
    table = Table(title="Fills", title_justify="left")
    for col, just in (("Order", "left"), ("Code", "left"), ("Name", "left"), ("Side", "left"),
                      ("Filled", "right"), ("Price", "right"), ("Open", "right"), ("Time", "left")):
        table.add_column(col, justify=just)
    for f in fills:
        table.add_row(f.order_no, f.code, f.name, f.side.value, won(f.filled_qty), won(f.fill_price),
                      won(f.remaining_qty), _hhmmss(f.time))
    return table


def conditions_table(conditions: Sequence[Condition]) -> Table:
    table = Table(title="Conditions (조건검색)", title_justify="left")
    table.add_column("Seq", justify="right")
    table.add_column("Name")
    for c in conditions:
        table.add_row(c.seq, c.name)
    if not conditions:
        table.add_row("-", "no saved conditions")
    return table


def matches_table(condition: Condition, matches: Sequence[ConditionMatch]) -> Table:
    table = Table(title=f"{condition.name} (seq {condition.seq}): {len(matches)} matches", title_justify="left")
    for col, just in (("Code", "left"), ("Name", "left"), ("Price", "right"), ("Change", "right"),
                      ("%", "right"), ("Volume", "right")):
        table.add_column(col, justify=just)
    for m in matches:
        table.add_row(m.code, m.name, Text(won(m.price), style=direction_style(m.change)), signed(m.change),
                      pct(m.change_pct), won(m.volume))
    if not matches:
        table.add_row("-", "no stocks match now", "", "", "", "")
    return table


def _hhmmss(value: str) -> str:
    v = value.replace(":", "")
    return f"{v[0:2]}:{v[2:4]}:{v[4:6]}" if len(v) == 6 and v.isdigit() else value
