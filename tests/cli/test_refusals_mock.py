"""Mock mode through the CLI against a simulator answering in Kiwoom's other documented forms."""

from __future__ import annotations

import pytest

from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.ratelimit import RateLimiter
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.cli import kiwoom
from tests.kit.sim import APP_KEY, SECRET
from tests.kit.sim import arm


def test_account_recovers_from_a_top_level_token_refusal(mock_env, sim):
    assert kiwoom("account").code == 0  # caches a token
    arm(sim, kind="token_refused", form="top", code="8005", count=1)
    ran = kiwoom("account")
    assert ran.code == 0, ran.err
    assert "Orderable" in ran.out
    refused = [e for e in sim.request_log if e["status"] == 200 and e["result"].get("return_code") == 8005]
    assert len(refused) == 1
    assert [e["api_id"] for e in sim.request_log].count("au10001") == 2


def test_order_answered_204_is_outcome_unknown_not_rejected(mock_env, sim):
    assert kiwoom("account").code == 0
    arm(sim, kind="bad_answer", api_id="kt10000", status=204, body="", effect=True, count=1)
    ran = kiwoom("order", "buy", "005930", "1", "--market", "--wait", "0")
    assert ran.code == 5, (ran.out, ran.err)  # was 1, "rejected", for an order the broker placed
    assert [e["api_id"] for e in sim.order_log] == ["kt10000"]


@pytest.fixture
def strict_sim(monkeypatch):
    """A broker allowing one request per api-id at a time (burst 1), paging one holding at a time."""
    with SimServer(SimConfig(rate_limit=(1.0, 1), static=True, seed=7, extra={"page_size": 1})) as server:
        env = {"KIWOOM_MODE": "mock", "KIWOOM_REST_URL": server.rest_url, "KIWOOM_WS_URL": server.ws_url,
               "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield server


def _two_holdings(sim, tmp_path) -> None:
    limiter = RateLimiter(1.0, 1)
    with RestClient(Endpoint("mock", sim.rest_url, sim.ws_url), Credentials(APP_KEY, SECRET),
                    tokens=TokenStore(tmp_path / "setup-tokens"), limiter=limiter) as client:
        client.buy("005930", 1, None)
        client.buy("000660", 1, None)


def statuses(sim, since: int, api_id: str) -> list[int]:
    return [e["status"] for e in sim.request_log[since:] if e["api_id"] == api_id]


def test_rate_burst_default_1_never_trips_a_burst_1_broker(strict_sim, tmp_path):
    _two_holdings(strict_sim, tmp_path)
    since = len(strict_sim.request_log)
    ran = kiwoom("account", "--json")
    assert ran.code == 0, ran.err
    assert statuses(strict_sim, since, "kt00018") == [200, 200]  # two pages, the second waited its slot


def test_rate_burst_2_is_refused_once_then_learned(strict_sim, tmp_path):
    _two_holdings(strict_sim, tmp_path)
    config = tmp_path / "kiwoom.toml"
    config.write_text("rate_burst = 2\n", encoding="utf-8")
    since = len(strict_sim.request_log)
    ran = kiwoom("--config", str(config), "account", "--json")
    assert ran.code == 0, ran.err
    assert statuses(strict_sim, since, "kt00018") == [200, 429, 200]  # refused once, retried at the next slot


def test_malformed_query_answer_is_exit_4_never_no_holdings(mock_env, sim):
    arm(sim, kind="bad_answer", api_id="kt00018", status=204, body="", count=3)  # the query and its 2 retries
    ran = kiwoom("account")
    assert ran.code == 4, (ran.out, ran.err)  # was 70, an "internal error"
    assert "unexpected answer from the broker" in ran.err and "no holdings" not in ran.out
