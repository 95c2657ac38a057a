"""The one order service against the simulator over real sockets, journaling to a real SQLite file."""

from __future__ import annotations

import pytest

from kiwoom_cli import market
from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.orders import OrderService, check_code, check_price, check_qty, price_for
from kiwoom_cli.core.journal import Journal, journal_path
from kiwoom_cli.errors import BadInput, BrokerRejected, OutcomeUnknown
from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.models import Quote, Side
from tests.kit.helpers import wait_until
from tests.kit.sim import APP_KEY, SECRET, instrument

QUOTE = Quote("005930", "삼성전자", 97_500, 0, 0.0, 97_500, 126_700, 68_300)


def make_rest(sim, home, timeout: float = 10.0) -> RestClient:
    return RestClient(Endpoint("mock", sim.rest_url, sim.ws_url), Credentials(APP_KEY, SECRET),
                      tokens=TokenStore(home / "tokens"), timeout=timeout)


@pytest.fixture
def parts(sim, isolated_home):
    rest = make_rest(sim, isolated_home)
    journal = Journal.open_for("mock", "test")
    yield OrderService(rest, journal, SystemClock()), rest, journal
    journal.close()
    rest.close()


class JournalSpy:
    """A real RestClient that, as each order leaves, reads the journal through a second connection."""

    def __init__(self, rest: RestClient) -> None:
        self._rest = rest
        self.seen_at_send: list[list[dict]] = []

    def __getattr__(self, name):
        return getattr(self._rest, name)

    def _look(self) -> None:
        other = Journal(journal_path("mock", "test"))
        try:
            self.seen_at_send.append(other.intents())
        finally:
            other.close()

    def buy(self, *args):
        self._look()
        return self._rest.buy(*args)

    def sell(self, *args):
        self._look()
        return self._rest.sell(*args)


# --------------------------------------------------------------------------- pure checks


@pytest.mark.parametrize("code", ["00593a", "005930\n", " 005930", "００５９３０", "05930", "0059300", "", " ", "삼성전자", None, 5930])
def test_bad_codes_are_refused(code):
    with pytest.raises(BadInput, match="not a stock code"):
        check_code(code)


@pytest.mark.parametrize(("qty", "ok"), [("1", 1), ("1,000", 1000), (5, 5), ("0", None), (0, None),
                                         ("-3", None), (-3, None), ("abc", None), ("1.5", None), (True, None),
                                         ("10_000", 10_000), ("10,000,000", 10_000_000), ("005930\n", None),
                                         ("5\n", None), (" 5", None), ("+5", None), ("０５", None), ("007", None),
                                         ("10,000,001", None), (10**20, None), (1e3, None), ("1,0000", None)])
def test_quantities(qty, ok):
    if ok is None:
        with pytest.raises(BadInput, match="quantity must be"):
            check_qty(qty)
    else:
        assert check_qty(qty) == ok


def test_cancel_quantity_may_be_zero():
    assert check_qty("0", allow_zero=True) == 0


def test_off_grid_price_offers_the_neighbours():
    with pytest.raises(BadInput) as info:
        check_price(97_510, QUOTE)
    assert "tick grid" in str(info.value) and "97,500 or 97,600" in str(info.value)


@pytest.mark.parametrize(("price", "nearest"), [(126_800, "126,700"), (60_000, "68,300")])
def test_price_outside_the_limits_offers_the_limit(price, nearest):
    with pytest.raises(BadInput) as info:
        check_price(price, QUOTE)
    assert "outside today's limits" in str(info.value) and f"nearest valid price: {nearest}" in str(info.value)


def test_ticks_count_from_the_current_price_or_the_given_one():
    assert price_for(QUOTE, None, None) is None  # market
    assert price_for(QUOTE, None, 0) == 97_500
    assert price_for(QUOTE, None, 2) == 97_700
    assert price_for(QUOTE, 50_000, -1) == 49_950  # crosses into the 50-won band
    # a sell counts the other way, as kiwoom run's sell_ticks does: N ticks BELOW the price
    assert price_for(QUOTE, None, 2, Side.SELL) == 97_300
    assert price_for(QUOTE, None, -1, Side.SELL) == 97_600
    assert price_for(QUOTE, 50_000, 1, Side.SELL) == 49_950
    assert check_price(126_700, QUOTE) == 126_700


