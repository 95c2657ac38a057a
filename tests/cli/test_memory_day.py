"""The short simulated day of benchmarks/memory_day.py (30 minutes, 100 codes, entries and exits)
through the path `kiwoom run` wires (engine loop, the Kernel with the JSON-lines feed as its
sink, the dashboard frame): what the run keeps per event stays within its documented bound.
RSS is the benchmark's to print, never asserted here."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from benchmarks import memory_day as day_bench
from kiwoom_cli.cli.runfeed import _MAX_UNLINKED, summary
from kiwoom_cli.core.state import _MAX_ORPHANS


def sizes(day) -> dict[str, int]:
    e, s = day.engine, day.kernel.state
    return {
        "engine.log": len(e.log), "engine.conditions": len(e.conditions), "orders": len(s.orders),
        "by_no": len(s.by_no), "orphans": len(s.orphans), "side_intents": len(s.side_intents),
        "spent": len(s.spent), "awaiting": len(s.awaiting), "marks": len(s.marks),
        "quotes_asked": len(s.quotes_asked), "price_drops": len(s.price_drops),
        "unlinked": len(day.feed._unlinked), "filled_intents": len(day.feed.filled_intents),
    }


@pytest.mark.slow  # a simulated half hour of 100 codes: about 30 s
def test_a_short_day_keeps_every_structure_within_its_bound(monkeypatch, tmp_path):
    monkeypatch.setenv("KIWOOM_HOME", str(tmp_path))  # the Day points it at its own directory; restored after
    for name in ("kiwoom", "kiwoom_cli"):  # every event still goes to the run's log file, not to pytest's capture
        monkeypatch.setattr(logging.getLogger(name), "propagate", False)
    out = day_bench.run_day(day_bench.SHORT_S, 5 * 60, tune=False)
    day = out["day"]
    try:
        end = sizes(day)
        b, s = day.broker, day.kernel.state
        assert b.orders > 50 and b.fills > 50 and day.renders > 1000  # a busy day: entries, exits, frames
        assert sum(b.filled.values()) > 0 and b.filled["sell"] > 0
        assert end["engine.log"] <= 200 and end["engine.conditions"] <= 50  # the dashboard's recent lines
        assert end["orders"] <= 2 * day.settings.max_positions and end["by_no"] <= 3 * end["orders"]
        assert end["side_intents"] <= end["orders"] and end["orphans"] <= _MAX_ORPHANS
        assert end["unlinked"] <= _MAX_UNLINKED
        assert end["filled_intents"] <= end["orders"]  # open orders only: closed ones are counted, not kept
        assert end["spent"] <= 2 * day.settings.max_positions  # forgotten at each cash refresh
        per_code = max(end["marks"], end["quotes_asked"], end["price_drops"])
        assert per_code <= day_bench.CODES  # one entry per listed code at most
        # the summary still counts every filled order of the day
        done = summary(day.feed, day.engine.latest, exit_reason="test", started=day.info.started_at,
                       now=day.clock.now() + dt.timedelta(seconds=1))
        assert (done["buys"], done["sells"]) == (b.filled["buy"], b.filled["sell"])
    finally:
        day_bench.close_day(out)
