"""Scripted `kiwoom run` sessions: a real process in mock mode against the test's static simulator.

Prices and condition entries are pushed through the simulator's control surface; every step waits
for the run's own JSON lines (or the simulator's order log), never for time.
"""

from __future__ import annotations

import signal

from kiwoom_cli.market import round_down_to_tick
from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import instrument, orders_for, subscribed

CODE = "005930"


def at(price: float) -> int:
    """A valid price on the tick grid at or below `price`."""
    return round_down_to_tick(int(price))


def entered(sim, run, code: str, seq: str = "1", price: int = 100_000) -> None:
    """Set the price, push a buy-condition entry once the run listens, wait for the buy's fill."""
    sim.set_price(code, price)
    wait_until(lambda: subscribed(sim, seq=seq), timeout=15, message=f"run subscribed to condition {seq}")
    sim.push_condition(seq, code, "I")


def test_entry_buys_then_trailing_stop_arms_and_sells_on_the_drop(sim, start_run):
    # no sell condition here: the static market puts a +3 % stock into "2" (overheated) by itself
    run = start_run("--buy-cond", "1", "--stop-loss-pct", "false", *ANY_HOUR)
    entered(sim, run, CODE)
    buy = run.wait_for("fill", code=CODE, side="buy")[0]
    wait_until(lambda: subscribed(sim, code=CODE), message="0B registered for the holding")
    sim.set_price(CODE, at(buy["price"] * 1.03))  # about +2.7 % after costs: arms (arm at 2.0 %)
    run.wait_for("decision", code=CODE, rule="trailing", action="arm")
    assert run.matching("order", side="sell") == []
    sim.set_price(CODE, at(buy["price"] * 1.015))  # > 1 % below the high: the trailing stop fires
    sell = run.wait_for("fill", code=CODE, side="sell")[0]
    assert run.matching("order", side="sell")[0]["rule"] == "trailing"
    assert sell["qty"] == buy["qty"] and sell["realised"] > 0
    run.signal(signal.SIGTERM)
    assert run.wait_exit() == 130
    summary = run.summary()
    assert summary["exit_reason"] == "terminated"
    assert (summary["buys"], summary["sells"], summary["open_positions"]) == (1, 1, [])
    assert [o["api_id"] for o in sim.order_log] == ["kt10000", "kt10001"]


def test_stop_loss_sells_the_whole_position(sim, start_run):
    run = start_run("--buy-cond", "1", *ANY_HOUR)
    entered(sim, run, CODE)
    buy = run.wait_for("fill", code=CODE, side="buy")[0]
    wait_until(lambda: subscribed(sim, code=CODE), message="0B registered for the holding")
    sim.set_price(CODE, at(buy["price"] * 0.97))  # about -3.2 % after costs: at or below -2.0 %
    sell = run.wait_for("fill", code=CODE, side="sell")[0]
    assert run.matching("order", side="sell")[0]["rule"] == "stop_loss"
    assert sell["qty"] == buy["qty"] and sell["realised"] < 0
    run.signal(signal.SIGINT)  # Ctrl-C takes the same path as SIGTERM
    assert run.wait_exit() == 130
    assert run.summary()["exit_reason"] == "interrupted"


def test_sell_condition_entry_sells_a_held_stock(sim, start_run):
    run = start_run("--buy-cond", "1", "--sell-cond", "5", "--until", "+60s", *ANY_HOUR)
    entered(sim, run, CODE)
    buy = run.wait_for("fill", code=CODE, side="buy")[0]
    wait_until(lambda: subscribed(sim, seq="5"), message="run subscribed to the sell condition")
    sim.push_condition("5", CODE, "I")
    sell = run.wait_for("fill", code=CODE, side="sell")[0]
    assert run.matching("order", side="sell")[0]["rule"] == "sell_cond"
    assert sell["qty"] == buy["qty"]
    run.signal()
    assert run.wait_exit() == 130


