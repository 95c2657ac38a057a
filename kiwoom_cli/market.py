"""KRX market rules: tick sizes, price limits, session phases and trading costs.

One reading of the KRX rules (ticks, daily limits, sessions, costs), shared by the client and the simulator (docs/decisions.md §11).
Pure functions on integers (KRW); no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

# One table for KOSPI, KOSDAQ and KONEX stocks since 2023-01-25. (upper bound, tick)
_TICKS: tuple[tuple[int, int], ...] = (
    (2_000, 1),
    (5_000, 5),
    (20_000, 10),
    (50_000, 50),
    (200_000, 100),
    (500_000, 500),
)
_TOP_TICK = 1_000


def tick_size(price: int) -> int:
    """Return the tick (호가단위) for a price."""
    for bound, tick in _TICKS:
        if price < bound:
            return tick
    return _TOP_TICK


def is_on_tick(price: int) -> bool:
    """Tell whether a price sits on the KRX tick grid."""
    return price > 0 and price % tick_size(price) == 0


def round_down_to_tick(price: int) -> int:
    """Return the highest grid price <= price."""
    return price - price % tick_size(price)


def round_up_to_tick(price: int) -> int:
    """Return the lowest grid price >= price."""
    rem = price % tick_size(price)
    return price if rem == 0 else price + tick_size(price) - rem


def add_ticks(price: int, n: int) -> int:
    """Move a grid price n ticks up (n > 0) or down (n < 0), crossing bands correctly."""
    p = price
    for _ in range(abs(n)):
        if n > 0:
            p += tick_size(p)
        else:
            p -= tick_size(p - 1) if p > 1 else 0
    return p


@dataclass(frozen=True, slots=True)
class Limits:
    upper: int
    lower: int

    def clamp(self, price: int) -> int:
        """Clamp a price into [lower, upper]."""
        return max(self.lower, min(self.upper, price))

    def contains(self, price: int) -> bool:
        return self.lower <= price <= self.upper


def price_limits(base: int, pct: int = 30) -> Limits:
    """Return the daily upper/lower limit for a base price.

    W = base * pct%, truncated to tick(base); upper = base + W truncated to tick(upper);
    lower = base - W, rounded up to its grid if base itself was off-grid (unverified).
    """
    t = tick_size(base)
    width = (base * pct // 100) // t * t
    upper = round_down_to_tick(base + width)
    lower = max(1, round_up_to_tick(base - width))
    return Limits(upper=upper, lower=lower)


def nearest_valid_prices(price: int, limits: Limits) -> tuple[int, int]:
    """Return the grid prices just below and just above an invalid price, inside the limits."""
    below = limits.clamp(round_down_to_tick(price))
    above = limits.clamp(round_up_to_tick(price))
    return below, above


# --------------------------------------------------------------------------- sessions


class Phase(str, enum.Enum):
    """Session phase of the KRX regular market as far as our orders care."""

    CLOSED_BEFORE = "pre-market"  # before the opening auction: orders rejected (RC4057)
    OPENING_AUCTION = "opening-auction"  # 08:30-09:00 orders collected, matched at 09:00
    CONTINUOUS = "continuous"  # 09:00-15:20
    CLOSING_AUCTION = "closing-auction"  # 15:20-15:30 orders collected, matched at 15:30
    CLOSED_AFTER = "closed"  # after 15:30: orders rejected (RC4058)


@dataclass(frozen=True, slots=True)
class SessionHours:
    """Configurable KRX regular-session times (KST). The 2026 KRX plan may move them (unverified)."""

    auction_open: dt.time = dt.time(8, 30)
    open: dt.time = dt.time(9, 0)
    closing_auction: dt.time = dt.time(15, 20)
    close: dt.time = dt.time(15, 30)

    def phase(self, t: dt.time) -> Phase:
        """Return the phase at a KST time of day."""
        if t < self.auction_open:
            return Phase.CLOSED_BEFORE
        if t < self.open:
            return Phase.OPENING_AUCTION
        if t < self.closing_auction:
            return Phase.CONTINUOUS
        if t < self.close:
            return Phase.CLOSING_AUCTION
        return Phase.CLOSED_AFTER

    def is_regular(self, t: dt.time) -> bool:
        """Tell whether a KST time is inside KRX's regular session (09:00-15:30, auctions excluded)."""
        return self.open <= t < self.close


