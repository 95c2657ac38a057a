"""The run's feed reports a turn's events after the turn's orders left (runfeed.Feed.hold)."""

from __future__ import annotations

import io
import json

from kiwoom_cli.cli.runfeed import Feed, ObservedJournal, ObservedKernel
from kiwoom_cli.clock import ManualClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.models import Cash
from tests.core.harness import T0, balance, entry, quote, quotes, settings


def test_a_turns_events_reach_the_writer_only_after_its_orders_were_sent(tmp_path):
    out = io.StringIO()
    feed = Feed(out)
    clock = ManualClock(T0)
    journal = ObservedJournal(tmp_path / "j.sqlite3", feed, clock)
    journal.write_ahead()
    kernel = ObservedKernel(settings(), journal, id_prefix="f", feed=feed)
    kernel.start(balance(), [], Cash(10**8, 10**8, 10**8), T0)
    kernel.handle(entry("005930"), T0, lambda intents: None)
    kernel.handle(ev.Idle(), T0, lambda intents: None)
    while not feed._q.empty():  # the earlier turns' events: not what this test looks at
        feed._q.get()
    queued_at_send = []
    try:
        kernel.handle(quotes(quote("005930", 70_000)), T0,
                      lambda intents: queued_at_send.append(feed._q.empty()))
        assert queued_at_send == [True]  # nothing of this turn was handed to the writer thread yet
        feed.start()
    finally:
        feed.close()
        journal.close()
    kinds = [json.loads(line)["kind"] for line in out.getvalue().splitlines()]
    assert kinds == ["decision", "order"]  # reported once the send was done, in order
