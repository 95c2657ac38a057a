"""Derived figures shared by State and Snapshot (the same names on both, so rules run on either)."""

from __future__ import annotations

from kiwoom_cli.core import daypnl
from kiwoom_cli.market import net_return_pct
from kiwoom_cli.models import Side


class Reads:
    """Mixin: needs costs, positions, orders, marks, awaiting, cash, spent, realised."""

    __slots__ = ()

    def net_return(self, avg_price: float, price: int) -> float:
        """Return % of selling at price what cost avg_price, after round-trip costs."""
        return net_return_pct(avg_price, price, self.costs) if price > 0 else 0.0

    def open_count(self) -> int:
        """Count open + pending positions: managed holdings plus codes with a pending buy."""
        codes = {c for c, p in self.positions.items() if p.managed and p.qty > 0}
        codes.update(o.code for o in self.orders.values() if o.side is Side.BUY)
        return len(codes)

    def reserved(self) -> int:
        """KRW held for pending buys (docs/decisions.md §7)."""
        return sum(o.reserved_now for o in self.orders.values())

    def available_cash(self) -> int | None:
        """Orderable cash minus reservations and what fills spent since the cash figure; None if unknown.

        The one place that decides which cash counts (the broker's real check is unverified, docs/decisions.md §7).
        """
        if self.cash is None:
            return None
        return self.cash - self.reserved() - sum(self.spent.values())

    def busy(self, code: str) -> str | None:
        """Say why a code cannot be bought now (held, tracked, pending, awaiting a quote), or None."""
        pos = self.positions.get(code)
        if pos is not None:
            return "already tracked" if pos.managed else "already held"
        if any(o.code == code for o in self.orders.values()):
            return "order pending"
        if code in self.awaiting:
            return "awaiting a quote"
        return None

    def order_for(self, code: str, side: Side):
        """Return the first pending order of a code and side, or None."""
        for o in self.orders.values():
            if o.code == code and o.side is side:
                return o
        return None

    def unrealised(self) -> float:
        """P&L of managed positions if sold at their last price, after costs; a price that does not
        count (none inside a quote's limits yet, as a start-up balance's) counts for nothing."""
        return sum(
            self.position_pnl(p)
            for p in self.positions.values()
            if p.managed and p.price > 0 and self.price_counts(p.code, p.price)
        )

    def position_pnl(self, p) -> float:
        """P&L of one position if sold at its last price, after costs (0 without a price)."""
        if p.price <= 0:
            return 0.0
        return daypnl.position_pnl(p.qty, p.avg_price, p.price, self.costs)

    def price_counts(self, code: str, price: int) -> bool:
        """Tell whether a quote has given the code's limits and `price` is inside them (core/prices.py)."""
        m = self.marks.get(code)
        return m is not None and m.quoted is not None and m.lower <= price <= m.upper

    def day_pnl(self) -> float:
        """Realised + unrealised P&L of the day, after costs: the figure the dashboard shows and
        max_daily_loss is checked against (core/daypnl.py)."""
        return self.realised + self.unrealised()

    def unknown_orders(self) -> list:
        return [o for o in self.orders.values() if o.unknown]
