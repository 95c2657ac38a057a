"""Every kiwoom.toml key: its parser, its default and the allowed values (docs/decisions.md §5).

Pure: values in, parsed values out. A parser raises `Invalid(problem)`; config.py adds where the
value came from and turns it into a ConfigError. Parsers never echo a value (secrets pass here too).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from kiwoom_cli.inputs import MAX_TICKS  # buy_ticks / sell_ticks: as `order --ticks`
from kiwoom_cli.market import DEFAULT_COMMISSION, EXCHANGES, SELL_TAX_BY_YEAR

MODES = ("sim", "mock", "real")
ORDER_STYLES = ("market", "limit")
SIM_HOURS = ("always", "krx")


class Invalid(ValueError):
    """A value broke its key's rule; the text says what is wrong."""


@dataclass(frozen=True)
class Key:
    """One setting: dotted name, parser, default, the allowed values in words, how text coerces."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    allowed: str
    kind: str = "str"  # how a string from the environment / command line is read: str|int|float|bool
    secret: bool = False


# --------------------------------------------------------------------------- value parsers


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _false_is_off(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Wrap a numeric parser so that `false` means the rule is off (None); `true` is refused."""

    def wrapped(v: Any) -> Any:
        if v is False:
            return None
        if v is True:
            raise Invalid("true is not a value here (false turns the rule off)")
        return parse(v)

    return wrapped


MAX_KRW = 10**13  # 10 trillion won: any amount setting above it is a typo


def whole(min_value: int | None = None, max_value: int | None = None) -> Callable[[Any], int]:
    """Return a parser for an integer (TOML `1_000_000` is fine) from min_value to max_value."""

    def parse(v: Any) -> int:
        if isinstance(v, float) and not isinstance(v, bool) and v.is_integer():
            raise Invalid("must be a whole number (write it without a decimal point)")
        if not isinstance(v, int) or isinstance(v, bool):
            raise Invalid(f"must be a whole number, not {_type_name(v)}")
        if min_value is not None and v < min_value:
            raise Invalid(f"must be at least {min_value}")
        if max_value is not None and v > max_value:
            raise Invalid(f"must be at most {max_value:_}")
        return v

    return parse


def number(*, above: float | None = None, below: float | None = None) -> Callable[[Any], float]:
    """Return a parser for a number strictly between `above` and `below` (either may be open)."""

    def parse(v: Any) -> float:
        if not _is_number(v):
            raise Invalid(f"must be a number, not {_type_name(v)}")
        f = float(v)
        if f != f or f in (float("inf"), float("-inf")):
            raise Invalid("must be a finite number")
        if above is not None and f <= above:
            raise Invalid(f"must be above {above:g}")
        if below is not None and f >= below:
            raise Invalid(f"must be below {below:g}")
        return f

    return parse


def choice(*options: str) -> Callable[[Any], str]:
    """Return a parser for one of a few strings."""

    def parse(v: Any) -> str:
        if not isinstance(v, str) or v not in options:
            raise Invalid("not one of the allowed values")  # the message lists them under "Allowed"
        return v

    return parse


def rate_burst(v: Any) -> int:
    """Parse the burst per api-id we allow ourselves: 1 or 2 (the broker's is not settled)."""
    if isinstance(v, bool) or v not in (1, 2) or not isinstance(v, int):
        raise Invalid(f"must be 1 or 2, not {v!r}")
    return v


def boolean(v: Any) -> bool:
    """Parse true/false."""
    if not isinstance(v, bool):
        raise Invalid(f"must be true or false, not {_type_name(v)}")
    return v


def text(v: Any) -> str:
    """Parse a non-empty string."""
    if not isinstance(v, str) or not v.strip():
        raise Invalid("must be a non-empty string")
    return v.strip()


def condition(v: Any) -> str:
    """Parse a condition-search name or number; kept as text (the broker's seq is text too)."""
    if _is_number(v) and isinstance(v, int) and v >= 0:
        return str(v)
    if isinstance(v, str) and v.strip():
        return v.strip()
    raise Invalid("must be a condition name (string) or number (0 or more)")


def account(v: Any) -> str:
    """Parse an account number: digits, hyphens allowed, kept as text (leading zeros matter)."""
    if not isinstance(v, str):
        raise Invalid('must be a string of digits, e.g. "1234567890" (quote it: leading zeros matter)')
    digits = v.strip().replace("-", "")
    if not (digits.isascii() and digits.isdigit()) or not 6 <= len(digits) <= 12:
        raise Invalid('must be 6 to 12 digits (hyphens allowed), e.g. "1234567890"')
    return digits


