"""The pure board: hand-built snapshots rendered to a recording Console at 80 and 160 columns."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from rich.cells import cell_len
from rich.console import Console

from kiwoom_cli.core.records import Order, Position
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.models import OrderType, Side
from kiwoom_cli.ui.board import render_board, render_clock
from tests.ui.samples import NOW, info, state, view


def draw(v, width: int, height: int = 30) -> list[str]:
    console = Console(width=width, height=height, record=True, force_terminal=True, color_system="truecolor",
                      file=io.StringIO())
    console.print(render_board(v, width, height))
    text = console.export_text()
    lines = (text.removesuffix("\n")).split("\n")
    assert len(lines) == height  # exactly the screen: never taller, never wrapped
    for line in lines:
        assert cell_len(line) <= width, line
    return lines


def section(lines: list[str], title: str) -> list[str]:
    """The lines of one section, from its rule to the next rule."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"─ {title}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("─ ")), len(lines))
    return lines[start + 1:end]


def row(lines: list[str], code: str) -> str:
    return next(line for line in lines if line.startswith(code))


@pytest.mark.parametrize("width", [80, 160])
def test_positions_show_name_qty_return_trailing_and_stop(width):
    lines = draw(view(), width)
    positions = section(lines, "Positions (3)")
    samsung, hynix, naver = row(positions, "005930"), row(positions, "000660"), row(positions, "035420")
    assert "삼성전자" in samsung and " 14 " in samsung and "+1.59%" in samsung
    assert "72,500" in samsung and "arms at +2%" in samsung
    assert "SK하이닉스" in hynix and "+3.10%" in hynix and "armed hi 188,000" in hynix
    assert "186,100" in hynix  # trailing stop: the highest grid price 1 % under the high (core/exits.py)
    assert "-2.47%" in naver
    assert "69,900" in samsung  # stop-loss: the highest grid price at -2 % after round-trip costs


def test_wide_terminal_adds_columns_narrow_drops_them_without_wrapping():
    wide = section(draw(view(), 160), "Positions (3)")
    narrow = section(draw(view(), 80), "Positions (3)")
    assert "P&L" in wide[0] and "State" in wide[0] and "Value" in wide[0]
    assert "P&L" not in narrow[0] and "Return" in narrow[0]
    assert "selling" in row(wide, "035420")
    tiny = section(draw(view(), 40, 24), "Positions (3)")
    assert "Return" in tiny[0] and "Avg" not in tiny[0]
    assert "+3.10%" in row(tiny, "000660")


@pytest.mark.parametrize("width", [80, 160])
def test_pending_orders_show_age_against_render_time(width):
    lines = draw(view(), width)
    orders = section(lines, "Pending orders (2)")
    sell, buy = row(orders, "   12s"), row(orders, " 2m05s")
    assert "sell" in sell and "035420" in sell and "#0001234" in sell and "market" in sell
    assert "buy" in buy and "UNKNOWN" in buy and "350,000" in buy and "0/3" in buy
    later = draw(view(now=NOW + dt.timedelta(seconds=50)), width)  # same snapshot, drawn later
    assert any(line.startswith(" 1m02s") for line in section(later, "Pending orders (2)"))


def test_condition_events_and_log_with_outcomes():
    lines = draw(view(), 160)
    events = section(lines, "Condition events")
    entry = next(line for line in events if "051910" in line)
    assert "IN" in entry and "LG화학" in entry and "[급등주]" in entry and "buy: 3 @ 350,000" in entry
    left = next(line for line in events if "068270" in line)
    assert "OUT" in left and "left" in left
    log = section(lines, "Log")
    assert any("stop_loss" in line and "035420" in line and "sell" in line for line in log)


