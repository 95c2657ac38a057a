"""The settings of one `kiwoom run` (docs/decisions.md §5), as one frozen dataclass.

config.py builds this from kiwoom.toml + environment; nothing in core reads files. A rule is off when
its key is None (config turns `false` into None; False is accepted here too and means the same).
The defaults (sim mode's) and the bounds are the ones config_schema.py declares for the [run] keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiwoom_cli.config_schema import KEYS, Invalid, default_for
from kiwoom_cli.errors import ConfigError
from kiwoom_cli.market import EXCHANGES, CostRates
from kiwoom_cli.models import OrderType

_OPTIONAL = (
    "stop_loss_pct",
    "trail_arm_pct",
    "trail_drop_pct",
    "amend_after_s",
    "catch_up_s",
    "window",
    "liquidate_at",
    "max_daily_loss",
    "max_order_value",
    "buy_cond",
    "sell_cond",
)
# Numbers held to their key's bounds in config_schema (max_daily_loss after abs(): a loss is positive).
_BOUNDED = (
    "buy_amount",
    "max_positions",
    "buy_ticks",
    "sell_ticks",
    "stop_loss_pct",
    "trail_arm_pct",
    "trail_drop_pct",
    "amend_after_s",
    "catch_up_s",
    "max_daily_loss",
    "max_order_value",
)


def _default(name: str):
    """The [run] key's default in sim mode (config.run_settings passes every value in other modes)."""
    return default_for(f"run.{name}", "sim")


@dataclass(frozen=True)
class RunSettings:
    buy_amount: int = _default("buy_amount")
    max_positions: int = _default("max_positions")
    buy_order: OrderType = _default("buy_order")
    buy_ticks: int = _default("buy_ticks")
    sell_order: OrderType = _default("sell_order")
    sell_ticks: int = _default("sell_ticks")
    stop_loss_pct: float | None = _default("stop_loss_pct")
    trail_arm_pct: float | None = _default("trail_arm_pct")
    trail_drop_pct: float | None = _default("trail_drop_pct")
    amend_after_s: float | None = _default("amend_after_s")
    catch_up_s: float | None = _default("catch_up_s")  # buy an entry missed in an outage this short (core/catchup.py)
    window: tuple[dt.time, dt.time] | None = _default("window")
    liquidate_at: dt.time | None = _default("liquidate_at")
    max_daily_loss: int | None = _default("max_daily_loss")  # KRW, positive: stop when day P&L <= -max_daily_loss
    liquidate_on_max_loss: bool = _default("liquidate_on_max_loss")
    adopt_holdings: bool = _default("adopt_holdings")
    max_order_value: int | None = _default("max_order_value")
    reg_limit: int = 95  # realtime registrations (docs/protocol.md, WebSocket: the real cap is unverified)
    buy_cond: str | None = _default("buy_cond")  # condition seq; None = every entry not of sell_cond
    sell_cond: str | None = _default("sell_cond")
    costs: CostRates = field(default_factory=CostRates)
    exchange: str = KEYS["exchange"].default  # where orders go (dmst_stex_tp); NXT/SOR: limit orders outside KRX hours

    def __post_init__(self) -> None:
        for name in _OPTIONAL:
            if getattr(self, name) is False:
                object.__setattr__(self, name, None)
        for name in ("buy_order", "sell_order"):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, OrderType(value))
            except ValueError:
                raise ConfigError(f"run.{name} must be 'market' or 'limit', not {value!r}") from None
        if self.exchange not in EXCHANGES:
            raise ConfigError(f"exchange must be one of {', '.join(EXCHANGES)}, not {self.exchange!r}")
        if self.reg_limit < 1:
            raise ConfigError("run.reg_limit must be 1 or more")
        if self.max_daily_loss is not None:
            object.__setattr__(self, "max_daily_loss", abs(int(self.max_daily_loss)))
        for name in _BOUNDED:
            _check(name, getattr(self, name))
        if self.window is not None and len(self.window) != 2:
            raise ConfigError("run.window must be a (start, end) pair of times")

    def in_window(self, now: dt.datetime) -> bool:
        """Tell whether the trading window is open at a KST time (None = always open)."""
        if self.window is None:
            return True
        start, end = self.window
        t = now.time()
        if start <= end:
            return start <= t < end
        return t >= start or t < end  # a window across midnight (sim practice)

    def window_end(self, now: dt.datetime) -> dt.datetime | None:
        """Return when the window that is open (or was last open) at `now` closes; None = no window.

        A window across midnight (22:00-02:00) open at 23:00 closes tomorrow at 02:00."""
        if self.window is None:
            return None
        start, end = self.window
        close = dt.datetime.combine(now.date(), end, tzinfo=now.tzinfo)
        if start > end and now.time() >= start:
            close += dt.timedelta(days=1)
        return close

    @property
    def trailing_on(self) -> bool:
        return self.trail_arm_pct is not None and self.trail_drop_pct is not None


def _check(name: str, value) -> None:
    """Hold a value to its [run] key's type and bounds (config_schema.KEYS); None is a rule turned off."""
    if value is None:
        return
    key = KEYS[f"run.{name}"]
    try:
        key.parse(value)
    except Invalid as exc:
        raise ConfigError(f"run.{name} = {value!r}: {exc}. Allowed: {key.allowed}") from None
