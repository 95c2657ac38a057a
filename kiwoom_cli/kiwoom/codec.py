"""Decoders for Kiwoom's value encodings (docs/protocol.md, Answers: value encodings we read) and JSON helpers.

Pure functions, no I/O. Every decoder is strict: a value that is not what the field should hold
raises ProtocolError naming the field, never a silent default (docs/decisions.md §7).
"""

from __future__ import annotations

import json
import re
from typing import Any

from kiwoom_cli.errors import ApiError, ExitCode

try:  # optional speed-up (docs/decisions.md §9)
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised only where orjson is missing
    _orjson = None


class ProtocolError(ApiError):
    """The broker's answer could not be decoded (a field is missing or malformed): a broker error,
    never "nothing there". Queries are retried; then exit 4 (the broker's fault, not our bug)."""

    exit_code = ExitCode.NETWORK
    PREFIX = "unexpected answer from the broker: "

    def __init__(self, message: str, **kw) -> None:
        super().__init__(message if message.startswith(self.PREFIX) else self.PREFIX + message, **kw)

    @property
    def detail(self) -> str:
        """The message without PREFIX."""
        return self.message.removeprefix(self.PREFIX)


def loads(data: str | bytes) -> Any:
    """Parse JSON text or bytes (orjson when importable)."""
    if _orjson is not None:
        return _orjson.loads(data)
    return json.loads(data)


def dumps(obj: Any) -> bytes:
    """Serialise to compact UTF-8 JSON bytes, non-ASCII kept as is."""
    if _orjson is not None:
        return _orjson.dumps(obj)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ASCII digits only, and at most MAX_DIGITS of them: the widest field seen has 16; 18 digits always
# fit a 64-bit integer (what SQLite stores), and a hostile number never reaches int() (which refuses
# more than 4,300 digits with a ValueError).
MAX_DIGITS = 18
_INT_RE = re.compile(r"[+-]?[0-9]{1,%d}\Z" % MAX_DIGITS)
_DEC_RE = re.compile(r"[+-]?([0-9]{1,%d}(\.[0-9]{0,%d})?|\.[0-9]{1,%d})\Z" % ((MAX_DIGITS,) * 3))
_PREFIXED_CODE_RE = re.compile(r"[A-Za-z]\d{6}\Z")
_VENUE_SUFFIXES = ("_NX", "_AL")


def _text(value: Any, field: str) -> str | None:
    """Return the stripped text of a wire value, or None when empty/missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ProtocolError(f"{field}: expected a number, got a boolean")
    if isinstance(value, int):
        if value.bit_length() > 100:  # str() of a huge int is slow, then refused past 4,300 digits
            raise ProtocolError(f"{field}: number too large")
        return str(value)
    if isinstance(value, float):
        return str(value)
    if not isinstance(value, str):
        raise ProtocolError(f"{field}: expected a string, got {type(value).__name__}")
    value = value.strip()
    return value or None


def int_or_none(value: Any, field: str = "value") -> int | None:
    """Decode a zero-padded, possibly signed integer ("-00000000196888"); "" -> None, "-0" -> 0."""
    text = _text(value, field)
    if text is None:
        return None
    if not _INT_RE.match(text):
        raise ProtocolError(f"{field}: not an integer (at most {MAX_DIGITS} digits): {text[:20]!r}")
    return int(text)


def int_or_zero(value: Any, field: str = "value") -> int:
    """Decode an integer; empty or missing means 0 (quantities and amounts)."""
    number = int_or_none(value, field)
    return 0 if number is None else number


def price(value: Any, field: str = "price") -> int:
    """Decode a direction-signed price ("+70000", "-94800"): the sign is not arithmetic, drop it."""
    return abs(int_or_zero(value, field))


def price_or_none(value: Any, field: str = "price") -> int | None:
    """Decode a price that may be absent: "", "0" and "-0" mean no value yet (open before the first trade)."""
    number = int_or_none(value, field)
    if not number:
        return None
    return abs(number)


def rate(value: Any, field: str = "rate") -> float:
    """Decode a signed percentage ("-0.24", "+28.68", "1.8546"); empty means 0.0."""
    text = _text(value, field)
    if text is None:
        return 0.0
    if not _DEC_RE.match(text):
        raise ProtocolError(f"{field}: not a decimal: {text[:20]!r}")
    return float(text)


def rate_x1000(value: Any, field: str = "rate") -> float:
    """Decode a percentage sent as an integer x 1000, no point (CNSRREQ search FID 12).

    Kiwoom's spec (ka10172): "000001500" is +1.50 %, "-00001500" is -1.50 %; its example row
    (75,000, change -100) carries "-00000130", -0.13 %.
    """
    return int_or_zero(value, field) / 1000


def split_code(value: Any, field: str = "stk_cd") -> tuple[str, str]:
    """Normalise a stock code: return (bare code, venue suffix or "").

    "A005930" -> ("005930", ""); "005930_NX" -> ("005930", "_NX"). One leading letter is stripped
    only when the code is exactly letter + 6 digits, so other tickers are left alone (docs/protocol.md, Answers: value encodings we read).
    """
    text = _text(value, field)
    if text is None:
        raise ProtocolError(f"{field}: missing stock code")
    venue = ""
    for suffix in _VENUE_SUFFIXES:
        if text.endswith(suffix):
            text, venue = text[: -len(suffix)], suffix
            break
    if _PREFIXED_CODE_RE.match(text):
        text = text[1:]
    return text, venue


def code(value: Any, field: str = "stk_cd") -> str:
    """Normalise a stock code to the bare form ("A005930", "005930_AL" -> "005930")."""
    return split_code(value, field)[0]


def order_no(value: Any, field: str = "ord_no") -> str | None:
    """Decode an order number; "" and all-zero ("0000000", meaning none) -> None."""
    text = _text(value, field)
    if text is None or set(text) == {"0"}:
        return None
    return text


def name(value: Any) -> str:
    """Decode a display name (stock name, condition name): trimmed, "" when missing."""
    return value.strip() if isinstance(value, str) else ""
