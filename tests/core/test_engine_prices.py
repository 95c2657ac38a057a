"""A poisoned price through the engine against the simulator (issue 12 item 1).

The simulator's POST /sim/price refuses a trade outside the day's limits (its exchange checks the
price), so the 1-won trade is handed to the engine as the event the socket parser would make of it.
"""

from __future__ import annotations

import queue

from kiwoom_cli.models import OrderAction, OrderEvent, OrderStatus, OrderType, Side, Tick
from tests.kit.engine import engine_on, snapshot, wait_state
from tests.kit.helpers import wait_until
from tests.kit.sim import instrument
from tests.kit.sim import running_sim

CODE = "005930"


def one_won_tick(code: str = CODE) -> Tick:
    """What wsparsers makes of a 0B trade at 1 won (the change field is not trusted either)."""
    return Tick(code, 1, 0, 0.0, 1, 100, "100000")


def price_drops(engine) -> list:
    return [d for _, d in engine.log if d.rule == "price" and d.code == CODE]


def bought_qty(sim) -> list[int]:
    return [int(o["body"]["ord_qty"]) for o in sim.order_log if o["api_id"] == "kt10000"]


def test_a_one_won_tick_then_an_entry_buys_at_most_buy_amount_at_the_lower_limit(tmp_path):
    with running_sim() as sim, engine_on(sim, tmp_path, queue.SimpleQueue()) as (engine, journal):
        engine.start()
        engine.socket.register([CODE])  # live ticks for the code: their prices wait for a quote
        sim.set_price(CODE, instrument(sim).price)
        wait_state(engine, lambda s: s.marks.get(CODE), message="the day's limits from a quote")
        engine.put(one_won_tick())
        wait_until(lambda: price_drops(engine), message="the 1-won tick dropped")
        sim.push_condition("1", CODE, "I")
        pos = wait_state(engine, lambda s: s.positions.get(CODE), timeout=10, message="bought")
        engine.stop()
        amount = engine.kernel.settings.buy_amount
        (qty,) = bought_qty(sim)
        lim = instrument(sim)
        assert pos.qty == qty <= amount // lim.lower_limit  # not 1,000,000 // 1
        assert qty >= amount // lim.upper_limit
        assert "ka10095" in [e.get("api_id") for e in sim.request_log]  # the limits came from a quote
        assert [(d["rule"], d["action"]) for d in journal.decisions() if d["rule"] in ("price", "buy_cond")] == [
            ("price", "drop"), ("buy_cond", "buy")]
        assert sim.errors == []


def test_a_one_won_tick_on_a_held_stock_fires_no_stop_loss(tmp_path):
    with running_sim() as sim, engine_on(sim, tmp_path, queue.SimpleQueue()) as (engine, journal):
        sim.set_price(CODE, 100_000)
        engine.start()
        sim.push_condition("1", CODE, "I")
        wait_state(engine, lambda s: s.positions.get(CODE), timeout=10, message="bought")
        for _ in range(3):
            engine.put(one_won_tick())
        wait_state(engine, lambda s: s.price_drops.get(CODE) == 3, message="three ticks dropped")
        assert len(sim.order_log) == 1 and CODE in snapshot(engine).positions  # no stop-loss sell
        assert len(price_drops(engine)) == 1  # logged once, counted three times
        sim.set_price(CODE, 96_000)  # a real -4 %: the stop-loss still sells
        wait_until(lambda: CODE not in snapshot(engine).positions, timeout=10, message="sold")
        engine.stop()
        assert [o["api_id"] for o in sim.order_log] == ["kt10000", "kt10001"]
        assert sim.errors == []


def test_a_fill_at_an_implausible_price_is_applied_flagged_and_checked_over_rest(tmp_path):
    """The fill frame is handed to the engine as the parser would make it: the simulator only fills
    at real prices. The buy rests far below the market, so no real fill of it races this one."""
    with running_sim() as sim, engine_on(sim, tmp_path, queue.SimpleQueue(), buy_order=OrderType.LIMIT,
                                         buy_ticks=-100, amend_after_s=None) as (engine, journal):
        sim.set_price(CODE, 100_000)
        engine.start()
        sim.push_condition("1", CODE, "I")
        order = wait_until(lambda: next((o for o in snapshot(engine).orders.values() if o.order_no), None),
                           timeout=10, message="a resting limit buy")
        queried = [e.get("api_id") for e in sim.request_log].count("ka10076")
        engine.put(OrderEvent(order.order_no, None, CODE, "", Side.BUY, OrderStatus.FILLED, OrderAction.NEW,
                              order.qty, order.price, 0, order.qty, 1, order.qty, "100000", None))
        pos = wait_state(engine, lambda s: s.positions.get(CODE), timeout=10, message="the fill applied")
        assert pos.qty == order.qty and pos.avg_price == order.price  # the shares count, at the order's price
        flags = [d for _, d in engine.log if d.rule == "fill" and d.action == "flag"]
        assert len(flags) == 1 and "1" in flags[0].reason
        wait_until(lambda: [e.get("api_id") for e in sim.request_log].count("ka10076") > queried,
                   timeout=10, message="the broker's fills asked for")
        engine.stop()
        assert [(d["rule"], d["action"]) for d in journal.decisions() if d["rule"] == "fill"] == [("fill", "flag")]
        assert sim.errors == []
