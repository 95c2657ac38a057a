"""The one order service (docs/decisions.md §7): validate, journal the intent, send, journal the answer.

Manual commands call place/amend/cancel (or prepare_* then execute, to show the user exactly what
will be sent before it is). The engine's order worker calls `submit(intent)` with intents the
kernel has already journaled and gets the outcome back as an event instead of an exception.

An order refused with a recognised refusal placed nothing, so it is sent again, each try journaled
as a retry of the same intent: a refused token once more with a fresh token (a second refusal is
TokenInvalid, exit 3); a rate limit at the next free slot, quote, price and checks redone first.
A new buy gives up after 3 tries or 5 seconds (core/retry.py; RateLimited, exit 4, "not sent");
sells, amends and cancels keep trying. An order whose answer never came is OutcomeUnknown
("check `kiwoom orders`"), never resent.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Protocol

from kiwoom_cli import inputs, market
from kiwoom_cli.clock import Clock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core import manualfills, outcomes, retry
from kiwoom_cli.core.pretrade import ManualChecks
from kiwoom_cli.errors import (
    ApiError,
    BadInput,
    BrokerRejected,
    KiwoomError,
    OutcomeUnknown,
    RateLimited,
    TokenInvalid,
)
from kiwoom_cli.kiwoom.gateway import OrderGateway
from kiwoom_cli.models import Balance, Cash, FillRow, OpenOrder, OrderAck, OrderType, Quote, Side

_UNKNOWN_CODE_ERRORS = {"1901", "1902", "1903"}  # docs/protocol.md, Errors we act on
UNKNOWN_HINT = "check `kiwoom orders` before doing anything else; never resend blindly"


class OrderRest(Protocol):
    """The part of RestClient the order service uses."""

    def quote(self, code: str) -> Quote: ...
    def quotes(self, codes: list[str]) -> list[Quote]: ...
    def cash(self) -> Cash: ...
    def buy(self, code: str, qty: int, price: int | None) -> OrderAck: ...
    def sell(self, code: str, qty: int, price: int | None) -> OrderAck: ...
    def amend(self, order_no: str, code: str, qty: int, price: int) -> OrderAck: ...
    def cancel(self, order_no: str, code: str, qty: int = 0) -> OrderAck: ...
    def open_orders(self, code: str | None = None) -> list[OpenOrder]: ...
    def fills(self, code: str | None = None) -> list[FillRow]: ...
    def balance(self) -> Balance: ...


# --------------------------------------------------------------------------- validation (pure)


def check_code(code: object) -> str:
    """Return a stock code or raise BadInput (kiwoom_cli/inputs.py)."""
    return inputs.code(code)


def check_qty(qty: object, *, allow_zero: bool = False) -> int:
    """Return a whole quantity in bounds (text accepted) or raise BadInput (kiwoom_cli/inputs.py)."""
    return inputs.quantity(qty, allow_zero=allow_zero)


def check_price(price: int, quote: Quote) -> int:
    """Return a limit price that is on the tick grid and inside today's limits, or raise BadInput
    offering the nearest valid price."""
    inputs.price(price)
    limits = market.Limits(upper=quote.upper_limit, lower=quote.lower_limit)
    who = f"{quote.name} ({quote.code})" if quote.name else quote.code
    if not limits.contains(price):
        nearest = limits.clamp(price)
        raise BadInput(
            f"price {price:,} is outside today's limits for {who}: {limits.lower:,} to {limits.upper:,}",
            hint=f"nearest valid price: {nearest:,}",
        )
    if not market.is_on_tick(price):
        below, above = market.nearest_valid_prices(price, limits)
        options = f"{below:,}" if below == above else f"{below:,} or {above:,}"
        raise BadInput(
            f"price {price:,} is not on the tick grid (tick {market.tick_size(price):,} won at this price)",
            hint=f"nearest valid prices: {options}",
        )
    return price


def price_for(quote: Quote, price: int | None, ticks: int | None, side: Side = Side.BUY) -> int | None:
    """Return the limit price `ticks` ticks from `price` (or from the current price); None = market.

    As in `kiwoom run` (buy_ticks / sell_ticks): a buy is priced N ticks ABOVE, a sell N ticks BELOW,
    so a positive N always reaches toward the other side of the book; a negative N waits.
    ticks None: no tick pricing (price as given); ticks 0 without a price: the current price.
    """
    if ticks is None:
        return price
    reference = price if price is not None else quote.price
    if reference <= 0:
        raise BadInput(f"{quote.code} has no current price to count ticks from; give --price")
    if Side(side) is Side.SELL:
        return market.add_ticks(market.round_down_to_tick(reference), -ticks)
    return market.add_ticks(market.round_up_to_tick(reference), ticks)


# --------------------------------------------------------------------------- the service


class OrderService:
    """Every order, manual or automatic, goes through here (docs/decisions.md §7)."""

    def __init__(self, rest: OrderRest, journal, clock: Clock, *, id_prefix: str = "m",
                 commission: float = market.DEFAULT_COMMISSION, max_order_value: int | None = None,
                 costs: market.CostRates | None = None, max_daily_loss: int | None = None,
                 check_cash: bool = False) -> None:
        self._rest = rest
        self._gateway = OrderGateway(rest)  # every order leaves through it
        # the pre-trade checks a manual buy passes, as a run's (core/pretrade.py)
        self.checks = ManualChecks(rest, journal, clock, costs or market.CostRates(commission=commission),
                                   max_order_value=max_order_value, max_daily_loss=max_daily_loss,
                                   check_cash=check_cash)
        self._journal = journal  # kiwoom_cli.core.journal.Journal, or None for tests of validation only
        self._clock = clock
        self._prefix = id_prefix
        self._asked: dict[str, tuple[int | None, int | None]] = {}  # intent id -> (price, ticks) asked

    # ------------------------------------------------------------------ look-ups

    def lookup(self, code: str) -> Quote:
        """Return the quote (price and daily limits) of a known stock; BadInput for an unknown code."""
        code = check_code(code)
        try:
            quote = self._rest.quote(code)
        except BrokerRejected as exc:
            if exc.code in _UNKNOWN_CODE_ERRORS or exc.return_code == 2:
                raise BadInput(f"unknown stock code {code}", hint="check the code, e.g. 005930") from None
            raise
        if quote.upper_limit <= 0 or quote.lower_limit <= 0:  # an empty row: the broker knows no such code
            raise BadInput(f"unknown stock code {code}", hint="check the code, e.g. 005930")
        return quote

    def find_open(self, order_no: str) -> OpenOrder:
        """Return the open order with this number (ka10075); BadInput when none is open."""
        wanted = _order_no(order_no)
        for order in self._rest.open_orders():
            if order.order_no.lstrip("0") == wanted.lstrip("0"):
                return order
        raise BadInput(f"no open order {wanted}", hint="see `kiwoom orders`")

    # ------------------------------------------------------------------ prepare (validate only)

    def prepare_place(self, side: Side | str, code: str, qty: object, price: int | None = None, *,
                      ticks: int | None = None, origin: str = "manual", rule: str | None = None,
                      quote: Quote | None = None) -> ev.PlaceOrder:
        """Validate a new order, a buy against the pre-trade checks (core/pretrade.py), and return its
        intent (no order is sent, nothing journaled)."""
        side = Side(side)
        code = check_code(code)
        qty = check_qty(qty)
        quote = quote or self.lookup(code)
        asked = price
        price = price_for(quote, price, ticks, side)
        if price is not None:
            check_price(price, quote)
        reserve = self._reserve(side, qty, price, quote)
        if side is Side.BUY:
            self.checks.buy(qty, price, quote, reserve)
        intent = ev.PlaceOrder(
            intent_id=self._new_id(), side=side, code=code, qty=qty, price=price,
            order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
            rule=rule or origin, origin=origin, name=quote.name, ref_price=quote.price,
            upper=quote.upper_limit, lower=quote.lower_limit, reserve=reserve,
        )
        self._asked[intent.intent_id] = (asked, ticks)
        return intent

    def _reserve(self, side: Side, qty: int, price: int | None, quote: Quote) -> int:
        return self.checks.reserve(qty, price, quote) if side is Side.BUY else 0

    def prepare_amend(self, order_no: str, code: str, qty: object, price: int, *,
                      quote: Quote | None = None, side: Side | str | None = None,
                      old_price: int | None = None) -> ev.AmendOrder:
        """Validate an amend (qty 0 = all remaining) and return its intent; a buy's (`side`: the
        order's, from ka10075) new value is checked against max_order_value, and what it reserves
        beyond `old_price` (0: market) against the orderable cash (ManualChecks.amend_buy)."""
        order_no, code = _order_no(order_no), check_code(code)
        qty = check_qty(qty, allow_zero=True)
        quote = quote or self.lookup(code)
        check_price(price, quote)
        if side is not None and Side(side) is Side.BUY:
            self.checks.amend_buy(qty, price, old_price, quote)
        return ev.AmendOrder(self._new_id(), self._target(order_no), order_no, code, qty, price)

    def prepare_cancel(self, order_no: str, code: str, qty: object = 0) -> ev.CancelOrder:
        """Validate a cancel (qty 0 = all remaining) and return its intent."""
        order_no, code = _order_no(order_no), check_code(code)
        qty = check_qty(qty, allow_zero=True)
        return ev.CancelOrder(self._new_id(), self._target(order_no), order_no, code, qty)

    # ------------------------------------------------------------------ place / amend / cancel

    def place(self, side: Side | str, code: str, qty: object, price: int | None = None, *,
              ticks: int | None = None, origin: str = "manual", rule: str | None = None) -> OrderAck:
        """Validate, journal, send a new order; price None = market."""
        return self.execute(self.prepare_place(side, code, qty, price, ticks=ticks, origin=origin, rule=rule))

    def amend(self, order_no: str, code: str, qty: object, price: int) -> OrderAck:
        """Validate, journal, send a price change; the ack carries the new order number."""
        return self.execute(self.prepare_amend(order_no, code, qty, price))

    def cancel(self, order_no: str, code: str, qty: object = 0) -> OrderAck:
        """Validate, journal, send a cancel (qty 0 = all remaining)."""
        return self.execute(self.prepare_cancel(order_no, code, qty))

    def execute(self, intent) -> OrderAck:
        """Journal the intent (committed), send it, journal the answer; errors propagate.

        A recognised refusal is sent again as the module docstring says, every try journaled.
        """
        journal = self._journal
        if journal is not None:
            journal.record_intent(intent, self._clock.now())
        tries, first, token_resent = 1, self._clock.monotonic(), False
        while True:
            outcome, ack, error = self._attempt(intent)
            if not isinstance(outcome, ev.OrderRefused):
                break
            if journal is not None:
                journal.record_refusal(outcome, self._clock.now())
            outcome, error = self._final_refusal(intent, outcome, tries, first, error, token_resent)
            if outcome is not None:
                break
            token_resent = token_resent or isinstance(error, TokenInvalid)
            try:
                intent = self._redo(intent) if isinstance(error, RateLimited) else intent
            except KiwoomError as exc:  # the checks redone refuse it now (or the quote failed): not sent
                outcome = ev.OrderFailed(intent.intent_id, f"not sent: {exc.message}",
                                         exc.code if isinstance(exc, ApiError) else None)
                error = exc
                break
            tries += 1
            if journal is not None:
                journal.record_retry(intent, tries, self._clock.now())
        if journal is not None:
            journal.record_outcome(outcome, self._clock.now())
        if error is not None:
            raise error
        return ack

    def _final_refusal(self, intent, refused: ev.OrderRefused, tries: int, first: float, error,
                       token_resent: bool):
        """(None, error) if `intent` may be sent again after this refusal, else (OrderFailed, error to raise)."""
        why = retry.stop_reason(intent, refused, tries, self._clock.monotonic() - first, token_resent)
        if why is None:
            return None, error
        error.message, error.args = why, (why,)  # its type keeps the exit code (3 or 4)
        return ev.OrderFailed(intent.intent_id, why, refused.error_code), error

    def _redo(self, intent):
        """Before a rate-limited order is sent again: a fresh quote, the price and the checks redone."""
        if isinstance(intent, ev.CancelOrder):
            return intent
        quote = self.lookup(intent.code)
        if isinstance(intent, ev.AmendOrder):
            check_price(intent.price, quote)
            return intent
        asked, ticks = self._asked.get(intent.intent_id, (intent.price, None))
        price = price_for(quote, asked, ticks, intent.side)
        if price is not None:
            check_price(price, quote)
        reserve = self._reserve(intent.side, intent.qty, price, quote)
        if intent.side is Side.BUY:
            self.checks.buy(intent.qty, price, quote, reserve)
        return dataclasses.replace(
            intent, price=price, ref_price=quote.price, upper=quote.upper_limit, lower=quote.lower_limit,
            reserve=reserve,
        )

    def submit(self, intent) -> ev.OrderAcked | ev.OrderFailed | ev.OrderUnknown | ev.OrderRefused:
        """Send an intent the caller has already journaled, once; return its outcome as an event (order
        worker). A recognised refusal comes back as OrderRefused: the caller decides the resend."""
        return self._attempt(intent)[0]

    def close(self) -> None:
        """Close the REST client (the order worker's service owns its own)."""
        close = getattr(self._rest, "close", None)
        if close is not None:
            close()

    def _attempt(self, intent):
        """Send once; return (outcome event, ack or None, error to raise or None).

        What an error means for the order is core/outcomes.py's; an unknown outcome is raised as
        OutcomeUnknown (exit 5), except a bug, which is raised as itself once journaled.
        """
        try:
            ack = self._send(intent)
        except BaseException as exc:
            outcome = outcomes.outcome(intent.intent_id, exc)
            if not isinstance(outcome, ev.OrderUnknown):
                return outcome, None, exc
            if isinstance(exc, KiwoomError):
                return outcome, None, OutcomeUnknown(outcome.reason, hint=UNKNOWN_HINT)
            if self._journal is not None:  # Ctrl-C or a bug while the bytes may be out: settle by a query
                self._journal.record_outcome(outcome, self._clock.now())
            if isinstance(exc, KeyboardInterrupt):  # the user must look, not retry
                raise OutcomeUnknown(outcome.reason, hint=UNKNOWN_HINT) from None
            raise
        return ev.OrderAcked(intent.intent_id, ack.order_no), ack, None

    def _send(self, intent) -> OrderAck:
        """The intent on the gateway's method for its kind (kiwoom/gateway.py)."""
        gateway = self._gateway
        if isinstance(intent, ev.PlaceOrder):
            return gateway.place(intent)
        if isinstance(intent, ev.AmendOrder):
            return gateway.amend(intent)
        if isinstance(intent, ev.CancelOrder):
            return gateway.cancel(intent)
        raise TypeError(f"not an order intent: {type(intent).__name__}")

    # ------------------------------------------------------------------ after the answer

    def settle(self, intent_id: str, status: str, reason: str = "") -> None:
        """Journal how a followed order ended ("filled", "cancelled", "rejected", "gone")."""
        if self._journal is not None and intent_id:
            self._journal.close_order(intent_id, status, reason, self._clock.now())

    def journal_fills(self, fills=None) -> list:
        """Journal the fills of today's manual orders the journal lacks (core/manualfills.py); fills
        None: asked of the broker only when some order lacks them. Return the fills journaled."""
        if self._journal is None:
            return []
        return manualfills.record(self._journal, self._rest, self.checks.costs, self._clock.now(), fills)

    def settle_unknown(self, open_orders, fills) -> list[tuple[dict, str]]:
        """Match today's unknown orders to the broker's lists (same code, side and quantity, an order
        number no journaled intent owns); journal each match as placed and return (intent, order_no).

        Never the other way: an order missing from the lists stays unknown for the user to judge
        (a request can still be queued at the broker), so nothing here frees a retry.
        """
        if self._journal is None:
            return []
        owned = {r["order_no"] for r in self._journal.intents() if r.get("order_no")}
        rows = [(o.order_no, o.code, o.side, o.qty) for o in open_orders]
        rows += [(f.order_no, f.code, f.side, f.order_qty) for f in fills]
        found = []
        for intent in self.unknown_outcomes():
            for order_no, code, side, qty in rows:
                if order_no in owned or (code, side.value, qty) != (intent["code"], intent["side"], intent["qty"]):
                    continue
                owned.add(order_no)
                self._journal.record_outcome(ev.OrderAcked(intent["intent_id"], order_no), self._clock.now())
                found.append((intent, order_no))
                break
        return found

    def unknown_outcomes(self) -> list[dict]:
        """Return today's journaled orders whose answer never came (settle them against `kiwoom orders`)."""
        if self._journal is None:
            return []
        today = self._clock.now().date().isoformat()
        return [r for r in self._journal.intents("unknown") if r.get("day") == today]

    # ------------------------------------------------------------------ ids

    def _new_id(self) -> str:
        return f"{self._prefix}-{self._clock.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"

    def _target(self, order_no: str) -> str:
        """Return the journaled place intent behind an order number ("" when we never placed it)."""
        if self._journal is None:
            return ""
        by_no = {}
        for row in self._journal.intents():
            if row.get("order_no"):
                by_no[row["order_no"].lstrip("0")] = row
        row = by_no.get(order_no.lstrip("0"))
        seen = set()
        while row is not None and row.get("kind") != "place" and row["intent_id"] not in seen:
            seen.add(row["intent_id"])  # an amend's number: walk back to the order it changed
            row = next((r for r in self._journal.intents() if r["intent_id"] == row.get("target_id")), None)
        return row["intent_id"] if row is not None else ""


def _order_no(order_no: object) -> str:
    return inputs.order_no(order_no)