KRX_HOURS = SessionHours()


# --------------------------------------------------------------------------- venues

EXCHANGES = ("KRX", "NXT", "SOR")  # dmst_stex_tp of kt10000-kt10003: KRX, Nextrade, smart routing


@dataclass(frozen=True, slots=True)
class NxtHours:
    """Nextrade's sessions (KST), from press coverage of its 2025 launch: unverified against Kiwoom.

    Pre-market 08:00-08:50, main market 09:00-15:20, after-market 15:30-20:00; no NXT trading
    08:50-09:00 and 15:20-15:30.
    """

    pre_open: dt.time = dt.time(8, 0)
    pre_close: dt.time = dt.time(8, 50)
    main_open: dt.time = dt.time(9, 0)
    main_close: dt.time = dt.time(15, 20)
    after_open: dt.time = dt.time(15, 30)
    after_close: dt.time = dt.time(20, 0)

    def is_open(self, t: dt.time) -> bool:
        """Tell whether NXT trades at a KST time of day."""
        return (self.pre_open <= t < self.pre_close or self.main_open <= t < self.main_close
                or self.after_open <= t < self.after_close)


NXT_HOURS = NxtHours()


# --------------------------------------------------------------------------- costs

# Securities transaction tax on sells (KOSPI incl. 농특세, KOSDAQ), by trade year.
SELL_TAX_BY_YEAR: dict[int, float] = {2023: 0.0020, 2024: 0.0018, 2025: 0.0015, 2026: 0.0020}
# Kiwoom online commission per side; whether REST orders use this tier is unverified.
DEFAULT_COMMISSION = 0.00015


@dataclass(frozen=True, slots=True)
class CostRates:
    """Commission per side and sell tax as fractions (0.00015 = 0.015 %)."""

    commission: float = DEFAULT_COMMISSION
    sell_tax: float = SELL_TAX_BY_YEAR[2026]

    @classmethod
    def for_date(
        cls, day: dt.date, commission: float | None = None, overrides: dict[int, float] | None = None
    ) -> CostRates:
        """Return the rates in force on a trade date; unknown later years keep the newest rate."""
        table = {**SELL_TAX_BY_YEAR, **(overrides or {})}
        years = sorted(y for y in table if y <= day.year) or sorted(table)
        return cls(
            commission=DEFAULT_COMMISSION if commission is None else commission,
            sell_tax=table[years[-1]],
        )

    def commission_on(self, amount: int) -> int:
        """Commission in won, floored to 10 won as the official examples imply (tests/fixtures/kiwoom/rest/kt00018.response.json)."""
        return int(amount * self.commission) // 10 * 10

    def tax_on(self, amount: int) -> int:
        """Sell tax in won, floored to 1 won."""
        return int(amount * self.sell_tax)

    @property
    def round_trip(self) -> float:
        return 2 * self.commission + self.sell_tax


def net_return_pct(avg_price: float, price: float, rates: CostRates) -> float:
    """Return % of selling at `price` what was bought at `avg_price`, after round-trip costs.

    Uses rates (not floored won amounts) so it is defined per share and smooth for the rules.
    """
    if avg_price <= 0:
        return 0.0
    cost = avg_price * (1 + rates.commission)
    proceeds = price * (1 - rates.commission - rates.sell_tax)
    return (proceeds - cost) / cost * 100


@dataclass(frozen=True, slots=True)
class Market:
    """Everything rule-related the engine and the simulator need, bundled."""

    hours: SessionHours = field(default_factory=SessionHours)
    costs: CostRates = field(default_factory=CostRates)