def test_unfilled_limit_buy_is_amended_to_the_upper_limit_once(sim, start_run):
    run = start_run("--buy-cond", "1", "--buy-order", "limit", "--buy-ticks", "-3", "--amend-after-s", "1",
                    *ANY_HOUR)
    entered(sim, run, CODE)
    place = run.wait_for("order", code=CODE, action="place")[0]
    assert place["order_type"] == "limit" and place["price"] < 100_000  # below the market: rests unfilled
    run.wait_for("order_result", intent_id=place["intent_id"], result="acked")
    amend = run.wait_for("order", code=CODE, action="amend")[0]
    upper = instrument(sim, CODE).upper_limit
    assert amend["price"] == upper and amend["target_id"] == place["intent_id"]
    fill = run.wait_for("fill", code=CODE, side="buy")[0]
    assert fill["qty"] == place["qty"]
    run.signal()
    assert run.wait_exit() == 130
    assert [o["api_id"] for o in orders_for(sim, CODE)] == ["kt10000", "kt10002"]  # amended once
    assert run.summary()["orders"]["amended"] == 1


def test_max_positions_denies_the_entry_beyond_it(sim, start_run):
    run = start_run("--buy-cond", "1", "--max-positions", "2", *ANY_HOUR, headless=False)
    codes = ["005930", "000660", "035420"]
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed")
    for code in codes[:2]:
        sim.push_condition("1", code, "I")
    run.wait_for("fill", side="buy", count=2)
    sim.push_condition("1", codes[2], "I")
    deny = run.wait_for("decision", code=codes[2], action="deny")[0]
    assert deny["reason"].startswith("max positions")
    run.signal()
    assert run.wait_exit() == 130
    assert sorted(o["body"]["stk_cd"] for o in sim.order_log) == sorted(codes[:2])


def test_closed_window_buys_nothing(sim, start_run):
    import datetime as dt

    from kiwoom_cli.clock import KST

    now = dt.datetime.now(KST)
    start, end = now + dt.timedelta(hours=1), now + dt.timedelta(hours=2)
    if end.date() != now.date():  # late evening: a window earlier today is closed too
        start, end = now - dt.timedelta(hours=2), now - dt.timedelta(hours=1)
    window = f"{start:%H:%M}-{end:%H:%M}"
    run = start_run("--buy-cond", "1", "--window", window, "--liquidate-at", "false")
    if end < now:  # headless: a window that already ended ends the run at once, with exit 0
        assert run.wait_exit() == 0 and run.summary()["exit_reason"] == "window closed"
    else:
        entered(sim, run, CODE)
        deny = run.wait_for("decision", code=CODE, action="deny")[0]
        assert deny["reason"] == "window closed"
        run.signal()
        assert run.wait_exit() == 130
    assert sim.order_log == []


def test_dropped_socket_reconnects_and_keeps_trading(sim, start_run):
    run = start_run("--buy-cond", "1", *ANY_HOUR)
    run.wait_for("socket", state="connected")
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed")
    sim.fault("drop_socket")
    run.wait_for("socket", state="disconnected")
    run.wait_for("socket", state="connected", count=2)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="condition re-subscribed")
    sim.push_condition("1", CODE, "I")
    run.wait_for("fill", code=CODE, side="buy")
    run.signal()
    assert run.wait_exit() == 130


def test_another_login_with_the_same_key_ends_the_run_with_exit_6(sim, start_run, tmp_path):
    import queue

    from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
    from kiwoom_cli.kiwoom.rest import RestClient
    from kiwoom_cli.kiwoom.socket import SocketClient
    from kiwoom_cli.kiwoom.tokens import TokenStore
    from tests.kit.sim import APP_KEY, SECRET

    run = start_run("--buy-cond", "1", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed")
    endpoint = Endpoint("mock", sim.rest_url, sim.ws_url)
    with RestClient(endpoint, Credentials(APP_KEY, SECRET), tokens=TokenStore(tmp_path / "other")) as rest:
        other = SocketClient(endpoint, rest.token, queue.SimpleQueue(), reconnect=False)
        other.start()  # the broker allows one login per app key: this one kicks the run's (R10001)
        try:
            assert run.wait_exit() == 6
        finally:
            other.stop()
    assert run.summary()["exit_reason"].startswith("kicked")
    assert "another login" in run.stderr


def test_headless_run_ends_with_0_when_the_window_closes(sim, start_run):
    import datetime as dt

    from kiwoom_cli.clock import KST

    now = dt.datetime.now(KST)
    window = f"{now - dt.timedelta(minutes=1):%H:%M:%S}-{now + dt.timedelta(seconds=4):%H:%M:%S}"
    run = start_run("--buy-cond", "1", "--window", window, "--liquidate-at", "false")
    assert run.wait_exit() == 0
    assert run.summary()["exit_reason"] == "window closed"
