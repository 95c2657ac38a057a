"""A manual order refused with a recognised refusal placed nothing: the order service sends it again,
every try journaled, against the simulator over real sockets (rate limits and refused tokens)."""

from __future__ import annotations

import pytest

from kiwoom_cli.clock import ManualClock, SystemClock
from kiwoom_cli.core.orders import OrderService
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.errors import BadInput, ExitCode, RateLimited, TokenInvalid
from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.ratelimit import RateLimiter
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from tests.kit.cli import kiwoom
from tests.kit.sim import APP_KEY, SECRET
from tests.kit.sim import arm


class Refusing:
    """A real RestClient; the simulator is told to refuse (fault `kind`) each of the first `times` orders."""

    def __init__(self, rest: RestClient, sim, kind: str, times: int) -> None:
        self._rest, self._sim, self._kind, self.left = rest, sim, kind, times

    def __getattr__(self, name):
        return getattr(self._rest, name)

    def _arm(self) -> None:
        if self.left > 0:
            self.left -= 1
            self._sim.fault(self._kind, 1)

    def buy(self, *args):
        self._arm()
        return self._rest.buy(*args)

    def sell(self, *args):
        self._arm()
        return self._rest.sell(*args)


class ExpiringRest(RestClient):
    """Every token the simulator issues to this client is refused at once (two refusals in a row)."""

    sim = None
    armed = False

    def _issue(self):
        entry = super()._issue()
        if self.armed:
            self.sim.fault("expire_token", 1)
        return entry


def make_rest(sim, home, cls=RestClient, **kw) -> RestClient:
    return cls(Endpoint("mock", sim.rest_url, sim.ws_url), Credentials(APP_KEY, SECRET),
               tokens=TokenStore(home / "tokens"), **kw)


def placed(sim) -> list[dict]:
    """Orders the simulator accepted (GET /sim/orders also lists the refused ones)."""
    return [o for o in sim.order_log if o["result"].get("return_code") == 0]


def tries(journal, intent_id: str) -> list[tuple[str, str]]:
    return [(r["kind"], r["outcome"]) for r in journal.orders_for(intent_id)["requests"]]


@pytest.fixture
def journal(isolated_home):
    j = Journal.open_for("mock", "test")
    yield j
    j.close()


def test_buy_refused_once_by_a_rate_limit_is_placed_once_with_two_tries_journaled(sim, isolated_home, journal):
    rest = make_rest(sim, isolated_home)
    service = OrderService(Refusing(rest, sim, "rate_limit", 1), journal, SystemClock())
    intent = service.prepare_place("buy", "005930", 1, None, ticks=1)
    ack = service.execute(intent)
    assert len(placed(sim)) == 1 and len(sim.order_log) == 2
    assert tries(journal, intent.intent_id) == [
        ("place", "sent"), ("answer", "rate_limited"), ("retry", "sent"), ("answer", "acked")]
    [row] = journal.intents()
    assert row["status"] == "acked" and row["order_no"] == ack.order_no
    # the price was redone from a fresh quote before the second try
    quotes = [e for e in sim.request_log if e.get("api_id") == "ka10007"]
    assert len(quotes) == 2
    rest.close()


def test_buy_refused_three_times_is_not_sent_exit_4(sim, isolated_home, journal):
    rest = make_rest(sim, isolated_home)
    service = OrderService(Refusing(rest, sim, "rate_limit", 3), journal, SystemClock())
    intent = service.prepare_place("buy", "005930", 1, None)
    with pytest.raises(RateLimited) as info:
        service.execute(intent)
    assert info.value.exit_code == ExitCode.NETWORK
    assert str(info.value).startswith("not sent: rate-limited 3 times")
    assert placed(sim) == [] and len(sim.order_log) == 3
    outcomes = tries(journal, intent.intent_id)
    assert [k for k, _ in outcomes].count("retry") == 2 and outcomes[-1] == ("answer", "failed")
    assert journal.intents()[0]["status"] == "failed"
    rest.close()


def test_buy_gives_up_after_five_seconds_on_the_clock(sim, isolated_home, journal):
    clock = ManualClock()
    limiter = RateLimiter(1.0, 1, clock=clock, sleep=lambda s: clock.advance(6.0))  # each slot 6 s away
    rest = make_rest(sim, isolated_home, limiter=limiter, clock=clock)
    service = OrderService(Refusing(rest, sim, "rate_limit", 5), journal, clock)
    intent = service.prepare_place("buy", "005930", 1, None)
    with pytest.raises(RateLimited, match="rate-limited 2 times in 6.0s"):
        service.execute(intent)
    assert placed(sim) == [] and len(sim.order_log) == 2
    rest.close()


def test_sell_keeps_trying_until_placed(sim, isolated_home, journal):
    rest = make_rest(sim, isolated_home)
    service = OrderService(rest, journal, SystemClock())
    service.place("buy", "005930", 2, None)  # a market buy fills at once: shares to sell
    service = OrderService(Refusing(rest, sim, "rate_limit", 5), journal, SystemClock())
    intent = service.prepare_place("sell", "005930", 2, None)
    service.execute(intent)
    sells = [o for o in sim.order_log if o["api_id"] == "kt10001"]
    assert len(sells) == 6 and [o for o in placed(sim) if o["api_id"] == "kt10001"] == sells[-1:]
    assert [k for k, _ in tries(journal, intent.intent_id)].count("retry") == 5
    rest.close()


