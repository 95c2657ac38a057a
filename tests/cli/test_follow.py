"""Following an order's events (pure: models on a queue, an injected monotonic clock)."""

from __future__ import annotations

import queue

from kiwoom_cli.cli.follow import follow_events
from kiwoom_cli.models import OrderAction, OrderEvent, OrderStatus, Side, SocketStatus


def event(no, status, *, action=OrderAction.NEW, orig=None, remaining=3, filled=0, fill=None, reason=None):
    return OrderEvent(no, orig, "005930", "삼성전자", Side.BUY, status, action, 3, 0, remaining, filled,
                      fill[1] if fill else None, fill[0] if fill else None, "100000", reason)


def run(*events, kind="place", wait=5.0):
    q: queue.Queue = queue.Queue()
    for e in events:
        q.put(e)
    seen = []
    t = iter(range(10_000))  # a clock that never reaches the deadline while events remain
    progress = follow_events(q, "0000001", kind, wait, lambda: next(t) * 0.001, lambda f, p: seen.append(f))
    return progress, seen


def test_partial_fills_then_done():
    progress, seen = run(
        SocketStatus("connected"), event("0000009", OrderStatus.FILLED, fill=(3, 1)),  # another order: ignored
        event("0000001", OrderStatus.ACCEPTED),
        event("0000001", OrderStatus.FILLED, remaining=2, filled=1, fill=(1, 97_500)),
        event("0000001", OrderStatus.FILLED, remaining=0, filled=3, fill=(2, 97_600)),
    )
    assert progress.status == "filled" and progress.filled == 3 and progress.remaining == 0
    assert [(f.qty, f.price) for f in seen] == [(1, 97_500), (2, 97_600)]


def test_rejection_and_cancellation_end_the_follow():
    progress, _ = run(event("0000001", OrderStatus.REJECTED, reason="증거금 부족"))
    assert progress.status == "rejected" and progress.reason == "증거금 부족"
    progress, _ = run(event("0000002", OrderStatus.CONFIRMED, action=OrderAction.CANCEL, orig="0000001"))
    assert progress.status == "cancelled"


def test_an_amend_made_elsewhere_moves_the_order_to_its_new_number():
    progress, _ = run(
        event("0000002", OrderStatus.CONFIRMED, action=OrderAction.AMEND, orig="0000001"),
        event("0000002", OrderStatus.FILLED, action=OrderAction.AMEND, remaining=0, filled=3, fill=(3, 97_000)),
    )
    assert progress.status == "filled" and progress.filled == 3


def test_nothing_settles_within_the_wait_leaves_it_open():
    progress, seen = run(event("0000001", OrderStatus.ACCEPTED), wait=0.5)
    assert progress.status == "open" and progress.remaining == 3 and seen == []


def test_a_dropped_socket_ends_the_follow_with_a_reason():
    progress, _ = run(SocketStatus("disconnected", "connection lost"))
    assert progress.status == "open" and "disconnected" in progress.reason


def test_amend_and_cancel_end_at_confirmation():
    progress, _ = run(event("0000001", OrderStatus.ACCEPTED, action=OrderAction.CANCEL),
                      event("0000001", OrderStatus.CONFIRMED, action=OrderAction.CANCEL), kind="cancel")
    assert progress.status == "confirmed"
