"""The value parsers of kiwoom.toml keys: values in, parsed values out (docs/decisions.md §5).

Pure. A parser raises `Invalid(problem)`; config.py adds where the value came from and turns it into
a ConfigError. Parsers never echo a value (secrets pass here too).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable
from urllib.parse import urlsplit

from kiwoom_cli.market import SELL_TAX_BY_YEAR


class Invalid(ValueError):
    """A value broke its key's rule; the text says what is wrong."""


# --------------------------------------------------------------------------- value parsers


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def false_is_off(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
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
