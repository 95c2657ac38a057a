"""What our SocketClient's reader puts on its queue, collected and waited on (on the queue, not polled)."""

from __future__ import annotations

import queue

from kiwoom_cli.models import SocketStatus


class Events:
    """Collects what a SocketClient's reader puts on its queue; waits (on the queue) for a matching event."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.seen: list = []

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "event"):
        for event in self.seen:
            if predicate(event):
                self.seen.remove(event)
                return event
        while True:
            try:
                event = self.queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {what} within {timeout}s; saw {self.seen[-10:]}") from None
            if predicate(event):
                return event
            self.seen.append(event)

    def status(self, state: str, detail: str | None = None) -> SocketStatus:
        return self.wait_for(
            lambda e: (
                isinstance(e, SocketStatus) and e.state == state and (detail is None or e.detail == detail)
            ),
            what=f"SocketStatus {state} {detail or ''}",
        )
