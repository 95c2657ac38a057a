"""The run's rules as a pure state machine: (event, state view, now) -> outputs.

No network, threads or clock: time arrives as `now`; the view is read, never written. Outputs are
intents for workers, state updates for State.apply_output and Decisions for the journal. The only
thing the Strategy object keeps is its intent-id counter, so a replay with the same prefix gives the
same ids.
"""

from __future__ import annotations

import datetime as dt
import itertools

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import deadlines, prices, retry, risk
from kiwoom_cli.core.catchup import catch_up, outage_note
from kiwoom_cli.core.exits import stop_loss_price, trailing_price
from kiwoom_cli.core.records import FillFlagged, OrderRecheck, PriceDropped
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.venue import market_orders_ok
from kiwoom_cli.market import (
    add_ticks,
    round_down_to_tick,
    round_up_to_tick,
)
from kiwoom_cli.models import (
    BalanceEvent,
    ConditionEvent,
    ConditionListed,
    OrderEvent,
    OrderStatus,
    OrderType,
    Side,
    SocketStatus,
    Tick,
)

PRICE_MAX_AGE_S = 3.0  # a tick younger than this prices an entry without a quote request (docs/decisions.md §8)
LIMITS_RETRY_S = 5.0  # a code whose prices wait for the day's limits is quoted at most this often
MAX_QUOTE_CODES = 100  # codes per ka10095 request (kiwoom/protocol.py MAX_CODES_PER_QUOTES)


