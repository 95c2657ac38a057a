"""The order desk: validate, accept, amend, cancel and fill paper orders.

Publishes, per order step, an OrderUpdate (접수 / 확인 / 체결) and per fill a PositionUpdate.
Rejection codes follow the captures in tests/fixtures/kiwoom/errors/ where the mock's wording is known; the ones marked
"unverified" are our choice.
"""

from __future__ import annotations

from collections.abc import Callable

from kiwoom_cli import market
from kiwoom_cli.market import CostRates
from kiwoom_cli.sim import matching
from kiwoom_cli.sim.accounts import Account, buy_reservation, order_price_for_reserve
from kiwoom_cli.sim.domain import (
    FillView,
    OrderUpdate,
    OrderView,
    PositionUpdate,
    SimEvent,
    SimInputError,
    SimRejection,
)
from kiwoom_cli.sim.orders import LIMIT, MARKET, NO_ORDER, Numbers, Order
from kiwoom_cli.sim.quotes import StockState

UNKNOWN_CODE = ("1902", "종목 정보가 없습니다. 입력한 종목코드 값을 확인바랍니다")
NOT_SUPPORTED = ("RC9000", "모의투자에서는 해당업무가 제공되지 않습니다.")
OFF_GRID = ("RC4003", "모의투자 호가단위 오류입니다.")
OUT_OF_LIMITS = ("RC4004", "모의투자 주문가격이 상하한가 범위를 벗어났습니다.")  # code and text unverified
NO_CASH = ("RC4025", "모의투자 주문가능금액을 확인하세요.")
NO_SHARES = ("800033", "모의투자 매도가능수량이 부족합니다.")
NO_PRICE = ("308003", "주문단가를 입력하십시요")
NO_SUCH_ORDER = ("RC4031", "모의투자 정정/취소할 주문이 없습니다.")  # code and text unverified
TOO_MANY = ("RC4032", "모의투자 정정/취소 수량이 미체결 수량을 초과합니다.")  # code and text unverified


def _bad_value(param: str, reason: str) -> SimInputError:
    return SimInputError("1517", f"입력 값 형식이 올바르지 않습니다. 파라미터={param} 실패사유={reason}")


