"""`x` on the dashboard of a real engine and simulator (issue 13): it sells everything and pauses
buying, says so in the log, shows PAUSED, and the next entry is not bought."""

from __future__ import annotations

from tests.kit.helpers import wait_until
from tests.ui.conftest import BoardThread
from tests.ui.test_dashboard import buy_one


def said(engine, rule: str, code: str | None, text: str) -> bool:
    return any(d.rule == rule and d.code == code and text in d.reason for _, d in list(engine.log))


def test_sell_all_pauses_buying(rig):
    sim, engine, _ = rig
    engine.start()
    board = BoardThread(engine)
    wait_until(lambda: "socket ● up" in board.last, timeout=10, message="first frame")
    buy_one(sim, engine, board)
    board.dash._on_text("x")
    board.dash._on_text("y")
    wait_until(lambda: "PAUSED" in board.last, timeout=10, message="paused on the dashboard")
    wait_until(lambda: "buying paused (p resumes)" in board.last, timeout=10, message="the footer says so")
    wait_until(lambda: said(engine, "user", None, "sell all: buying paused"), timeout=10, message="said")
    wait_until(lambda: any(o["api_id"] == "kt10001" for o in sim.order_log), timeout=10, message="sold")
    sim.push_condition("1", "000660", "I")
    wait_until(lambda: said(engine, "buy_cond", "000660", "paused"), timeout=10, message="entry denied")
    assert [o["api_id"] for o in sim.order_log] == ["kt10000", "kt10001"]  # no new buy
    board.dash._on_text("q")
    board.thread.join(10)
    assert engine.done.is_set()
