"""Each condition row shows the decision made for that event, never one matched by code (core/recent.py).

A kernel on a ManualClock with a Recent as its sink, as the Engine wires it, the board rendered
from the snapshot alone.
"""

from __future__ import annotations

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.recent import Recent
from kiwoom_cli.models import SocketStatus
from kiwoom_cli.ui.board import BoardView, render_board
from tests.kit.core import SELL_COND, Driver, entry, quote, quotes, settings, tick
from tests.ui.samples import NAMES, info

CODE = "005930"


@pytest.fixture
def d(tmp_path):
    driver = Driver(tmp_path / "journal.sqlite3", settings())
    yield driver
    driver.close()


def drive(d: Driver, recent: Recent, *events) -> None:
    """Feed events one turn each, each turn's facts to `recent` (the sink the Engine adds)."""
    d.kernel.sinks = (recent.consume,)
    d.feed(*events)


def rows(d: Driver, recent: Recent) -> list[str]:
    snap = d.state.snapshot(d.settings, recent)
    frame = render_board(BoardView(snapshot=snap, info=info(settings=d.settings), now=d.clock.now()), 160, 40)
    lines = frame.plain.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("─ Condition events"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("─ "))
    return lines[start + 1:end]


def test_a_sell_condition_entry_does_not_show_the_buy_made_later_on_the_buy_condition(d):
    recent = Recent(NAMES)
    drive(d, recent, entry(CODE, SELL_COND))  # not held: the sell condition has nothing to sell
    d.clock.advance(2)
    drive(d, recent, entry(CODE), ev.Idle(), quotes(quote(CODE, 70_000)))  # bought after a quote
    assert [o.code for o in d.orders()] == [CODE]
    sell_row, buy_row = rows(d, recent)
    assert "[이탈]" in sell_row and "buy" not in sell_row
    assert "[급등주]" in buy_row and "buy: " in buy_row
    snap = d.state.snapshot(d.settings, recent)
    assert [r.decision.action if r.decision else None for r in snap.conditions] == [None, "buy"]


def test_a_buy_decided_after_the_quote_is_tied_to_its_entry_not_to_later_events(d):
    recent = Recent(NAMES)
    drive(d, recent, entry(CODE), ev.Idle())  # no fresh price: the entry waits for a quote
    assert "awaiting a quote" in rows(d, recent)[0]
    d.clock.advance(1)
    drive(d, recent, entry(CODE, SELL_COND), entry(CODE))  # meanwhile: the sell condition, the buy one again
    drive(d, recent, quotes(quote(CODE, 70_000)))
    first, sell, again = rows(d, recent)
    assert "buy: " in first and "[급등주]" in first
    assert "[이탈]" in sell and "buy" not in sell
    assert "deny: duplicate: awaiting a quote" in again
    assert recent.log[-1][1].action == "buy"


def test_a_sell_condition_entry_shows_its_sell(d):
    recent = Recent(NAMES)
    d.buy(CODE, 10_000)
    d.feed(tick(CODE, 10_050))
    drive(d, recent, entry(CODE, SELL_COND))
    (row,) = rows(d, recent)
    assert "[이탈]" in row and "sell: " in row and "entered sell condition 2" in row


def test_the_socket_state_shown_is_the_last_status_the_engine_handled(d):
    recent = Recent(NAMES)

    def header() -> str:
        snap = d.state.snapshot(d.settings, recent)
        return render_board(BoardView(snapshot=snap, info=info(settings=d.settings), now=d.clock.now()), 160, 30).plain

    assert "socket ?" in header()  # before any status
    for status, shown in ((SocketStatus("connected", "logged in"), "socket ● up"),
                          (SocketStatus("disconnected", "no PING for 20s"), "socket ● DOWN"),
                          (SocketStatus("login_failed", "8005"), "socket login failed"),
                          (SocketStatus("connected", "reconnected"), "socket ● up")):
        drive(d, recent, status)
        assert shown in header().split("\n")[1]
