"""Every setting, declared once: its dotted kiwoom.toml name, parser (type and bounds), default,
the allowed values in words, the environment variable and the command-line options that set it,
and the option's help (docs/decisions.md §5).

The rest is derived from this table: config.py's environment variables, `kiwoom run`'s options and
their help (cli/run.py), the engine's RunSettings defaults and bounds (core/settings.py), and
tests/config/test_declared_once.py holds kiwoom.toml.example and config_types to it. Pure: the
parsers (config_parsers.py) take values in and give parsed values out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from kiwoom_cli.config_parsers import (  # noqa: F401 - Invalid and rate_limit are imported from here too
    MAX_KRW,
    Invalid,
    account,
    boolean,
    choice,
    condition,
    false_is_off,
    fraction,
    number,
    rate_burst,
    rate_limit,
    sell_tax,
    text,
    time_of_day,
    url,
    whole,
    window,
)
from kiwoom_cli.inputs import MAX_TICKS  # buy_ticks / sell_ticks: as `order --ticks`
from kiwoom_cli.market import DEFAULT_COMMISSION, EXCHANGES, SELL_TAX_BY_YEAR

MODES = ("sim", "mock", "real")
ORDER_STYLES = ("market", "limit")
SIM_HOURS = ("always", "krx")
ROOT = "kiwoom"  # the option is global: `kiwoom --NAME ... COMMAND`
RUN = ("run",)  # `kiwoom run --NAME`


@dataclass(frozen=True)
class Key:
    """One setting: dotted name, parser, default, the allowed values in words, how text coerces,
    where else it is set (an environment variable, `--NAME` options of these commands) and that
    option's help."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    allowed: str
    kind: str = "str"  # how a string from the environment / command line is read: str|int|float|bool
    secret: bool = False
    env: str | None = None
    options: tuple[str, ...] = ()  # commands with a --NAME option for it (ROOT: the global option)
    help: str = ""  # the option's help

    @property
    def option(self) -> str:
        """The command-line option's name: the last part of the dotted name, dashed."""
        return "--" + self.name.rsplit(".", 1)[-1].replace("_", "-")


# --------------------------------------------------------------------------- the keys

_HTTP = ("http", "https")
_WS = ("ws", "wss")
_OFF = " or false (off)"
_KRW = "KRW, a whole number from 1 to 10^13"
_TF = "true or false"

KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("mode", choice(*MODES), "sim", '"sim", "mock" or "real"', env="KIWOOM_MODE", options=(ROOT,),
            help="sim | mock | real (overrides the file)."),
        Key("app_key", text, None, "your app key (prefer the KIWOOM_APPKEY environment variable)", secret=True,
            env="KIWOOM_APPKEY"),
        Key("app_secret", text, None, "your secret key (prefer KIWOOM_SECRETKEY)", secret=True,
            env="KIWOOM_SECRETKEY"),
        Key("account", account, None, 'the account number as a string, e.g. "1234567890"', env="KIWOOM_ACCOUNT"),
        Key("rest_url", url(_HTTP), None, "an http:// or https:// URL", env="KIWOOM_REST_URL"),
        Key("ws_url", url(_WS), None, "a ws:// or wss:// URL", env="KIWOOM_WS_URL"),
        Key("exchange", choice(*EXCHANGES), "KRX", '"KRX", "NXT" (Nextrade) or "SOR" (smart order routing)',
            env="KIWOOM_EXCHANGE", options=("run", "order"),
            help="Where orders go: KRX, NXT or SOR (default: the exchange setting, KRX)."),
        Key("rate_burst", rate_burst, 1, "1 or 2 (quick requests of one api-id before waiting 1 s)", "int"),
        Key("ca_file", text, None, "a readable PEM file of CA certificates to trust besides certifi's"),
        # [run]
        Key("run.buy_amount", whole(1, MAX_KRW), 1_000_000, "KRW per buy, a whole number from 1 to 10^13", "int",
            options=RUN, help="KRW per buy"),
        Key("run.max_positions", whole(1, 1000), 5, "a whole number from 1 to 1000", "int",
            options=RUN, help="most positions held at once"),
        Key("run.buy_order", choice(*ORDER_STYLES), "market", '"market" or "limit"',
            options=RUN, help="market | limit"),
        Key("run.buy_ticks", whole(-MAX_TICKS, MAX_TICKS), 0,
            "limit buys: this many ticks above the price (negative: below), -1000 to 1000", "int",
            options=RUN, help="limit buys: ticks above the price (negative: below)"),
        Key("run.sell_order", choice(*ORDER_STYLES), "market", '"market" or "limit"',
            options=RUN, help="market | limit"),
        Key("run.sell_ticks", whole(-MAX_TICKS, MAX_TICKS), 0,
            "limit sells: this many ticks below the price (negative: above), -1000 to 1000", "int",
            options=RUN, help="limit sells: ticks below the price (negative: above)"),
        Key("run.stop_loss_pct", false_is_off(number(above=-100, below=0)), -2.0,
            "a negative percent above -100 such as -2.0" + _OFF, "float",
            options=RUN, help="sell when the return % falls to this (e.g. -2.0), or false"),
        Key("run.trail_arm_pct", false_is_off(number(above=0, below=1000)), 2.0,
            "a percent above 0 and below 1000 such as 2.0" + _OFF, "float",
            options=RUN, help="arm the trailing stop at this return %, or false"),
        Key("run.trail_drop_pct", false_is_off(number(above=0, below=100)), 1.0,
            "a percent between 0 and 100 such as 1.0" + _OFF, "float",
            options=RUN, help="trailing stop: sell after this % drop from the high, or false"),
        Key("run.amend_after_s", false_is_off(number(above=0, below=86400)), 10.0,
            "seconds above 0 and below 86400 such as 10" + _OFF, "float",
            options=RUN, help="amend an unfilled limit buy to the upper limit after this many seconds, or false"),
        Key("run.catch_up_s", false_is_off(number(above=0, below=86400)), 60.0,
            "seconds above 0 and below 86400 such as 60" + _OFF, "float", options=RUN,
            help="buy an entry missed while the socket reconnected if the gap was at most this many seconds, "
                 "or false"),
        Key("run.window", false_is_off(window), "mode", '"HH:MM-HH:MM" (KST) or false (always)',
            options=RUN, help='"HH:MM-HH:MM" (KST) when rules may trade, or false (always)'),
        Key("run.liquidate_at", false_is_off(time_of_day), "mode", '"HH:MM" (KST) or false (never)',
            options=RUN, help='"HH:MM" (KST) to sell everything, or false'),
        Key("run.max_daily_loss", false_is_off(whole(1, MAX_KRW)), None, _KRW + _OFF, "int",
            options=RUN, help="KRW: stop buying when the day's loss reaches this, or false"),
        Key("run.liquidate_on_max_loss", boolean, False, _TF, "bool",
            options=RUN, help="sell everything when max_daily_loss is reached"),
        Key("run.adopt_holdings", boolean, False, _TF, "bool",
            options=RUN, help="trade holdings found at start (not only our own buys)"),
        Key("run.buy_cond", condition, None, "a condition name or number",
            options=RUN, help="condition to buy from: its name or number (seq)"),
        Key("run.sell_cond", condition, None, "a condition name or number",
            options=RUN, help="condition whose entries sell a held stock: name or number"),
        Key("run.max_order_value", false_is_off(whole(1, MAX_KRW)), None, _KRW + _OFF, "int",
            options=RUN, help="KRW cap on one order's value, or false"),
        Key("run.confirm_real", boolean, False, _TF + " (true = real-money runs start without asking)", "bool"),
        # [costs]
        Key("costs.commission", fraction, DEFAULT_COMMISSION, "a fraction per side below 0.01, e.g. 0.00015", "float"),
        Key("costs.sell_tax", sell_tax, tuple(sorted(SELL_TAX_BY_YEAR.items())),
            "a table of year = fraction, e.g. {2025 = 0.0015, 2026 = 0.0020}"),
        # [sim]
        Key("sim.hours", choice(*SIM_HOURS), "always", '"always" or "krx"'),
        Key("sim.cash", whole(1, MAX_KRW), 100_000_000, _KRW, "int"),
        Key("sim.seed", whole(0, 2**63 - 1), None, "a whole number from 0 to 2^63-1", "int"),
        Key("sim.tick_rate", number(above=0, below=1000), 20.0, "trades per second, above 0 and below 1000", "float"),
        Key("sim.rate_limit", rate_limit, (1.0, 2), '"off", "RATE/BURST" such as "1/2", or {rate = 1.0, burst = 2}'),
        Key("sim.tls", boolean, False, _TF + " (true = serve https/wss with the simulator's own CA)", "bool"),
    )
}

TABLES = ("run", "costs", "sim")

# Defaults that depend on the mode: the sim market is always open, so no window and no liquidation.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "run.window": {"sim": None, "mock": (dt.time(9, 0), dt.time(15, 20)), "real": (dt.time(9, 0), dt.time(15, 20))},
    "run.liquidate_at": {"sim": None, "mock": dt.time(15, 15), "real": dt.time(15, 15)},
    "rate_burst": {"sim": 2, "mock": 1, "real": 1},  # the simulator's burst is 2; the broker's may be 1
}


def default_for(name: str, mode: str) -> Any:
    """Return a key's default in a mode."""
    if name in MODE_DEFAULTS:
        return MODE_DEFAULTS[name][mode]
    return KEYS[name].default


def from_text(key: Key, raw: str) -> Any:
    """Read a string from the environment or the command line as the key's kind would be in TOML."""
    s = raw.strip()
    if key.kind == "str":
        return False if s.lower() in ("false", "off") and _accepts_false(key) else raw
    if s.lower() in ("false", "off") and key.kind != "bool":
        return False
    if key.kind == "bool":
        low = s.lower()
        if low in ("true", "yes", "1", "on"):
            return True
        if low in ("false", "no", "0", "off"):
            return False
        return raw
    if not s.isascii():  # int() and float() take full-width digits: a value is typed in ASCII
        return raw
    try:
        return int(s.replace("_", "")) if key.kind == "int" else float(s.replace("_", ""))
    except ValueError:
        return raw  # the parser names the problem


def _accepts_false(key: Key) -> bool:
    try:
        return key.parse(False) is None
    except Invalid:
        return False
