"""Prices are checked before they count (issue 12 item 1).

A price from a tick, a quote or a balance line counts only when it is a bounded whole number inside
the day's limits, and the limits come only from a quote of that day (a tick's own change field is
not trusted to say where the limits are). Everything else is dropped: it never prices an order,
moves a stop or arms a trailing stop. Fills are the exception: the shares are real, so a fill is
always applied, and an implausible price is flagged and checked over REST (state.py, settle.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from kiwoom_cli.core.records import FillFlagged, Mark, Order, PositionChanged, PriceDropped
from kiwoom_cli.inputs import plausible_price
from kiwoom_cli.models import Quote, Side, Tick

NO_LIMITS = "no quote has given today's limits yet"
log = logging.getLogger("kiwoom_cli.core.state")


def problem(price: object, mark: Mark | None, today: dt.date) -> str | None:
    """Why `price` cannot count for the code whose mark is `mark`, or None when it can."""
    if not plausible_price(price):
        return f"price {price!r} is not a price"
    if mark is None or mark.quoted != today:
        return NO_LIMITS
    if not mark.lower <= price <= mark.upper:
        return f"price {price:,} outside today's limits {mark.lower:,} to {mark.upper:,}"
    return None


def sell_price(pos, mark: Mark | None, today: dt.date) -> tuple[int, int, int]:
    """(price, upper, lower) to price a sell at: nothing (0s) before a quote gave today's limits, so
    a held stock's price from the balance or a fill never prices an order unchecked."""
    if mark is None or mark.quoted != today:
        return 0, 0, 0
    price = pos.price if problem(pos.price, mark, today) is None else mark.price
    return price, mark.upper, mark.lower


def quote_limits_problem(q: Quote) -> str | None:
    """Why a quote's limits cannot be used, or None."""
    lo, up = q.lower_limit, q.upper_limit
    if not (plausible_price(lo) and plausible_price(up) and lo <= up):
        return f"quote limits {lo!r} to {up!r} are not limits"
    return None


def flag_fill(order: Order, mark: Mark | None, today: dt.date | None, order_no: str, qty: int,
              price: object) -> FillFlagged | None:
    """None for a fill price that can count; else the flag, with the price to apply instead: the
    order's limit or the last valid price, kept inside today's limits."""
    why = problem(price, mark, today)
    if why is None or (why == NO_LIMITS and plausible_price(price)):
        return None  # no limits to check against: a bounded price is taken as it is
    valid = [p for p in (order.price, mark.price if mark else 0) if problem(p, mark, today) is None]
    used = valid[0] if valid else (price if plausible_price(price) else order.price or 0)
    if mark is not None and mark.quoted == today and used:
        used = max(mark.lower, min(mark.upper, used))
    return FillFlagged(order_no, order.code, order.side, qty, price, used, why)


def correct_fill(state, flag: FillFlagged, price: object) -> list:
    """The broker's own fill record priced a flagged buy: move the position's average to it."""
    pos = state.positions.get(flag.code)
    if flag.side is not Side.BUY or pos is None or pos.qty <= 0 or price == flag.used:
        return []
    if problem(price, state.marks.get(flag.code), state.today) not in (None, NO_LIMITS) or not plausible_price(price):
        return []
    pos.avg_price += (price - flag.used) * flag.qty / pos.qty
    pos.return_pct = state.net_return(pos.avg_price, pos.price)
    return [PositionChanged(flag.code, f"fill price corrected to {price:,} by the broker's fills")]


# --------------------------------------------------------------------------- the state's intake (state.py)


def take_tick(state, t: Tick, now: dt.datetime) -> list:
    """Record a tick's price if it counts; else a PriceDropped note."""
    mark = state.marks.get(t.code)
    why = problem(t.price, mark, now.date())
    if why is not None:
        return _drop(state, t.code, t.price, why)
    state.marks[t.code] = Mark(t.price, mark.upper, mark.lower, mark.base, now, mark.name, mark.quoted)
    _reprice(state, t.code, t.price)
    return []


def take_quote(state, q: Quote, now: dt.datetime) -> list:
    """Record a quote's limits (and its price, if it counts); else a PriceDropped note."""
    why = quote_limits_problem(q)
    if why is not None:  # an older mark of today stays; the entry it was asked for is skipped
        return _drop(state, q.code, q.price, why)
    mark = Mark(q.price, q.upper_limit, q.lower_limit, q.base_price, now, q.name, now.date())
    why = problem(q.price, mark, now.date())
    if why is not None:  # the limits count, the price does not
        state.marks[q.code] = Mark(0, mark.upper, mark.lower, mark.base, now, q.name, mark.quoted)
        return _drop(state, q.code, q.price, why)
    state.marks[q.code] = mark
    _reprice(state, q.code, q.price)
    return []


def _reprice(state, code: str, price: int) -> None:
    pos = state.positions.get(code)
    if pos is not None:
        pos.price = price
        pos.return_pct = state.net_return(pos.avg_price, price)


def _drop(state, code: str, price: object, why: str) -> list:
    """A price that does not count: counted and logged once per code (waiting for limits is neither)."""
    if why == NO_LIMITS:
        return [PriceDropped(code, price, why, False, wants_quote=True)]
    n = state.price_drops[code] = state.price_drops.get(code, 0) + 1
    if n == 1:
        log.warning("%s: %s: dropped (later drops are counted, not logged)", code, why)
    return [PriceDropped(code, price, why, n == 1)]
