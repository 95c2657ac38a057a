"""The day's P&L: one figure for the dashboard, the run's max_daily_loss and a manual buy's check.

It is today's (KST) realised P&L of the fills kiwoom journaled (a run's and, core/manualfills.py,
those of manual orders), plus the unrealised
P&L of the positions kiwoom manages, each valued at a live price that counts (one inside the day's limits a
quote gave). Trades made outside kiwoom are not counted (docs/decisions.md §7). A run reads it off
its State (`Reads.day_pnl`, which the dashboard's snapshot shows); a manual order builds it from
the journal and a quote for each position (`from_journal`).
"""

from __future__ import annotations

from collections.abc import Iterable

from kiwoom_cli.market import CostRates
from kiwoom_cli.models import Quote


def position_pnl(qty: int, avg_price: float, price: int, costs: CostRates) -> float:
    """P&L of selling `qty` shares bought at `avg_price` at `price`, after both commissions and the sell tax."""
    return qty * (price * (1 - costs.commission - costs.sell_tax) - avg_price * (1 + costs.commission))


def price_counts(price: int, lower: int, upper: int) -> bool:
    """A price counts once a quote has given the day's limits and it lies inside them (core/prices.py)."""
    return price > 0 and 0 < lower <= price <= upper


def from_journal(realised: float, positions: Iterable, quotes: Iterable[Quote], costs: CostRates) -> float:
    """The day's P&L of `realised` (today's journaled fills) and the journal's managed `positions`
    valued at `quotes`; a position with no quote or a price outside its limits counts for nothing,
    as in a run before its first quote."""
    by_code = {q.code: q for q in quotes}
    total = realised
    for p in positions:
        q = by_code.get(p.code)
        if q is not None and p.qty > 0 and price_counts(q.price, q.lower_limit, q.upper_limit):
            total += position_pnl(p.qty, p.avg_price, q.price, costs)
    return total
