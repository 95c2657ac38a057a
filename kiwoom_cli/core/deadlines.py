"""The run's timed rules: when an unfilled order is re-priced, when unknown orders are asked
about again, and the earliest of these the engine waits for (docs/architecture.md §2, Deadlines).

Pure: read from the state view and the run's settings, never written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kiwoom_cli.core import retry, risk
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.settle import CONFIRM_S, SETTLE_GRACE_S
from kiwoom_cli.models import OrderType, Side


def amend_deadlines(view, s: RunSettings) -> Iterable:
    """Yield (order, due) for every resting limit order `amend_after_s` old would re-price higher
    (a buy) or lower (a sell), within the limits and `max_order_value` (risk.amend_price)."""
    after = s.amend_after_s
    if after is None:
        return
    for o in view.orders.values():
        if (o.order_no and not o.amended and not o.cancel_sent and o.remaining > 0
                and o.order_type is OrderType.LIMIT):
            # market orders are never amended: kt10002 has no trde_tp, repricing one is unverified
            target = risk.amend_price(o, s)
            if target > 0 and (target > o.price if o.side is Side.BUY else target < o.price):
                yield o, o.created + dt.timedelta(seconds=after)


def settle_deadlines(view) -> list[dt.datetime]:
    """When orders of unknown outcome (or missing from one query) are to be queried again."""
    times = [o.unknown_since + dt.timedelta(seconds=SETTLE_GRACE_S)
             for o in view.orders.values() if o.unknown and o.unknown_since and not o.missing_since]
    times += [o.missing_since + dt.timedelta(seconds=CONFIRM_S)  # the confirming second query
              for o in view.orders.values() if o.missing_since]
    retry = view.query_retry_at
    return [max(t, retry) for t in times] if retry else times


def next_deadline(view, s: RunSettings, now: dt.datetime) -> dt.datetime | None:
    """Return when the engine should send a TimerFired next (None: nothing scheduled)."""
    times = [due for _, due in amend_deadlines(view, s)]
    if not view.query_in_flight:
        times += settle_deadlines(view)
    if s.liquidate_at is not None and "liquidated" not in view.flags:
        times.append(dt.datetime.combine(now.date(), s.liquidate_at, tzinfo=now.tzinfo))
    due = retry.deadline(view)
    if due is not None:
        times.append(due)
    return min(times) if times else None