def test_header_shows_mode_clock_health_latency_and_totals():
    lines = draw(view(), 160)
    assert "MOCK" in lines[0] and "10:30:15 KST" in lines[0] and "acct 81234567" in lines[0]
    assert "up 1h02m" in lines[0]
    assert "socket ● up" in lines[1] and "hop 0.12 ms (peak 0.93)" in lines[1]
    assert "REST ! 1 order(s) outcome unknown" in lines[1]  # the unknown buy
    assert "buy: 급등주 [1]" in lines[1] and "sell: 이탈 [2]" in lines[1]
    assert "realised +12,345" in lines[2] and "positions 3/5" in lines[2] and "orders 2" in lines[2]
    st = state()
    del st.orders["s00010"]  # no unknown order: REST looks healthy
    down = draw(view(st, socket=False), 80)
    assert "socket ● DOWN" in down[1] and "REST ● ok" in down[1]


def test_paused_marker_and_window_closed():
    s = RunSettings(buy_cond="1", sell_cond="2", window=(dt.time(9, 0), dt.time(10, 0)))
    lines = draw(view(state(paused=True), info=info(settings=s)), 80)
    assert "PAUSED" in lines[0] and "window closed (09:00-10:00)" in lines[0]
    open_ = draw(view(info=info(settings=s), now=NOW.replace(hour=9)), 80)
    assert "window open 09:00-10:00" in open_[0] and "PAUSED" not in open_[0]


def test_buying_halted_by_a_malformed_answer_is_a_badge():
    st = state()
    assert "BUYING HALTED" not in draw(view(st), 160)[0]
    st.flags["bad_answer"] = "kt00001: unexpected answer from the broker: kt00001: answer lacks 'entr'"
    assert "BUYING HALTED: unexpected broker answer" in draw(view(st), 160)[0]


def test_korean_colours_red_up_blue_down():
    text = render_board(view(), 80, 30)
    plain = text.plain

    def style_at(fragment: str) -> str:
        at = plain.index(fragment)
        return " ".join(str(s.style) for s in text.spans if s.start <= at < s.end)

    assert "red" in style_at("+3.10%")
    assert "blue" in style_at("-2.47%")


def test_many_positions_fit_the_height_with_a_more_line():
    st = state()
    for i in range(20):
        code = f"{100000 + i:06d}"
        st.positions[code] = Position(code, f"종목{i}", 1, 1, 1000.0, 1010, 0.5)
    for i in range(8):
        st.orders[f"b{i}"] = Order(f"b{i}", Side.BUY, f"{200000 + i:06d}", 1, None, OrderType.MARKET,
                                   "buy_cond", "run", NOW)
    lines = draw(view(st), 80, 24)
    assert any(line.startswith("... ") and "more" in line for line in lines)
    assert lines[-1].startswith("q quit")  # the footer survives


def test_no_snapshot_yet_and_tiny_screen():
    lines = draw(view().__class__(snapshot=None, info=info(), now=NOW), 80, 10)
    assert "waiting for the engine" in lines[2] and "socket ?" in lines[1]
    smallest = draw(view(), 20, 4)
    assert "MOCK" in smallest[0] and smallest[-1].startswith("q quit")
    assert len(draw(view(), 10, 6)) == 6  # absurdly narrow: cropped, never wrapped


def test_clock_lines_match_the_full_frame():
    v = view()
    full = render_board(v, 80, 30).plain.split("\n")
    assert [t.plain for t in render_clock(v, 80)] == full[:2]


def test_rest_health_from_recent_failures_only():
    from kiwoom_cli.core import events as ev
    from kiwoom_cli.ui.board import rest_health

    st = state()
    del st.orders["s00010"]  # no unknown order
    snap = st.snapshot()
    failed = (NOW - dt.timedelta(seconds=5), ev.Decision("buy_cond", "051910", "skip", "no quote: HTTP 500"))
    assert rest_health(snap, [failed], NOW) == "quote failed"
    assert rest_health(snap, [failed], NOW + dt.timedelta(minutes=2)) is True  # old news
    st.query_retry_at = NOW
    assert rest_health(st.snapshot(), [], NOW) == "settle query failing"


def test_unmanaged_holding_is_shown_but_not_counted():
    st = state()
    st.positions["005380"] = Position("005380", "현대차", 3, 3, 250_000.0, 251_000, 0.2, managed=False)
    lines = draw(view(st), 160)
    assert "positions 3/5 (+1 held)" in lines[2]
    held = row(section(lines, "Positions (4)"), "005380")
    assert "not managed" in held and "held" in held
