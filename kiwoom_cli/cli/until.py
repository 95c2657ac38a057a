"""`kiwoom run --until`: a KST time of day (HH:MM, HH:MM:SS) or a duration (+90s, +5m, +1h30m) (docs/decisions.md §1)."""

from __future__ import annotations

import datetime as dt
import re

from kiwoom_cli.errors import BadInput

_DURATION = re.compile(r"\+(?:([0-9]{1,4})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,8}(?:\.[0-9]{1,6})?)s)?")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
MAX_SPAN = dt.timedelta(hours=24)  # a longer run is a typo, not a plan
_ALLOWED = "HH:MM or HH:MM:SS (KST, later today), or a duration such as +90s, +5m, +1h30m (24 hours at most)"


def parse_until(text: str, now: dt.datetime) -> dt.datetime:
    """Return the aware KST moment `text` names, counted from `now` (an aware KST datetime)."""
    raw = text.strip()
    m = _DURATION.fullmatch(raw)
    if m and any(m.groups()):
        hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        span = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
        if span <= dt.timedelta(0):
            raise BadInput(f"--until {text!r}: the duration must be above zero", hint=f"Allowed: {_ALLOWED}")
        if span > MAX_SPAN:
            raise BadInput(f"--until {text!r}: at most 24 hours", hint=f"Allowed: {_ALLOWED}")
        return now + span
    m = _TIME.fullmatch(raw)
    if m:
        hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise BadInput(f"--until {text!r}: not a time of day", hint=f"Allowed: {_ALLOWED}")
        at = now.replace(hour=hour, minute=minute, second=second, microsecond=0)
        if at <= now:
            # Rolling over to tomorrow would leave a mistyped run trading overnight: refuse instead.
            raise BadInput(f"--until {text}: that time has passed today (now {now:%H:%M:%S} KST)",
                           hint="give a later time or a duration such as +30m")
        return at
    raise BadInput(f"--until {text!r}: not understood", hint=f"Allowed: {_ALLOWED}")
