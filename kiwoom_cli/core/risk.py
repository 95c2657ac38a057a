"""Pre-trade checks. A denial is data (shown and journaled), never an exception."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.market import CostRates, price_limits


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


def reservation(qty: int, limit_price: int | None, upper: int, ref_price: int, settings: RunSettings) -> int:
    """Return KRW to hold for a buy: qty x (limit price, or the upper limit for market buys or when
    amends may raise the price to it) plus the commission (docs/decisions.md §7)."""
    if upper <= 0:
        upper = price_limits(ref_price).upper  # no known limits: take them from the price (upper bound)
    if limit_price is None or settings.amend_after_s is not None:
        unit = upper
    else:
        unit = limit_price
    amount = qty * unit
    return amount + _commission(amount, settings.costs)


def _commission(amount: int, costs: CostRates) -> int:
    # rounded up to the next 10 won so the reservation never falls short of the floored fee
    return -(-int(amount * costs.commission) // 10) * 10


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
    if s.max_order_value is not None and value > s.max_order_value:
        return Denial(f"order value {value:,} above max_order_value {s.max_order_value:,}")
    if s.max_order_value is None and origin == "run" and value > 2 * s.buy_amount:
        return Denial(f"order value {value:,} above twice buy_amount (the run's cap while max_order_value is off)")
    cash = view.available_cash()
    if cash is None:
        return Denial("orderable cash unknown")
    cash -= planned.cash
    if reserve > cash:
        return Denial(f"cash: needs {reserve:,} reserved, {max(cash, 0):,} available")
    return None


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
