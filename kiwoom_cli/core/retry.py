"""Resending what the broker refused with a rate limit (nothing was placed), for `kiwoom run`.

The order worker reports the refusal (OrderRefused) and holds the orders behind it; the state keeps
a Retry per refused intent; the strategy, on the engine's clock (TimerFired at `due`), either sends
it again (RetryOrder, priced from the live price and checked anew) or gives up (GiveUp). Retries go
out in the order their intents were first refused, ahead of every order held behind them.

A new buy gives up after BUY_TRIES tries or BUY_GIVE_UP_S seconds (as a manual order does,
core/orders.py); a sell, amend or cancel keeps trying until it is placed or the run ends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import prices, risk
from kiwoom_cli.market import add_ticks, round_down_to_tick, round_up_to_tick
from kiwoom_cli.models import OrderType, Side

RETRY_GAP_S = 1.0  # the broker allows about one request per second per api-id: the next slot
BUY_TRIES = 3  # a rate-limited new buy is sent at most this many times ...
BUY_GIVE_UP_S = 5.0  # ... and not retried this long after its first try (a late buy is a worse buy)


def gives_up(intent) -> bool:
    """Whether a rate-limited intent stops after BUY_TRIES / BUY_GIVE_UP_S: only a new buy does.

    A sell, amend or cancel acts on a position or an order already at the broker: dropping it would
    leave the account in a state nobody chose, so it keeps trying (until placed or the run ends).
    """
    return isinstance(intent, ev.PlaceOrder) and intent.side is Side.BUY


def stop_reason(intent, refused: ev.OrderRefused, tries: int, waited: float, token_resent: bool) -> str | None:
    """Why `intent` is not sent again after this refusal (None: it may be), for a manual order."""
    if refused.kind == ev.REFUSED_TOKEN:
        return f"not sent: the broker refused a fresh token too ({refused.reason})" if token_resent else None
    if not gives_up(intent) or (tries < BUY_TRIES and waited < BUY_GIVE_UP_S):
        return None
    return f"not sent: rate-limited {tries} times in {waited:.1f}s ({refused.reason}); nothing was placed"


@dataclass(slots=True)
class Retry:
    """A rate-limited intent: `intent` as last sent, `due` None while a try is out."""

    intent: object
    tries: int
    first: dt.datetime
    due: dt.datetime | None
    reason: str
    code: str | None


def refused(retries: dict, intent, event: ev.OrderRefused, now: dt.datetime) -> None:
    """Note a rate-limit refusal of `intent`: its next try is due at the next slot."""
    due = now + dt.timedelta(seconds=RETRY_GAP_S)
    r = retries.get(event.intent_id)
    if r is None:
        retries[event.intent_id] = Retry(intent, 1, now, due, event.reason, event.error_code)
    else:
        r.due, r.reason, r.code = due, event.reason, event.error_code


def retrying(state, intent) -> list:
    """State.apply_output(RetryOrder): the intent goes again, maybe at a new price."""
    state.sent[intent.intent_id] = intent
    r = state.retries.get(intent.intent_id)
    if r is not None:
        r.intent, r.tries, r.due = intent, r.tries + 1, None
    order = state.orders.get(intent.intent_id)
    if order is not None and isinstance(intent, ev.PlaceOrder):
        order.price, order.reserve = intent.price, intent.reserve
        order.upper, order.lower = intent.upper, intent.lower
    return []


def deadline(view) -> dt.datetime | None:
    """When the next retry (or a buy's give-up) is due."""
    times = [_when(r) for r in view.retries.values() if r.due is not None]
    return min(times) if times else None


def _when(r: Retry) -> dt.datetime:
    if gives_up(r.intent):
        return min(r.due, r.first + dt.timedelta(seconds=BUY_GIVE_UP_S))
    return r.due


def after_refusal(event: ev.OrderRefused, view, now: dt.datetime) -> list:
    """What the dashboard's log and the JSON lines say of a refused order; a buy out of tries gives up now."""
    intent = getattr(view, "sent", {}).get(event.intent_id)
    code = intent.code if intent is not None else None
    if event.kind == ev.REFUSED_TOKEN:
        return [ev.Decision("order", code, "info", f"{event.intent_id}: token refused, sent again with a new one")]
    r = view.retries.get(event.intent_id)
    why = _give_up(r, now) if r is not None else None
    if why is not None:
        return _not_sent(r.intent, why, r.code)
    return [ev.Decision("order", code, "info",
                        f"{event.intent_id} rate-limited ({event.reason}): sent again at the next slot")]


def _not_sent(intent, why: str, code: str | None) -> list:
    return [ev.GiveUp(intent.intent_id, f"not sent: {why}", code),
            ev.Decision("order", intent.code, "not sent", f"{intent.intent_id} not sent: {why}")]


def due_outputs(view, s, now: dt.datetime) -> list:
    """RetryOrder or GiveUp (with a Decision saying so) for every retry due at `now`, in arrival order."""
    out: list = []
    for r in list(view.retries.values()):
        if r.due is None or _when(r) > now:
            continue
        intent = r.intent
        why = _give_up(r, now)
        if why is None:
            intent, why = _redo(view, s, intent, now)
        if why is not None:
            out += _not_sent(intent, why, r.code)
            continue
        out.append(ev.RetryOrder(intent, r.tries + 1))
        out.append(ev.Decision("order", intent.code, "retry",
                               f"{intent.intent_id} try {r.tries + 1} after a rate limit: {_what(intent)}"))
    return out


def _give_up(r: Retry, now: dt.datetime) -> str | None:
    if not gives_up(r.intent):
        return None
    waited = (now - r.first).total_seconds()
    if r.tries >= BUY_TRIES or waited >= BUY_GIVE_UP_S:
        return f"rate-limited {r.tries} times in {waited:.1f}s ({r.reason}); nothing was placed"
    return None


def _what(intent) -> str:
    if isinstance(intent, ev.PlaceOrder):
        at = "market" if intent.price is None else f"{intent.price:,}"
        return f"{intent.side.value} {intent.qty} @ {at}"
    return "amend" if isinstance(intent, ev.AmendOrder) else "cancel"


def _redo(view, s, intent, now: dt.datetime):
    """(intent priced anew, None) if it may go again, else (intent, why not)."""
    if isinstance(intent, (ev.AmendOrder, ev.CancelOrder)):
        if intent.target_id and intent.target_id not in view.orders:
            return intent, "the order it changes is closed"
        return intent, None
    order = view.orders.get(intent.intent_id)
    if order is None:
        return intent, "closed meanwhile"
    mark = view.marks.get(intent.code)
    if intent.side is Side.SELL:
        return _redo_sell(view, s, intent, mark, now)
    return _redo_buy(view, s, intent, order, mark, now)


def _redo_sell(view, s, intent, mark, now):
    pos = view.positions.get(intent.code)
    if pos is None or pos.qty <= 0:
        return intent, "not held any more"
    price, upper, lower = prices.sell_price(pos, mark, now.date())  # unchecked prices never price it
    limit = None
    if intent.order_type is OrderType.LIMIT and price > 0:
        limit = _clamp(add_ticks(round_down_to_tick(price), -s.sell_ticks), upper, lower)
    if intent.order_type is OrderType.LIMIT and limit is None:
        limit = intent.price  # no price known now: the one decided
    return dataclasses.replace(intent, price=limit, ref_price=price or intent.ref_price), None


def _redo_buy(view, s, intent, order, mark, now: dt.datetime):
    if mark is None or mark.price <= 0:
        return intent, "no live price"
    price = mark.price
    upper, lower = mark.upper or intent.upper, mark.lower or intent.lower
    limit = None
    if intent.order_type is OrderType.LIMIT:
        limit = _clamp(add_ticks(round_up_to_tick(price), s.buy_ticks), upper, lower)
    reserve = risk.run_reservation(intent.qty, limit, upper, price, s)
    denial = _recheck_buy(view, s, intent, order, limit, price, reserve, now)
    if denial:
        return intent, f"checks: {denial}"
    return dataclasses.replace(intent, price=limit, ref_price=price, upper=upper, lower=lower,
                               reserve=reserve), None


def _recheck_buy(view, s, intent, order, limit, price, reserve, now) -> str | None:
    """risk.check_buy's checks for an order already counted in the state (its own slot and cash)."""
    if intent.origin == "run":
        if not s.in_window(now):
            return "window closed"
        if view.paused:
            return "paused"
        if "max_loss" in view.flags or "liquidated" in view.flags:
            return "buying halted for the day"
    cash = view.available_cash()
    if cash is not None:
        cash += order.reserved_now  # what this order holds now is free for its own new price
    denial = (risk.check_day_loss(view.day_pnl(), s.max_daily_loss)
              or risk.check_value(intent.qty * (limit or price), s.max_order_value)
              or risk.check_cash(reserve, cash))
    return denial.reason if denial else None


def _clamp(price: int, upper: int, lower: int) -> int:
    return max(lower, min(upper, price)) if upper else price
