"""One set of pre-trade checks (issue 13 item 3): the day's loss at start and before every buy,
`x` pausing buying, and one reservation rule for a run's buys and manual ones."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.core import daypnl
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.orders import OrderService
from kiwoom_cli.core.records import FillApplied, Position
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.models import OrderType, Side
from tests.kit.core import T0, Driver, entry, quote, quotes, settings
from tests.ui.samples import view
from tests.ui.test_board import draw

CODE = "005930"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite3"


def journal_loss(path, realised: float, when: dt.datetime = T0) -> None:
    """A sell kiwoom journaled earlier in the day (or on another day) with this realised P&L."""
    journal = Journal(path)
    journal.record_fill(FillApplied("m-earlier", "0000001", "000660", Side.SELL, 10, 150_000, realised),
                        when - dt.timedelta(hours=1))
    journal.close()


def buys(d: Driver) -> list:
    return d.orders(side=Side.BUY)


def test_a_run_started_past_max_daily_loss_buys_nothing_and_says_why(path):
    """Issue 13: started on a day already at -158,167 realised, it bought, then halted."""
    journal_loss(path, -158_167)
    d = Driver(path, settings(max_daily_loss=100_000))
    assert "max_loss" in d.state.flags
    [halt] = [r for r in d.decisions() if r["rule"] == "max_daily_loss"]
    assert halt["action"] == "halt" and "-158,167 <= -100,000 at start" in halt["reason"]
    d.feed(entry(CODE), ev.Idle())
    d.feed(quotes(quote(CODE, 97_500)))
    assert buys(d) == []
    assert d.decisions()[-1]["reason"] == "max daily loss reached: buying halted"


def test_yesterdays_loss_does_not_count_today(path):
    journal_loss(path, -158_167, when=T0 - dt.timedelta(days=1))
    d = Driver(path, settings(max_daily_loss=100_000))
    assert "max_loss" not in d.state.flags
    d.buy(CODE, 97_500)
    assert len(buys(d)) == 1


def test_a_loss_seen_in_a_quote_halts_buying_before_the_next_entry(path):
    """No tick of the holding came, only a quote: its price counts as a tick for the held stock
    (Strategy._exits_on_quotes), so the day's loss is checked there; the entry is denied."""
    d = Driver(path, settings(max_daily_loss=15_000, stop_loss_pct=None, trail_arm_pct=None))
    d.buy(CODE, 10_000)  # 100 shares
    d.feed(quotes(quote(CODE, 9_800, base=10_000)))  # about -23,000 after costs
    assert "max_loss" in d.state.flags
    assert d.decisions()[-1]["reason"] == "day P&L -22,257 <= -15,000"  # the halt, as on a tick
    d.feed(entry("000660"))
    assert [o.code for o in buys(d)] == [CODE]
    assert "buying halted" in d.decisions()[-1]["reason"]
    assert d.state.snapshot().day_pnl() == d.state.day_pnl() <= -15_000  # the dashboard's figure


def test_sell_all_pauses_buying_and_says_so(path):
    """Issue 13: `x` (sell all) kept buying, two new buys within 10 s of selling everything."""
    d = Driver(path, settings(stop_loss_pct=None, trail_arm_pct=None))
    d.buy(CODE, 10_000)
    out = d.feed(ev.SellAll())
    assert [o.code for o in out if isinstance(o, ev.PlaceOrder) and o.side is Side.SELL] == [CODE]
    said = [r for r in d.decisions() if r["rule"] == "user"]
    assert said and "buying paused" in said[-1]["reason"]
    assert d.state.paused and d.state.snapshot().paused
    assert "PAUSED" in draw(view(d.state, now=d.clock.now()), 80)[0]  # the dashboard's status
    d.feed(entry("000660"), ev.Idle())
    assert [o.code for o in buys(d)] == [CODE]
    assert d.decisions()[-1]["reason"] == "paused"
    d.feed(ev.Resume())
    d.feed(entry("000270"), ev.Idle())
    d.feed(quotes(quote("000270", 50_000)))
    assert [o.code for o in buys(d)] == [CODE, "000270"]


@pytest.mark.parametrize("exchange", ["KRX", "NXT"])
@pytest.mark.parametrize(("order_type", "hour"), [(OrderType.MARKET, 10), (OrderType.LIMIT, 10),
                                                  (OrderType.MARKET, 17)])  # 17:00 on NXT: a limit
def test_a_buy_reserves_the_same_cash_in_a_run_and_by_hand(path, exchange, order_type, hour):
    """One reservation rule (issue 13 item 7): the run's buy and the same manual buy hold the same."""
    clock = ManualClock(T0.replace(hour=hour))
    s = settings(exchange=exchange, buy_order=order_type, buy_ticks=2, amend_after_s=None)
    d = Driver(path, s, clock=clock)
    q = quote(CODE, 97_500)  # 10 shares: 975,000, whose commission is no whole won
    d.feed(entry(CODE), ev.Idle())
    [run_buy] = [o for o in d.feed(quotes(q)) if isinstance(o, ev.PlaceOrder)]
    manual = OrderService(None, None, clock, costs=s.costs).prepare_place(
        "buy", CODE, run_buy.qty, run_buy.price, quote=q)
    assert manual.reserve == run_buy.reserve > run_buy.qty * (run_buy.price or q.upper_limit)


def test_the_day_pnl_from_the_journal_is_the_runs_figure(path):
    """A manual buy's figure (daypnl.from_journal) equals the run's State.day_pnl for the same facts."""
    journal_loss(path, -40_000)
    d = Driver(path, settings(stop_loss_pct=None, trail_arm_pct=None))
    d.buy(CODE, 10_000)
    d.feed(quotes(quote(CODE, 9_700, base=10_000)))
    stored = d.journal.load(T0.date())
    live = [quote(CODE, 9_700, base=10_000), quote("000660", 10**6)]  # a code not held: ignored
    figure = daypnl.from_journal(stored.realised, stored.positions, live, d.settings.costs)
    assert figure == pytest.approx(d.state.day_pnl()) and figure < -40_000
    held = [Position(CODE, "", 100, 100, 10_000.0)]
    assert daypnl.from_journal(-40_000, held, [], d.settings.costs) == -40_000  # no quote: counts nothing

