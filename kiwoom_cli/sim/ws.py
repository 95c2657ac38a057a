"""The simulator's WebSocket: LOGIN, PING, REG/REMOVE, REAL fan-out, condition search (docs/protocol.md, WebSocket).

Runs on the simulator's single asyncio loop (no locks). Each connection (ws_conn.Conn) has an
outbox and one writer task, so every REAL entry produced in one loop turn leaves in one REAL
frame (the broker batches too, docs/decisions.md §9). Each event is encoded once and the same bytes
go to every subscriber.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from aiohttp import WSCloseCode, WSMsgType, web

from kiwoom_cli.sim import wire_ws as wire
from kiwoom_cli.sim import wire_ws_real as real
from kiwoom_cli.sim.context import SimContext
from kiwoom_cli.sim.domain import (
    ConditionChange,
    OrderUpdate,
    PositionUpdate,
    SimAuthError,
    SimEvent,
    TradePrint,
)
from kiwoom_cli.sim.ws_cond import ConditionRequests
from kiwoom_cli.sim.ws_conn import Conn, write_loop
from kiwoom_cli.sim.ws_subs import Index, RegError, parse_pairs

PATH = "/api/dostk/websocket"


class WsHub:
    """Every WebSocket connection of one simulator, and the fan-out of exchange events."""

    def __init__(self, ctx: SimContext) -> None:
        self.ctx = ctx
        extra = ctx.config.extra
        self.login_timeout_s = float(extra.get("login_timeout_s", 5))
        self.ping_interval_s = float(extra.get("ping_interval_s", 10))
        self.ping_misses = int(extra.get("ping_misses", 3))
        self.reg_limit = int(extra.get("reg_limit", 100))
        self.outbox_limit = int(extra.get("ws_outbox_limit", 100_000))  # queued items per socket
        self.conns: set[Conn] = set()
        self.by_app_key: dict[str, Conn] = {}
        self.by_code = Index()  # 0B subscribers
        self.by_seq = Index()  # real-time condition subscribers
        self.strength: dict[str, list[int]] = {}  # code -> [buyer-, seller-initiated qty]
        self.cond = ConditionRequests(ctx, self.by_seq)
        self._handlers: dict[str, Callable[[Conn, dict], None]] = {
            "PING": self._on_ping,
            "REG": self._on_reg,
            "REMOVE": self._on_reg,
            "CNSRLST": self.cond.on_list,
            "CNSRREQ": self.cond.on_request,
            "CNSRCLR": self.cond.on_clear,
        }

    # ------------------------------------------------------------------ wiring

    def attach(self, app: web.Application) -> None:
        """Serve GET /api/dostk/websocket, listen to exchange events, provide ctx.drop_sockets."""
        app.router.add_get(PATH, self._handle)
        if self.on_event not in self.ctx.listeners:
            self.ctx.listeners.append(self.on_event)
        self.ctx.drop_sockets = self.drop_all
        self.ctx.push_frame = self.push_frame
        self.bare_echoes = 0  # bare `PING` echoes received (tests check the client's manners)

    async def drop_all(self) -> None:
        """Cut every connection at the TCP level, as a network drop would (fault drop_socket)."""
        for conn in list(self.conns):
            conn.drop()

    def push_frame(self, data: bytes) -> int:
        """Send one raw text frame, any bytes, to every connection (POST /sim/frame)."""
        conns = [conn for conn in self.conns if not conn.closing]
        for conn in conns:
            conn.send(data)
        return len(conns)

    async def close_all(self) -> None:
        """Close every connection with 1001 (going away) and wait for their writers (shutdown)."""
        conns = list(self.conns)
        for conn in conns:
            conn.close(WSCloseCode.GOING_AWAY)
        writers = [c.writer for c in conns if c.writer is not None and not c.writer.done()]
        if writers:
            _, pending = await asyncio.wait(writers, timeout=2.0)
            for task in pending:
                task.cancel()
        await self.drop_all()

    # ------------------------------------------------------------------ connection

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=1 << 20, timeout=2.0)
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        conn = Conn(ws, request, self.reg_limit, self.outbox_limit)
        self.conns.add(conn)
        conn.writer = loop.create_task(write_loop(conn, self.ctx.errors))
        conn.login_timer = loop.call_later(self.login_timeout_s, self._login_expired, conn)
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    self._on_frame(conn, msg.data)
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            closing_by_us = conn.close_queued
            self._forget(conn)
            writer = conn.writer
            if writer is not None and not writer.done():
                if closing_by_us:  # let our close handshake finish (bounded by the ws timeout)
                    await asyncio.wait([writer], timeout=3.0)
                writer.cancel()
        return ws

    def _forget(self, conn: Conn) -> None:
        conn.closing = True
        for timer in (conn.login_timer, conn.ping_timer):
            if timer is not None:
                timer.cancel()
        self.conns.discard(conn)
        self.by_code.update(conn, conn.codes, set())
        self.by_seq.update(conn, conn.cond_seqs, set())
        conn.codes, conn.cond_seqs, conn.types = set(), set(), set()
        if conn.app_key is not None and self.by_app_key.get(conn.app_key) is conn:
            del self.by_app_key[conn.app_key]

    # ------------------------------------------------------------------ frames in

    def _on_frame(self, conn: Conn, data: str | bytes) -> None:
        if conn.closing:
            return
        if len(data) <= 16 and data.strip() in ("PING", b"PING"):  # the echo of a bare PING
            if conn.logged_in:
                self.bare_echoes += 1
                self._on_ping(conn, {})
            return
        try:
            msg = wire.loads(data)
        except ValueError:
            conn.send(wire.reply("ERROR", 1, "JSON 형식 오류"))  # unverified: shape and text
            return
        trnm = msg.get("trnm") if isinstance(msg, dict) else None
        if not isinstance(trnm, str) or not trnm:
            conn.send(wire.reply("ERROR", 1, "trnm 누락"))  # unverified: shape and text
            return
        try:
            if trnm == "LOGIN":
                self._on_login(conn, msg)
            elif not conn.logged_in:
                conn.send(wire.before_login(trnm))
            else:
                handler = self._handlers.get(trnm)
                if trnm == "CNSRLST" and self.ctx.faults.take("drop_on_cnsrlst"):
                    conn.drop()  # fault: the network drops before the answer
                elif handler is None:
                    conn.send(wire.reply(trnm, 1, "지원하지 않는 전문입니다"))  # unverified
                else:
                    handler(conn, msg)
        except Exception as exc:  # a bug: keep serving, let the test harness re-raise it
            self.ctx.errors.append(exc)
            conn.send(wire.reply(trnm, 1, "internal error"))

    def _on_login(self, conn: Conn, msg: dict) -> None:
        armed = self._armed_login_refusal()
        if armed is not None:
            conn.send(wire.login_refused(armed.form, armed.code))
            conn.close()
            return
        token = msg.get("token")
        try:
            app_key = self.ctx.exchange.app_key_for_token(token if isinstance(token, str) else "")
        except SimAuthError as exc:
            conn.send(wire.login_failed(exc.code, exc.message))
            conn.close()
            return
        if conn.login_timer is not None:
            conn.login_timer.cancel()
            conn.login_timer = None
        previous = self.by_app_key.get(app_key)
        if previous is not None and previous is not conn:
            previous.send(wire.system_frame("R10001"))
            previous.close()
            self._forget(previous)
        if conn.app_key is not None and conn.app_key != app_key:
            if self.by_app_key.get(conn.app_key) is conn:
                del self.by_app_key[conn.app_key]
        self.by_app_key[app_key] = conn
        conn.app_key = app_key
        conn.send(wire.login_ok())
        if not conn.logged_in:
            conn.logged_in = True
            self._schedule_ping(conn)

    def _armed_login_refusal(self):
        """Take one hit of a token_refused fault armed for api_id "LOGIN" (POST /sim/fault)."""
        answers = self.ctx.faults.answers
        for armed in answers:
            if armed.kind == "token_refused" and armed.api_id == "LOGIN":
                armed.left -= 1
                if armed.left <= 0:
                    answers.remove(armed)
                return armed
        return None

    def _login_expired(self, conn: Conn) -> None:
        conn.login_timer = None
        if not conn.logged_in and not conn.closing:
            conn.send(wire.system_frame("R10004"))
            conn.close()

    def _schedule_ping(self, conn: Conn) -> None:
        loop = asyncio.get_running_loop()
        conn.ping_timer = loop.call_later(self.ping_interval_s, self._ping, conn)

    def _ping(self, conn: Conn) -> None:
        conn.ping_timer = None
        if conn.closing:
            return
        if conn.unanswered >= self.ping_misses:
            conn.send(wire.system_frame("R10002"))
            conn.close()
            return
        conn.unanswered += 1
        conn.send(wire.BARE_PING if self.ctx.faults.take("bare_ping") else wire.PING)
        self._schedule_ping(conn)

    def _on_ping(self, conn: Conn, msg: dict) -> None:
        conn.unanswered = 0

    def _on_reg(self, conn: Conn, msg: dict) -> None:
        trnm = msg["trnm"]
        grp_no = str(msg.get("grp_no", "1"))
        try:
            pairs = parse_pairs(msg.get("data"))
            if trnm == "REG":
                conn.regs.register(grp_no, pairs, keep_earlier=str(msg.get("refresh", "1")) != "0")
            else:
                conn.regs.remove(grp_no, pairs)
        except RegError as exc:
            conn.send(wire.reply(trnm, 1, str(exc)))
            return
        codes = conn.regs.items_of("0B")
        self.by_code.update(conn, conn.codes, codes)
        conn.codes = codes
        conn.types = conn.regs.types()
        conn.send(wire.reply(trnm))

    # ------------------------------------------------------------------ events out

    def on_event(self, event: SimEvent) -> None:
        """Fan one exchange event out to its subscribers (ctx listener, loop thread)."""
        try:
            kind = type(event)
            if kind is TradePrint:
                self._on_trade(event)
            elif kind is OrderUpdate:
                self._on_account_event("00", event)
            elif kind is PositionUpdate:
                self._on_account_event("04", event)
            elif kind is ConditionChange:
                subs = self.by_seq.get(event.seq)
                if subs:
                    entry = real.entry_02(event)
                    for conn in subs:
                        conn.entry(entry)
        except Exception as exc:  # never break the exchange's publish; surface in tests
            self.ctx.errors.append(exc)

    def _on_trade(self, tp: TradePrint) -> None:
        counts = self.strength.get(tp.code)
        if counts is None:
            counts = self.strength[tp.code] = [0, 0]
        if tp.qty >= 0:
            counts[0] += tp.qty
        else:
            counts[1] -= tp.qty
        for suffix in self.ctx.exchange.feeds(tp.code):  # CODE, CODE_NX, CODE_AL: the item echoed
            subs = self.by_code.get(tp.code + suffix)
            if subs:
                entry = real.entry_0b(tp, real.strength_text(counts[0], counts[1]), item=tp.code + suffix)
                for conn in subs:
                    conn.entry(entry)

    def _on_account_event(self, rt: str, event: OrderUpdate | PositionUpdate) -> None:
        conn = self.by_app_key.get(event.app_key)
        if conn is None or rt not in conn.types:
            return
        if rt == "00":
            inst = self.ctx.exchange.instrument(event.order.code)
            conn.entry(real.entry_00(event, inst))
        else:
            inst = self.ctx.exchange.instrument(event.holding.code)
            conn.entry(real.entry_04(event, inst))


__all__ = ["WsHub", "Conn", "PATH"]
