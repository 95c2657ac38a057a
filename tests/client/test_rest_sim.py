"""RestClient against the simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.errors import AuthError, BadInput, BrokerRejected, OutcomeUnknown, TemporaryError
from kiwoom_cli.kiwoom.endpoint import Endpoint
from kiwoom_cli.kiwoom.ratelimit import RateLimiter
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.models import Side
from tests.kit.sim import (
    APP_KEY,
    SECRET,
    api_ids,
    closed_port,
    credentials,
    endpoint,
    rest_client,
    running_sim,
)
from tests.kit.helpers import wait_until


@pytest.fixture
def client(sim, tmp_path):
    with rest_client(sim, tmp_path / "tokens") as c:
        yield c


def test_token_issued_once_and_shared_by_two_clients(sim, tmp_path):
    before = api_ids(sim).count("au10001")
    with rest_client(sim, tmp_path / "t") as first, rest_client(sim, tmp_path / "t") as second:
        first.cash()
        second.cash()
        assert first.token() == second.token()
    assert api_ids(sim).count("au10001") - before == 1


def test_quote_and_quotes(client):
    quote = client.quote("005930")
    assert quote.code == "005930" and quote.name
    assert quote.lower_limit < quote.price < quote.upper_limit
    quotes = client.quotes(["005930", "000660", "035420"])
    assert [q.code for q in quotes] == ["005930", "000660", "035420"]
    assert quotes[0].price == quote.price and quotes[0].upper_limit == quote.upper_limit


def test_cash_and_empty_balance(sim, tmp_path):
    with RestClient(
        endpoint(sim), credentials().__class__("fresh-key-1", "s"), tokens=TokenStore(tmp_path)
    ) as c:
        cash = c.cash()
        assert cash.deposit == cash.orderable == 100_000_000
        balance = c.balance()
        assert balance.holdings == () and balance.totals.estimated_assets == 100_000_000


def test_market_buy_shows_in_balance_and_fills(sim, tmp_path):
    with RestClient(
        endpoint(sim), credentials().__class__("buyer-key", "s"), tokens=TokenStore(tmp_path)
    ) as c:
        ack = c.buy("035720", 3, None)
        assert ack.order_no and ack.orig_order_no is None
        [holding] = c.balance().holdings
        assert (holding.code, holding.qty, holding.sellable_qty) == ("035720", 3, 3)
        assert holding.avg_price > 0 and holding.purchase_amount == holding.avg_price * 3
        [fill] = c.fills()
        assert (fill.order_no, fill.side, fill.filled_qty) == (ack.order_no, Side.BUY, 3)
        assert c.cash().orderable < 100_000_000


def test_limit_sell_amend_cancel(sim, tmp_path):
    with RestClient(
        endpoint(sim), credentials().__class__("seller-key", "s"), tokens=TokenStore(tmp_path)
    ) as c:
        c.buy("005930", 2, None)
        quote = c.quote("005930")
        sell = c.sell("005930", 2, quote.upper_limit)
        [open_order] = c.open_orders()
        assert (open_order.order_no, open_order.side, open_order.price, open_order.remaining_qty) == (
            sell.order_no,
            Side.SELL,
            quote.upper_limit,
            2,
        )
        assert c.open_orders("005930") == [open_order]
        price = quote.upper_limit - 100 * 10
        amended = c.amend(sell.order_no, "005930", 0, price)
        assert amended.order_no != sell.order_no and amended.orig_order_no == sell.order_no
        [after] = c.open_orders()
        assert (after.order_no, after.price, after.remaining_qty) == (amended.order_no, price, 2)
        cancelled = c.cancel(amended.order_no, "005930")
        assert cancelled.order_no not in (sell.order_no, amended.order_no)
        assert c.open_orders() == []
        assert c.balance().holdings[0].sellable_qty == 2


def test_rejections_are_broker_rejected(client):
    with pytest.raises(BrokerRejected) as info:
        client.buy("005930", 1, 97_501)  # off the tick grid
    assert info.value.return_code == 20 and info.value.code
    with pytest.raises(BrokerRejected):
        client.sell("005930", 10_000, None)  # nothing held
    with pytest.raises(BadInput):
        client.buy("005930", 0, None)


def test_paging_collects_every_page(tmp_path):
    with running_sim(extra={"page_size": 2}) as sim:
        with RestClient(endpoint(sim), credentials(), tokens=TokenStore(tmp_path)) as c:
            codes = ["005930", "000660", "035420", "035720", "005380"]
            for code in codes:
                c.buy(code, 1, None)
            assert sorted(h.code for h in c.balance().holdings) == sorted(codes)
            assert len(c.fills()) == 5
            quote_prices = {q.code: q for q in c.quotes(codes)}
            for code in codes:
                c.sell(code, 1, quote_prices[code].upper_limit)
            assert sorted(o.code for o in c.open_orders()) == sorted(codes)
        log = sim.request_log
        continued = [e for e in log if e.get("api_id") == "kt00018"]
        assert len(continued) == 3  # 5 holdings, 2 per page


def test_rate_limited_server_never_answers_429(tmp_path):
    with running_sim(rate_limit=(1.0, 2)) as sim:
        limiter = RateLimiter(1.0, 2, clock=SystemClock())
        with RestClient(endpoint(sim), credentials(), tokens=TokenStore(tmp_path), limiter=limiter) as c:
            for _ in range(4):
                c.cash()
        statuses = [e["status"] for e in sim.request_log]
        assert statuses == [200] * 5  # au10001 + 4 x kt00001: the limiter waited, the server never said 429
        assert api_ids(sim).count("kt00001") == 4


def test_query_retries_after_an_injected_429(sim, client):
    slept = []
    client._sleep = slept.append  # noqa: SLF001 - inject the backoff sleep
    client.cash()
    sim.fault("rate_limit", 1)
    assert client.cash().deposit > 0
    assert slept == [0.5]


def test_order_is_not_retried_after_429(sim, client):
    from kiwoom_cli.errors import RateLimited

    client.token()
    before = len(sim.order_log)
    sim.fault("rate_limit", 1)
    with pytest.raises(RateLimited):
        client.buy("005930", 1, None)
    sent = sim.order_log[before:]
    assert len(sent) == 1 and sent[0]["result"]["return_code"] == 5  # refused once, never resent


def test_expired_token_is_reissued_silently(sim, client):
    client.cash()
    issued = api_ids(sim).count("au10001")
    sim.fault("expire_token", 1)
    assert client.cash().deposit > 0
    assert api_ids(sim).count("au10001") == issued + 1


def test_bad_keys_are_auth_error_without_secrets(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with running_sim(fixed_keys=("right-key", "right-secret")) as sim:
        with RestClient(endpoint(sim), credentials(), tokens=TokenStore(tmp_path)) as c:
            with pytest.raises(AuthError) as info:
                c.cash()
    error = info.value
    assert error.code == "8001" and type(error).__name__ == "AuthError"
    for text in (str(error), repr(error), repr(c), caplog.text):
        assert APP_KEY not in text and SECRET not in text


def test_token_never_in_messages_or_logs(sim, client, caplog):
    caplog.set_level(logging.DEBUG)
    token = client.token()
    client._sleep = lambda seconds: None  # noqa: SLF001 - no real backoff in this test
    sim.fault("rest_error", 1)
    sim.fault("rate_limit", 3)
    with pytest.raises(TemporaryError) as info:
        client.cash()
    assert token not in str(info.value) and token not in caplog.text


def test_unreachable_server_is_temporary(tmp_path):
    port = closed_port()
    slept = []
    dead = Endpoint("sim", f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/api/dostk/websocket")
    with RestClient(dead, credentials(), tokens=TokenStore(tmp_path), sleep=slept.append, timeout=2) as c:
        with pytest.raises(TemporaryError) as info:
            c.cash()
        assert type(info.value) is TemporaryError and "cannot connect" in str(info.value)
        assert slept == [0.5, 1.0]  # queries retried `retries` times


def test_unreachable_order_is_temporary_not_unknown(sim, tmp_path):
    with rest_client(sim, tmp_path) as c:
        c.token()  # a token from the live simulator, then the broker goes away
        c.endpoint = Endpoint("sim", f"http://127.0.0.1:{closed_port()}", sim.ws_url)
        with pytest.raises(TemporaryError) as info:
            c.buy("005930", 1, None)
        assert not isinstance(info.value, OutcomeUnknown)


def test_order_timeout_is_outcome_unknown_and_not_resent(sim, tmp_path):
    with rest_client(sim, tmp_path, timeout=0.5) as c:
        c.token()
        before = len(sim.order_log)
        sim.fault("delay_order", 1)
        with pytest.raises(OutcomeUnknown):
            c.buy("005380", 1, None)
        # the order did reach the broker: it settles by a query, and was sent exactly once
        wait_until(lambda: len(sim.order_log) == before + 1, timeout=10, message="the delayed order")
        assert len(sim.order_log) == before + 1


def test_server_error_on_order_is_outcome_unknown(sim, client):
    client.token()
    sim.fault("rest_error", 1)
    with pytest.raises(OutcomeUnknown):
        client.buy("005930", 1, None)


def test_revoke_forgets_the_token(sim, tmp_path):
    with rest_client(sim, tmp_path) as c:
        first = c.token()
        c.revoke()
        assert "au10002" in api_ids(sim)
        assert c.token() != first


def test_second_token_refusal_is_token_invalid(tmp_path):
    """Tokens that die at once: refused, re-issued once, refused again -> TokenInvalid."""
    from kiwoom_cli.errors import TokenInvalid

    with running_sim(token_lifetime_s=0) as sim, rest_client(sim, tmp_path) as c:
        with pytest.raises(TokenInvalid) as info:
            c.cash()
        assert info.value.code == "8005"
        assert api_ids(sim).count("au10001") == 2 and api_ids(sim).count("kt00001") == 2


def test_environment_proxies_are_ignored(sim, tmp_path, monkeypatch):
    dead = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with rest_client(sim, tmp_path) as c:
        assert c.cash().deposit > 0


def test_explicit_proxy_is_honoured(sim, tmp_path):
    with rest_client(sim, tmp_path, proxy=f"http://127.0.0.1:{closed_port()}", sleep=lambda s: None) as c:
        with pytest.raises(TemporaryError):
            c.cash()
