"""Orders and fills as the exchange keeps them (mutable), and their immutable views."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from kiwoom_cli.sim.domain import FillView, OrderView

LIMIT = "0"
MARKET = "3"
NO_ORDER = "0000000"


@dataclass(slots=True)
class Order:
    order_no: str
    orig_order_no: str
    account_no: str
    app_key: str = field(repr=False)  # a secret: never in reprs or tracebacks
    code: str
    name: str
    side: str  # "buy" | "sell"
    kind: str  # "new" | "amend" | "cancel"
    trde_tp: str
    qty: int
    price: int  # 0 for market
    time: dt.datetime
    filled_qty: int = 0
    filled_amount: int = 0
    remaining_qty: int = 0
    status: str = "접수"
    commission: int = 0
    tax: int = 0
    venue: str = "KRX"  # dmst_stex_tp it was placed with: KRX | NXT | SOR

    @property
    def is_market(self) -> bool:
        return self.trde_tp == MARKET

    @property
    def is_open(self) -> bool:
        return self.remaining_qty > 0

    def view(self) -> OrderView:
        return OrderView(
            order_no=self.order_no,
            orig_order_no=self.orig_order_no,
            account_no=self.account_no,
            code=self.code,
            name=self.name,
            side=self.side,  # type: ignore[arg-type]
            kind=self.kind,  # type: ignore[arg-type]
            trde_tp=self.trde_tp,
            qty=self.qty,
            price=self.price,
            filled_qty=self.filled_qty,
            filled_amount=self.filled_amount,
            remaining_qty=self.remaining_qty,
            status=self.status,  # type: ignore[arg-type]
            time=self.time,
            commission=self.commission,
            tax=self.tax,
            venue=self.venue,
        )

    def to_dict(self) -> dict:
        data = shallow_dict(self)
        data["time"] = self.time.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Order:
        return cls(**{**data, "time": dt.datetime.fromisoformat(data["time"])})


def shallow_dict(obj) -> dict:
    """A flat dataclass as a dict (dataclasses.asdict deep-copies: 20x slower, and save() runs often)."""
    return {name: getattr(obj, name) for name in _field_names(type(obj))}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def fill_view_to_dict(fill: FillView) -> dict:
    data = shallow_dict(fill)
    data["time"] = fill.time.isoformat()
    return data


def fill_view_from_dict(data: dict) -> FillView:
    return FillView(**{**data, "time": dt.datetime.fromisoformat(data["time"])})


class Numbers:
    """Order and fill number counters (7 digits, zero padded, per simulator; unverified daily reset)."""

    def __init__(self, next_order: int = 1, next_fill: int = 1) -> None:
        self.next_order = next_order
        self.next_fill = next_fill

    def order_no(self) -> str:
        """Take the next order number."""
        number = self.next_order
        self.next_order = number + 1 if number < 9_999_999 else 1
        return f"{number:07d}"

    def fill_no(self) -> str:
        """Take the next fill number."""
        number = self.next_fill
        self.next_fill = number + 1 if number < 9_999_999 else 1
        return f"{number:07d}"
