"""The life of an order: one state, and the table of the transitions the core expects.

States. The values are the journal's `intents.status` strings (rows written before this module
stay valid without a migration):

  pending     the intent is committed and its request sent; no answer yet
  unknown     the answer never came (a timeout, a lost connection, a restart): the order may be
              at the broker, so its cash stays reserved and its code blocked until settle() finds it
              or two queries miss it (docs/decisions.md §7)
  acked       the broker numbered it: live, partly filled or not
  filled, cancelled, rejected, failed, not_placed, gone: closed (no request of ours moves it again)

Events are what moves an order: the answer to its request (ACK, UNKNOWN, FAIL), the broker's 00
frames (ACCEPT, FILL, FILLED_ALL, REJECT, CANCEL_DONE, and CHANGE for the accept, confirm or refusal
of an amend or cancel), and what a query of open orders and fills (ka10075/ka10076) shows (FOUND,
NOT_FOUND, VANISHED).

Closed states absorb the frames that can follow the close in a normal race: a cancel confirmed and
then the fill of the part that filled before it, the refusal of a cancel sent to an order that
filled. A fill always reaches the position, whatever the state (order_flow.py): the shares are real.

A pair the table does not list is unexpected: it is logged, counted (`State.unexpected`), leaves
the state as it was, and is answered with a query of the broker's open orders and fills
(order_flow.py, settle.py); docs/architecture.md §10, Order states.

Not states: `Order.amended` and `Order.cancel_sent` record that an amend or a cancel request was
sent. The order stays acked while one is in flight (it can still fill, and the broker can refuse the
change); they only keep the strategy from sending a second one. `unknown_since` and `missing_since`
are settle()'s clocks.
"""

from __future__ import annotations

import enum


class OrderState(str, enum.Enum):
    PENDING = "pending"
    UNKNOWN = "unknown"
    ACKED = "acked"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    FAILED = "failed"
    NOT_PLACED = "not_placed"
    GONE = "gone"

    def __str__(self) -> str:  # the journal's word, in f-strings too (Python 3.12 formats mixins by str())
        return self.value

    __format__ = str.__format__

    @property
    def open(self) -> bool:
        return self in OPEN


OPEN = frozenset({OrderState.PENDING, OrderState.UNKNOWN, OrderState.ACKED})


class OrderEv(str, enum.Enum):
    ACK = "ack"  # the request's answer: numbered
    UNKNOWN = "unknown"  # the request's answer: outcome unknown
    FAIL = "fail"  # the request's answer: nothing placed
    ACCEPT = "accept"  # 00 접수 on the order's own number
    FILL = "fill"  # a fill leaving some quantity open
    FILLED_ALL = "filled_all"  # a fill leaving nothing open
    REJECT = "reject"  # 00 거부 on the order's own number
    CANCEL_DONE = "cancel_done"  # a cancel confirmed (or the broker cancelled it)
    CHANGE = "change"  # an amend or cancel number accepted, an amend confirmed, or either refused
    FOUND = "found"  # a query shows the unknown order under a number
    NOT_FOUND = "not_found"  # two queries CONFIRM_S apart miss the unknown order
    VANISHED = "vanished"  # two queries miss the acked order, with quantity open

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


S, E = OrderState, OrderEv

# (state, event) -> next state. Everything not listed is unexpected.
TABLE: dict[tuple[OrderState, OrderEv], OrderState] = {
    (S.PENDING, E.ACK): S.ACKED,
    (S.PENDING, E.UNKNOWN): S.UNKNOWN,
    (S.PENDING, E.FAIL): S.FAILED,

    (S.UNKNOWN, E.FOUND): S.ACKED,
    (S.UNKNOWN, E.NOT_FOUND): S.NOT_PLACED,

    (S.ACKED, E.ACCEPT): S.ACKED,
    (S.ACKED, E.FILL): S.ACKED,
    (S.ACKED, E.FILLED_ALL): S.FILLED,
    (S.ACKED, E.CHANGE): S.ACKED,
    (S.ACKED, E.CANCEL_DONE): S.CANCELLED,
    (S.ACKED, E.REJECT): S.REJECTED,
    (S.ACKED, E.VANISHED): S.GONE,

    # closed: the frames a normal race delivers after the close
    (S.FILLED, E.ACCEPT): S.FILLED,
    (S.FILLED, E.CHANGE): S.FILLED,  # a cancel or amend sent as the last shares filled
    (S.CANCELLED, E.ACCEPT): S.CANCELLED,
    (S.CANCELLED, E.CHANGE): S.CANCELLED,
    (S.CANCELLED, E.CANCEL_DONE): S.CANCELLED,  # 확인 and 취소 frames for the one cancel
    (S.CANCELLED, E.FILL): S.CANCELLED,  # the part filled before the cancel took effect
    (S.CANCELLED, E.FILLED_ALL): S.CANCELLED,
    (S.GONE, E.FILL): S.GONE,  # the fill listing lagged the open-order listing
    (S.GONE, E.FILLED_ALL): S.GONE,
    (S.GONE, E.CHANGE): S.GONE,
    (S.REJECTED, E.REJECT): S.REJECTED,
    (S.REJECTED, E.CHANGE): S.REJECTED,
}


def next_state(state: OrderState, event: OrderEv) -> OrderState | None:
    """The state after `event`, or None when the table does not expect it."""
    return TABLE.get((state, event))


def loaded_state(status: str) -> OrderState:
    """The state of an open journal row after a restart: an answer still pending died with the
    process that waited for it, so a pending row is unknown (settled with the broker, never resent)."""
    state = OrderState(status)
    return OrderState.UNKNOWN if state is OrderState.PENDING else state
