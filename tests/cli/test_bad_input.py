"""The bad-input matrix: a clear message, the documented exit code, and no order request sent."""

from __future__ import annotations

import socket

import pytest

from kiwoom_cli import market
from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.orders import OrderService
from kiwoom_cli.errors import BadInput
from kiwoom_cli.models import Quote
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.cli import kiwoom
from tests.kit.sim import instrument


def fails(sim, argv, code, *fragments):
    ran = kiwoom(*argv)
    assert ran.code == code, (ran.code, ran.out, ran.err)
    assert ran.err.startswith("kiwoom: "), ran.err
    assert len(ran.err.strip().splitlines()) == 1 and "Traceback" not in ran.err  # one clear line
    for fragment in fragments:
        assert fragment in ran.err, (fragment, ran.err)
    assert sim.order_log == [], "no order request may reach the exchange"
    return ran


BUY = ("order", "buy")


@pytest.mark.parametrize(("argv", "fragments"), [
    ((*BUY, "00593a", "1", "--market"), ("not a stock code", "00593a", "6 digits or upper-case letters")),
    ((*BUY, "005930", "1,5", "--market"), ("quantity", "'1,5'")),  # a review: read as 15 shares
    ((*BUY, "005930", "1,000_000", "--market"), ("quantity",)),
    ((*BUY, "005930", "1", "--price", "9,75,00"), ("price", "'9,75,00'")),  # was sent as 97,500
    ((*BUY, "005930", "1", "--market", "--wait", "1e12"), ("--wait", "3600")),  # was an exit 70 after sending
    ((*BUY, "005930", "1", "--market", "--wait", "inf"), ("--wait",)),
    ((*BUY, "05930", "1", "--market"), ("not a stock code", "05930")),
    ((*BUY, "0059300", "1", "--market"), ("not a stock code",)),
    ((*BUY, "005930", "0", "--market"), ("quantity must be a positive whole number", "'0'")),
    ((*BUY, "005930", "-5", "--market"), ("quantity must be a positive whole number", "'-5'")),
    ((*BUY, "005930", "ten", "--market"), ("quantity must be a positive whole number", "'ten'")),
    ((*BUY, "005930", "1.5", "--market"), ("quantity must be",)),
    ((*BUY, "005930", "1", "--price", "abc"), ("--price", "positive whole number of won")),
    ((*BUY, "005930", "1", "--price", "0"), ("--price",)),
    ((*BUY, "005930", "1"), ("say how to price the order", "--market")),
    ((*BUY, "005930", "1", "--market", "--price", "97500"), ("--market cannot be combined",)),
    (("order", "sell", "005930", "-1", "--market"), ("quantity must be",)),
    (("order", "cancel", "abc"), ("not an order number",)),
    (("order", "cancel", "0000099"), ("no open order 0000099", "kiwoom orders")),
    (("order", "amend", "0000099", "--price", "97500"), ("no open order 0000099",)),
    (("quote", "12345"), ("not a stock code",)),
    # hostile values (issue 12 item 7): ASCII digits only, nothing around them, within the bounds
    ((*BUY, "005930", "005930\n", "--market"), ("quantity must be",)),
    ((*BUY, "005930", "5930\n", "--market"), ("quantity must be",)),
    ((*BUY, "005930", " 5", "--market"), ("quantity must be",)),
    ((*BUY, "005930", "1 0", "--market"), ("quantity must be",)),
    ((*BUY, "005930", "+5", "--market"), ("quantity must be",)),
    ((*BUY, "005930", "０５", "--market"), ("quantity must be",)),  # full-width digits
    ((*BUY, "005930", "٣", "--market"), ("quantity must be",)),  # Arabic-Indic three
    ((*BUY, "005930", "1e20", "--market"), ("quantity must be",)),
    ((*BUY, "005930", "100000000000000000000", "--market"), ("at most 10,000,000",)),
    ((*BUY, "005930", "100000000", "--market"), ("at most 10,000,000",)),
    ((*BUY, "005930", "10,000,001", "--market"), ("at most 10,000,000",)),
    ((*BUY, "005930", "1,,0", "--market"), ("quantity must be",)),
    ((*BUY, "005930", ",10", "--market"), ("quantity must be",)),
    ((*BUY, "005930", "", "--market"), ("quantity must be",)),
    ((*BUY, "005930\n", "1", "--market"), ("not a stock code",)),
    ((*BUY, " 005930", "1", "--market"), ("not a stock code",)),
    ((*BUY, "００５９３０", "1", "--market"), ("not a stock code",)),
    ((*BUY, "005930", "1", "--price", "９７５００"), ("--price", "positive whole number of won")),
    ((*BUY, "005930", "1", "--price", "97500\n"), ("--price",)),
    ((*BUY, "005930", "1", "--price", "-97500"), ("--price",)),
    ((*BUY, "005930", "1", "--price", "1e20"), ("--price",)),
    ((*BUY, "005930", "1", "--price", "100000000000000000000"), ("--price", "at most 100,000,000")),
    ((*BUY, "005930", "1", "--ticks", "1000000000000"), ("--ticks", "-1000 to 1000")),
    ((*BUY, "005930", "1", "--ticks", "５"), ("--ticks",)),  # click's int() would take it
    ((*BUY, "005930", "1", "--ticks", "+5"), ("--ticks",)),
    ((*BUY, "005930", "1", "--ticks", "1.5"), ("--ticks",)),
    (("order", "cancel", "0000099\n"), ("not an order number",)),
    (("order", "cancel", "０００９９"), ("not an order number",)),
    (("order", "cancel", "1" * 21), ("not an order number",)),
    (("order", "amend", "0000099", "--price", "97500", "--qty", "５"), ("quantity must be",)),
    (("order", "cancel", "0000099", "--qty", "1e20"), ("quantity must be",)),
    (("quote", "005930", "00593a"), ("not a stock code",)),
])
def test_bad_order_input(mock_env, sim, argv, fragments):
    fails(sim, argv, 2, *fragments)