def test_refused_token_then_success_is_placed_once_with_two_tries(sim, isolated_home, journal):
    rest = make_rest(sim, isolated_home)
    rest.token()  # a cached token, which the simulator now refuses
    service = OrderService(Refusing(rest, sim, "expire_token", 1), journal, SystemClock())
    intent = service.prepare_place("buy", "005930", 1, None)
    service.execute(intent)
    assert len(placed(sim)) == 1 and len(sim.order_log) == 2
    assert tries(journal, intent.intent_id) == [
        ("place", "sent"), ("answer", "token_refused"), ("retry", "sent"), ("answer", "acked")]
    rest.close()


def test_two_token_refusals_exit_3_nothing_placed(sim, isolated_home, journal):
    ExpiringRest.sim = sim
    rest = make_rest(sim, isolated_home, cls=ExpiringRest)
    service = OrderService(rest, journal, SystemClock())
    intent = service.prepare_place("buy", "005930", 1, None)
    sim.fault("expire_token", 1)  # the cached token is refused, and so is the fresh one
    rest.armed = True
    with pytest.raises(TokenInvalid) as info:
        service.execute(intent)
    assert info.value.exit_code == ExitCode.AUTH and "not sent" in str(info.value)
    assert placed(sim) == [] and len([o for o in sim.order_log if o["api_id"] == "kt10000"]) == 2
    assert [o for _, o in tries(journal, intent.intent_id)] == [
        "sent", "token_refused", "sent", "token_refused", "failed"]
    rest.close()


# --------------------------------------------------------------------------- the command, as a user runs it


@pytest.mark.parametrize(("kind", "form", "code", "times", "exit_code", "says"), [
    ("rate_limited", "top", "1700", 1, 0, None),
    ("rate_limited", "http429", "1701", 3, 4, "not sent: rate-limited 3 times"),
    ("token_refused", "top", "8005", 1, 0, None),
    ("token_refused", "rc3", "8031", 2, 3, "not sent: the broker refused a fresh token too"),
])
def test_order_buy_resends_a_recognised_refusal(mock_env, sim, kind, form, code, times, exit_code, says):
    arm(sim, kind=kind, form=form, code=code, api_id="kt10000", count=times)
    ran = kiwoom("order", "buy", "005930", "1", "--market", "--wait", "0")
    assert ran.code == exit_code, ran.err
    sent = [o for o in sim.order_log if o["api_id"] == "kt10000"]
    assert len(placed(sim)) == (1 if exit_code == 0 else 0) and len(sent) == len(placed(sim)) + times
    if says:
        [line] = ran.err.strip().splitlines()  # one clear line
        assert says in line, line


@pytest.mark.parametrize(("status", "body"), [
    (200, '{"return_code": 1700, "return_msg": "x", "ord_no": "0000099"}'),  # refused, yet numbered
    (200, '{"return_code": 8005, "return_msg": "x", "ord_no": "0000099"}'),
    (500, '{"return_code": 5, "return_msg": "[1700:x]"}'),  # a refusal from a server that failed
    (503, '{"return_code": 3, "return_msg": "[8005:x]"}'),
], ids=["1700-numbered", "8005-numbered", "500-1700", "503-8005"])
def test_a_refusal_that_contradicts_itself_is_outcome_unknown_and_never_resent(mock_env, sim, status, body):
    """The order took effect, then the answer looked like a refusal: resending would buy twice."""
    arm(sim, kind="bad_answer", api_id="kt10000", status=status, body=body, effect=True, count=1)
    ran = kiwoom("order", "buy", "005930", "1", "--market", "--wait", "0")
    assert ran.code == 5, ran.err
    assert len([o for o in sim.order_log if o["api_id"] == "kt10000"]) == 1  # sent once, never again
    assert "may have been placed" in ran.err and "kiwoom orders" in ran.err


def test_the_checks_are_redone_before_a_retry(sim, isolated_home, journal):
    """The price rose while the buy waited for its slot: at the new price it is above max_order_value."""
    rest = make_rest(sim, isolated_home)
    refusing = Refusing(rest, sim, "rate_limit", 1)
    service = OrderService(refusing, journal, SystemClock(), max_order_value=100_000)
    sim.set_price("005930", 97_500)
    intent = service.prepare_place("buy", "005930", 1, None, ticks=0)  # 97,500: under the cap
    arm_first = refusing._arm

    def arm_and_move() -> None:
        arm_first()
        sim.set_price("005930", 101_000)  # before the retry's fresh quote
    refusing._arm = arm_and_move
    with pytest.raises(BadInput, match="above max_order_value"):
        service.execute(intent)
    assert placed(sim) == [] and len(sim.order_log) == 1  # refused once, not sent again
    assert journal.intents()[0]["status"] == "failed"
    rest.close()
