"""Every documented refusal and every unclear answer, driven through RestClient against the simulator.

The simulator answers in each form on demand (POST /sim/fault kinds token_refused, rate_limited,
bad_answer); the client must recognise each: queries recover, orders trust only a complete refusal.
"""

from __future__ import annotations

import itertools

import pytest

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.errors import (
    BrokerRejected,
    ExitCode,
    OutcomeUnknown,
    RateLimited,
    TemporaryError,
    TokenInvalid,
)
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.kiwoom.endpoint import Credentials
from kiwoom_cli.kiwoom.ratelimit import RateLimiter
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.sim import api_ids, arm, endpoint, running_sim

TOKEN_FORMS = list(itertools.product(["http401", "rc3", "top"], ["8005", "8031", "8103"]))
RATE_FORMS = list(itertools.product(["http429", "top"], ["1700", "1701", "1702"]))
_keys = itertools.count()


@pytest.fixture
def client(sim, tmp_path):
    """A client on its own account (fresh app key), its backoff sleep recorded, never waited."""
    slept: list[float] = []
    creds = Credentials(f"refusals-key-{next(_keys)}", "refusals-secret")
    with RestClient(endpoint(sim), creds, tokens=TokenStore(tmp_path / "tokens"), sleep=slept.append) as c:
        c.slept = slept
        c.token()
        yield c


def count(sim, api_id: str) -> int:
    return api_ids(sim).count(api_id)


# --------------------------------------------------------------------------- token refusals


@pytest.mark.parametrize("form, code", TOKEN_FORMS)
def test_query_token_refusal_is_reissued_once_and_answered(sim, client, form, code):
    issued, asked = count(sim, "au10001"), count(sim, "kt00001")
    first = client.token()
    arm(sim, kind="token_refused", form=form, code=code, api_id="kt00001", count=1)
    assert client.cash().deposit > 0
    assert count(sim, "au10001") == issued + 1 and count(sim, "kt00001") == asked + 2
    assert client.token() != first


@pytest.mark.parametrize("form, code", TOKEN_FORMS)
def test_query_token_refused_twice_is_exit_3(sim, client, form, code):
    issued = count(sim, "au10001")
    arm(sim, kind="token_refused", form=form, code=code, api_id="kt00001", count=2)
    with pytest.raises(TokenInvalid) as info:
        client.cash()
    assert info.value.code == code and info.value.exit_code == ExitCode.AUTH
    assert count(sim, "au10001") == issued + 1  # re-issued once, not again


def test_refusal_never_reissues_a_token_another_process_already_replaced(sim, tmp_path):
    """A one-shot command refused with an old token takes the session's new one from the shared file."""
    creds = Credentials(f"shared-key-{next(_keys)}", "s")
    with RestClient(endpoint(sim), creds, tokens=TokenStore(tmp_path)) as session, \
            RestClient(endpoint(sim), creds, tokens=TokenStore(tmp_path)) as one_shot:
        old = session.token()
        assert one_shot.token() == old  # shared through the file
        arm(sim, kind="token_refused", form="top", code="8005", api_id="kt00001", count=1)
        session.cash()  # refused: the session re-issues, which revokes `old` at the simulator
        new = session.token()
        assert new != old
        issued = count(sim, "au10001")
        assert one_shot.cash().deposit > 0  # refused with `old` (the broker revoked it), then uses `new`
        assert count(sim, "au10001") == issued and one_shot.token() == session.token() == new


def test_token_refusal_on_an_order_places_nothing(sim, client):
    """An order is sent once per call (the order service decides a resend); the next call has a new token."""
    fills, sent, first = len(client.fills()), count(sim, "kt10000"), client.token()
    arm(sim, kind="token_refused", form="top", code="8005", api_id="kt10000", count=1)
    with pytest.raises(TokenInvalid) as info:
        client.buy("005930", 1, None)
    assert info.value.code == "8005" and count(sim, "kt10000") == sent + 1
    assert len(client.fills()) == fills
    assert client.token() != first  # the fills query above carried a fresh token


# --------------------------------------------------------------------------- rate limits


@pytest.mark.parametrize("form, code", RATE_FORMS)
def test_query_rate_limit_is_retried_and_the_limiter_learns(sim, tmp_path, form, code):
    clock = ManualClock()
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        clock.advance(seconds)

    limiter = RateLimiter(1.0, 2, clock=clock, sleep=sleep)
    creds = Credentials(f"rate-key-{next(_keys)}", "s")
    with RestClient(endpoint(sim), creds, tokens=TokenStore(tmp_path), limiter=limiter, sleep=sleep) as c:
        c.quote("005930")
        arm(sim, kind="rate_limited", form=form, code=code, api_id="ka10007", count=1)
        waited.clear()
        assert c.quote("005930").price > 0  # the burst had a slot left; refused; retried
        assert waited[0] == 0.5 and sum(waited) >= 1.0  # backoff, then the limiter's emptied bucket
        assert limiter.burst("ka10007") == 1 and limiter.burst("kt00001") == 2
    statuses = [e["status"] for e in sim.request_log if e["api_id"] == "ka10007"][-2:]
    assert statuses == [429 if form == "http429" else 200] + [200]


