"""The one exception -> outcome map (core/outcomes.py), and the two paths that use it: a manual
order (OrderService.execute) and the order worker of `kiwoom run` (OrderWorker), against the
simulator over real sockets."""

from __future__ import annotations

import inspect
import queue

import pytest

from kiwoom_cli import errors
from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core import outcomes
from kiwoom_cli.core.orders import OrderService
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.core.workers import OrderWorker
from kiwoom_cli.errors import ExitCode, KiwoomError, OutcomeUnknown
from kiwoom_cli.kiwoom.codec import ProtocolError
from tests.kit.sim import rest_client, running_sim

FAILED, UNKNOWN = "failed", "unknown"

TABLE = [  # every error class we raise, and what it means for an order whose send raised it
    (errors.RateLimited("kt10000: [1700] too many", code="1700"), ev.REFUSED_RATE),
    (errors.TokenInvalid("kt10000: [8005] token", code="8005"), ev.REFUSED_TOKEN),
    (errors.BrokerRejected("kt10000: [RC4025] no cash", code="RC4025"), FAILED),
    (errors.AuthError("kt10000: [8030] app key", code="8030"), FAILED),
    (errors.BadInput("qty must be a whole number"), FAILED),
    (errors.ConfigError("bad key"), FAILED),
    (errors.ConfirmationNeeded("real mode needs --yes"), FAILED),
    (errors.TemporaryError("kt10000: cannot connect (ConnectionRefusedError)"), FAILED),
    (errors.CertificateFailed("certificate verify failed"), FAILED),
    (errors.OutcomeUnknown("kt10000: no answer (ReadTimeoutError)"), UNKNOWN),
    (ProtocolError("kt10000: answer lacks 'ord_no'", api_id="kt10000"), UNKNOWN),
    (errors.ApiError("kt10000: something", code="9999"), UNKNOWN),
    (errors.KiwoomError("something went wrong"), UNKNOWN),
    (errors.Declined("declined"), UNKNOWN),
    (errors.AccountBusy("held by pid 1"), UNKNOWN),
    (KeyboardInterrupt(), UNKNOWN),
    (RuntimeError("a bug"), UNKNOWN),
]


def _kind(out) -> str:
    if isinstance(out, ev.OrderRefused):
        return out.kind
    return FAILED if isinstance(out, ev.OrderFailed) else UNKNOWN


@pytest.mark.parametrize(("exc", "expected"), TABLE, ids=[type(e).__name__ for e, _ in TABLE])
def test_each_error_class_maps_to_one_outcome(exc, expected):
    out = outcomes.outcome("i-1", exc)
    assert out.intent_id == "i-1" and _kind(out) == expected
    if isinstance(exc, KiwoomError):
        assert out.reason == exc.message
    if isinstance(out, (ev.OrderRefused, ev.OrderFailed)) and isinstance(exc, errors.ApiError):
        assert out.error_code == exc.code


def test_every_error_class_is_in_the_table():
    """A new error class must be placed in the map on purpose (and in TABLE)."""
    ours = {c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, KiwoomError)}
    assert ours | {ProtocolError} == {type(e) for e, _ in TABLE if isinstance(e, KiwoomError)}


def test_reasons_of_unknown_outcomes_without_a_message():
    assert outcomes.outcome("i", KeyboardInterrupt()).reason == outcomes.INTERRUPTED
    assert outcomes.outcome("i", RuntimeError("secret detail")).reason == "internal error: RuntimeError"


class FailsAfterSending:
    """A real RestClient whose buy reaches the simulator and then raises `error`: an error that came
    after the order took effect (the broker has it), of a class not known to precede it."""

    def __init__(self, rest, error: BaseException) -> None:
        self._rest, self._error = rest, error

    def __getattr__(self, name):
        return getattr(self._rest, name)

    def buy(self, *args):
        self._rest.buy(*args)
        raise self._error


@pytest.fixture
def sim():
    with running_sim() as server:
        yield server


def _orders(sim) -> list[str]:
    return [o["api_id"] for o in sim.order_log]


def test_manual_order_with_a_plain_kiwoom_error_is_unknown_exit_5_and_not_resent(sim, tmp_path):
    rest = rest_client(sim, tmp_path / "tokens")
    journal = Journal(tmp_path / "journal.sqlite3")
    try:
        service = OrderService(FailsAfterSending(rest, KiwoomError("kt10000: the answer made no sense")),
                               journal, SystemClock())
        with pytest.raises(OutcomeUnknown) as info:
            service.place("buy", "005930", 1, None)
        assert info.value.exit_code == ExitCode.OUTCOME_UNKNOWN and "kiwoom orders" in str(info.value)
        [row] = journal.intents()
        assert row["status"] == "unknown" and "made no sense" in row["reason"]
        assert _orders(sim) == ["kt10000"]  # the broker has the order: "failed" would have been a lie
    finally:
        journal.close()
        rest.close()


def _work(service: OrderService, intent) -> list:
    """Run the order worker (its thread's loop, on this thread) over one intent; its events."""
    jobs, events = queue.SimpleQueue(), queue.SimpleQueue()
    jobs.put(intent)
    jobs.put(ev.STOP)
    OrderWorker("test-orders", lambda: service, jobs, events).run()
    out = []
    while not events.empty():
        out.append(events.get_nowait())
    return out


@pytest.mark.parametrize("error", [errors.ApiError("kt10000: odd", code="9999"), RuntimeError("a bug")],
                         ids=["ApiError", "a bug"])
def test_worker_order_whose_send_raised_after_it_left_is_unknown_and_not_resent(sim, tmp_path, error):
    rest = rest_client(sim, tmp_path / "tokens")
    service = OrderService(FailsAfterSending(rest, error), None, SystemClock())
    intent = service.prepare_place("buy", "005930", 1, None)
    [out] = _work(service, intent)
    assert out == outcomes.outcome(intent.intent_id, error) and isinstance(out, ev.OrderUnknown)
    assert _orders(sim) == ["kt10000"]


def test_worker_and_manual_path_agree_on_a_rejection(sim, tmp_path):
    """The same refusal from the broker (too little cash) is OrderFailed on both paths."""
    worker_service = OrderService(rest_client(sim, tmp_path / "tokens"), None, SystemClock())
    [out] = _work(worker_service, worker_service.prepare_place("buy", "005930", 100_000, None))  # closes its client
    assert isinstance(out, ev.OrderFailed) and out.error_code == "RC4025"
    rest = rest_client(sim, tmp_path / "tokens")
    journal = Journal(tmp_path / "journal.sqlite3")
    try:
        with pytest.raises(errors.BrokerRejected) as info:
            OrderService(rest, journal, SystemClock()).place("buy", "005930", 100_000, None)
        assert info.value.code == "RC4025" and journal.intents()[0]["status"] == "failed"
    finally:
        journal.close()
        rest.close()
