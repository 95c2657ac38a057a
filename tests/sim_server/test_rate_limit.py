"""Per-api-id token buckets on the injected clock: 429 + rc 5 [1700], then recovery."""

from __future__ import annotations

import pytest

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.ratelimit import RateLimiter
from kiwoom_cli.sim.server import SimServer
from tests.kit.sim import APP_KEY, SECRET
from tests.kit.wire import Api


@pytest.fixture
def limited(clock):
    with SimServer(SimConfig(rate_limit=(1.0, 2), static=True), clock=clock) as sim:
        yield sim


def test_burst_then_429_then_recovery(limited, clock):
    api = Api(limited)
    api.login()
    for _ in range(2):
        api.ok("ka10001", {"stk_cd": "005930"})
    r = api.call("ka10001", {"stk_cd": "005930"})
    assert r.status_code == 429
    assert r.json() == {"return_code": 5, "return_msg": "허용된 요청 개수를 초과하였습니다[1700:허용된 API 요청 개수를 "
                                                        "초과하였습니다. 유량=1, API ID=ka10001]"}
    # other api-ids have their own bucket
    api.ok("ka10007", {"stk_cd": "005930"})
    clock.advance(1.0)
    api.ok("ka10001", {"stk_cd": "005930"})
    assert api.call("ka10001", {"stk_cd": "005930"}).status_code == 429


def test_orders_are_limited_too_and_429_places_nothing(limited, clock):
    api = Api(limited)
    api.login()
    api.buy()
    api.buy()
    r = api.call("kt10000", {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1", "ord_uv": "",
                             "trde_tp": "3", "cond_uv": ""})
    assert r.status_code == 429 and "API ID=kt10000" in r.json()["return_msg"]
    orders = limited.call(lambda: limited.ctx.exchange.orders(APP_KEY))
    assert len(orders) == 2


def test_token_issuance_is_limited(limited, clock):
    api = Api(limited)
    api.login()
    api.login()
    r = api.http.post(limited.rest_url + "/oauth2/token",
                      json={"grant_type": "client_credentials", "appkey": APP_KEY, "secretkey": SECRET})
    assert r.status_code == 429 and r.json()["return_code"] == 5 and "API ID=au10001" in r.json()["return_msg"]
    clock.advance(2.0)
    assert api.login()


def test_bucket_unit():
    clock = ManualClock()
    limiter = RateLimiter((2.0, 1), clock)
    assert limiter.allow("a") and not limiter.allow("a")
    clock.advance(0.25)
    assert not limiter.allow("a")
    clock.advance(0.25)
    assert limiter.allow("a")
    assert RateLimiter(None, clock).allow("a")
    with pytest.raises(ValueError):
        RateLimiter((0.0, 1), clock)


def test_rate_limited_order_is_logged_with_its_body(limited, clock):
    api = Api(limited)
    api.login()
    body = {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1", "ord_uv": "", "trde_tp": "3",
            "cond_uv": ""}
    for _ in range(3):
        api.call("kt10000", body)
    log = limited.order_log
    assert [e["result"]["return_code"] for e in log] == [0, 0, 5]
    assert log[2]["body"] == body
