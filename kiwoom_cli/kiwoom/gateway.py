"""The order gateway: the one way an order leaves, one method per kind of order intent.

`core/orders.OrderService` is its only caller, for manual orders and for the order worker of
`kiwoom run` alike (docs/architecture.md §3). Each method takes the intent itself (anything with the
fields below: `core/events.PlaceOrder`, `AmendOrder`, `CancelOrder`) and sends it once on the REST
client (`RestClient`: urllib3, certificate-verified, an explicit `proxy` if given), which raises the
`errors` types its docstring lists; what each error means for the order is `core/outcomes.py`'s.
"""

from __future__ import annotations

from typing import Protocol

from kiwoom_cli.models import OrderAck, Side


class NewOrder(Protocol):
    side: Side
    code: str
    qty: int
    price: int | None  # None = market


class PriceChange(Protocol):
    order_no: str
    code: str
    qty: int  # 0 = all remaining
    price: int


class Withdrawal(Protocol):
    order_no: str
    code: str
    qty: int  # 0 = all remaining


class OrderRest(Protocol):
    """The order TRs of kiwoom/rest.RestClient (kt10000-kt10003)."""

    def buy(self, code: str, qty: int, price: int | None) -> OrderAck: ...
    def sell(self, code: str, qty: int, price: int | None) -> OrderAck: ...
    def amend(self, order_no: str, code: str, qty: int, price: int) -> OrderAck: ...
    def cancel(self, order_no: str, code: str, qty: int = 0) -> OrderAck: ...


class OrderGateway:
    """Send order intents on one REST client (one per thread, docs/decisions.md §2)."""

    __slots__ = ("rest",)

    def __init__(self, rest: OrderRest) -> None:
        self.rest = rest

    def place(self, order: NewOrder) -> OrderAck:
        """A new buy (kt10000) or sell (kt10001)."""
        send = self.rest.buy if order.side is Side.BUY else self.rest.sell
        return send(order.code, order.qty, order.price)

    def amend(self, order: PriceChange) -> OrderAck:
        """A price change (kt10002); the ack carries the new order number."""
        return self.rest.amend(order.order_no, order.code, order.qty, order.price)

    def cancel(self, order: Withdrawal) -> OrderAck:
        """A cancel (kt10003)."""
        return self.rest.cancel(order.order_no, order.code, order.qty)
