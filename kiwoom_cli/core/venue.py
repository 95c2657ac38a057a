"""Which order types a venue takes when, and which venue an amend or cancel must go to.

NXT's pre-market (08:00-08:50) and after-market (15:30-20:00) are reported to refuse market
orders. That is unverified: neither Kiwoom's specification nor docs/ says it. So outside KRX's
regular session (09:00-15:30 KST) an order routed to NXT or SOR is a limit order: the run prices
it as a limit and a manual --market order is refused before anything is sent. KRX orders are left
as they are: outside its hours KRX answers for itself (the opening and closing auctions take
market orders; a closed market refuses every order).
"""

from __future__ import annotations

import datetime as dt

from kiwoom_cli.errors import BadInput
from kiwoom_cli.market import KRX_HOURS, SessionHours


def market_orders_ok(exchange: str, now: dt.datetime, hours: SessionHours = KRX_HOURS) -> bool:
    """Tell whether a market order may go to `exchange` at `now` (KST)."""
    return exchange == "KRX" or hours.is_regular(now.time())


def check_manual_market(exchange: str, now: dt.datetime) -> None:
    """BadInput for a manual market order on NXT/SOR outside KRX's regular hours."""
    if not market_orders_ok(exchange, now):
        raise BadInput(f"--market on {exchange} outside KRX's regular hours (09:00-15:30 KST, now "
                       f"{now:%H:%M}): NXT's extra sessions take limit orders only",
                       hint="give --price or --ticks")


def check_nxt_listed(exchange: str, code: str, nxt_enabled) -> None:
    """BadInput when an order for `code` goes to NXT and the broker says NXT does not trade it.

    `nxt_enabled(code)` asks the broker (ka10100 nxtEnable). SOR is not checked: it routes to
    KRX what NXT does not trade (unverified).
    """
    if exchange == "NXT" and not nxt_enabled(code):
        raise BadInput(f"{code} does not trade on NXT (ka10100 nxtEnable is not Y)",
                       hint="use --exchange KRX or SOR")


def order_venue(placed: str, asked: str | None, configured: str, order_no: str) -> str:
    """The venue an amend/cancel goes to: where the broker says the order was placed.

    `placed` is the venue read from ka10075 ("" when the answer does not say); `asked` the
    --exchange option (None if not given); `configured` the setting.
    """
    if placed and asked is not None and asked != placed:
        raise BadInput(f"order {order_no} was placed on {placed}, not {asked}",
                       hint=f"leave out --exchange or give --exchange {placed}")
    return placed or asked or configured
