"""SocketClient: Kiwoom's WebSocket (real-time data, order events, condition search) on websocket-client.

One connection per app key (a second LOGIN kicks the first: R10001). A reader thread owns recv:
it echoes every PING as it came, JSON or bare text (never SYSTEM), parses REAL entries into models
and puts each on `events`, hands request replies to the one waiting requester, and reconnects
with a growing backoff: a token never refused before, LOGIN, re-REG, CNSRLST, and only after its
answer the condition subscriptions (CNSRREQ). A bad frame is logged and counted (`bad_frames`);
any other failure while reading reconnects, and so does silence for twice `ping_period`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable, Iterable, Sequence

import websocket

from kiwoom_cli.clock import Clock, SystemClock
from kiwoom_cli.errors import AuthError, BrokerRejected, KiwoomError, TemporaryError, TokenInvalid
from kiwoom_cli.kiwoom import protocol, tls, venues, wsconn
from kiwoom_cli.kiwoom.wanted import Restore, Wanted, reg_frames
from kiwoom_cli.kiwoom.wscond import ConditionSearch, ConnectionLost
from kiwoom_cli.kiwoom.endpoint import Endpoint
from kiwoom_cli.models import SocketStatus

log = logging.getLogger(__name__)

_REPLIES = frozenset({"REG", "REMOVE", "CNSRLST", "CNSRREQ", "CNSRCLR"})
_DISCONNECTED = object()  # put on the reply queue when the connection drops
PING_PERIOD_S = 10.0  # the broker PINGs about every 10 s (fixtures/ws/ping.json)


class SocketClient(ConditionSearch):
    """The broker's WebSocket: LOGIN, PING echo, REG/REMOVE, condition search, reconnect."""

    def __init__(
        self,
        endpoint: Endpoint,
        token_provider: Callable[[bool], str],
        events: "queue.SimpleQueue | queue.Queue",
        *,
        clock: Clock | None = None,
        reconnect: bool = True,
        backoff: tuple[float, float] = (0.5, 30.0),
        proxy: str | None = None,
        timeout: float = 10.0,
        ping_period: float = PING_PERIOD_S,
        exchange: str = protocol.EXCHANGE,
    ) -> None:
        self._endpoint = endpoint
        self._token_provider = token_provider
        self._events = events
        self._clock = clock or SystemClock()
        self._reconnect = reconnect
        self._backoff = backoff
        self._timeout = timeout
        self._proxy = proxy
        self._ws: websocket.WebSocket | None = None
        self._ws_lock = threading.Lock()
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._request_lock = threading.Lock()  # one request in flight; replies are not matched by seq
        self._replies: queue.Queue = queue.Queue()
        self._wanted = Wanted(venues.PRICE_SUFFIX[exchange])  # 0B of the venue the run trades
        self._listed = False  # CNSRLST sent on this connection (required before CNSRREQ)
        self._kicked = False
        self._reader: threading.Thread | None = None
        self._silence_s = 2 * ping_period  # nothing at all for this long: the connection is dead
        self._refused: str | None = None  # the last token a LOGIN refused: never sent again
        self._restoring = Restore()  # what the restore after a reconnect still owes
        self.pings = 0  # PING frames echoed (observability; written by the reader only)
        self.bad_frames = 0  # frames and REAL entries dropped as malformed (written by the reader only)

    # ------------------------------------------------------------------ lifecycle

    @property
    def connected(self) -> bool:
        """True while logged in with a live reader thread."""
        reader = self._reader
        return self._connected.is_set() and reader is not None and reader.is_alive()

    @property
    def registered(self) -> set[str]:
        """Codes with wanted real-time registrations (restored after every reconnect)."""
        return self._wanted.codes()

    def start(self, timeout: float = 10.0) -> None:
        """Connect and LOGIN (once more with a fresh token after a token refusal); start the reader."""
        if self._reader is not None:
            raise RuntimeError("SocketClient already started")
        self._stop.clear()
        self._kicked = False
        try:
            ws = self._connect(timeout)
        except TokenInvalid as exc:
            self._events.put(SocketStatus("login_failed", exc.message))
            ws = self._connect(timeout)
        self._listed = False
        self._connected.set()
        self._events.put(SocketStatus("connected", "logged in"))
        self._reader = threading.Thread(target=self._run, args=(ws,), name="kiwoom-socket", daemon=True)
        self._reader.start()

    def stop(self) -> None:
        """Close the connection and stop the reader thread (no reconnect)."""
        self._stop.set()
        self._connected.clear()
        with self._ws_lock:
            ws = self._ws
        if ws is not None:
            try:
                ws.send_close()
            except Exception:  # already gone: nothing to say goodbye to
                pass
            ws.abort()  # wakes the reader blocked in recv
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=self._timeout)
        self._reader = None
        self._events.put(SocketStatus("disconnected", "stopped"))

    # ------------------------------------------------------------------ registrations

    def register(self, codes: Iterable[str], types: Sequence[str] = ("0B",)) -> None:
        """REG codes x types (grp "1", refresh "1"), each as the venue's code; kept and restored
        after reconnects."""
        codes, types = list(codes), list(types)
        if not codes:
            return
        with self._request_lock:
            before = self._wanted.snapshot()
            self._wanted.add(codes, types)
            try:
                for frame in reg_frames(codes, types, suffix=self._wanted.suffix):
                    self._acked(frame, "REG")
            except BrokerRejected:
                self._wanted.roll_back(before)  # refused (e.g. over the limit): never restore it
                raise

    def unregister(self, codes: Iterable[str], types: Sequence[str] = ("0B",)) -> None:
        """REMOVE codes x types."""
        codes, types = list(codes), list(types)
        if not codes:
            return
        with self._request_lock:
            self._wanted.remove(codes, types)
            for frame in reg_frames(codes, types, remove=True, suffix=self._wanted.suffix):
                self._acked(frame, "REMOVE")

    def register_account(self) -> None:
        """REG the account's order (00) and balance (04) events."""
        with self._request_lock:
            before = self._wanted.snapshot()
            self._wanted.set_account()
            try:
                self._acked(protocol.account_reg_frame(), "REG")
            except BrokerRejected:
                self._wanted.roll_back(before)
                raise

    def _acked(self, frame: dict, trnm: str) -> None:
        """Send a registration and wait for its ack; while disconnected, leave it to the restore."""
        if not self._connected.is_set():
            if self._reconnect and not self._stop.is_set() and self._reader is not None:
                return  # the wanted set is updated; the reconnect restores it
            raise TemporaryError(f"{trnm}: socket not connected", api_id=trnm)
        try:
            self._exchange(frame, trnm, self._timeout)
        except TemporaryError:
            if not (self._reconnect and not self._stop.is_set()):
                raise  # otherwise the restore after the reconnect sends it again

    # ------------------------------------------------------------------ request/reply

    def _exchange(self, frame: dict, trnm: str, timeout: float) -> dict:
        """Send `frame` and return the next reply with the same trnm (caller holds _request_lock)."""
        while True:  # drop replies that arrived after their requester gave up (before the check
            try:  # below, so that a disconnect from now on is seen)
                self._replies.get_nowait()
            except queue.Empty:
                break
        if not self._restoring.settled.wait(timeout):  # its acks would be taken for our reply
            raise TemporaryError(f"{trnm}: the socket is still restoring its subscriptions", api_id=trnm)
        ws = self._ws if self._connected.is_set() else None
        if ws is None:
            raise ConnectionLost(f"{trnm}: socket not connected", api_id=trnm)
        wsconn.send(ws, frame)
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self._replies.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise TemporaryError(f"{trnm}: no reply within {timeout:g}s", api_id=trnm) from None
            if reply is _DISCONNECTED:
                raise ConnectionLost(f"{trnm}: connection lost before the reply", api_id=trnm)
            if reply.get("trnm") == trnm:
                break
        error = protocol.ws_error_for(reply)
        if error is not None:
            raise error
        return reply

    # ------------------------------------------------------------------ connect + login

    def _connect(self, timeout: float) -> websocket.WebSocket:
        token = self._token_provider(False)  # another process may have replaced a refused token
        if token == self._refused:  # the cache still holds it: have it re-issued
            token = self._token_provider(True)
            if token == self._refused:
                raise AuthError("LOGIN: the token cache handed back the token the broker refused",
                                api_id="LOGIN")
        ws = wsconn.open_socket(self._endpoint.ws_url, timeout, self._proxy,
                                lambda: tls.for_endpoint(self._endpoint))
        with self._ws_lock:
            self._ws = ws  # so stop() can abort a login in progress
        try:
            wsconn.login(ws, token, timeout, lambda data, frame: self._dispatch(ws, data, frame))
        except BaseException as exc:
            if isinstance(exc, TokenInvalid):
                self._refused = token
            ws.shutdown()
            raise
        return ws

    # ------------------------------------------------------------------ reader thread

    def _run(self, ws: websocket.WebSocket) -> None:
        try:
            while ws is not None:  # read until the connection ends, goes silent or a frame breaks us
                dispatch = lambda data, frame, ws=ws: self._dispatch(ws, data, frame)  # noqa: E731
                reason = wsconn.read(ws, self._silence_s, dispatch, self._bad_frame, self._restoring.overdue)
                self._drop(ws)
                if self._stop.is_set():
                    return
                self._events.put(SocketStatus("disconnected", reason))
                if self._kicked or not self._reconnect:
                    return
                ws = self._reconnect_loop()
        except Exception as exc:  # a bug of ours: never leave "connected" standing on a dead reader
            log.error("socket reader stopped (%s)", type(exc).__name__, exc_info=True)
            self._drop(self._ws)
            self._events.put(SocketStatus("disconnected", f"socket reader failed ({type(exc).__name__})"))

    def _drop(self, ws: websocket.WebSocket | None) -> None:
        """Forget a dead connection: requests fail fast, waiting requesters wake up."""
        self._connected.clear()
        with self._ws_lock:
            self._ws = None
        if ws is not None:
            ws.shutdown()
        self._restoring.finish()  # waiters wake, see no connection and give up
        self._replies.put(_DISCONNECTED)

    def _bad_frame(self, exc: Exception, data: bytes) -> None:
        self.bad_frames += 1
        wsconn.log_bad_frame(self.bad_frames, exc, data)

    def _dispatch(self, ws: websocket.WebSocket, data: bytes, frame: dict) -> None:
        trnm = frame["trnm"]  # decode() guarantees a str
        if trnm == "REAL":
            events, errors = protocol.parse_real_frame(frame, self._clock.monotonic())
            for exc in errors:
                self._bad_frame(exc, data)
            for event in events:
                self._events.put(event)
        elif trnm == "PING":
            try:
                wsconn.send(ws, data)  # verbatim, extra keys included (docs/protocol.md, WebSocket)
                self.pings += 1
            except TemporaryError:
                pass  # the reader notices the dead connection on its next recv
        elif trnm == "SYSTEM":
            code = str(frame.get("code") or frame.get("return_code") or "")
            message = str(frame.get("message") or frame.get("return_msg") or "")
            log.warning("SYSTEM %s: %s", code[:20], message[:200])
            if code == "R10001":  # another connection took over this app key: do not fight it
                self._kicked = True
                self._events.put(SocketStatus("kicked", f"{code} {message}".strip()))
        elif trnm in _REPLIES:
            if self._restoring.owes(trnm):  # an ack of the restore after a reconnect
                self._restore_acked(ws, trnm, frame)
            elif trnm == "CNSRCLR":
                pass  # never awaited
            else:
                self._replies.put(frame)
        else:
            log.debug("ignoring frame %r", trnm[:20])

    def _restore_acked(self, ws: websocket.WebSocket, trnm: str, frame: dict) -> None:
        """Take one restore ack; after CNSRLST's, send the condition subscriptions (spec ka10173)."""
        error = protocol.ws_error_for(frame)
        if error is not None:
            log.warning("restoring after reconnect: %s", error)
        elif trnm == "CNSRREQ":  # the condition's members now: the run catches up (core/catchup.py)
            try:
                self._events.put(protocol.parse_relisted(frame))
            except KiwoomError as exc:
                log.warning("restoring after reconnect: %s", exc)
        if trnm == "CNSRLST":
            self._listed = error is None
        try:
            for request in self._restoring.acked(trnm):
                wsconn.send(ws, request)
        except TemporaryError:
            pass  # the reader sees the drop on its next recv
        if self._restoring.done:  # the last ack: subscriptions are live again
            self._restoring.finish()
            self._events.put(SocketStatus("connected", "reconnected"))

    def _reconnect_loop(self) -> websocket.WebSocket | None:
        delay, longest = self._backoff
        while not self._stop.wait(delay):
            try:
                ws = self._connect(self._timeout)  # after a token refusal, with a fresh token
            except AuthError as exc:  # TokenInvalid included
                self._events.put(SocketStatus("login_failed", exc.message))
            except KiwoomError as exc:
                log.info("reconnect failed: %s", exc)
            except Exception as exc:  # e.g. the token provider's own failure: keep trying
                log.warning("reconnect failed (%s)", type(exc).__name__, exc_info=True)
            else:
                if self._stop.is_set():
                    ws.shutdown()
                    return None
                if not self._restore(ws):
                    # nothing to restore; otherwise the reader announces it after the last restore ack,
                    # so "reconnected" means the registrations are live again, not merely re-sent
                    self._events.put(SocketStatus("connected", "reconnected"))
                return ws
            delay = min(delay * 2, longest)
        return None

    def _restore(self, ws: websocket.WebSocket) -> int:
        """Re-send registrations and CNSRLST (the reader takes their acks, then sends the CNSRREQs);
        return how many frames the restore sends."""
        with self._request_lock:
            frames = self._wanted.restore_frames()
            self._listed = False  # until this connection's CNSRLST answer arrives
            try:
                for frame in self._restoring.begin(frames, self._timeout):
                    wsconn.send(ws, frame)
            except TemporaryError:
                pass  # the reader sees the drop and reconnects again
            finally:
                self._connected.set()
            return len(frames)