def url(schemes: tuple[str, ...]) -> Callable[[Any], str]:
    """Return a parser for an absolute URL with one of `schemes`; a trailing slash is dropped."""

    def parse(v: Any) -> str:
        if not isinstance(v, str):
            raise Invalid(f"must be a URL string, not {_type_name(v)}")
        parts = urlsplit(v.strip())
        if parts.scheme not in schemes or not parts.netloc:
            raise Invalid("must be an absolute URL starting with " + " or ".join(f"{s}://" for s in schemes))
        return v.strip().rstrip("/")

    return parse


_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def time_of_day(v: Any) -> dt.time:
    """Parse "HH:MM" or "HH:MM:SS" (KST)."""
    if not isinstance(v, str):
        raise Invalid('must be a time "HH:MM" (KST)')
    m = _TIME.fullmatch(v.strip())
    if not m:
        raise Invalid('must be a time "HH:MM" (KST)')
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    if h > 23 or mi > 59 or s > 59:
        raise Invalid('must be a real time of day "HH:MM" (00:00 to 23:59)')
    return dt.time(h, mi, s)


def window(v: Any) -> tuple[dt.time, dt.time]:
    """Parse "HH:MM-HH:MM" with start before end."""
    if not isinstance(v, str) or v.count("-") != 1:
        raise Invalid('must be "HH:MM-HH:MM" (KST), e.g. "09:00-15:20"')
    start_s, end_s = v.split("-")
    try:
        start, end = time_of_day(start_s), time_of_day(end_s)
    except Invalid:
        raise Invalid('must be "HH:MM-HH:MM" (KST), e.g. "09:00-15:20"') from None
    if start == end:  # start after end is a window across midnight (sim practice at night)
        raise Invalid("the start and the end must differ")
    return start, end


def rate_limit(v: Any) -> tuple[float, int] | None:
    """Parse "off"/false, "RATE/BURST" (e.g. "1/2") or a table {rate = 1.0, burst = 2}."""
    if v is False or v == "off":
        return None
    if isinstance(v, str) and v.count("/") == 1:
        rate_s, burst_s = v.split("/")
        try:
            rate, burst = float(rate_s), int(burst_s)
        except ValueError:
            raise Invalid('must be "off", "RATE/BURST" such as "1/2", or {rate = 1.0, burst = 2}') from None
    elif isinstance(v, dict):
        if set(v) != {"rate", "burst"}:
            raise Invalid("a table needs exactly the keys rate and burst, e.g. {rate = 1.0, burst = 2}")
        rate = number(above=0)(v["rate"])
        burst = whole(1)(v["burst"])
    else:
        raise Invalid('must be "off", "RATE/BURST" such as "1/2", or {rate = 1.0, burst = 2}')
    if not 0 < rate <= 1000 or not 1 <= burst <= 1000:
        raise Invalid("the rate must be above 0 and at most 1000, the burst from 1 to 1000")
    return rate, burst


def fraction(v: Any) -> float:
    """Parse a cost rate as a fraction below 1 % (0.00015 = 0.015 %)."""
    f = number(below=0.01)(v)
    if f < 0:
        raise Invalid("must not be negative")
    return f


def sell_tax(v: Any) -> tuple[tuple[int, float], ...]:
    """Parse dated sell-tax rates {YEAR = rate, ...} (or one rate for every year), merged over the built-ins."""
    if _is_number(v):
        rate = fraction(v)
        return tuple((year, rate) for year in sorted(SELL_TAX_BY_YEAR))
    if not isinstance(v, dict) or not v:
        raise Invalid("must be a table of year = rate, e.g. {2025 = 0.0015, 2026 = 0.0020}")
    table = dict(SELL_TAX_BY_YEAR)
    for year_s, rate in v.items():
        if not re.fullmatch(r"[0-9]{4}", str(year_s)) or not 2000 <= int(year_s) <= 2100:
            raise Invalid(f"year {year_s!r} must be a year between 2000 and 2100")
        try:
            table[int(year_s)] = fraction(rate)
        except Invalid as exc:
            raise Invalid(f"rate for {year_s}: {exc}") from None
    return tuple(sorted(table.items()))


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    return {str: "a string", int: "a whole number", float: "a decimal number", dict: "a table", list: "a list"}.get(
        type(v), type(v).__name__
    )


# --------------------------------------------------------------------------- the keys

_HTTP = ("http", "https")
_WS = ("ws", "wss")
_OFF = " or false (off)"

KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("mode", choice(*MODES), "sim", '"sim", "mock" or "real"'),
        Key("app_key", text, None, "your app key (prefer the KIWOOM_APPKEY environment variable)", secret=True),
        Key("app_secret", text, None, "your secret key (prefer KIWOOM_SECRETKEY)", secret=True),
        Key("account", account, None, 'the account number as a string, e.g. "1234567890"'),
        Key("rest_url", url(_HTTP), None, "an http:// or https:// URL"),
        Key("ws_url", url(_WS), None, "a ws:// or wss:// URL"),
        Key("exchange", choice(*EXCHANGES), "KRX", '"KRX", "NXT" (Nextrade) or "SOR" (smart order routing)'),
        Key("rate_burst", rate_burst, 1, "1 or 2 (quick requests of one api-id before waiting 1 s)", "int"),
        Key("ca_file", text, None, "a readable PEM file of CA certificates to trust besides certifi's"),
        # [run]
        Key("run.buy_amount", whole(1, MAX_KRW), 1_000_000, "KRW per buy, a whole number from 1 to 10^13", "int"),
        Key("run.max_positions", whole(1, 1000), 5, "a whole number from 1 to 1000", "int"),
        Key("run.buy_order", choice(*ORDER_STYLES), "market", '"market" or "limit"'),
        Key("run.buy_ticks", whole(-MAX_TICKS, MAX_TICKS), 0,
            "limit buys: this many ticks above the price (negative: below), -1000 to 1000", "int"),
        Key("run.sell_order", choice(*ORDER_STYLES), "market", '"market" or "limit"'),
        Key("run.sell_ticks", whole(-MAX_TICKS, MAX_TICKS), 0,
            "limit sells: this many ticks below the price (negative: above), -1000 to 1000", "int"),
        Key("run.stop_loss_pct", _false_is_off(number(above=-100, below=0)), -2.0,
            "a negative percent above -100 such as -2.0" + _OFF, "float"),
        Key("run.trail_arm_pct", _false_is_off(number(above=0, below=1000)), 2.0,
            "a percent above 0 and below 1000 such as 2.0" + _OFF, "float"),
        Key("run.trail_drop_pct", _false_is_off(number(above=0, below=100)), 1.0,
            "a percent between 0 and 100 such as 1.0" + _OFF, "float"),
        Key("run.amend_after_s", _false_is_off(number(above=0, below=86400)), 10.0,
            "seconds above 0 and below 86400 such as 10" + _OFF, "float"),
        Key("run.catch_up_s", _false_is_off(number(above=0, below=86400)), 60.0,
            "seconds above 0 and below 86400 such as 60" + _OFF, "float"),
        Key("run.window", _false_is_off(window), "mode", '"HH:MM-HH:MM" (KST) or false (always)'),
        Key("run.liquidate_at", _false_is_off(time_of_day), "mode", '"HH:MM" (KST) or false (never)'),
        Key("run.max_daily_loss", _false_is_off(whole(1, MAX_KRW)), None, "KRW, a whole number from 1 to 10^13" + _OFF, "int"),
        Key("run.liquidate_on_max_loss", boolean, False, "true or false", "bool"),
        Key("run.adopt_holdings", boolean, False, "true or false", "bool"),
        Key("run.buy_cond", condition, None, "a condition name or number"),
        Key("run.sell_cond", condition, None, "a condition name or number"),
        Key("run.max_order_value", _false_is_off(whole(1, MAX_KRW)), None, "KRW, a whole number from 1 to 10^13" + _OFF, "int"),
        Key("run.confirm_real", boolean, False, "true or false (true = real-money runs start without asking)", "bool"),
        # [costs]
        Key("costs.commission", fraction, DEFAULT_COMMISSION, "a fraction per side below 0.01, e.g. 0.00015", "float"),
        Key("costs.sell_tax", sell_tax, tuple(sorted(SELL_TAX_BY_YEAR.items())),
            "a table of year = fraction, e.g. {2025 = 0.0015, 2026 = 0.0020}"),
        # [sim]
        Key("sim.hours", choice(*SIM_HOURS), "always", '"always" or "krx"'),
        Key("sim.cash", whole(1, MAX_KRW), 100_000_000, "KRW, a whole number from 1 to 10^13", "int"),
        Key("sim.seed", whole(0, 2**63 - 1), None, "a whole number from 0 to 2^63-1", "int"),
        Key("sim.tick_rate", number(above=0, below=1000), 20.0, "trades per second, above 0 and below 1000", "float"),
        Key("sim.rate_limit", rate_limit, (1.0, 2), '"off", "RATE/BURST" such as "1/2", or {rate = 1.0, burst = 2}'),
        Key("sim.tls", boolean, False, "true or false (true = serve https/wss with the simulator's own CA)", "bool"),
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
