"""Paper accounts: cash, holdings with average price, and the orders and fills of the day.

Cash settles at once (no T+2): buys debit amount + commission, sells credit amount - commission
- tax. Open buys reserve cash (limit: qty x price; market: qty x upper limit; plus commission),
open sells reserve shares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from kiwoom_cli.market import CostRates
from kiwoom_cli.sim.domain import AccountView, FillView, HoldingView
from kiwoom_cli.sim.orders import Order, fill_view_from_dict, fill_view_to_dict, shallow_dict


def account_no_for(app_key: str) -> str:
    """Derive a stable 10-digit account number from an app key (mock accounts start with 8)."""
    digest = int.from_bytes(hashlib.sha256(app_key.encode("utf-8")).digest()[:8], "big")
    return f"81{digest % 10**8:08d}"


@dataclass(slots=True)
class Position:
    code: str
    name: str
    qty: int = 0
    purchase_amount: int = 0  # cost of the shares held, without commission
    purchase_commission: int = 0  # buy commission of the shares held
    today_buy_qty: int = 0
    today_sell_qty: int = 0

    @property
    def avg_price(self) -> int:
        return round(self.purchase_amount / self.qty) if self.qty else 0


@dataclass(slots=True)
class Account:
    app_key: str = field(repr=False)  # a secret: never in reprs or tracebacks
    account_no: str
    deposit: int
    holdings: dict[str, Position] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)  # order_no -> order, insertion = time order
    fills: list[FillView] = field(default_factory=list)  # oldest first
    realized_pnl: int = 0

    @classmethod
    def open(cls, app_key: str, cash: int) -> Account:
        """Open a paper account for an app key with starting cash."""
        return cls(app_key=app_key, account_no=account_no_for(app_key), deposit=cash)

    # ------------------------------------------------------------------ reservations

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.remaining_qty > 0]

    def reserved_cash(self, upper_limit: Callable[[str], int], rates: CostRates) -> int:
        """Cash tied up by open buy orders (amount at the order or upper-limit price, plus commission)."""
        total = 0
        for order in self.open_orders():
            if order.side == "buy":
                total += buy_reservation(
                    order.remaining_qty, order_price_for_reserve(order, upper_limit), rates
                )
        return total

    def orderable(self, upper_limit: Callable[[str], int], rates: CostRates) -> int:
        return self.deposit - self.reserved_cash(upper_limit, rates)

    def open_sell_qty(self, code: str) -> int:
        return sum(o.remaining_qty for o in self.open_orders() if o.side == "sell" and o.code == code)

    def sellable(self, code: str) -> int:
        """Shares of `code` that a new sell order may use."""
        pos = self.holdings.get(code)
        return (pos.qty if pos else 0) - self.open_sell_qty(code)

    # ------------------------------------------------------------------ fills

    def apply_fill(
        self, side: str, code: str, name: str, price: int, qty: int, commission: int, tax: int
    ) -> Position:
        """Book one fill: cash, position, average price, realized P&L. Returns the position after it."""
        amount = price * qty
        pos = self.holdings.get(code) or Position(code=code, name=name)
        self.holdings[code] = pos
        if side == "buy":
            self.deposit -= amount + commission
            pos.qty += qty
            pos.purchase_amount += amount
            pos.purchase_commission += commission
            pos.today_buy_qty += qty
        else:
            if qty > pos.qty:  # guarded by sellable checks; reaching here is a bug
                raise AssertionError(f"sell fill of {qty} exceeds holding {pos.qty} of {code}")
            cost = pos.purchase_amount * qty // pos.qty
            cost_commission = pos.purchase_commission * qty // pos.qty
            self.deposit += amount - commission - tax
            self.realized_pnl += amount - cost - cost_commission - commission - tax
            pos.qty -= qty
            pos.purchase_amount -= cost
            pos.purchase_commission -= cost_commission
            pos.today_sell_qty += qty
        return pos

    # ------------------------------------------------------------------ views

    def holding_view(self, pos: Position, current_price: int, base_price: int) -> HoldingView:
        return HoldingView(
            code=pos.code,
            name=pos.name,
            qty=pos.qty,
            sellable_qty=max(0, pos.qty - self.open_sell_qty(pos.code)),
            avg_price=pos.avg_price,
            purchase_amount=pos.purchase_amount,
            current_price=current_price,
            base_price=base_price,
            today_buy_qty=pos.today_buy_qty,
            today_sell_qty=pos.today_sell_qty,
            purchase_commission=pos.purchase_commission,
        )

    def view(
        self, prices: Callable[[str], tuple[int, int]], upper_limit: Callable[[str], int], rates: CostRates
    ) -> AccountView:
        """Snapshot; `prices(code)` gives (current, base) prices."""
        holdings = tuple(
            self.holding_view(pos, *prices(code))
            for code, pos in sorted(self.holdings.items())
            if pos.qty > 0
        )
        return AccountView(
            account_no=self.account_no,
            app_key=self.app_key,
            deposit=self.deposit,
            orderable=self.orderable(upper_limit, rates),
            holdings=holdings,
            realized_pnl=self.realized_pnl,
        )

    def new_day(self) -> None:
        """Drop yesterday's orders and fills (open orders expire) and reset today's counters."""
        self.orders.clear()
        self.fills.clear()
        for code in [c for c, p in self.holdings.items() if p.qty == 0]:
            del self.holdings[code]
        for pos in self.holdings.values():
            pos.today_buy_qty = pos.today_sell_qty = 0

    # ------------------------------------------------------------------ persistence

    def to_dict(self) -> dict:
        return {
            "app_key": self.app_key,
            "account_no": self.account_no,
            "deposit": self.deposit,
            "realized_pnl": self.realized_pnl,
            "holdings": [shallow_dict(p) for p in self.holdings.values()],
            "orders": [o.to_dict() for o in self.orders.values()],
            "fills": [fill_view_to_dict(f) for f in self.fills],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Account:
        acct = cls(
            app_key=data["app_key"],
            account_no=data["account_no"],
            deposit=int(data["deposit"]),
            realized_pnl=int(data.get("realized_pnl", 0)),
        )
        for p in data.get("holdings", []):
            acct.holdings[p["code"]] = Position(**p)
        for o in data.get("orders", []):
            order = Order.from_dict(o)
            acct.orders[order.order_no] = order
        acct.fills = [fill_view_from_dict(f) for f in data.get("fills", [])]
        return acct


def order_price_for_reserve(order: Order, upper_limit: Callable[[str], int]) -> int:
    """The price a buy order reserves cash at: its limit, or the upper limit for a market order."""
    return upper_limit(order.code) if order.is_market else order.price


def buy_reservation(qty: int, price: int, rates: CostRates) -> int:
    """Cash a buy of qty at price needs, commission included."""
    amount = qty * price
    return amount + rates.commission_on(amount)
