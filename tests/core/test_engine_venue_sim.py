"""The run (engine + real clients) at 16:00 KST against a simulator with KRX hours and NXT's sessions."""

from __future__ import annotations

import datetime as dt
import queue

import pytest

from kiwoom_cli.clock import KST, OffsetClock
from kiwoom_cli.errors import BrokerRejected
from kiwoom_cli.market import add_ticks, round_down_to_tick
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.engine import engine_on, snapshot
from tests.kit.helpers import wait_until
from tests.kit.sim import rest_client

AFTER_MARKET = dt.datetime(2026, 11, 25, 16, 0, tzinfo=KST)  # KRX closed, NXT's after-market open


def test_an_entry_after_krx_hours_is_sent_to_nxt_as_a_limit_and_fills(tmp_path):
    clock = OffsetClock(AFTER_MARKET)
    config = SimConfig(rate_limit=None, static=True, seed=7, always_open=False)  # `kiwoom sim --hours krx`
    with SimServer(config, clock=clock) as sim:
        with engine_on(sim, tmp_path, queue.SimpleQueue(), clock=clock, exchange="NXT") as (engine, journal):
            engine.start()
            sim.push_condition("1", "005930", "I")
            wait_until(lambda: sim.order_log, timeout=15, message="an order reached the simulator")
            [sent] = sim.order_log
            body, result = sent["body"], sent["result"]
            assert (body["dmst_stex_tp"], body["trde_tp"]) == ("NXT", "0") and int(body["ord_uv"]) > 0
            assert result["return_code"] == 0, result  # the after-market took the limit
            wait_until(lambda: any(i["status"] in ("acked", "filled", "partly_filled") for i in journal.intents()),
                       timeout=15, message="the buy was acknowledged")
            engine.stop()
        assert sim.errors == []


def test_the_simulator_refuses_a_market_order_on_nxt_after_krx_hours(tmp_path):
    clock = OffsetClock(AFTER_MARKET)
    with SimServer(SimConfig(rate_limit=None, static=True, always_open=False), clock=clock) as sim:
        with rest_client(sim, tmp_path / "tokens", exchange="NXT") as rest:
            with pytest.raises(BrokerRejected) as info:
                rest.buy("005930", 1, None)
            assert info.value.code == "RC4088" and "시장가" in info.value.message
            rest.exchange = "KRX"
            with pytest.raises(BrokerRejected) as info:
                rest.buy("005930", 1, 97_500)
            assert info.value.code == "RC4058"  # KRX is closed at 16:00


def registered_items(sim) -> set[str]:
    hub = sim._hub  # the test's own simulator: which 0B items the run's socket registered
    return sim.call(lambda: set(hub.by_code.subs))


def test_a_position_held_on_nxt_after_krx_hours_is_priced_by_its_nx_ticks_and_its_stop_loss_sells_at_a_limit(tmp_path):
    clock = OffsetClock(AFTER_MARKET)
    config = SimConfig(rate_limit=None, static=True, seed=7, always_open=False)  # `kiwoom sim --hours krx`
    with SimServer(config, clock=clock) as sim:
        sim.set_price("005930", 100_000)
        with engine_on(sim, tmp_path, queue.SimpleQueue(), clock=clock, exchange="NXT", buy_ticks=2, sell_ticks=1,
                       stop_loss_pct=-3.0, trail_arm_pct=None) as (engine, journal):
            engine.start()
            sim.push_condition("1", "005930", "I")
            pos = wait_until(lambda: snapshot(engine).positions.get("005930"), timeout=15, message="bought on NXT")
            wait_until(lambda: registered_items(sim) == {"005930_NX"}, timeout=15, message="0B for 005930_NX")
            quoted = [r["body"]["stk_cd"] for r in sim.request_log if r["api_id"] == "ka10095"]
            assert quoted and set(quoted) == {"005930_NX"}
            sim.set_price("005930", 101_000)  # KRX is shut: only NXT's feed carries it
            wait_until(lambda: snapshot(engine).positions["005930"].price == 101_000, timeout=15,
                       message="the NXT tick moved the held position")
            drop = round_down_to_tick(int(pos.avg_price * 0.96))  # -4 %
            sim.set_price("005930", drop)
            wait_until(lambda: [o for o in sim.order_log if o["api_id"] == "kt10001"], timeout=15,
                       message="the stop-loss sell reached the simulator")
            [sell] = [o for o in sim.order_log if o["api_id"] == "kt10001"]
            body = sell["body"]
            assert (body["dmst_stex_tp"], body["trde_tp"], int(body["ord_uv"])) == ("NXT", "0", add_ticks(drop, -1))
            assert sell["result"]["return_code"] == 0, sell["result"]  # a market sell would be refused
            assert int(body["ord_qty"]) == pos.qty
            engine.stop()
        assert sim.errors == []
