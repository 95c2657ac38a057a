"""Outside KRX's regular hours, orders routed to NXT or SOR are limits: the run's rules and the pure checks."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.clock import KST, ManualClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core import venue
from kiwoom_cli.errors import BadInput, ConfigError
from kiwoom_cli.market import add_ticks, round_down_to_tick
from kiwoom_cli.models import OrderType, Side
from tests.kit.core import Driver, entry, quote, quotes, settings, tick


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 25, hour, minute, tzinfo=KST)


def entry_order(d: Driver, code: str = "005930", price: int = 97_500) -> ev.PlaceOrder:
    d.feed(entry(code), ev.Idle())
    (order,) = [o for o in d.feed(quotes(quote(code, price))) if isinstance(o, ev.PlaceOrder)]
    return order


@pytest.mark.parametrize("exchange, hhmm, limit", [
    ("NXT", (16, 0), True), ("SOR", (8, 10), True), ("NXT", (15, 30), True),
    ("NXT", (10, 0), False), ("SOR", (15, 29), False), ("KRX", (16, 0), False), ("KRX", (8, 40), False),
])
def test_a_market_entry_becomes_a_limit_at_the_buy_ticks_only_off_hours_on_nxt_or_sor(path, exchange, hhmm, limit):
    d = Driver(path, settings(exchange=exchange, buy_ticks=2), clock=ManualClock(at(*hhmm)))
    order = entry_order(d)
    if limit:
        assert (order.order_type, order.price) == (OrderType.LIMIT, add_ticks(97_500, 2))
        (why,) = [r["reason"] for r in d.decisions() if r["action"] == "buy"]
        assert f"no market orders on {exchange} outside KRX hours" in why
    else:
        assert (order.order_type, order.price) == (OrderType.MARKET, None)


def test_a_market_exit_becomes_a_limit_at_the_sell_ticks_after_hours_on_nxt(path):
    d = Driver(path, settings(exchange="NXT", sell_ticks=1), clock=ManualClock(at(16, 0)))
    d.buy("005930", 100_000)
    (sell,) = [o for o in d.feed(tick("005930", 97_000)) if isinstance(o, ev.PlaceOrder)]  # stop-loss
    assert (sell.order_type, sell.price) == (OrderType.LIMIT, add_ticks(round_down_to_tick(97_000), -1))


def test_the_setting_is_checked():
    with pytest.raises(ConfigError, match="exchange"):
        settings(exchange="NYSE")


def test_manual_market_order_checks():
    venue.check_manual_market("NXT", at(9, 0))
    venue.check_manual_market("KRX", at(19, 0))
    for exchange, when in (("NXT", at(8, 59)), ("SOR", at(15, 30)), ("NXT", at(19, 59))):
        with pytest.raises(BadInput, match="outside KRX's regular hours"):
            venue.check_manual_market(exchange, when)


def test_amend_and_cancel_venue_is_where_the_order_was_placed():
    assert venue.order_venue("NXT", None, "KRX", "1") == "NXT"
    assert venue.order_venue("", None, "SOR", "1") == "SOR"  # the answer does not say: the setting
    assert venue.order_venue("", "NXT", "KRX", "1") == "NXT"
    with pytest.raises(BadInput, match="placed on SOR, not KRX"):
        venue.order_venue("SOR", "KRX", "KRX", "0000123")


def test_a_run_warns_of_open_orders_on_another_venue(path):
    from dataclasses import replace

    from tests.kit.core import open_order

    on_nxt = replace(open_order("0000007", "005930", Side.BUY, 1, 90_000), exchange="NXT")
    on_krx = replace(open_order("0000008", "000660", Side.BUY, 1, 500_000), exchange="KRX")
    d = Driver(path, settings(exchange="KRX"), open_orders=[on_nxt, on_krx])
    warned = [r for r in d.decisions() if r["rule"] == "reconcile" and r["action"] == "warn"]
    assert [r["code"] for r in warned] == ["005930"]
    assert "is on NXT, this run trades on KRX" in warned[0]["reason"]
