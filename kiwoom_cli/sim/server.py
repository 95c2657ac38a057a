"""SimServer: the local Kiwoom exchange served in-process (pytest-httpserver style).

One asyncio loop in a background thread owns the exchange, the REST app, the WebSocket hub,
the tick generator and the scenario timers (docs/decisions.md §9): no locks. Other threads touch
the exchange only through `call()`.

    with SimServer(SimConfig(rate_limit=None)) as sim:
        requests.post(sim.rest_url + "/oauth2/token", json={...})
        sim.set_price("005930", 70000)
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from kiwoom_cli.clock import Clock, SystemClock
from kiwoom_cli.errors import BadInput
from kiwoom_cli.sim import control, rest
from kiwoom_cli.sim.context import FAULT_KINDS, Faults, SimContext
from kiwoom_cli.sim.domain import SimConfig

log = logging.getLogger(__name__)

WS_PATH = "/api/dostk/websocket"
MAX_TIMER_HZ = 50  # the tick timer wakes at most this often; higher rates batch trades per call


class SimServer:
    """The simulator as a real server on 127.0.0.1 (port 0 = ephemeral), run in a thread."""

    def __init__(self, config: SimConfig | None = None, *, clock: Clock | None = None,
                 host: str = "127.0.0.1", port: int = 0, ws_port: int | None = 0,
                 scenario: Any = None, tls: Any = None) -> None:
        self.config = config or SimConfig()
        self.tls = tls  # a certs.SimTLS: serve https/wss with its certificate; None = plain http/ws
        self.control: control.Control | None = None
        self.clock = clock or SystemClock()
        self.host = host
        self._port = port
        self._ws_port_req = ws_port  # None: WebSocket on the REST port
        self._scenario = self._load_scenario(scenario)
        self.scenario_done = threading.Event()  # set when every scenario step has run
        self.scenario_steps_run = 0
        self.ctx: SimContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._runners: list[web.AppRunner] = []
        self._hub: Any = None
        self._tick_handle: asyncio.TimerHandle | None = None
        self._tasks: list[asyncio.Task] = []
        self.rest_port = 0
        self.ws_port = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SimServer:
        """Start the loop thread; return once both sites are bound and /sim/health answers."""
        if self._thread is not None:
            raise RuntimeError("SimServer already started")
        self._thread = threading.Thread(target=self._run, name="kiwoom-sim", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise self._startup_error
        try:
            self._check_health()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Shut down the sites, sockets and timers, save the state, and join the thread."""
        if self._thread is None or self._loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            fut.result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is None and self.ctx is not None and self.ctx.errors:
            raise self.ctx.errors[0]

    # ------------------------------------------------------------------ addresses

    @property
    def rest_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self._url_host}:{self.rest_port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{self._url_host}:{self.ws_port}{WS_PATH}"

    @property
    def ca_file(self) -> str | None:
        """The CA file a client must trust (TLS only)."""
        return str(self.tls.ca_file) if self.tls else None

    @property
    def _url_host(self) -> str:
        return "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host

    # ------------------------------------------------------------------ test helpers

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run fn(*args) on the loop thread and return its result (awaited if a coroutine)."""
        if self._loop is None or self._thread is None:
            raise RuntimeError("SimServer is not running")
        if threading.current_thread() is self._thread:
            raise RuntimeError("SimServer.call() from the loop thread would deadlock; call fn directly")

        async def run() -> Any:
            result = fn(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    def set_price(self, code: str, price: int):
        """Trade `code` at `price` now (see Exchange.set_price)."""
        return self.call(lambda: self.ctx.exchange.set_price(code, price))

    def push_condition(self, seq: str, code: str, event: str = "I"):
        """Force a condition entry ("I") or exit ("D")."""
        return self.call(lambda: self.ctx.exchange.push_condition(seq, code, event))

    def fault(self, kind: str, count: int = 1) -> None:
        """Inject a fault (context.FAULT_KINDS): per-request kinds hit the next `count` requests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULT_KINDS}")
        self.call(self.control.apply_fault, kind, count)

    @property
    def request_log(self) -> list[dict]:
        return self.call(lambda: list(self.ctx.request_log))

    @property
    def order_log(self) -> list[dict]:
        return self.call(lambda: list(self.ctx.order_log))

    @property
    def errors(self) -> list[BaseException]:
        return list(self.ctx.errors) if self.ctx else []

    # ------------------------------------------------------------------ loop thread

    def _load_scenario(self, scenario: Any):
        """Accept a parsed Scenario or a path; its seed/static override the config."""
        if scenario is None:
            return None
        from kiwoom_cli.sim.scenario import Scenario, load_scenario

        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        overrides = {k: v for k, v in (("seed", scenario.seed), ("static", scenario.static)) if v is not None}
        if overrides:
            self.config = dataclasses.replace(self.config, **overrides)
        return scenario

    def _run(self) -> None:
        loop = _new_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # report to start(), then end the thread
            self._startup_error = exc
            try:
                loop.run_until_complete(self._cleanup_runners())
            finally:
                loop.close()
                self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _new_exchange(self, load: bool):
        from kiwoom_cli.sim.exchange import Exchange

        path = Path(self.config.state_path) if self.config.state_path else None
        if load and path is not None and path.exists() and path.stat().st_size > 0:
            try:
                state = json.loads(path.read_text(encoding="utf-8"))
                return Exchange.from_state(state, self.config, self.clock, publish=self.ctx.publish)
            except (ValueError, KeyError, TypeError) as exc:  # a damaged or foreign file: the user decides
                raise BadInput(f"cannot load the simulator state {path}: {exc}",
                               hint="`kiwoom sim --reset` starts the paper account afresh") from None
        return Exchange(self.config, self.clock, publish=self.ctx.publish)

    async def _startup(self) -> None:
        from kiwoom_cli.sim.ws import WsHub

        self.ctx = SimContext(exchange=None, config=self.config, clock=self.clock, faults=Faults())
        self.ctx.exchange = self._new_exchange(load=True)
        self.control = control.Control(self.ctx, self._reset)
        self._hub = WsHub(self.ctx)
        app = web.Application()
        control.add_routes(app, self.control)
        if self._ws_port_req is None:
            self._hub.attach(app)
        rest.add_routes(app, self.ctx)
        self.rest_port = await self._serve(app, self._port)
        if self._ws_port_req is None:
            self.ws_port = self.rest_port
        else:
            ws_app = web.Application()
            self._hub.attach(ws_app)
            self.ws_port = await self._serve(ws_app, self._ws_port_req)
        self._start_ticks()
        if self._scenario is not None:
            from kiwoom_cli.sim.scenario_runner import run_scenario

            started = asyncio.get_running_loop().time()
            self._tasks.append(asyncio.ensure_future(run_scenario(self, self._scenario, started)))

    async def _serve(self, app: web.Application, port: int) -> int:
        # A request held by the delay_order fault must not keep a stopping simulator for aiohttp's
        # default 60 s: stopping cancels in-flight handlers after a short grace.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.host, port, ssl_context=self.tls.server if self.tls else None)
        await site.start()
        return runner.addresses[-1][1]

    async def _shutdown(self) -> None:
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None
        for task in self._tasks:
            task.cancel()
        if self._hub is not None:
            await self._hub.close_all()
        await self._cleanup_runners()
        if self.ctx is not None and self.ctx.exchange is not None:
            try:
                self.ctx.exchange.save()
            except Exception as exc:  # a failed final save must reach the test / the user
                self.ctx.errors.append(exc)

    async def _cleanup_runners(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()

    def _reset(self) -> None:
        """Fresh exchange state with the same config (POST /sim/reset); the file is overwritten."""
        self.ctx.exchange = self._new_exchange(load=False)
        self.ctx.faults.clear()
        limiter = self._runners[0].app.get(rest.LIMITER_KEY) if self._runners else None
        if limiter is not None:
            limiter.reset()
        self.ctx.exchange.save()

    def _start_ticks(self) -> None:
        """Drive exchange.step() at config.tick_rate trades/s with one asyncio timer."""
        rate = float(self.config.tick_rate or 0)
        if self.config.static or rate <= 0:
            return  # nothing moves by itself: no timer waking for nothing
        interval = max(1.0 / rate, 1.0 / MAX_TIMER_HZ)
        per_call = rate * interval
        loop = asyncio.get_running_loop()
        state = {"carry": 0.0}

        def tick() -> None:
            state["carry"] += per_call
            n = int(state["carry"])
            state["carry"] -= n
            try:
                if n:
                    self.ctx.exchange.step(n)
            except Exception as exc:  # keep the error for the test; stop moving prices
                log.exception("simulator tick failed")
                self.ctx.errors.append(exc)
                return
            self._tick_handle = loop.call_later(interval, tick)

        self._tick_handle = loop.call_later(interval, tick)

    def _check_health(self) -> None:
        """Readiness check over a real socket (no proxy lookup)."""
        if self.tls:
            conn = http.client.HTTPSConnection(self._url_host, self.rest_port, timeout=10, context=self.tls.client())
        else:
            conn = http.client.HTTPConnection(self._url_host, self.rest_port, timeout=10)
        try:
            conn.request("GET", "/sim/health")
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"simulator not ready: /sim/health answered {resp.status}")
        finally:
            conn.close()


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (optional speed-up: about a third less loop overhead), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
