"""Order lines (kiwoom/orderline.py) against the simulator over real sockets: an order written by
one caller, its answer read later, with the same meaning as RestClient's orders."""

from __future__ import annotations

import pytest

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.errors import BrokerRejected, OutcomeUnknown, TokenInvalid
from kiwoom_cli.kiwoom.orderline import OrderLines
from kiwoom_cli.kiwoom.ratelimit import RateLimiter
from tests.kit.helpers import wait_until
from tests.kit.sim import api_ids, rest_client, running_sim


@pytest.fixture(scope="module")
def sim():
    with running_sim() as server:
        yield server


def lines_for(sim, tmp_path, *, size=2, timeout=10.0, limiter=None, token=True) -> OrderLines:
    rest = rest_client(sim, tmp_path / "tokens", limiter=limiter)
    if token:
        rest.token()
    lines = OrderLines(rest, size=size, timeout=timeout)
    lines.fill()
    return lines


def orders_for(sim, code: str, placed_only: bool = False) -> list[dict]:
    """Order requests the simulator received for `code` (placed_only: those it accepted)."""
    return [o for o in sim.order_log if o["body"].get("stk_cd") == code
            and (not placed_only or o["result"].get("return_code") == 0)]


def test_written_order_is_answered_with_its_number(sim, tmp_path):
    lines = lines_for(sim, tmp_path)
    try:
        sent = lines.try_buy("005930", 1, None)
        assert sent is not None
        ack = lines.answer(sent)
        (order,) = orders_for(sim, "005930")[-1:]
        assert order["api_id"] == "kt10000" and order["body"]["ord_qty"] == "1"
        assert ack.order_no and ack.order_no == order["result"]["ord_no"]
        # the line went back to the pool: a sell goes out on it
        sent = lines.try_sell("005930", 1, None)
        assert sent is not None and lines.answer(sent).order_no != ack.order_no
    finally:
        lines.close()


def test_same_meaning_as_the_rest_client_for_a_rejection(sim, tmp_path):
    lines = lines_for(sim, tmp_path)
    try:
        sent = lines.try_buy("999999", 1, None)  # no such stock
        with pytest.raises(BrokerRejected) as by_line:
            lines.answer(sent)
        with rest_client(sim, tmp_path / "tokens") as rest, pytest.raises(BrokerRejected) as by_rest:
            rest.buy("999999", 1, None)
        assert (by_line.value.code, by_line.value.message) == (by_rest.value.code, by_rest.value.message)
    finally:
        lines.close()


def test_nothing_is_written_without_a_cached_token(sim, tmp_path):
    lines = lines_for(sim, tmp_path, token=False)
    try:
        before = api_ids(sim).count("kt10000")
        assert lines.try_buy("000660", 1, None) is None  # issuing a token would wait: not here
        assert api_ids(sim).count("kt10000") == before
    finally:
        lines.close()


def test_no_free_rate_slot_means_nothing_written(sim, tmp_path):
    clock = ManualClock()
    lines = lines_for(sim, tmp_path, size=3, limiter=RateLimiter(1.0, 2, clock=clock))
    try:
        first, second = lines.try_buy("035720", 1, None), lines.try_buy("035720", 1, None)
        assert first is not None and second is not None
        assert lines.try_buy("035720", 1, None) is None  # the burst of 2 is used; a line is still idle
        for sent in (first, second):
            lines.answer(sent)
        assert len(orders_for(sim, "035720")) == 2
        clock.advance(1.0)  # one slot refills
        third = lines.try_buy("035720", 1, None)
        assert third is not None
        lines.answer(third)
        assert len(orders_for(sim, "035720")) == 3
    finally:
        lines.close()


def test_a_line_is_busy_until_its_answer_is_read(sim, tmp_path):
    lines = lines_for(sim, tmp_path, size=1)
    try:
        sent = lines.try_buy("005380", 1, None)
        assert sent is not None
        assert lines.try_buy("005380", 1, None) is None  # the only line awaits its answer
        lines.answer(sent)
        again = lines.try_buy("005380", 1, None)
        assert again is not None
        lines.answer(again)
        assert len(orders_for(sim, "005380")) == 2
    finally:
        lines.close()


def test_unanswered_order_is_outcome_unknown_and_never_resent(sim, tmp_path):
    lines = lines_for(sim, tmp_path, timeout=0.3)
    try:
        before = len(orders_for(sim, "068270"))
        sim.fault("delay_order", 1)  # the simulator answers after 2 s
        sent = lines.try_buy("068270", 1, None)
        with pytest.raises(OutcomeUnknown):
            lines.answer(sent)
        wait_until(lambda: len(orders_for(sim, "068270")) == before + 1, timeout=10, message="the delayed order")
        # the timed-out line is closed, not reused; fill() brings it back and it works
        lines.fill()
        sent = lines.try_buy("068270", 1, None)
        assert sent is not None
        lines.answer(sent)
        assert len(orders_for(sim, "068270")) == before + 2
    finally:
        lines.close()


def test_refused_token_is_token_invalid_and_renewed(sim, tmp_path):
    lines = lines_for(sim, tmp_path)
    try:
        sim.fault("expire_token", 1)
        issued = api_ids(sim).count("au10001")
        sent = lines.try_buy("051910", 1, None)
        with pytest.raises(TokenInvalid):
            lines.answer(sent)
        assert orders_for(sim, "051910", placed_only=True) == []  # refused at the gate: nothing placed
        lines.renew_token(sent.token)
        assert api_ids(sim).count("au10001") == issued + 1
        sent = lines.try_buy("051910", 1, None)
        assert lines.answer(sent).order_no
        assert len(orders_for(sim, "051910", placed_only=True)) == 1
    finally:
        lines.close()


def test_server_gone_means_nothing_written_and_no_error(tmp_path):
    with running_sim() as gone:
        lines = lines_for(gone, tmp_path)
    try:  # the server closed every connection when it stopped
        assert lines.try_buy("005930", 1, None) is None
        lines.fill()  # cannot connect: the lines stay down, orders take the ordinary path
        assert lines.try_buy("005930", 1, None) is None
    finally:
        lines.close()
