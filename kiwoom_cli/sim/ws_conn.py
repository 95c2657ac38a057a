"""One simulator WebSocket connection: its state, its outbox and the task that writes it.

Handlers and the exchange listener only append to the outbox (loop thread, no awaits); the
writer task drains it in order, so frames leave in the order they were produced and every REAL
entry queued in one loop turn leaves in one REAL frame (docs/decisions.md §9).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from kiwoom_cli.sim import wire_ws as wire
from kiwoom_cli.sim.ws_subs import Registrations

ENTRY, FRAME, CLOSE = 0, 1, 2  # outbox item kinds
MAX_ENTRIES_PER_FRAME = 200  # keeps one burst from becoming one huge frame


class Conn:
    """One WebSocket connection's state (owned by the loop thread)."""

    __slots__ = (
        "ws", "request", "app_key", "logged_in", "closing", "close_queued", "regs", "codes", "types",
        "cond_seqs", "outbox", "outbox_limit", "wake", "unanswered", "login_timer", "ping_timer",
        "writer", "listed",
    )

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, reg_limit: int,
                 outbox_limit: int) -> None:
        self.ws = ws
        self.request = request
        self.app_key: str | None = None
        self.logged_in = False
        self.closing = False  # nothing more may be queued
        self.close_queued = False  # our close handshake is queued behind the outbox
        self.regs = Registrations(reg_limit)
        self.codes: set[str] = set()  # items registered for 0B
        self.types: set[str] = set()  # every registered type (00/04 matter for routing)
        self.cond_seqs: set[str] = set()  # real-time condition subscriptions
        self.outbox: list[tuple[int, Any]] = []
        self.outbox_limit = outbox_limit
        self.wake = asyncio.Event()
        self.unanswered = 0
        self.login_timer: asyncio.TimerHandle | None = None
        self.ping_timer: asyncio.TimerHandle | None = None
        self.writer: asyncio.Task | None = None
        self.listed = False  # the CNSRLST answer has been sent (CNSRREQ is reliable only after it)

    def entry(self, data: bytes) -> None:
        """Queue one encoded REAL entry; a reader this far behind is cut off (see drop)."""
        if self.closing:
            return
        outbox = self.outbox
        outbox.append((ENTRY, data))
        if len(outbox) > self.outbox_limit:
            self.drop()
            return
        self.wake.set()

    def drop(self) -> None:
        """Cut the TCP connection without a close handshake (a network drop; slow readers).

        unverified: how the broker treats a reader that stops reading is not documented; we
        protect the simulator's memory instead of queueing without bound.
        """
        self.closing = True
        self.outbox.clear()
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    def send(self, frame: bytes) -> None:
        """Queue one complete frame."""
        if not self.closing:
            self.outbox.append((FRAME, frame))
            self.wake.set()

    def close(self, code: int = WSCloseCode.OK) -> None:
        """Send what is queued, then close; nothing more is queued after this."""
        if not self.closing:
            self.closing = self.close_queued = True
            self.outbox.append((CLOSE, code))
            self.wake.set()


async def write_loop(conn: Conn, errors: list[BaseException]) -> None:
    """Send a connection's outbox in order until its close; consecutive entries form one REAL frame."""
    ws = conn.ws
    send_frame = getattr(ws, "send_frame", None)  # aiohttp >= 3.11: bytes as a TEXT frame
    if send_frame is None:  # older aiohttp: one decode per frame

        async def send_frame(data: bytes, opcode: WSMsgType) -> None:
            await ws.send_str(data.decode("utf-8"))

    try:
        while True:
            await conn.wake.wait()
            conn.wake.clear()
            items, conn.outbox = conn.outbox, []
            entries: list[bytes] = []
            for kind, payload in items:
                if kind == ENTRY:
                    entries.append(payload)
                    if len(entries) >= MAX_ENTRIES_PER_FRAME:
                        await send_frame(wire.real_frame(entries), WSMsgType.TEXT)
                        entries = []
                    continue
                if entries:
                    await send_frame(wire.real_frame(entries), WSMsgType.TEXT)
                    entries = []
                if kind == FRAME:
                    await send_frame(payload, WSMsgType.TEXT)
                else:
                    await ws.close(code=payload)
                    return
            if entries:
                await send_frame(wire.real_frame(entries), WSMsgType.TEXT)
    except (ConnectionError, RuntimeError):
        return  # the peer is gone; the handler's receive loop ends and forgets the conn
    except Exception as exc:  # a bug: surface it in tests, drop this connection
        errors.append(exc)
        conn.drop()
