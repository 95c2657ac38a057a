"""Matching against the simulated book around the last price.

The book is implied by the last trade: asks from one tick above it upward, bids from one tick
below downward, `level_depth` shares per level. At the daily limit the level is bottomless, so a
market order always fills completely (in one or more slices). Our own fills do not move the
market price: like Kiwoom's mock server, paper orders are matched against the market, not into it.
"""

from __future__ import annotations

from kiwoom_cli import market
from kiwoom_cli.sim.orders import Order
from kiwoom_cli.sim.quotes import StockState


def sweep(stock: StockState, side: str, qty: int, limit_price: int | None) -> list[tuple[int, int]]:
    """Return the (price, qty) slices an aggressive order takes now, best price first.

    `limit_price` None is a market order (fills completely); otherwise levels beyond it are left.
    """
    slices: list[tuple[int, int]] = []
    depth = stock.level_depth
    if side == "buy":
        price, edge, step = stock.best_ask, stock.limits.upper, 1
    else:
        price, edge, step = stock.best_bid, stock.limits.lower, -1
    left = qty
    while left > 0:
        if limit_price is not None and (price > limit_price if side == "buy" else price < limit_price):
            break
        take = left if price == edge else min(left, depth)
        slices.append((price, take))
        left -= take
        if price == edge:
            break
        price = market.add_ticks(price, step)
        # a coarser band can overshoot the edge only when the edge is off the grid: clamp anyway
        price = min(price, edge) if side == "buy" else max(price, edge)
    return slices


def reaches(order: Order, trade_price: int) -> bool:
    """Tell whether a trade at trade_price reaches a resting limit order."""
    if order.side == "buy":
        return trade_price <= order.price
    return trade_price >= order.price


def resting_fill_qty(stock: StockState, order: Order, trade_qty: int) -> int:
    """Shares of a resting order a reaching trade fills: the trade's size, at least one level."""
    return min(order.remaining_qty, max(abs(trade_qty), stock.level_depth))
