"""The prices at which a position's exit rules fire, on the KRX tick grid (docs/architecture.md §2, The snapshot).

One reading for the strategy's tick path and the dashboard's "Stop at": the stop-loss fires at or
below the highest grid price whose return after round-trip costs is at most stop_loss_pct; an armed
trailing stop fires at or below the highest grid price at least trail_drop_pct under the high. The
strategy sells when a tick's price is at or below these prices, so the price shown is the price at
which the sell fires.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from kiwoom_cli.market import CostRates, add_ticks, net_return_pct, round_down_to_tick

_STEPS = 4  # float rounding moves the exact threshold by far less than one tick either way


@dataclass(frozen=True, slots=True)
class ExitPrices:
    """Where a position's exit rules fire now; None: that rule cannot fire (off, or not armed)."""

    stop_loss: int | None
    trailing: int | None

    @property
    def sell_at(self) -> int | None:
        """The highest price at which a sell fires (a tick at or below it sells)."""
        known = [p for p in (self.stop_loss, self.trailing) if p is not None]
        return max(known) if known else None


def exit_prices(pos, settings, costs: CostRates) -> ExitPrices:
    """The stop-loss and trailing trigger prices of a position (a Position or a PositionView)."""
    stop = None
    if settings.stop_loss_pct is not None:
        stop = stop_loss_price(pos.avg_price, settings.stop_loss_pct, costs)
    trail = None
    if settings.trailing_on and pos.armed and pos.high > 0:
        trail = trailing_price(pos.high, settings.trail_drop_pct)
    return ExitPrices(stop, trail)


def stop_loss_price(avg_price: float, pct: float, costs: CostRates) -> int | None:
    """The highest grid price at which net_return_pct(avg_price, price) <= pct; None if none is."""
    return _stop_loss(avg_price, pct, costs.commission, costs.sell_tax)


@functools.lru_cache(maxsize=4096)  # the tick path asks on every tick: plain floats hash fast
def _stop_loss(avg_price: float, pct: float, commission: float, sell_tax: float) -> int | None:
    if avg_price <= 0:
        return None
    costs = CostRates(commission, sell_tax)
    cost = avg_price * (1 + commission)  # the inverse of market.net_return_pct
    exact = cost * (1 + pct / 100) / (1 - commission - sell_tax)
    return _highest(lambda p: net_return_pct(avg_price, p, costs) <= pct, exact)


@functools.lru_cache(maxsize=4096)
def trailing_price(high: int, drop_pct: float) -> int | None:
    """The highest grid price at least drop_pct % under `high` (as the strategy measures the drop)."""
    if high <= 0:
        return None
    return _highest(lambda p: (high - p) / high * 100 >= drop_pct, high * (1 - drop_pct / 100))


def _highest(fires: Callable[[int], bool], exact: float) -> int | None:
    """The highest grid price at which `fires` (true below a threshold near `exact`) holds."""
    p = round_down_to_tick(max(int(exact), 1))
    for _ in range(_STEPS):
        if fires(p):
            break
        if p <= 1:
            return None
        p = add_ticks(p, -1)
    else:
        return None
    for _ in range(_STEPS):
        up = add_ticks(p, 1)
        if not fires(up):
            break
        p = up
    return p
