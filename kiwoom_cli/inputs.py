"""The one set of rules for stock codes, quantities, prices and order numbers (README "Input rules").

Every place that takes one of these from a user, a config file or a caller checks it here, so the
command line, the order service and the request bodies refuse the same things the same way:

- a stock code is exactly six ASCII digits or upper-case letters (KRX also issues alphanumeric
  short codes), nothing around it;
- a quantity or a price is ASCII digits only, without sign, space, newline or leading zero; `,` or
  `_` may separate digit groups ("1,000", "97_500"); a quantity is 1 to MAX_QTY shares (0 where
  "all remaining" is meant), a price 1 to MAX_PRICE won, a tick offset -MAX_TICKS to MAX_TICKS;
- an order number is 1 to 20 ASCII digits (leading zeros kept: they are part of it).

A value that breaks a rule raises BadInput (exit 2) before anything is sent.
"""

from __future__ import annotations

import re

from kiwoom_cli.errors import BadInput

MAX_QTY = 10_000_000  # shares in one order
MAX_PRICE = 100_000_000  # won per share: far above any KRX price, far below an overflow
MAX_TICKS = 1000  # --ticks N either way: 30 % of a 1,999-won price is 600 one-won ticks

_CODE = re.compile(r"[0-9A-Z]{6}")
# plain digits, or thousands grouped by one separator in threes ("1,000", "10_000"): "1,5" is no number
_NUMBER = re.compile(r"0|[1-9][0-9]*|[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]{0,2}(?:_[0-9]{3})+")
_ORDER_NO = re.compile(r"[0-9]{1,20}")
CODE_HINT = "a stock code is 6 digits or upper-case letters, e.g. 005930"


def code(value: object) -> str:
    """Return a stock code or raise BadInput."""
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise BadInput(f"not a stock code: {value!r}", hint=CODE_HINT)
    return value


def _whole(value: object) -> int | None:
    """An int (not a bool) as it is, or text by the rules above; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return int(value.replace(",", "").replace("_", ""))
    return None


def quantity(value: object, *, allow_zero: bool = False) -> int:
    """Return a quantity of shares (1..MAX_QTY, or 0 with allow_zero) or raise BadInput."""
    n = _whole(value)
    if n is None or n < 0 or (n == 0 and not allow_zero) or n > MAX_QTY:
        need = "zero or more" if allow_zero else "a positive whole number"
        raise BadInput(f"quantity must be {need} of shares, at most {MAX_QTY:,}, got {value!r}",
                       hint="ASCII digits only; , or _ may separate thousands")
    return n


def price(value: object, what: str = "price") -> int:
    """Return a price in won (1..MAX_PRICE) or raise BadInput; `what` names the value in the message."""
    n = _whole(value)
    if n is None or n <= 0 or n > MAX_PRICE:
        raise BadInput(f"{what}: a price is a positive whole number of won, at most {MAX_PRICE:,}, got {value!r}",
                       hint="ASCII digits only; , or _ may separate thousands")
    return n


def ticks(value: object, what: str = "--ticks") -> int | None:
    """Return a tick offset -MAX_TICKS..MAX_TICKS (an int, or text with an optional "-"; None
    passes) or raise BadInput."""
    if value is None:
        return None
    n = value if type(value) is int else None
    if isinstance(value, str) and re.fullmatch(r"-?(?:0|[1-9][0-9]{0,5})", value):
        n = int(value)
    if n is None or not -MAX_TICKS <= n <= MAX_TICKS:
        raise BadInput(f"{what}: a whole number of ticks from -{MAX_TICKS} to {MAX_TICKS}, got {value!r}")
    return n


def order_no(value: object) -> str:
    """Return an order number or raise BadInput."""
    if not isinstance(value, str) or not _ORDER_NO.fullmatch(value):
        raise BadInput(f"not an order number: {value!r}", hint="see `kiwoom orders`")
    return value


def plausible_price(value: object) -> bool:
    """True for a price the broker could quote: a whole number 1..MAX_PRICE (limits aside)."""
    return type(value) is int and 0 < value <= MAX_PRICE