def test_the_limiter_does_not_repeat_a_burst_the_broker_refused(tmp_path):
    """A broker with burst 1 refuses our second quick call once; after that we never burst again."""
    clock = ManualClock()
    limiter = RateLimiter(1.0, 2, clock=clock, sleep=clock.advance)
    with SimServer(SimConfig(rate_limit=(1.0, 1), static=True), clock=clock) as sim:
        creds = Credentials("learning-key", "s")
        with RestClient(endpoint(sim), creds, tokens=TokenStore(tmp_path, clock), limiter=limiter,
                        sleep=clock.advance) as c:
            for _ in range(2):
                c.cash()
            clock.advance(30)  # idle: every bucket refills to its burst
            for _ in range(3):
                c.cash()
        refused = [e for e in sim.request_log if e["status"] == 429]
    assert len(refused) == 1 and limiter.burst("kt00001") == 1


def test_rate_limit_on_an_order_places_nothing(sim, client):
    fills = len(client.fills())
    arm(sim, kind="rate_limited", form="top", code="1700", api_id="kt10000", count=1)
    with pytest.raises(RateLimited) as info:
        client.buy("005930", 1, None)
    assert info.value.code == "1700"
    assert len(client.fills()) == fills


# --------------------------------------------------------------------------- unclear order answers

UNCLEAR = [
    (204, "", True),  # was "rejected" (exit 1) although the order was placed
    (204, "", False),
    (200, "", True),
    (200, "not json", False),
    (200, "[1, 2]", True),
    (200, '{"return_code": 0, "return_msg": "ok"}', True),  # accepted without ord_no
    (200, '{"return_code": "x", "return_msg": ""}', False),
    (429, "", False),  # a bare 429: maybe a middlebox
    (429, '{"return_code": 5, "return_msg": "too many"}', False),  # no number: not complete
    (401, "", False),
    (401, "<html>Unauthorized</html>", True),
    (500, '{"return_code": 1, "return_msg": "[1999:x]"}', True),
    (502, "Bad Gateway", True),
    (503, "", False),
    (404, '{"return_code": 0}', True),
]


@pytest.mark.parametrize("status, body, effect", UNCLEAR)
def test_unclear_order_answer_is_outcome_unknown(sim, client, status, body, effect):
    fills, sent = len(client.fills()), count(sim, "kt10000")
    arm(sim, kind="bad_answer", api_id="kt10000", status=status, body=body, effect=effect, count=1)
    with pytest.raises(OutcomeUnknown) as info:
        client.buy("005930", 1, None)
    assert info.value.exit_code == ExitCode.OUTCOME_UNKNOWN
    assert count(sim, "kt10000") == sent + 1  # never resent
    assert len(client.fills()) == fills + (1 if effect else 0)  # the order did what the fault said


def test_rc3_with_a_request_error_is_a_rejection_not_an_auth_failure(sim, client):
    body = '{"return_code": 3, "return_msg": "[1504:해당 URI에서는 지원하는 API ID가 아닙니다]"}'
    arm(sim, kind="bad_answer", api_id="ka10007", status=200, body=body, count=1)
    with pytest.raises(BrokerRejected) as info:
        client.quote("005930")
    assert info.value.code == "1504" and info.value.exit_code == ExitCode.REJECTED and "[1504:" in str(info.value)
    arm(sim, kind="bad_answer", api_id="kt10000", status=200, body=body, count=1)
    with pytest.raises(BrokerRejected):
        client.buy("005930", 1, None)


# --------------------------------------------------------------------------- malformed query answers


@pytest.mark.parametrize("status, body", [(200, ""), (204, ""), (200, "[]"), (200, '{"return_msg": "x"}')])
def test_malformed_query_answer_is_an_error_never_nothing_there(sim, client, status, body):
    arm(sim, kind="bad_answer", api_id="ka10075", status=status, body=body, count=3)
    with pytest.raises(ProtocolError):  # asked again with backoff (like a server failure), then raised
        client.open_orders()
    assert client.slept == [0.5, 1.0]


def test_server_failure_on_a_query_is_retried(sim, client):
    arm(sim, kind="bad_answer", api_id="ka10075", status=503, body="", count=1)
    assert client.open_orders() == []
    assert client.slept == [0.5]
    arm(sim, kind="bad_answer", api_id="ka10075", status=503, body="", count=3)
    with pytest.raises(TemporaryError):
        client.open_orders()


def test_a_30_s_sim_token_is_reused_not_reissued_on_every_call(tmp_path):
    with running_sim(token_lifetime_s=30) as sim, RestClient(endpoint(sim), Credentials("short", "s"),
                                                            tokens=TokenStore(tmp_path)) as c:
        for _ in range(3):
            c.cash()
        assert count(sim, "au10001") == 1
