"""A manual order's pre-trade checks: core/risk.py's rules, the ones a run's buy passes, over what
the broker and the journal say now (docs/decisions.md §7).

A buy is refused, before anything is journaled or sent, when a run journaled its max_loss halt
today, when the day's P&L is at -max_daily_loss (core/daypnl.py, from the journal and a quote per
managed position), when its value is above max_order_value, or when its reservation
(risk.reservation) is above the broker's orderable cash (kt00001). A refusal is BadInput: exit 2
with the reason. A P&L that cannot be known (a managed position without a counting price) is a
ProtocolError: exit 4, never a P&L of 0. While a run holds the account, the broker's orderable
cash does not yet hold the run's own pending buys.
"""

from __future__ import annotations

from kiwoom_cli.clock import Clock
from kiwoom_cli.core import daypnl, risk
from kiwoom_cli.errors import BadInput
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.market import CostRates
from kiwoom_cli.models import Quote

_QUOTES = "ka10095"  # the quotes a manual buy values managed positions at (RestClient.quotes)
LOSS_HINT = "the day's P&L counts today's fills kiwoom journaled (manual and a run's) and the positions it manages"


class ManualChecks:
    """The checks of OrderService.prepare_place / prepare_amend; each limit None is not checked."""

    def __init__(self, rest, journal, clock: Clock, costs: CostRates, *, max_order_value: int | None = None,
                 max_daily_loss: int | None = None, check_cash: bool = False) -> None:
        self._rest, self._journal, self._clock, self.costs = rest, journal, clock, costs
        self._max_value = max_order_value
        self._max_loss = None if max_daily_loss is None else abs(max_daily_loss)
        self._check_cash = check_cash  # off for a service with no broker account behind it (tests of validation)

    def reserve(self, qty: int, price: int | None, quote: Quote) -> int:
        """What a buy holds of the cash: the run's rule (risk.reservation; a market buy at the upper limit)."""
        return risk.reservation(qty, price, quote.upper_limit, quote.price, self.costs.commission)

    def buy(self, qty: int, price: int | None, quote: Quote, reserve: int) -> None:
        """A new buy's checks, in a run's order: the day's loss, the cap, the orderable cash."""
        if self._journal is not None:
            stored = self._journal.load(self._clock.now().date())
            if "max_loss" in stored.flags:  # a run reached it today: buying stops for the day
                _refuse(risk.Denial(f"max daily loss reached today, buying stopped for the day "
                                    f"({stored.flags['max_loss']})"), LOSS_HINT)
            if self._max_loss is not None:
                _refuse(risk.check_day_loss(self.day_pnl(stored), self._max_loss), LOSS_HINT)
        self.value(qty, price, quote)
        if self._check_cash:
            _refuse(risk.check_cash(reserve, self._rest.cash().orderable), "a smaller quantity or a lower price")

    def value(self, qty: int, price: int | None, quote: Quote) -> None:
        """The cap, counted as the run counts it; a market buy with no price yet at the upper limit."""
        value = qty * (price or quote.price or quote.upper_limit)
        _refuse(risk.check_value(value, self._max_value), "a smaller quantity, or raise run.max_order_value")

    def amend_buy(self, qty: int, price: int, old_price: int | None, quote: Quote) -> None:
        """A buy re-priced: the cap on its new value; what it reserves beyond the old price (0: a
        market order, held at the upper limit) against the orderable cash."""
        self.value(qty, price, quote)
        if old_price is None or not self._check_cash:
            return
        more = self.reserve(qty, price, quote) - self.reserve(qty, old_price or None, quote)
        if more > 0:
            _refuse(risk.check_cash(more, self._rest.cash().orderable), "a lower price")

    def day_pnl(self, stored=None) -> float:
        """The day's P&L as a run and its dashboard count it (core/daypnl.py); `stored`: today's journal."""
        stored = stored if stored is not None else self._journal.load(self._clock.now().date())
        codes = [p.code for p in stored.positions if p.qty > 0]
        quotes = self._rest.quotes(codes) if codes else []
        priced = {q.code for q in quotes if daypnl.price_counts(q.price, q.lower_limit, q.upper_limit)}
        missing = [c for c in codes if c not in priced]
        if missing:  # a position's P&L unknown is not a P&L of 0 (docs/decisions.md §7)
            raise ProtocolError(f"{_QUOTES}: no price inside the day's limits for {', '.join(missing)}, "
                                "held by kiwoom: the day's P&L is unknown; not sent", api_id=_QUOTES)
        return daypnl.from_journal(stored.realised, stored.positions, quotes, self.costs)


def _refuse(denial: risk.Denial | None, hint: str) -> None:
    if denial is not None:
        raise BadInput(denial.reason, hint=hint)