@pytest.mark.parametrize("until", ["", " ", "+1e9h", "+25h", "１５:２０"])
def test_bad_until_exits_2_before_the_run_starts(mock_env, sim, until):
    """`--until ""` used to mean no limit: the run went on forever."""
    fails(sim, ("run", "--headless", "--buy-cond", "1", "--until", until), 2, "--until")
    assert sim.request_log == []  # refused before logging in


def test_unknown_stock_code(mock_env, sim):
    fails(sim, (*BUY, "999999", "1", "--market"), 2, "unknown stock code 999999")
    fails(sim, ("quote", "999999"), 2, "unknown stock code: 999999")


def test_price_off_the_tick_grid_offers_the_nearest_valid_prices(mock_env, sim):
    price = instrument(sim).price
    off = price + 1
    below, above = market.round_down_to_tick(off), market.round_up_to_tick(off)
    fails(sim, (*BUY, "005930", "1", "--price", str(off)), 2,
          "not on the tick grid", f"{below:,} or {above:,}")


def test_price_outside_the_daily_limits_offers_the_limit(mock_env, sim):
    inst = instrument(sim)
    too_high = market.add_ticks(inst.upper_limit, 1)
    fails(sim, (*BUY, "005930", "1", "--price", str(too_high)), 2,
          "outside today's limits", f"nearest valid price: {inst.upper_limit:,}")
    too_low = market.add_ticks(inst.lower_limit, -1)
    fails(sim, ("order", "sell", "005930", "1", "--price", str(too_low)), 2,
          f"nearest valid price: {inst.lower_limit:,}")


def test_ticks_beyond_the_limits_are_refused(mock_env, sim):
    fails(sim, (*BUY, "005930", "1", "--ticks", "500"), 2, "outside today's limits")


def test_amend_to_an_off_grid_price_sends_nothing_more(mock_env, sim):
    lower = instrument(sim).lower_limit
    assert kiwoom(*BUY, "005930", "1", "--price", str(lower), "--wait", "0").code == 0
    [entry] = sim.order_log
    order_no = entry["result"]["ord_no"]
    ran = kiwoom("order", "amend", order_no, "--price", str(lower + 1))
    assert ran.code == 2 and "not on the tick grid" in ran.err
    assert len(sim.order_log) == 1


def test_unknown_condition(mock_env, sim):
    fails(sim, ("conditions", "show", "no such condition"), 2, "unknown condition", "saved conditions")


@pytest.mark.parametrize(("toml", "fragments"), [
    ("[run]\nbuy_amout = 5\n", ("unknown key", "buy_amout", "buy_amount")),
    ("[run]\nbuy_amount = \"lots\"\n", ("buy_amount", "whole number")),
    ("[run]\nbuy_amount = -5\n", ("buy_amount", "at least")),
    ("[run]\nstop_loss_pct = 2.0\n", ("stop_loss_pct", "below")),
    ("[sim]\ncash = -1\n", ("sim.cash", "at least")),
    ("[run]\nmax_positions = 2.5\n", ("max_positions", "whole number")),
])
def test_bad_config(mock_env, sim, tmp_path, toml, fragments):
    (tmp_path / "kiwoom.toml").write_text(toml, encoding="utf-8")
    fails(sim, (*BUY, "005930", "1", "--market"), 2, *fragments)


