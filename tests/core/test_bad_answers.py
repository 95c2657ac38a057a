"""Malformed broker answers are errors, never facts (#12 item 5): buying halts, exits keep working,
nothing tracked is dropped on one answer. Driven with the events the REST worker reports."""

from __future__ import annotations

import datetime as dt
import queue

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.workers import RestWorker
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import Cash, Side
from tests.kit.core import Driver, entry, quote, quotes, settings, tick

CODE, OTHER = "005930", "000660"
HALT = "unexpected answer from the broker: kt00001: answer lacks 'entr'; buying halted, exits keep working"


def _entry_bought(d: Driver, code: str) -> bool:
    before = len(d.orders(side=Side.BUY))
    d.feed(entry(code), ev.Idle(), quotes(quote(code, 10_000)))
    return len(d.orders(side=Side.BUY)) > before


def test_a_malformed_answer_in_the_run_halts_buying_and_exits_keep_working(path):
    d = Driver(path, settings(stop_loss_pct=-2.0))
    d.buy(CODE, 10_000)
    d.feed(ev.BadAnswer("kt00001", "unexpected answer from the broker: kt00001: answer lacks 'entr'"))
    assert ("halt", HALT) in [(r["action"], r["reason"]) for r in d.decisions()]
    assert "bad_answer" in d.state.snapshot().flags  # the dashboard's badge
    assert not _entry_bought(d, OTHER)
    assert d.decisions()[-1]["reason"].startswith("buying halted: unexpected answer from the broker")
    d.feed(tick(CODE, 9_700))  # -3 %: the stop-loss still sells the whole holding
    (sell,) = d.orders(side=Side.SELL)
    assert (sell.code, sell.qty, sell.rule) == (CODE, 100, "stop_loss")


def test_a_well_formed_answer_of_the_same_kind_lifts_the_halt(path):
    d = Driver(path)
    d.feed(ev.BadAnswer("kt00001", "kt00001: answer lacks 'entr'"))
    d.feed(ev.OrdersQueried((), ()))  # another api-id's answer does not lift it
    assert not _entry_bought(d, OTHER)
    d.feed(ev.CashUpdated(Cash(10**8, 10**8, 10**8)))
    assert "buying resumed" in d.decisions()[-1]["reason"]
    assert _entry_bought(d, CODE)


def test_a_malformed_balance_at_start_keeps_the_journals_positions_and_halts_buying(path):
    d = Driver(path, settings(stop_loss_pct=-2.0))
    d.buy(CODE, 10_000)
    d.close()
    d2 = Driver(path, settings(stop_loss_pct=-2.0), holdings=False, prefix="j")  # kt00018 was malformed
    pos = d2.state.positions[CODE]
    assert (pos.qty, pos.managed) == (100, True)
    assert [p.code for p in d2.journal.load(dt.date(2026, 11, 25)).positions] == [CODE]
    assert not _entry_bought(d2, OTHER)
    d2.feed(quotes(quote(CODE, 10_000)), tick(CODE, 9_700))  # the day's limits, then -3 %
    (sell,) = d2.orders(side=Side.SELL)
    assert (sell.code, sell.qty) == (CODE, 100)


def test_a_malformed_cash_answer_at_start_halts_buying(path):
    d = Driver(path, cash_answer=None)
    assert "halt" in [r["action"] for r in d.decisions()]
    assert not _entry_bought(d, CODE)


def test_a_balance_answer_without_holdings_drops_nothing(path):
    # the parser refuses it (tests/client/test_bad_answers.py); the run starts with balance None
    d = Driver(path)
    d.buy(CODE, 10_000)
    d.close()
    d2 = Driver(path, holdings=False, prefix="j", recheck=lambda: pytest.fail("no second look without a first"))
    assert [p.code for p in d2.journal.load(dt.date(2026, 11, 25)).positions] == [CODE]
    assert d2.state.positions[CODE].managed


class _Malformed:
    """A query API whose every answer is malformed (as RestClient raises it after its retries)."""

    def __getattr__(self, name):
        def call(*args, **kw):
            raise ProtocolError(f"kt00001: answer lacks 'x' ({name})", api_id="kt00001")
        return call


@pytest.mark.parametrize("job, first", [
    (ev.RefreshCash(0), None),
    (ev.QueryOrders("settle"), ev.QueryFailed),
    (ev.NeedQuotes((CODE,)), ev.QuotesFailed),
])
def test_the_rest_worker_reports_a_malformed_answer_as_bad_answer(job, first):
    worker = RestWorker("w", _Malformed, queue.SimpleQueue(), queue.SimpleQueue())
    out = worker.handle(_Malformed(), job)
    assert [type(e) for e in out] == [t for t in (first, ev.BadAnswer) if t is not None]
    assert out[-1].api_id == "kt00001" and out[-1].reason.startswith("unexpected answer from the broker: ")

