"""--until: a KST time of day later today, or a duration (docs/decisions.md §1)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.cli.until import parse_until
from kiwoom_cli.clock import KST
from kiwoom_cli.errors import BadInput

NOW = dt.datetime(2026, 3, 3, 10, 15, 30, 250_000, tzinfo=KST)


@pytest.mark.parametrize("text, expected", [
    ("+90s", NOW + dt.timedelta(seconds=90)),
    ("+5m", NOW + dt.timedelta(minutes=5)),
    ("+1h30m", NOW + dt.timedelta(hours=1, minutes=30)),
    ("+0.5s", NOW + dt.timedelta(seconds=0.5)),
    ("15:20", NOW.replace(hour=15, minute=20, second=0, microsecond=0)),
    ("10:15:31", NOW.replace(second=31, microsecond=0)),
    (" 23:59 ", NOW.replace(hour=23, minute=59, second=0, microsecond=0)),
])
def test_accepted_forms(text, expected):
    assert parse_until(text, NOW) == expected
    assert parse_until(text, NOW).tzinfo is KST


@pytest.mark.parametrize("text, words", [
    ("10:15", "has passed"),  # earlier today: refused rather than run overnight
    ("+0s", "above zero"),
    ("25:00", "not a time"),
    ("10:61", "not a time"),
    ("+5x", "not understood"),
    ("soon", "not understood"),
    ("+", "not understood"),
    ("", "not understood"),  # not "no limit": issue 12 item 7
    ("   ", "not understood"),
    ("+１m", "not understood"),  # full-width digits
    ("１５:２０", "not understood"),
    ("+9999999999999999h", "not understood"),  # no overflow: too many digits for the form
    ("+25h", "at most 24 hours"),
    ("+1441m", "at most 24 hours"),
])
def test_refused_forms_say_what_is_allowed(text, words):
    with pytest.raises(BadInput, match=words) as info:
        parse_until(text, NOW)
    assert "HH:MM" in str(info.value) or "later time" in str(info.value)