@pytest.mark.parametrize("how", [("--market",), ("--ticks", "0")])
def test_a_manual_buy_over_max_order_value_sends_nothing(mock_env, sim, tmp_path, how):
    """Issue 13: a manual order above max_order_value was sent."""
    price = instrument(sim).price
    (tmp_path / "kiwoom.toml").write_text(f"[run]\nbuy_amount = {price}\nmax_order_value = {price * 10}\n",
                                          encoding="utf-8")
    fails(sim, (*BUY, "005930", "11", *how), 2, "above max_order_value", f"{price * 10:,}")
    ok = kiwoom(*BUY, "005930", "9", "--market", "--wait", "0")  # under the cap (the price may move): sent
    assert ok.code == 0, ok.err
    assert len(sim.order_log) == 1


def test_an_amend_over_max_order_value_sends_nothing(mock_env, sim, tmp_path):
    """A review: a buy placed under the cap was amended above it (2 x 126,700 against 150,000)."""
    (tmp_path / "kiwoom.toml").write_text("[run]\nbuy_amount = 100000\nmax_order_value = 150000\n", encoding="utf-8")
    price = market.round_down_to_tick(instrument(sim).price * 3 // 4)  # rests: it never fills
    placed = kiwoom(*BUY, "005930", "2", "--price", str(price), "--wait", "0")  # under 150,000
    assert placed.code == 0, placed.err
    [order] = [o for o in sim.order_log if o["api_id"] == "kt10000"]
    order_no = order["result"]["ord_no"]
    higher = market.round_down_to_tick(80_000)  # 2 x 80,000 is above the cap: refused, nothing sent
    ran = kiwoom("order", "amend", order_no, "--price", str(higher))
    assert ran.code == 2 and "above max_order_value" in ran.err, ran.err
    assert [o["api_id"] for o in sim.order_log] == ["kt10000"]


def test_a_market_buy_with_no_price_yet_is_valued_at_the_upper_limit():
    """A review: a quote with cur_prc 0 (before the day's first trade) valued a market buy at 0."""
    service = OrderService(None, None, SystemClock(), max_order_value=150_000)
    quote = Quote("005930", "삼성전자", 0, 0, 0.0, 97_500, 126_700, 68_300)
    with pytest.raises(BadInput, match="above max_order_value"):
        service.prepare_place("buy", "005930", "2", None, quote=quote)  # 2 x 126,700 at the upper limit


def test_missing_keys_in_mock_and_real_mode(sim, monkeypatch):
    monkeypatch.setenv("KIWOOM_REST_URL", sim.rest_url)
    monkeypatch.setenv("KIWOOM_WS_URL", sim.ws_url)
    for mode in ("mock", "real"):
        monkeypatch.setenv("KIWOOM_MODE", mode)
        fails(sim, (*BUY, "005930", "1", "--market", "--yes"), 2, "KIWOOM_APPKEY", "KIWOOM_SECRETKEY")


def test_unreachable_server_exits_4(mock_env, sim, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the command runs: nobody listens there
    monkeypatch.setenv("KIWOOM_REST_URL", f"http://127.0.0.1:{port}")
    fails(sim, (*BUY, "005930", "1", "--market"), 4, "cannot connect", f"127.0.0.1:{port}")
    fails(sim, ("account",), 4, "cannot connect")


def test_wrong_keys_exit_3(mock_env, monkeypatch):
    with SimServer(SimConfig(rate_limit=None, static=True, fixed_keys=("right-key-000000", "right-secret-0000"))) as sim:
        monkeypatch.setenv("KIWOOM_REST_URL", sim.rest_url)
        monkeypatch.setenv("KIWOOM_WS_URL", sim.ws_url)
        ran = fails(sim, (*BUY, "005930", "1", "--market"), 3, "8001")
        assert mock_env["KIWOOM_SECRETKEY"] not in ran.err


def test_broker_rejection_exits_1(mock_env, sim):
    # a buy over the cash no longer reaches the broker (issue 13); a sell of shares not held does
    ran = kiwoom("order", "sell", "005930", "100000", "--market")
    assert ran.code == 1, ran.err
    assert "800033" in ran.err and len(ran.err.strip().splitlines()) == 1
    assert [e["api_id"] for e in sim.order_log] == ["kt10001"]  # it was sent; the broker said no


def test_debug_shows_a_traceback(mock_env, sim):
    ran = kiwoom("--debug", *BUY, "999999", "1", "--market")
    assert ran.code == 2 and "Traceback" in ran.err
    assert sim.order_log == []
