"""Shared state of one running simulator: the exchange plus what the server layers need.

Owned by the simulator's single asyncio loop thread: no locks (docs/decisions.md §9).
Written by the lead as the contract between sim/server.py, sim/rest.py, sim/ws.py, sim/control.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from kiwoom_cli.clock import Clock
from kiwoom_cli.sim.domain import SimConfig, SimEvent

FAULT_KINDS = ("drop_socket", "rate_limit", "rest_error", "expire_token", "delay_order",
               "token_refused", "rate_limited", "bad_answer",
               "bare_ping", "drop_on_cnsrlst")
# bare_ping: the next N PINGs are the bare text form; drop_on_cnsrlst: the next N CNSRLST requests
# cut the connection instead of being answered (a drop in the middle of a start-up)
ANSWER_KINDS = ("token_refused", "rate_limited", "bad_answer")  # answer the next requests exactly so


@dataclass
class ArmedAnswer:
    """What the next `left` requests of `api_id` (None: any) are answered (POST /sim/fault).

    token_refused / rate_limited: Kiwoom's refusal in `form` with `code`, before anything is done
    (token_refused only hits requests that carry a token). bad_answer: `status` and `body` verbatim,
    after the request was carried out (an order placed) when `effect`, else instead of it.
    """

    kind: str
    api_id: str | None
    left: int
    form: str = ""
    code: str = ""
    status: int = 200
    body: str = ""
    effect: bool = False


@dataclass
class Faults:
    """Pending injected faults: kind -> how many more requests it hits (POST /sim/fault)."""

    pending: dict[str, int] = field(default_factory=dict)
    delay_order_s: float = 2.0
    answers: list[ArmedAnswer] = field(default_factory=list)  # oldest first

    def answer_for(self, api_id: str, auth: bool) -> ArmedAnswer | None:
        """Consume one hit of the oldest armed answer matching this request, if any."""
        for armed in self.answers:
            if armed.api_id in (None, api_id) and (auth or armed.kind != "token_refused"):
                armed.left -= 1
                if armed.left <= 0:
                    self.answers.remove(armed)
                return armed
        return None

    def clear(self) -> None:
        self.pending.clear()
        self.answers.clear()

    def arm(self, kind: str, count: int) -> None:
        self.pending[kind] = self.pending.get(kind, 0) + count

    def take(self, kind: str) -> bool:
        """Consume one occurrence of a fault; True when it should fire now."""
        left = self.pending.get(kind, 0)
        if left <= 0:
            return False
        self.pending[kind] = left - 1
        return True


@dataclass
class SimContext:
    exchange: Any  # kiwoom_cli.sim.exchange.Exchange
    config: SimConfig
    clock: Clock
    faults: Faults = field(default_factory=Faults)
    # Every REST request, oldest first: {"time", "path", "api_id", "body", "status", "result"}.
    request_log: list[dict] = field(default_factory=list)
    # Order requests only (kt10000-kt10003), oldest first, for GET /sim/orders:
    # {"time": epoch s, "api_id", "body": as sent, "result": response body}
    order_log: list[dict] = field(default_factory=list)
    # Unexpected handler exceptions; the in-process server re-raises them in tests.
    errors: list[BaseException] = field(default_factory=list)
    # Event listeners (the WebSocket hub registers one); called on the loop thread.
    listeners: list[Callable[[SimEvent], None]] = field(default_factory=list)
    # Set by ws.py: close every socket now (fault drop_socket) -> coroutine function.
    drop_sockets: Callable[[], Any] | None = None
    # Set by ws.py: send one raw text frame to every socket (POST /sim/frame) -> how many got it.
    push_frame: Callable[[bytes], int] | None = None

    def publish(self, event: SimEvent) -> None:
        """Fan an exchange event out to every listener."""
        for listener in self.listeners:
            listener(event)