class OrderDesk:
    def __init__(
        self,
        stocks: dict[str, StockState],
        numbers: Numbers,
        now: Callable,
        rates: Callable[[], CostRates],
        publish: Callable[[SimEvent], None],
    ) -> None:
        self.stocks = stocks
        self.numbers = numbers
        self.now = now
        self.rates = rates
        self.publish = publish

    def _upper(self, code: str) -> int:
        return self.stocks[code].limits.upper

    def stock(self, code: str) -> StockState:
        stock = self.stocks.get(code)
        if stock is None:
            raise SimInputError(*UNKNOWN_CODE)
        return stock

    def _check_limit_price(self, stock: StockState, price: int) -> None:
        if not isinstance(price, int) or price <= 0:
            raise SimRejection(*NO_PRICE)
        if not market.is_on_tick(price):
            raise SimRejection(*OFF_GRID)
        if not stock.limits.contains(price):
            raise SimRejection(*OUT_OF_LIMITS)

    # ------------------------------------------------------------------ new orders

    def place(
        self, acct: Account, side: str, code: str, qty: int, price: int | None, trde_tp: str,
        venue: str = "KRX",
    ) -> OrderView:
        """Validate and accept a new order, then match what is marketable now."""
        if side not in ("buy", "sell"):
            raise _bad_value("side", f"unknown side {side!r}")
        stock = self.stock(code)
        if not isinstance(qty, int) or qty <= 0:
            raise _bad_value("ord_qty", "quantity must be a positive integer")
        if trde_tp not in (LIMIT, MARKET):
            raise SimRejection(*NOT_SUPPORTED)
        if trde_tp == LIMIT:
            self._check_limit_price(stock, price or 0)
            price = int(price)  # type: ignore[arg-type]
        else:
            price = 0  # a market order's price, if sent, is ignored
        rates = self.rates()
        if side == "buy":
            need = buy_reservation(qty, price or stock.limits.upper, rates)
            if need > acct.orderable(self._upper, rates):
                raise SimRejection(*NO_CASH)
        elif qty > acct.sellable(code):
            raise SimRejection(*NO_SHARES)
        order = Order(
            order_no=self.numbers.order_no(),
            orig_order_no=NO_ORDER,
            account_no=acct.account_no,
            app_key=acct.app_key,
            code=code,
            name=stock.spec.name,
            side=side,
            kind="new",
            trde_tp=trde_tp,
            qty=qty,
            price=price,
            time=self.now(),
            remaining_qty=qty,
            venue=venue,
        )
        acct.orders[order.order_no] = order
        accepted = order.view()
        self._emit(acct, order, "접수")
        self._sweep(acct, order, stock)
        return accepted

    # ------------------------------------------------------------------ amend / cancel

    def _open_order(self, acct: Account, orig_order_no: str, code: str) -> Order:
        order = acct.orders.get(orig_order_no)
        if order is None or order.remaining_qty <= 0 or order.code != code or order.kind == "cancel":
            raise SimRejection(*NO_SUCH_ORDER)
        return order

    def _take_qty(self, orig: Order, qty: int) -> int:
        if not isinstance(qty, int) or qty < 0:
            raise _bad_value("qty", "quantity must be a non-negative integer")
        if qty > orig.remaining_qty:
            raise SimRejection(*TOO_MANY)
        return qty or orig.remaining_qty  # 0 = all remaining (unverified for amend)

    def amend(self, acct: Account, orig_order_no: str, code: str, qty: int, price: int) -> OrderView:
        """정정: move `qty` (0 = all) of an open order's remaining to a new order number at `price`."""
        orig = self._open_order(acct, orig_order_no, code)
        stock = self.stock(code)
        moved = self._take_qty(orig, qty)
        if orig.is_market:  # market orders never rest; the type cannot change
            raise SimRejection(*NO_SUCH_ORDER)
        self._check_limit_price(stock, price)
        rates = self.rates()
        if orig.side == "buy":
            released = buy_reservation(moved, order_price_for_reserve(orig, self._upper), rates)
            if buy_reservation(moved, price, rates) - released > acct.orderable(self._upper, rates):
                raise SimRejection(*NO_CASH)
        new = self._child(acct, orig, "amend", moved, price)
        new.remaining_qty = moved
        orig.remaining_qty -= moved
        accepted = new.view()
        self._emit(acct, new, "접수")
        new.status = "확인"
        self._emit(acct, new, "확인")
        self._sweep(acct, new, stock)
        return accepted

    def cancel(self, acct: Account, orig_order_no: str, code: str, qty: int) -> OrderView:
        """취소: cancel `qty` (0 = all) of an open order's remaining under a new order number."""
        orig = self._open_order(acct, orig_order_no, code)
        self.stock(code)
        cancelled = self._take_qty(orig, qty)
        new = self._child(acct, orig, "cancel", cancelled, orig.price)
        orig.remaining_qty -= cancelled  # releases its cash or share reservation
        accepted = new.view()
        self._emit(acct, new, "접수")
        new.status = "확인"
        self._emit(acct, new, "확인")
        return accepted

    def _child(self, acct: Account, orig: Order, kind: str, qty: int, price: int) -> Order:
        order = Order(
            order_no=self.numbers.order_no(),
            orig_order_no=orig.order_no,
            account_no=acct.account_no,
            app_key=acct.app_key,
            code=orig.code,
            name=orig.name,
            side=orig.side,
            kind=kind,
            trde_tp=orig.trde_tp,
            qty=qty,
            price=price,
            time=self.now(),
            venue=orig.venue,
        )
        acct.orders[order.order_no] = order
        return order

    # ------------------------------------------------------------------ fills

    def _sweep(self, acct: Account, order: Order, stock: StockState) -> None:
        limit = None if order.is_market else order.price
        for price, qty in matching.sweep(stock, order.side, order.remaining_qty, limit):
            self._fill(acct, order, price, qty)

    def on_trade(self, accounts: list[Account], stock: StockState, trade_qty: int) -> None:
        """Fill resting limit orders of every account that a trade at stock.price reached."""
        for acct in accounts:
            for order in acct.open_orders():
                if order.code == stock.code and not order.is_market and matching.reaches(order, stock.price):
                    self._fill(acct, order, order.price, matching.resting_fill_qty(stock, order, trade_qty))

    def _fill(self, acct: Account, order: Order, price: int, qty: int) -> None:
        rates = self.rates()
        amount = price * qty
        commission = rates.commission_on(amount)
        tax = rates.tax_on(amount) if order.side == "sell" else 0
        order.filled_qty += qty
        order.filled_amount += amount
        order.remaining_qty -= qty
        order.commission += commission
        order.tax += tax
        order.status = "체결"
        pos = acct.apply_fill(order.side, order.code, order.name, price, qty, commission, tax)
        fill = FillView(
            fill_no=self.numbers.fill_no(),
            order_no=order.order_no,
            orig_order_no=order.orig_order_no,
            code=order.code,
            name=order.name,
            side=order.side,  # type: ignore[arg-type]
            trde_tp=order.trde_tp,
            order_qty=order.qty,
            order_price=order.price,
            price=price,
            qty=qty,
            remaining_qty=order.remaining_qty,
            time=self.now(),
            commission=commission,
            tax=tax,
        )
        acct.fills.append(fill)
        self._emit(acct, order, "체결", fill)
        stock = self.stocks[order.code]
        self.publish(
            PositionUpdate(
                account_no=acct.account_no,
                app_key=acct.app_key,
                holding=acct.holding_view(pos, stock.price, stock.base_price),
                today_net_buy_qty=pos.today_buy_qty - pos.today_sell_qty,
                side=order.side,  # type: ignore[arg-type]
            )
        )

    def _emit(self, acct: Account, order: Order, status: str, fill: FillView | None = None) -> None:
        self.publish(
            OrderUpdate(
                account_no=acct.account_no,
                app_key=acct.app_key,
                order=order.view(),
                status=status,  # type: ignore[arg-type]
                fill=fill,
            )
        )
