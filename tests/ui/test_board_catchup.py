"""The board after a socket outage: the entries the gap hid show with the pushes, the outage in the log."""

from __future__ import annotations

from kiwoom_cli.core import catchup
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.facts import CatchUp, Turn
from kiwoom_cli.core.recent import Recent
from tests.ui.samples import NAMES, NOW, state, view
from tests.ui.test_board import draw, section


def test_a_missed_entry_and_the_outage_are_on_the_board():
    listing = catchup.Relisted("1", ("051910",), ("068270",), 75.0)
    missed = "missed entry: entered condition 1 during a 75.0s outage, longer than catch_up_s 60s"
    log = [(NOW, ev.Decision("socket", None, "info", "condition 1 after a 75.0s outage: missed: 051910")),
           (NOW, ev.Decision("catch_up", "051910", "skip", missed)),
           (NOW, ev.Decision("socket", None, "info", "outage of 75.0s since 10:29:00"))]
    st = state()
    st.members.last = listing  # what State.apply makes of the listing after the gap
    recent = Recent(NAMES)
    # the turn of the listing after the gap: its decisions, then what the gap hid (Kernel._outage_facts)
    hidden = CatchUp("1", listing.gap_s, listing.entered, (), listing.entered, listing.left)
    recent.consume(Turn(NOW, (*[d for _, d in log], hidden)))
    lines = draw(view(st, recent=recent), 160)
    events = section(lines, "Condition events")
    entry = next(line for line in events if "051910" in line)
    assert "IN" in entry and "skip: missed entry" in entry
    assert "OUT" in next(line for line in events if "068270" in line)
    assert any("outage of 75.0s" in line for line in section(lines, "Log"))
