"""Property tests of the trading core's invariants (issue 12 item 9, the strategy half).

Hypothesis drives the Kernel (a journal in a temporary directory, a manual clock) with generated
sequences: condition entries and exits, ticks and quotes at hostile prices, order answers (acked,
refused, unknown), 00 order events (accepted, partial and full fills, cancels, rejections, repeats),
04 balance lines, cash updates, settle queries and the passage of time. An honest broker
(tests/core/world.py) keeps the truth; after every event the intents sent and the state are held
against the rules: never more on sale than held, one live sell per position, no buy past
max_positions, cash or the per-order cap, no order priced off today's limits or the tick grid, no
price used before a quote gave the day's limits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, seed
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.models import Cash, ConditionEvent, OrderType, Side, SocketStatus, Tick
from tests.core.world import BASES, LIMITS, World, check_intents, check_state
from tests.kit.core import BUY_COND, SELL_COND, T0, Driver, balance, fill, holding, quote, quotes, settings, tick

CODES = tuple(BASES)
HOSTILE = (0, 1, -1, -BASES["000020"], 10**30, 2**63)
# a price as a move from the base in percent (the limits are +-30 %, so +-31 goes just past them),
# or now and then a hostile one
PRICE = st.sampled_from([*range(-31, 32), *["lower", "upper"] * 12, *(("raw", p) for p in HOSTILE)])


def price_of(code: str, p) -> int:
    if isinstance(p, tuple):
        return p[1]
    if isinstance(p, str):  # the day's limits themselves, where clamping matters
        return getattr(LIMITS[code], p)
    return BASES[code] * (100 + p) // 100


RUN = st.fixed_dictionaries({
    "buy_amount": st.sampled_from([1_000_000, 5_000_000, 100_000]),
    "max_positions": st.integers(1, 3),
    "buy_order": st.sampled_from(["market", "limit"]),
    "buy_ticks": st.integers(-2, 3),
    "sell_order": st.sampled_from(["market", "limit"]),
    "sell_ticks": st.integers(-2, 3),
    "stop_loss_pct": st.sampled_from([-2.0, None, -10.0]),
    "trail_arm_pct": st.sampled_from([2.0, None]),
    "amend_after_s": st.sampled_from([10.0, None]),
    "max_order_value": st.sampled_from([None, None, None, 6_000_000, 300_000]),
    "adopt_holdings": st.booleans(),
    "window": st.sampled_from([None, (dt.time(10, 0), dt.time(10, 20))]),
    "liquidate_at": st.sampled_from([None, dt.time(10, 15)]),
    "max_daily_loss": st.sampled_from([None, 100_000]),
    "liquidate_on_max_loss": st.booleans(),
})
_SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None  # a journal per example: no disk syncs
OUTCOMES = ("ack", "failed", "unknown_placed", "unknown_lost")


@seed(20261125)  # reproducible in CI; derandomize=True drew far less varied runs (a mutant it missed)
class CoreMachine(RuleBasedStateMachine):
    """One run of the kernel against the honest broker; every rule is one event (or a broker act)."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="kiwoom-invariants-", dir=_SCRATCH))
        self.kernel: Kernel | None = None
        self.last00 = None

    @initialize(run=RUN, cash=st.sampled_from([20_000_000, 20_000_000, 1_000_000, 0]),
                held=st.sampled_from([None, None, 10]), held_price=PRICE)
    def start(self, run, cash, held, held_price) -> None:
        self.s = RunSettings(buy_cond=BUY_COND, sell_cond=SELL_COND, **run)
        self.clock = ManualClock(T0)
        self.journal = Journal(self.dir / "journal.sqlite3")
        self.kernel = Kernel(self.s, self.journal)
        code = "000020"
        holdings = (holding(code, held, BASES[code], price_of(code, held_price)),) if held else ()
        self.world = World({code: held} if held else {})
        before = self.kernel.state.snapshot()
        out = self.kernel.start(balance(*holdings), [], Cash(cash, cash, cash), self.clock.now())
        self._check(before, out)

    def teardown(self) -> None:
        if self.kernel is not None:
            self.journal.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ plumbing

    def feed(self, event) -> list:
        before = self.kernel.state.snapshot()
        out = self.kernel.handle(event, self.clock.now())
        self._check(before, out)
        return out

    def _check(self, before, out) -> None:
        check_intents(self.world, before, self.s, out)
        self.world.record(out)
        check_state(self.world, self.kernel.state)

    def _pick(self, items: list, i: int):
        return items[i % len(items)]

    def _sent(self) -> list:
        w = self.world
        places = [o for o in w.orders.values() if not o.answered and o.status != "dead"]
        sides = [x for x in w.side.values() if x[1] == "sent"]
        return places + sides

    # ------------------------------------------------------------------ the market

    @rule(code=st.sampled_from(CODES), seq=st.sampled_from([BUY_COND, BUY_COND, SELL_COND, "9"]),
          entered=st.sampled_from([True, True, True, False]), idle=st.booleans())
    def condition(self, code, seq, entered, idle):
        self.feed(ConditionEvent(seq, code, entered, "100000"))
        if idle:  # the engine's queue is empty: the moment for the quote request
            self.feed(ev.Idle())

    @rule(code=st.sampled_from(CODES), p=PRICE)
    def tick(self, code, p):
        price = price_of(code, p)
        self.feed(Tick(code, price, price - BASES[code], 0.0, 1, 100, "100000"))

    @rule()
    def idle(self):
        self.feed(ev.Idle())

    @rule(code=st.sampled_from(CODES), p=PRICE)
    def entry_priced(self, code, p):
        """An entry on the buy condition, the quote request, its answer: the usual way to a buy."""
        self.feed(ConditionEvent(BUY_COND, code, True, "100000"))
        self.feed(ev.Idle())
        if self.world.quote_request is not None:
            self.quotes([p, p, p], False)

    @precondition(lambda self: self.world.quote_request is not None)
    @rule(prices=st.lists(PRICE | st.none(), min_size=3, max_size=3), bad_limits=st.sampled_from([False] * 5 + [True]))
    def quotes(self, prices, bad_limits):
        codes, self.world.quote_request = self.world.quote_request, None
        rows = []
        for code, p in zip(codes, prices * 40):
            if p is None:
                continue  # no row for the code
            q = quote(code, price_of(code, p), BASES[code])
            if bad_limits and code == codes[0]:
                q = dataclasses.replace(q, upper_limit=0, lower_limit=0)  # a row with no limits
            else:
                self.world.quoted.add(code)
            rows.append(q)
        self.feed(ev.QuotesArrived(tuple(rows), codes))

    @precondition(lambda self: self.world.quote_request is not None)
    @rule()
    def quotes_failed(self):
        codes, self.world.quote_request = self.world.quote_request, None
        self.feed(ev.QuotesFailed(codes, "HTTP 500"))

    @rule(code=st.sampled_from(CODES), p=PRICE)
    def quote_unasked(self, code, p):
        self.world.quoted.add(code)
        self.feed(ev.QuotesArrived((quote(code, price_of(code, p), BASES[code]),), ()))

    # ------------------------------------------------------------------ answers to order requests

    @precondition(lambda self: self.kernel is not None and self._sent())
    @rule(i=st.integers(0, 9), outcome=st.sampled_from(OUTCOMES))
    def answer(self, i, outcome):
        w = self.world
        item = self._pick(self._sent(), i)
        if isinstance(item, tuple):
            return self._answer_side(item[0], outcome)
        o, iid = item, item.intent.intent_id
        o.answered = True
        placed = o.status == "placed"
        if outcome == "ack" or (placed and outcome != "unknown_placed"):
            no = o.current.no if placed else w.place(o)
            self.feed(ev.OrderAcked(iid, no))
        elif outcome == "unknown_placed":
            if not placed:
                w.place(o)
            self.feed(ev.OrderUnknown(iid, "timeout"))
        else:
            o.status = "dead"
            self.feed(ev.OrderFailed(iid, "refused") if outcome == "failed" else ev.OrderUnknown(iid, "timeout"))

    def _answer_side(self, intent, outcome):
        w = self.world
        target = w.orders.get(intent.target_id)
        iid = intent.intent_id
        w.side[iid] = (intent, "done")
        if target is None or not target.alive or outcome in ("failed", "unknown_lost"):
            self.feed(ev.OrderFailed(iid, "refused") if outcome != "unknown_lost" else ev.OrderUnknown(iid, "timeout"))
            return
        no = w.amend(target, intent) if isinstance(intent, ev.AmendOrder) else w.cancel(target)
        self.feed(ev.OrderAcked(iid, no) if outcome == "ack" else ev.OrderUnknown(iid, "timeout"))

    @precondition(lambda self: self.kernel is not None
                  and any(o.status == "sent" for o in self.world.orders.values()))
    @rule(i=st.integers(0, 9))
    def broker_places_before_answering(self, i):
        self.world.place(self._pick([o for o in self.world.orders.values() if o.status == "sent"], i))

    # ------------------------------------------------------------------ the broker trades

    def _alive(self) -> list:
        return [o for o in self.world.orders.values() if o.alive]

    @precondition(lambda self: self.kernel is not None and self._alive())
    @rule(i=st.integers(0, 9), pct=st.integers(1, 100), p=PRICE | st.just("limit"))
    def fill(self, i, pct, p):
        o = self._pick(self._alive(), i)
        qty = max(1, o.remaining * pct // 100)
        code = o.intent.code
        price = (o.current.price or BASES[code]) if p == "limit" else price_of(code, p)
        self.world.fill(o, qty, price)

    @precondition(lambda self: self.kernel is not None and any(not o.current.cum for o in self._alive()))
    @rule(i=st.integers(0, 9))
    def reject(self, i):
        self.world.reject(self._pick([o for o in self._alive() if not o.current.cum], i))

    @precondition(lambda self: self.kernel is not None and self.world.outbox)
    @rule(n=st.integers(1, 3))
    def deliver(self, n):
        for _ in range(min(n, len(self.world.outbox))):
            self.last00 = self.world.outbox.popleft()
            self.feed(self.last00)

    @precondition(lambda self: self.last00 is not None)
    @rule()
    def repeat(self):
        self.feed(self.last00)  # frames can come twice

    @precondition(lambda self: self.kernel is not None)
    @rule(code=st.sampled_from(CODES), p=PRICE)
    def balance_line(self, code, p):
        self.feed(self.world.balance_line(code, price_of(code, p)))

    @precondition(lambda self: self.kernel is not None and self.world.outbox04)
    @rule()
    def deliver04(self):
        self.feed(self.world.outbox04.popleft())  # a fill's 04, maybe after later 00s

    @precondition(lambda self: self.kernel is not None)
    @rule(cash=st.sampled_from([0, 500_000, 3_000_000, 50_000_000]), seen=st.booleans())
    def cash(self, cash, seen):
        self.feed(ev.CashUpdated(Cash(cash, cash, cash), self.world.fills_seen if seen else None))

    @precondition(lambda self: self.kernel is not None and self.kernel.state.query_in_flight)
    @rule(ok=st.booleans())
    def query(self, ok):
        self.feed(self.world.queried() if ok else ev.QueryFailed("HTTP 500"))

    # ------------------------------------------------------------------ time, the socket, the user

    @precondition(lambda self: self.kernel is not None)
    @rule(seconds=st.sampled_from([0.5, 2.0, 3.5, 11.0, 30.0, 200.0]))
    def advance(self, seconds):
        self.clock.advance(seconds)
        due = self.kernel.next_deadline(self.clock.now())
        if due is not None and due <= self.clock.now():
            self.feed(ev.TimerFired())

    @precondition(lambda self: self.kernel is not None)
    @rule(what=st.sampled_from(["reconnected", "pause", "resume", "sell_code", "sell_all", "timer"]),
          code=st.sampled_from(CODES))
    def other(self, what, code):
        event = {"reconnected": SocketStatus("connected", "reconnected"), "pause": ev.Pause(),
                 "resume": ev.Resume(), "sell_code": ev.SellCode(code), "sell_all": ev.SellAll(),
                 "timer": ev.TimerFired()}[what]
        self.feed(event)


CoreMachine.TestCase.settings = hsettings(
    max_examples=300, stateful_step_count=25, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_core_invariants = CoreMachine.TestCase


# --------------------------------------------------------------------------- what the machine found


@pytest.mark.parametrize("current", [33_120, 10**30])  # below the lower limit 33,600; unbounded
def test_a_held_stock_is_not_priced_from_the_balance_before_a_quote(tmp_path, current):
    """Shrunk from the machine: a holding's current price from the start-up balance priced a limit
    sell at 33,100 (outside 33,600..62,400) before any quote; 10**30 made the journal overflow."""
    d = Driver(tmp_path / "j.sqlite3", settings(sell_order="limit", adopt_holdings=True),
               holdings=balance(holding("000020", 10, 48_000, current)))
    d.feed(ev.SellAll())
    (sell,) = d.orders(side=Side.SELL)
    assert (sell.price, sell.order_type, sell.ref_price, sell.upper, sell.lower) == (None, OrderType.MARKET, 0, 0, 0)
    d.feed(ev.OrderFailed(sell.intent_id, "refused"), quotes(quote("000020", 48_000)))
    d.feed(ev.SellCode("000020"))  # once the quote gave the limits, the sell is a limit inside them
    assert d.orders(side=Side.SELL)[-1].price == 48_000


def test_a_fill_priced_past_64_bits_is_applied_and_journaled(tmp_path):
    """Shrunk from the machine: a 00 fill priced 10**29 (30 digits pass the socket parser) made the
    journal's insert of the raw event raise OverflowError, so the fill was lost with the turn."""
    d = Driver(tmp_path / "j.sqlite3")
    order = d.buy("000020", 48_000, qty_filled=False)
    d.feed(fill("B000020", "000020", Side.BUY, order.qty, order.qty, 10**29, order.qty))
    assert d.state.positions["000020"].qty == order.qty  # applied at the last valid price, flagged
    assert d.state.positions["000020"].avg_price == 48_000
    (event,) = [e for e in d.journal.orders_for(order.intent_id)["events"] if e["fill_price"]]
    assert event["fill_price"] == 1e29  # kept as SQLite can: a real


def test_max_daily_loss_does_not_count_a_balance_price_no_quote_has_checked(tmp_path):
    """Found writing the machine's price rule: a start-up balance priced a holding at 1 won; its quote
    had no row, so the price never counted, yet the day's P&L used it, halted buying and liquidated
    every position at market."""
    d = Driver(tmp_path / "j.sqlite3",
               settings(adopt_holdings=True, max_daily_loss=100_000, liquidate_on_max_loss=True, stop_loss_pct=None,
                        trail_arm_pct=None),
               holdings=balance(holding("000020", 10, 48_000, 1), holding("000010", 10, 1_995)))
    d.feed(quotes(quote("000010", 1_995), requested=("000010", "000020")))  # no row for 000020
    d.feed(tick("000010", 1_990, 1_995))  # a max-loss check
    assert d.orders(side=Side.SELL) == [] and "max_loss" not in d.state.flags
    assert d.state.day_pnl() == d.state.snapshot().day_pnl() < 0  # 000010's own small loss only
    assert d.state.day_pnl() > -1_000
