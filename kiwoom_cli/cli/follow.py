"""Follow one order for a few seconds after it was accepted and report its fills.

With the socket: read OrderEvent (REAL 00) from the session's queue, blocking on it, until the
order is filled, cancelled, rejected or confirmed (amend/cancel), or the time is up. While a
`kiwoom run` holds the socket (docs/decisions.md §2) the same question is asked over REST instead:
ka10076 (fills) and ka10075 (open orders), once a second, the broker's rate budget per api-id.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kiwoom_cli.models import OrderAction, OrderEvent, OrderStatus, SocketStatus

REST_INTERVAL_S = 1.0  # one ka10075 + one ka10076 a second: inside the 1 req/s per api-id budget


@dataclass(frozen=True)
class FillNote:
    qty: int
    price: int
    time: str = ""


@dataclass
class Progress:
    """Where the followed order stands when following ends."""

    order_no: str
    status: str = "open"  # open | filled | cancelled | rejected | confirmed | closed
    filled: int = 0
    remaining: int | None = None
    fills: list[FillNote] = field(default_factory=list)
    reason: str = ""
    via: str = "socket"  # socket | rest

    @property
    def done(self) -> bool:
        return self.status != "open"


OnFill = Callable[[FillNote, "Progress"], None]


def follow_events(events: queue.Queue, order_no: str, kind: str, wait: float, monotonic: Callable[[], float],
                  on_fill: OnFill = lambda f, p: None) -> Progress:
    """Read order events for `order_no` (kind place|amend|cancel) until it settles or `wait` seconds pass."""
    progress = Progress(order_no)
    current = order_no  # an amend made elsewhere moves the order to a new number
    deadline = monotonic() + wait
    while not progress.done:
        left = deadline - monotonic()
        if left <= 0:
            break
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            break
        if isinstance(event, SocketStatus) and event.state in ("disconnected", "kicked"):
            progress.reason = f"socket {event.state}: {event.detail}"
            break
        if not isinstance(event, OrderEvent):
            continue
        if kind == "place" and event.action is OrderAction.AMEND and event.orig_order_no == current:
            current = event.order_no
        if event.order_no == current:
            _apply(progress, event, kind, on_fill)
        elif (kind == "place" and event.action is OrderAction.CANCEL and event.orig_order_no == current
              and event.status is OrderStatus.CONFIRMED):
            progress.status, progress.remaining = "cancelled", 0
    return progress


def _apply(progress: Progress, event: OrderEvent, kind: str, on_fill: OnFill) -> None:
    progress.remaining = event.remaining_qty
    if event.status is OrderStatus.FILLED and event.fill_qty:
        progress.filled = event.filled_qty
        note = FillNote(event.fill_qty, event.fill_price or 0, event.time)
        progress.fills.append(note)
        on_fill(note, progress)
        if event.remaining_qty == 0 and kind != "cancel":
            progress.status = "filled"
    elif event.status is OrderStatus.REJECTED:
        progress.status, progress.reason = "rejected", event.reject_reason or ""
    elif event.status is OrderStatus.CANCELLED:
        progress.status = "cancelled"
    elif event.status is OrderStatus.CONFIRMED and kind in ("amend", "cancel"):
        progress.status = "confirmed"


def follow_rest(rest, order_no: str, code: str, kind: str, qty: int, wait: float,
                monotonic: Callable[[], float], on_fill: OnFill = lambda f, p: None,
                stop: threading.Event | None = None) -> Progress:
    """Ask ka10076/ka10075 about `order_no` once a second until it settles or `wait` seconds pass."""
    progress = Progress(order_no, via="rest")
    stop = stop or threading.Event()
    deadline = monotonic() + wait
    same = lambda no: no.lstrip("0") == order_no.lstrip("0")
    while True:
        if kind == "place":
            row = next((f for f in rest.fills(code) if same(f.order_no)), None)
            _note_rest_fill(progress, row, on_fill)
        is_open = next((o for o in rest.open_orders(code) if same(o.order_no)), None)
        _note_rest_open(progress, is_open, kind, qty)
        left = deadline - monotonic()
        if progress.done or left <= 0 or stop.wait(min(REST_INTERVAL_S, left)):
            return progress


def _note_rest_fill(progress: Progress, row, on_fill: OnFill) -> None:
    """Count what a ka10076 row filled since the last look."""
    if row is not None and row.filled_qty > progress.filled:
        note = FillNote(row.filled_qty - progress.filled, row.fill_price, row.time)
        progress.filled = row.filled_qty
        progress.fills.append(note)
        on_fill(note, progress)


def _note_rest_open(progress: Progress, is_open, kind: str, qty: int) -> None:
    """Read the order's ka10075 row (None: gone from the open list) into its progress."""
    if is_open is not None:
        progress.remaining = is_open.remaining_qty
        if kind == "amend":
            progress.status = "confirmed"
    elif kind == "place":
        progress.remaining = max(qty - progress.filled, 0)
        # Gone from the open list: filled, or cancelled/rejected (ka10076 does not say which: unverified).
        progress.status = "filled" if progress.filled >= qty else "closed"
    else:  # a cancel follows its target: gone from the open list means cancelled
        progress.status, progress.remaining = ("confirmed" if kind == "cancel" else "closed"), 0
