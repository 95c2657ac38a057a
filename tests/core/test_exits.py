"""The stop prices the snapshot shows are the prices at which the strategy's sell fires (core/exits.py).

A kernel on a ManualClock: a tick at the shown price sells, a tick one grid step above does not,
for the stop-loss and for the trailing stop once armed; the board shows that same price.
"""

from __future__ import annotations

import pytest

from kiwoom_cli.core.exits import stop_loss_price, trailing_price
from kiwoom_cli.market import CostRates, add_ticks, is_on_tick, net_return_pct
from kiwoom_cli.models import Side
from kiwoom_cli.ui.board import BoardView, render_board
from tests.kit.core import Driver, settings, tick
from tests.ui.samples import info

CODE = "005930"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite3"


def held(path, price: int, **kw) -> Driver:
    d = Driver(path, settings(**kw))
    d.buy(CODE, price)
    return d


def sells(d: Driver) -> list[str]:
    return [o.rule for o in d.orders(side=Side.SELL)]


def shown(d: Driver):
    return d.state.snapshot(d.settings).exits[CODE]


# bought at: a round price, off-round ones in each tick band, and one just under a band's edge
@pytest.mark.parametrize("price", [10_000, 71_200, 1_995, 49_950, 180_000, 4_990])
def test_a_tick_at_the_shown_stop_loss_sells_and_one_grid_step_above_does_not(path, price):
    d = held(path, price, stop_loss_pct=-2.0, trail_arm_pct=None)
    stop = shown(d).stop_loss
    assert is_on_tick(stop) and stop < price
    d.feed(tick(CODE, add_ticks(stop, 1)))
    assert sells(d) == []
    d.feed(tick(CODE, stop))
    assert sells(d) == ["stop_loss"]
    d.close()


# (bought at, the high that arms): the trigger inside a band, exactly on the grid, across a band's edge
@pytest.mark.parametrize("price, high", [(10_000, 10_500), (9_700, 10_000), (48_000, 50_100)])
def test_a_tick_at_the_shown_trailing_trigger_sells_and_one_grid_step_above_does_not(path, price, high):
    d = held(path, price, stop_loss_pct=None, trail_arm_pct=2.0, trail_drop_pct=1.0)
    assert shown(d).trailing is None  # not armed: the trailing stop cannot fire
    d.feed(tick(CODE, high))
    assert d.state.positions[CODE].armed and d.state.positions[CODE].high == high
    trigger = shown(d).trailing
    assert is_on_tick(trigger) and trigger < high
    d.feed(tick(CODE, add_ticks(trigger, 1)))
    assert sells(d) == []
    d.feed(tick(CODE, trigger))
    assert sells(d) == ["trailing"]
    d.close()


def test_the_board_shows_the_price_at_which_the_sell_fires(path):
    d = held(path, 71_200, stop_loss_pct=-2.0, trail_arm_pct=2.0, trail_drop_pct=1.0)
    d.feed(tick(CODE, 74_000))  # armed: the trailing trigger is now above the stop-loss
    snap = d.state.snapshot(d.settings)
    fires = snap.exits[CODE].sell_at
    assert fires == snap.exits[CODE].trailing == 73_200 and snap.exits[CODE].stop_loss == 69_900
    frame = render_board(BoardView(snapshot=snap, info=info(settings=d.settings), now=d.clock.now()), 160, 30)
    row = next(line for line in frame.plain.split("\n") if line.startswith(CODE))
    assert f"{fires:,}" in row
    d.feed(tick(CODE, add_ticks(fires, 1)))
    assert sells(d) == []
    d.feed(tick(CODE, fires))
    assert sells(d) == ["trailing"]
    d.close()


def test_prices_agree_with_the_return_after_costs_and_the_drop_from_the_high():
    costs = CostRates()
    for avg in (1_000.0, 9_999.5, 71_200.0, 333_333.3):
        stop = stop_loss_price(avg, -2.0, costs)
        assert net_return_pct(avg, stop, costs) <= -2.0 < net_return_pct(avg, add_ticks(stop, 1), costs)
    for high in (1_000, 20_000, 50_100, 600_000):
        trigger = trailing_price(high, 1.5)
        assert (high - trigger) / high * 100 >= 1.5 > (high - add_ticks(trigger, 1)) / high * 100
    assert stop_loss_price(0.0, -2.0, costs) is None and trailing_price(0, 1.0) is None
