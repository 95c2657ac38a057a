"""The loaded settings as frozen dataclasses (built by config.load_config; see config_schema for the keys)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, NamedTuple

from kiwoom_cli.market import CostRates

SIM_PAPER = "sim-paper"  # the embedded simulator's fixed app key and secret (docs/decisions.md §4)
HOSTS: dict[str, tuple[str, str]] = {
    "real": ("https://api.kiwoom.com", "wss://api.kiwoom.com:10000/api/dostk/websocket"),
    "mock": ("https://mockapi.kiwoom.com", "wss://mockapi.kiwoom.com:10000/api/dostk/websocket"),
}


@dataclass(frozen=True)
class Credentials:
    """App key and secret; the repr and str never show either."""

    app_key: str = field(repr=False)
    app_secret: str = field(repr=False)
    origin: str = "default"

    @property
    def is_sim_paper(self) -> bool:
        return self.app_key == SIM_PAPER and self.app_secret == SIM_PAPER

    def __repr__(self) -> str:
        return f"Credentials(app_key=<set>, app_secret=<set>, origin={self.origin!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class RunConfig:
    """The [run] table, parsed. `None` means a rule is off (its key was false) or unset."""

    buy_amount: int
    max_positions: int
    buy_order: str
    buy_ticks: int
    sell_order: str
    sell_ticks: int
    stop_loss_pct: float | None
    trail_arm_pct: float | None
    trail_drop_pct: float | None
    amend_after_s: float | None
    catch_up_s: float | None
    window: tuple[dt.time, dt.time] | None
    liquidate_at: dt.time | None
    max_daily_loss: int | None
    liquidate_on_max_loss: bool
    adopt_holdings: bool
    buy_cond: str | None  # a condition name or number, as text; resolving names is the caller's job
    sell_cond: str | None
    max_order_value: int | None
    confirm_real: bool  # the CLI's (real-mode start without asking); not part of the engine's RunSettings


@dataclass(frozen=True)
class CostSchedule:
    """Commission per side and the dated sell-tax table; `on(day)` gives the rates in force."""

    commission: float
    sell_tax: tuple[tuple[int, float], ...]

    def on(self, day: dt.date) -> CostRates:
        """Return the cost rates for a trade date."""
        return CostRates.for_date(day, commission=self.commission, overrides=dict(self.sell_tax))


@dataclass(frozen=True)
class SimSettings:
    """The [sim] table: the embedded or standalone simulator's market."""

    hours: str  # "always" | "krx"
    cash: int
    seed: int | None
    tick_rate: float
    rate_limit: tuple[float, int] | None  # (per second, burst) per api-id; None = off
    tls: bool = False  # serve https/wss with a CA made at start (kiwoom_cli/sim/certs.py)


class Endpoint(NamedTuple):
    """Where a mode's broker is."""

    mode: str
    rest_url: str | None  # None in sim mode: the simulator hands out its URLs at run time
    ws_url: str | None


@dataclass(frozen=True)
class Config:
    """Everything `kiwoom` was configured with; `origins` says where each dotted key came from."""

    mode: str
    credentials: Credentials  # in sim mode with none given: sim-paper / sim-paper
    account: str | None
    rest_url: str | None  # an explicit server (option > KIWOOM_REST_URL > file); None = the mode's host
    ws_url: str | None
    source: Path | None  # the file read, or None
    run: RunConfig
    costs: CostSchedule
    sim: SimSettings
    exchange: str = "KRX"  # where orders go: "KRX" | "NXT" | "SOR" (dmst_stex_tp)
    origins: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    warnings: tuple[str, ...] = ()
    rate_burst: int = 1  # requests of one api-id at once before 1/s (1 or 2; 2 in sim)
    ca_file: str | None = None  # extra CAs trusted over https/wss (checked: a readable PEM file)

    def endpoint(self) -> Endpoint:
        """Return (mode, rest_url, ws_url): an explicit URL wins, else the mode's Kiwoom host."""
        rest, ws = HOSTS.get(self.mode, (None, None))
        return Endpoint(self.mode, self.rest_url or rest, self.ws_url or ws)

    def costs_on(self, day: dt.date) -> CostRates:
        """Return the commission and sell tax in force on a trade date."""
        return self.costs.on(day)
