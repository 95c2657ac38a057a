"""Pre-trade checks. A denial is data (shown and journaled), never an exception."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.market import price_limits, round_down_to_tick
from kiwoom_cli.models import Side


@dataclass(frozen=True, slots=True)
class Denial:
    reason: str


@dataclass(slots=True)
class Planned:
    """Buys decided earlier in the same decide() call, not yet visible in the state."""

    count: int = 0
    cash: int = 0
    codes: set[str] = field(default_factory=set)
    registers: int = 0

    def add(self, code: str, reserve: int, registers: bool) -> None:
        self.count += 1
        self.cash += reserve
        self.codes.add(code)
        self.registers += int(registers)


def reservation(qty: int, limit_price: int | None, upper: int, ref_price: int, commission: float,
                amends_to_upper: bool = False) -> int:
    """Return KRW to hold for a buy, the one rule for a run's buys and manual ones (docs/decisions.md §7):
    qty x (the limit price, or the upper limit for a market buy or when amends may raise the price
    to it) plus the commission, rounded up to the next 10 won so it never falls short of the fee."""
    if upper <= 0:
        upper = price_limits(ref_price).upper  # no known limits: take them from the price (upper bound)
    unit = upper if limit_price is None or amends_to_upper else limit_price
    amount = qty * unit
    return amount + -(-int(amount * commission) // 10) * 10


def run_reservation(qty: int, limit_price: int | None, upper: int, ref_price: int, s: RunSettings) -> int:
    """`reservation` for a run's buy: its amends (amend_after_s) may raise the price to the upper limit."""
    return reservation(qty, limit_price, upper, ref_price, s.costs.commission, s.amend_after_s is not None)


# --------------------------------------------------------------------------- the checks every buy passes


def check_value(value: int, max_order_value: int | None) -> Denial | None:
    """The cap on one order's value (qty x limit price, or x the current price for a market buy)."""
    if max_order_value is not None and value > max_order_value:
        return Denial(f"order value {value:,} above max_order_value {max_order_value:,}")
    return None


def check_cash(reserve: int, cash: int | None) -> Denial | None:
    """The buy's reservation against orderable cash already net of pending reservations."""
    if cash is None:
        return Denial("orderable cash unknown")
    if reserve > cash:
        return Denial(f"cash: needs {reserve:,} reserved, {max(cash, 0):,} available")
    return None


def check_day_loss(pnl: float, max_daily_loss: int | None) -> Denial | None:
    """No buy once the day's P&L (daypnl.py: the figure the dashboard shows) is at -max_daily_loss."""
    if max_daily_loss is not None and pnl <= -max_daily_loss:
        return Denial(f"max daily loss reached: day P&L {pnl:,.0f} <= -{max_daily_loss:,}")
    return None


def precheck_buy(view, s: RunSettings, code: str, now: dt.datetime, origin: str = "run",
                 planned: Planned | None = None) -> Denial | None:
    """Check everything that does not need a price: window, pause, halts, duplicates, slots, registrations."""
    planned = planned or Planned()
    if origin == "run":
        if not s.in_window(now):
            return Denial("window closed")
        if view.paused:
            return Denial("paused")
        if "max_loss" in view.flags:
            return Denial("max daily loss reached: buying halted")
        if "liquidated" in view.flags:
            return Denial("liquidated for the day")
        if "bad_answer" in view.flags:  # core/halt.py
            return Denial(f"buying halted: unexpected answer from the broker ({view.flags['bad_answer']})")
    denial = check_day_loss(view.day_pnl(), s.max_daily_loss)  # manual buys too
    if denial:
        return denial
    why = view.busy(code) or ("duplicate entry" if code in planned.codes else None)
    if why:
        return Denial(f"duplicate: {why}")
    open_now = view.open_count() + planned.count
    if open_now >= s.max_positions:
        return Denial(f"max positions: {open_now} open or pending of {s.max_positions}")
    regs = len(view.registered) + planned.registers
    if code not in view.registered and regs >= s.reg_limit:
        return Denial(f"realtime registration limit {s.reg_limit} reached")
    return None


def check_buy(view, s: RunSettings, code: str, qty: int, order_price: int | None, ref_price: int,
              reserve: int, now: dt.datetime, origin: str = "run",
              planned: Planned | None = None, prechecked: bool = False) -> Denial | None:
    """Run every buy check; return the first denial or None.

    prechecked: the caller ran precheck_buy on this same view and `planned` just before (the entry
    path, where it is on the clock); it is not run twice.
    """
    planned = planned or Planned()
    denial = None if prechecked else precheck_buy(view, s, code, now, origin, planned)
    if denial:
        return denial
    if qty <= 0:
        return Denial(f"quantity 0: price {ref_price:,} is above buy_amount {s.buy_amount:,}")
    value = qty * (order_price or ref_price)
    denial = check_value(value, s.max_order_value)
    if denial:
        return denial
    if s.max_order_value is None and origin == "run" and value > 2 * s.buy_amount:
        return Denial(f"order value {value:,} above twice buy_amount (the run's cap while max_order_value is off)")
    cash = view.available_cash()
    return check_cash(reserve, None if cash is None else cash - planned.cash)


def amend_price(order, s: RunSettings) -> int:
    """Where an unfilled limit order is re-priced (amend_after_s): the day's limit; a buy no higher than
    the cap on its value allows (max_order_value, or for the run's own twice buy_amount, as check_buy)."""
    if order.side is Side.SELL:
        return order.lower
    cap = s.max_order_value
    if cap is None and order.origin == "run":
        cap = 2 * s.buy_amount
    if cap is None or order.remaining <= 0:
        return order.upper
    return min(order.upper, round_down_to_tick(cap // order.remaining))


def check_sell(view, s: RunSettings, code: str, now: dt.datetime, origin: str = "run",
               ignore_window: bool = False) -> Denial | None:
    """Check a whole-position sell: held, sellable, no live sell, window (rule sells only)."""
    pos = view.positions.get(code)
    if pos is None or pos.qty <= 0:
        return Denial("not held")
    if origin == "run" and not pos.managed:
        return Denial("not managed by the run (adopt_holdings is off)")
    if pos.sell_intent is not None:
        return Denial("a sell is already pending")
    if pos.sellable <= 0:
        return Denial("nothing sellable")
    if origin == "run" and not ignore_window and not s.in_window(now):
        return Denial("window closed")
    return None