class Strategy:
    def __init__(self, settings: RunSettings, id_prefix: str = "i") -> None:
        self.s = settings
        self._prefix = id_prefix
        self._seq = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._seq):05d}"

    # ------------------------------------------------------------------ dispatch

    def decide(self, event: object, view, now: dt.datetime) -> list:
        """Return the outputs for one event, the view already holding the event's facts."""
        if isinstance(event, Tick):
            return self._on_tick(event, view, now)
        if isinstance(event, ConditionEvent):
            return self._on_condition(event, view, now)
        if isinstance(event, ev.QuotesArrived):
            return self._on_priced(event, view, now) + self._exits_on_quotes(event, view, now)
        if isinstance(event, ev.QuotesFailed):
            return self._on_priced(event, view, now)
        if isinstance(event, ev.Idle):
            return self._request_quotes(view)
        if isinstance(event, ev.TimerFired):
            return self._on_timer(view, now)
        if isinstance(event, (OrderEvent, BalanceEvent, ev.OrderAcked, ev.OrderFailed, ev.OrdersQueried)):
            return self._after_order_change(event, view, now)
        if isinstance(event, SocketStatus):
            return self._on_socket(event, view) + outage_note(event, view, now)
        if isinstance(event, ConditionListed):
            return catch_up(self, event, view, now)
        if isinstance(event, ev.RegisterFailed):
            why = f"no live prices: registration failed ({event.reason}); retrying in {event.retry_in_s:g}s"
            return [ev.Decision("socket", code, "warn", why) for code in event.codes]
        if isinstance(event, ev.QueryFailed):
            return [ev.Decision("order", None, "info", f"settle query failed: {event.reason}")]
        if isinstance(event, ev.OrderUnknown):
            return [ev.Decision("order", None, "info", f"outcome unknown for {event.intent_id}: {event.reason}")]
        if isinstance(event, ev.OrderRefused):
            return retry.after_refusal(event, view, now)
        if isinstance(event, (ev.SellCode, ev.SellAll, ev.Pause, ev.Resume)):
            return self._on_user(event, view, now)
        return []

    def _on_user(self, event, view, now: dt.datetime) -> list:
        """The dashboard's keys: sell one, sell all (which pauses buying too: State.apply), pause, resume."""
        if isinstance(event, ev.SellCode):
            return self.sell(view, event.code, "manual", now, origin="manual", reason="user asked")
        if isinstance(event, ev.SellAll):
            out: list = [ev.Decision("user", None, "info", "sell all: buying paused (p resumes it)")]
            for code in list(view.positions):
                out += self.sell(view, code, "manual", now, origin="manual", reason="user asked: sell all")
            return out
        word = "paused" if isinstance(event, ev.Pause) else "resumed"
        return [ev.Decision("user", None, "info", f"buying {word}")]

    # ------------------------------------------------------------------ prices that did not count

    def on_notes(self, notes: list, view, now: dt.datetime) -> list:
        """Speak for the state's alarms: a dropped price (once per code), a fill at an implausible price."""
        out: list = []
        want: list[str] = []
        for n in notes:
            if isinstance(n, PriceDropped):
                if n.first:
                    out.append(ev.Decision("price", n.code, "drop", f"{n.reason}: dropped (later ones counted)"))
                if n.wants_quote:
                    want.append(n.code)
            elif isinstance(n, FillFlagged):
                why = f"fill {n.qty} @ {n.raw!r}: {n.reason}; applied at {n.used:,}, checking with the broker"
                out.append(ev.Decision("fill", n.code, "flag", why))
                if not view.query_in_flight and not any(isinstance(o, ev.QueryOrders) for o in out):
                    out.append(ev.QueryOrders(f"fill price of {n.code} implausible"))
                    out.append(ev.RefreshCash(view.fill_seq))
            elif isinstance(n, OrderRecheck):  # an order moved as the state table does not expect
                out.append(ev.Decision("order", n.code, "recheck", n.reason))
                if not any(isinstance(o, ev.QueryOrders) for o in out):
                    out.append(ev.QueryOrders(f"{n.code}: {n.reason}"))
        return out + self.quote_for_limits(view, want, now)

    def quote_for_limits(self, view, codes, now: dt.datetime) -> list:
        """Ask for a quote of codes whose prices wait for the day's limits (one request in flight)."""
        if view.quotes_in_flight:
            return []
        due = [c for c in dict.fromkeys(codes)
               if c not in view.quotes_asked or (now - view.quotes_asked[c]).total_seconds() >= LIMITS_RETRY_S]
        return [ev.NeedQuotes(tuple(due[:MAX_QUOTE_CODES]))] if due else []

    def at_start(self, view, now: dt.datetime) -> list:
        """The first outputs of a run: halt buying if the day's loss is already past max_daily_loss
        (realised earlier today, docs/decisions.md §7), and quote what it holds."""
        return self._check_max_loss(view, now, " at start: no buys today") + self.limits_at_start(view, now)

    def limits_at_start(self, view, now: dt.datetime) -> list:
        """Held codes and open buys get a quote first: none of their prices counts before it (prices.py)."""
        codes = sorted(set(view.positions) | {o.code for o in view.orders.values() if o.side is Side.BUY})
        return self.quote_for_limits(view, codes, now)

    # ------------------------------------------------------------------ exits on ticks

    def _on_tick(self, t: Tick, view, now: dt.datetime) -> list:
        out: list = []
        s = self.s
        if s.liquidate_at is not None and "liquidated" not in view.flags and now.time() >= s.liquidate_at:
            return self._liquidate(view, now, "liquidate_at", f"liquidate_at {s.liquidate_at:%H:%M}")
        pos = view.positions.get(t.code)
        if pos is None or not pos.managed or pos.qty <= 0:
            return out
        if s.max_daily_loss is not None and "max_loss" not in view.flags:
            out += self._check_max_loss(view, now)
            if out and s.liquidate_on_max_loss:  # its sells are out (this code's included)
                return out
            # the halt stops buying only: this tick's stop and trailing checks still run
        # no rule sell possible now: evaluate nothing rather than journal a denial on every tick
        # (the trailing high keeps following the price outside the window)
        can_sell = pos.sell_intent is None and pos.sellable > 0 and s.in_window(now)
        if pos.sell_intent is not None:
            return out
        return out + self._exit_checks(t, pos, view, now, can_sell)

    def _exits_on_quotes(self, event: ev.QuotesArrived, view, now: dt.datetime) -> list:
        """A quote's price that counted is a tick for a held stock's exit rules: after a restart the
        first tick may come before the day's limits (and not count), and a still market sends no other."""
        out: list = []
        for q in event.quotes:
            mark = view.marks.get(q.code)
            if q.code in view.positions and mark is not None and mark.at == now and 0 < mark.price == q.price:
                out += self._on_tick(Tick(q.code, q.price, 0, 0.0, 0, 0, ""), view, now)
        return out

    def _exit_checks(self, t: Tick, pos, view, now: dt.datetime, can_sell: bool) -> list:
        """The stop-loss, then the trailing stop: each fires at or below its price from core/exits.py,
        the price the dashboard shows."""
        s = self.s
        r = pos.return_pct
        if can_sell and s.stop_loss_pct is not None:
            stop = stop_loss_price(pos.avg_price, s.stop_loss_pct, view.costs)
            if stop is not None and t.price <= stop:
                return self.sell(view, t.code, "stop_loss", now, reason=f"return {r:.2f}% <= {s.stop_loss_pct}%")
        if not s.trailing_on:
            return []
        if not pos.armed:
            if r < s.trail_arm_pct:
                return []
            return [ev.TrailUpdate(t.code, True, t.price),
                    ev.Decision("trailing", t.code, "arm", f"return {r:.2f}% >= {s.trail_arm_pct}%")]
        if t.price > pos.high:
            return [ev.TrailUpdate(t.code, True, t.price)]
        trigger = trailing_price(pos.high, s.trail_drop_pct) if can_sell else None
        if trigger is not None and t.price <= trigger:
            drop = (pos.high - t.price) / pos.high * 100
            why = f"{drop:.2f}% below high {pos.high:,} (>= {s.trail_drop_pct}%)"
            return self.sell(view, t.code, "trailing", now, reason=why)
        return []

    # ------------------------------------------------------------------ condition entries

    def _on_condition(self, c: ConditionEvent, view, now: dt.datetime) -> list:
        if not c.entered:
            return []
        s = self.s
        if s.sell_cond is not None and c.seq == s.sell_cond:
            pos = view.positions.get(c.code)
            if pos is None or not pos.managed:
                return []
            return self.sell(view, c.code, "sell_cond", now, reason=f"entered sell condition {c.seq}")
        if s.buy_cond is not None and c.seq != s.buy_cond:
            return []
        halt = self._check_max_loss(view, now)  # the loss may have come with a quote, not a tick
        if halt:
            return [*halt, ev.Decision("buy_cond", c.code, "deny", "max daily loss reached: buying halted")]
        denial = risk.precheck_buy(view, s, c.code, now)
        if denial:
            return [ev.Decision("buy_cond", c.code, "deny", denial.reason)]
        mark = view.marks.get(c.code)
        if (mark is not None and mark.price > 0 and mark.quoted == now.date()
                and (now - mark.at).total_seconds() <= PRICE_MAX_AGE_S):
            planned = risk.Planned()  # empty: the precheck above holds for _buy's checks
            return self._buy(view, c.code, now, planned, prechecked=True) + self._register_planned(view, planned)
        return [ev.AwaitQuote(c.code, c.seq)]

    def _request_quotes(self, view) -> list:
        """Price every entry still waiting in one request; one request in flight at a time (docs/decisions.md §8)."""
        if view.quotes_in_flight:
            return []
        codes = tuple(a.code for a in view.awaiting.values() if not a.requested)
        return [ev.NeedQuotes(codes)] if codes else []

    def _on_priced(self, event, view, now: dt.datetime) -> list:
        out: list = []
        planned = risk.Planned()
        failed = isinstance(event, ev.QuotesFailed)
        for a in view.priced:  # arrival order
            mark = view.marks.get(a.code)
            if failed or mark is None or mark.price <= 0 or mark.at != now:
                why = f"no quote: {event.reason}" if failed else "no quote for the code"
                out.append(ev.Decision("buy_cond", a.code, "skip", why))
                continue
            out += self._buy(view, a.code, now, planned)
        out += self._register_planned(view, planned)
        return out + self._request_quotes(view)  # entries that came in meanwhile: the next batch

    def _buy(self, view, code: str, now: dt.datetime, planned: risk.Planned, prechecked: bool = False) -> list:
        s = self.s
        mark = view.marks[code]
        price, upper, lower = mark.price, mark.upper, mark.lower  # checked against the quote's limits
        if not 0 < lower <= price <= upper:
            return [ev.Decision("buy_cond", code, "skip", "no valid price within today's limits")]
        qty = min(s.buy_amount // price, s.buy_amount // lower)  # never more than the buy amount at the lower limit
        if qty <= 0:
            why = f"quantity 0: price {price:,} is above buy_amount {s.buy_amount:,}"
            return [ev.Decision("buy_cond", code, "skip", why)]
        limit = None
        order_type = s.buy_order if market_orders_ok(s.exchange, now) else OrderType.LIMIT
        if order_type is OrderType.LIMIT:
            limit = add_ticks(round_up_to_tick(price), s.buy_ticks)
            if upper:
                limit = max(lower, min(upper, limit))
        reserve = risk.run_reservation(qty, limit, upper, price, s)
        denial = risk.check_buy(view, s, code, qty, limit, price, reserve, now, "run", planned, prechecked)
        if denial:
            return [ev.Decision("buy_cond", code, "deny", denial.reason)]
        planned.add(code, reserve, code not in view.registered)
        order = ev.PlaceOrder(
            self.new_id(), Side.BUY, code, qty, limit, order_type, "buy_cond", "run",
            name=mark.name, ref_price=price, upper=upper, lower=lower, reserve=reserve,
        )
        at = "market" if limit is None else f"{limit:,}"
        why = f" (limit: no market orders on {s.exchange} outside KRX hours)" if order_type is not s.buy_order else ""
        return [ev.Decision("buy_cond", code, "buy", f"{qty} @ {at} (price {price:,}){why}"), order]

    def _register_planned(self, view, planned: risk.Planned) -> list:
        new = tuple(sorted(c for c in planned.codes if c not in view.registered))
        return [ev.Register(new)] if new else []

    # ------------------------------------------------------------------ sells

    def sell(self, view, code: str, rule: str, now: dt.datetime, *, origin: str = "run",
             reason: str = "", ignore_window: bool = False) -> list:
        """Sell a whole sellable position once; a denial comes back as a Decision."""
        s = self.s
        denial = risk.check_sell(view, s, code, now, origin, ignore_window)
        if denial:
            return [ev.Decision(rule, code, "deny", denial.reason)]
        pos = view.positions[code]
        price, upper, lower = prices.sell_price(pos, view.marks.get(code), now.date())
        limit = None
        forced = s.sell_order is OrderType.MARKET and not market_orders_ok(s.exchange, now)
        if forced and price <= 0:
            why = f"no price to set a limit at, and {s.exchange} takes no market orders outside KRX hours"
            return [ev.Decision(rule, code, "skip", why)]
        if (s.sell_order is OrderType.LIMIT or forced) and price > 0:
            limit = add_ticks(round_down_to_tick(price), -s.sell_ticks)
            if upper:
                limit = max(lower, min(upper, limit))
        order_type = OrderType.LIMIT if limit is not None else OrderType.MARKET
        order = ev.PlaceOrder(
            self.new_id(), Side.SELL, code, pos.sellable, limit, order_type, rule, origin,
            name=pos.name, ref_price=price, upper=upper, lower=lower,
        )
        at = "market" if limit is None else f"{limit:,}"
        out: list = [ev.Decision(rule, code, "sell", f"{pos.sellable} @ {at}: {reason}"), order]
        buy = view.order_for(code, Side.BUY)
        if buy is not None and buy.order_no and not buy.cancel_sent:
            # the rest of a partly filled buy would regrow a position we are leaving
            out.append(ev.CancelOrder(self.new_id(), buy.intent_id, buy.order_no, code))
            out.append(ev.Decision(rule, code, "cancel", "cancel the unfilled rest of the buy"))
        return out

    def _liquidate(self, view, now: dt.datetime, rule: str, reason: str) -> list:
        out: list = [ev.SetFlag("liquidated", reason), ev.Decision(rule, None, "halt", reason)]
        for code, pos in list(view.positions.items()):
            if pos.managed and pos.qty > 0 and pos.sell_intent is None:
                out += self.sell(view, code, rule, now, reason=reason, ignore_window=True)
        return out

    def _check_max_loss(self, view, now: dt.datetime, when: str = "") -> list:
        limit = self.s.max_daily_loss
        if limit is None or "max_loss" in view.flags:
            return []
        pnl = view.day_pnl()
        if pnl > -limit:
            return []
        reason = f"day P&L {pnl:,.0f} <= -{limit:,}{when}"
        out: list = [ev.SetFlag("max_loss", reason), ev.Decision("max_daily_loss", None, "halt", reason)]
        if self.s.liquidate_on_max_loss:
            for code, pos in list(view.positions.items()):
                if pos.managed and pos.qty > 0 and pos.sell_intent is None:
                    out += self.sell(view, code, "max_daily_loss", now, reason=reason, ignore_window=True)
        return out

    # ------------------------------------------------------------------ orders and timers

    def _on_socket(self, status: SocketStatus, view) -> list:
        out: list = [ev.Decision("socket", None, "info", f"{status.state} {status.detail}".strip())]
        if status.state == "connected" and status.detail == "reconnected":
            # order events sent while we were away are lost: ask the broker what happened to ours
            if view.orders and not view.query_in_flight:
                out.append(ev.QueryOrders("socket reconnected"))
            out.append(ev.RefreshCash(view.fill_seq))
        return out

    def _after_order_change(self, event, view, now: dt.datetime) -> list:
        out: list = self.sync_registrations(view)
        if isinstance(event, OrderEvent) and event.status is OrderStatus.FILLED:
            if event.remaining_qty == 0:
                out.append(ev.RefreshCash(view.fill_seq))
            out += self._check_max_loss(view, now) if self.s.max_daily_loss is not None else []
        elif isinstance(event, ev.OrderFailed):
            out.append(ev.Decision("order", None, "info", f"{event.intent_id} refused: {event.reason}"))
        return out

    def sync_registrations(self, view) -> list:
        """Register 0B for every held or tracked code (and pending buys); drop the rest."""
        want = set(view.positions)
        want.update(o.code for o in view.orders.values() if o.side is Side.BUY)
        out: list = []
        add = tuple(sorted(want - view.registered))
        drop = tuple(sorted(view.registered - want))
        if add:
            out.append(ev.Register(add))
        if drop:
            out.append(ev.Unregister(drop))
        return out

    def _on_timer(self, view, now: dt.datetime) -> list:
        s = self.s
        out: list = []
        if s.liquidate_at is not None and "liquidated" not in view.flags and now.time() >= s.liquidate_at:
            out += self._liquidate(view, now, "liquidate_at", f"liquidate_at {s.liquidate_at:%H:%M}")
        for order, due in deadlines.amend_deadlines(view, s):
            if due <= now:
                price = risk.amend_price(order, s)
                out.append(ev.AmendOrder(self.new_id(), order.intent_id, order.order_no, order.code,
                                         order.remaining, price))
                why = f"unfilled after {s.amend_after_s}s: {order.remaining} re-priced to {price:,}"
                out.append(ev.Decision("amend", order.code, "amend", why))
        if not view.query_in_flight and any(d <= now for d in deadlines.settle_deadlines(view)):
            out.append(ev.QueryOrders("settle unknown orders"))
        return out + retry.due_outputs(view, s, now)

    def next_deadline(self, view, now: dt.datetime) -> dt.datetime | None:
        """Return when the engine should send a TimerFired next (None: nothing scheduled)."""
        return deadlines.next_deadline(view, self.s, now)