# --------------------------------------------------------------------------- against the simulator


def test_intent_is_committed_before_the_order_leaves(sim, isolated_home):
    spy = JournalSpy(make_rest(sim, isolated_home))
    journal = Journal.open_for("mock", "test")
    service = OrderService(spy, journal, SystemClock())
    ack = service.place("buy", "005930", 3, None)
    [seen] = spy.seen_at_send
    assert len(seen) == 1 and seen[0]["status"] == "pending" and seen[0]["origin"] == "manual"
    [row] = journal.intents()
    assert row["status"] == "acked" and row["order_no"] == ack.order_no and row["order_type"] == "market"
    requests = journal.orders_for(row["intent_id"])["requests"]
    assert [r["outcome"] for r in requests] == ["sent", "acked"]
    assert len(sim.order_log) == 1
    journal.close()


def test_limit_order_amend_and_cancel_are_journaled_and_linked(parts, sim):
    service, rest, journal = parts
    lower = instrument(sim).lower_limit
    ack = service.place(Side.BUY, "005930", 2, lower)
    amended = service.amend(ack.order_no, "005930", 2, market.add_ticks(lower, 1))
    assert amended.order_no != ack.order_no
    assert [o.order_no for o in rest.open_orders()] == [amended.order_no]
    service.cancel(amended.order_no, "005930")
    assert rest.open_orders() == []
    rows = journal.intents()
    place = next(r for r in rows if r["kind"] == "place")
    children = {r["kind"]: r for r in rows if r["kind"] != "place"}
    assert children["amend"]["target_id"] == place["intent_id"]
    assert children["cancel"]["target_id"] == place["intent_id"]  # walked back through the amend
    assert all(r["status"] == "acked" for r in rows)


def test_rejection_is_journaled_and_raised(parts, sim):
    service, _, journal = parts
    with pytest.raises(BrokerRejected) as info:
        service.place("buy", "005930", 10_000, None)  # ~1 billion won against 100 million
    assert info.value.code == "RC4025"
    [row] = journal.intents()
    assert row["status"] == "failed" and "RC4025" in row["reason"]


def test_no_answer_is_outcome_unknown_and_never_resent(sim, isolated_home):
    rest = make_rest(sim, isolated_home, timeout=0.5)
    journal = Journal.open_for("mock", "test")
    service = OrderService(rest, journal, SystemClock())
    intent = service.prepare_place("buy", "005930", 1, None)
    sim.call(lambda: setattr(sim.ctx.faults, "delay_order_s", 2.0))
    sim.fault("delay_order", 1)
    with pytest.raises(OutcomeUnknown) as info:
        service.execute(intent)
    assert "kiwoom orders" in str(info.value)
    assert journal.intents()[0]["status"] == "unknown"
    wait_until(lambda: len(sim.order_log) == 1, message="the order reached the exchange")
    assert len(sim.order_log) == 1
    journal.close()


def test_unknown_code_is_bad_input_not_a_rejection(parts, sim):
    service, _, journal = parts
    with pytest.raises(BadInput, match="unknown stock code 999999"):
        service.prepare_place("buy", "999999", 1, None)
    assert sim.order_log == [] and journal.intents() == []


def test_find_open_names_a_missing_order(parts):
    service, _, _ = parts
    with pytest.raises(BadInput, match="no open order 0000042"):
        service.find_open("0000042")


def test_submit_reports_outcomes_as_events_for_the_order_worker(sim, isolated_home):
    service = OrderService(make_rest(sim, isolated_home), None, SystemClock())
    ok = service.submit(service.prepare_place("buy", "005930", 1, None))
    assert isinstance(ok, ev.OrderAcked) and ok.order_no
    failed = service.submit(service.prepare_place("buy", "005930", 10_000, None))
    assert isinstance(failed, ev.OrderFailed) and failed.error_code == "RC4025"
