"""`kiwoom run` wired end to end: config -> lock -> journal -> broker -> conditions -> engine -> UI.

One place owns the run's lifecycle. Ctrl-C and SIGTERM take the same path as the dashboard's quit
and --until: a StopRun on the engine queue, then a join (docs/architecture.md §2), so the journal is left
consistent. Exit codes (docs/decisions.md §6): --until / window end / quit -> 0, Ctrl-C / SIGTERM -> 130,
an engine bug -> 70 with one line (traceback in the run's log).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import logging
import os
import queue
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from kiwoom_cli.clock import Clock, SystemClock
from kiwoom_cli.config import Config, run_settings
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.errors import (
    AccountBusy,
    BadInput,
    ConfigError,
    ConfirmationNeeded,
    Declined,
    ExitCode,
)
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.models import Condition

log = logging.getLogger("kiwoom.run")
REST_TIMEOUT_S = 10.0  # an order with no answer in this time is OutcomeUnknown (never resent)
_LOGGERS = ("kiwoom", "kiwoom_cli")  # our modules log under both names


@dataclasses.dataclass
class RunOptions:
    """What the command line adds to the Config: when to stop and how to show the run."""

    until: str | None = None
    headless: bool = False
    yes: bool = False


class _RunSocket(SocketClient):
    """The run's socket, logged in early to resolve condition names; the engine's start() reuses it."""

    _began = False

    def start(self, timeout: float = 10.0) -> None:
        if self._began:  # one login per app key (docs/decisions.md §2): never a second LOGIN of our own
            return
        super().start(timeout)
        self._began = True


def _worker_orders(rest, clock: Clock, commission: float):
    """The order worker's OrderService over its own RestClient (closed with the worker)."""
    from kiwoom_cli.core.orders import OrderService

    class WorkerOrders(OrderService):
        def close(self) -> None:
            rest.close()

    return WorkerOrders(rest, None, clock, commission=commission)  # the kernel journaled the intent


# --------------------------------------------------------------------------- checks before anything runs


def confirm_real(config: Config, settings: RunSettings, yes: bool) -> None:
    """Refuse a real-money run without --yes / confirm_real; on a terminal show the exposure and ask once."""
    if config.mode != "real" or yes or config.run.confirm_real:
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise ConfirmationNeeded(
            "real mode trades real money and there is no terminal to confirm on",
            hint="pass --yes, or set [run] confirm_real = true",
        )
    import typer

    loss = f"{settings.max_daily_loss:,} KRW" if settings.max_daily_loss else "no limit (max_daily_loss is off)"
    sys.stderr.write(
        "kiwoom run in REAL mode: orders go to your real account.\n"
        f"  exposure: buy_amount {settings.buy_amount:,} x max_positions {settings.max_positions} = "
        f"{settings.buy_amount * settings.max_positions:,} KRW\n"
        f"  max_daily_loss: {loss}\n"
    )
    if not typer.confirm("Start trading real money?", default=False, err=True):
        raise Declined("declined: nothing was started")


def resolve_conditions(settings: RunSettings, conditions: list[Condition]) -> tuple[Condition, Condition | None]:
    """Map buy_cond / sell_cond (names or numbers) to saved conditions; BadInput lists the saved ones."""
    from kiwoom_cli.cli.conditions import resolve

    if settings.buy_cond is None:
        listing = ", ".join(f"{c.seq} {c.name}" for c in conditions) or "none saved"
        raise BadInput("no buy condition: give --buy-cond NAME|SEQ (or [run] buy_cond)",
                       hint=f"saved conditions: {listing}")
    buy = resolve(settings.buy_cond, conditions)
    sell = resolve(settings.sell_cond, conditions) if settings.sell_cond is not None else None
    return buy, sell


# --------------------------------------------------------------------------- where the broker is


@contextlib.contextmanager
def broker_endpoint(config: Config) -> Iterator[tuple[str, str]]:
    """Yield (rest_url, ws_url) as a SimAddress (.ca_file: a TLS simulator's CA); sim mode with no
    URL finds or starts the simulator and publishes it."""
    from kiwoom_cli.sim.embedded import SimAddress

    if config.mode == "sim" and not config.rest_url:
        from kiwoom_cli.config import sim_config
        from kiwoom_cli.sim.embedded import connect_sim

        # publish sim.json so one-shot commands use this run's simulator (docs/decisions.md §2)
        with connect_sim(sim_config(config), publish_urls=True, tls=config.sim.tls) as found:
            yield found
        return
    ep = config.endpoint()
    if not ep.rest_url or not ep.ws_url:
        raise ConfigError(f'mode "{config.mode}" needs both rest_url and ws_url. '
                          "Allowed: both URLs (or KIWOOM_REST_URL and KIWOOM_WS_URL), or neither")
    yield SimAddress(ep.rest_url, ep.ws_url)


def open_log(started: dt.datetime) -> tuple[Path, logging.Handler]:
    """Send our loggers to state_dir()/logs/run-<time>-<pid>.log (0600); return its path and handler."""
    from kiwoom_cli.paths import ensure_private_dir, state_dir

    path = ensure_private_dir(state_dir() / "logs") / f"run-{started:%Y%m%d-%H%M%S}-{os.getpid()}.log"
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_KstFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    return path, handler


class _KstFormatter(logging.Formatter):
    """Log times in KST like everything else (docs/decisions.md §1), never the host's zone."""

    def formatTime(self, record, datefmt=None):
        from kiwoom_cli.clock import KST

        return dt.datetime.fromtimestamp(record.created, KST).isoformat(timespec="milliseconds")


def close_log(handler: logging.Handler) -> None:
    for name in _LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    handler.close()


# --------------------------------------------------------------------------- signals


class Interrupts:
    """Ctrl-C and SIGTERM: before the engine runs they abort start-up; after, they ask it to stop."""

    def __init__(self) -> None:
        self.engine = None
        self.signal: int | None = None
        self._old: dict[int, object] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals are the main thread's (an embedding test drives stop itself)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()

    def _handle(self, signum, frame) -> None:
        self.signal = signum
        if self.engine is None:
            raise KeyboardInterrupt
        self.engine.put(ev.StopRun())  # SimpleQueue.put is safe from a signal handler


# --------------------------------------------------------------------------- the run


def run(config: Config, options: RunOptions, *, clock: Clock | None = None) -> int:
    """Run the trader until --until, the window's end, a quit or a signal; return the exit code."""
    sys.setswitchinterval(0.0005)  # measured: a computing thread otherwise delays hand-offs by 5 ms
    clock = clock or SystemClock()
    started = clock.now()
    settings = run_settings(config, started.date())
    until = None
    if options.until is not None:  # "" is a mistake, not "no limit"
        from kiwoom_cli.cli.until import parse_until

        until = parse_until(options.until, started)
    interactive = sys.stdout.isatty() and not options.headless
    confirm_real(config, settings, options.yes)

    from kiwoom_cli.core import lock

    interrupts = Interrupts()
    interrupts.install()
    try:
        with contextlib.ExitStack() as stack:
            held = lock.acquire()  # AccountBusy (exit 6) names the holder's pid
            stack.callback(lock.release, held)
            log_path, handler = open_log(started)
            stack.callback(close_log, handler)
            return _run_locked(config, settings, options, until, interactive, clock, started, log_path,
                               interrupts, stack)
    except KeyboardInterrupt:
        if interrupts.signal == signal.SIGTERM:
            sys.stderr.write("kiwoom: terminated before the run started\n")
            return int(ExitCode.INTERRUPTED)
        raise
    finally:
        interrupts.restore()


def _run_locked(config, settings, options, until, interactive, clock, started, log_path, interrupts,
                stack: contextlib.ExitStack) -> int:
    from kiwoom_cli.cli.runfeed import Feed
    from kiwoom_cli.cli.session import broker, journal_account, rate_limiter
    from kiwoom_cli.core.engine import Engine
    from kiwoom_cli.core.kernel import Kernel
    from kiwoom_cli.core.store import Journal, journal_path
    from kiwoom_cli.kiwoom.endpoint import Credentials
    from kiwoom_cli.kiwoom.rest import RestClient
    from kiwoom_cli.kiwoom.tokens import TokenStore
    from kiwoom_cli.paths import state_dir

    account = journal_account(config)
    feed = Feed(None if interactive else sys.stdout)
    journal = Journal(journal_path(config.mode, account))
    stack.callback(journal.close)
    # order turns go through the journal's ahead file (core/ahead.py); first, commit what a killed run left there
    recovered = journal.write_ahead()
    if recovered:
        log.warning("journal: committed the order turn a stopped run left in %s-ahead", journal.path.name)
    if journal.ahead_set_aside:  # a damaged record, moved aside and never executed (logged by the journal)
        sys.stderr.write(f"kiwoom: warning: {journal.ahead_set_aside}\n")
    address = stack.enter_context(broker_endpoint(config))
    rest_url, ws_url = address
    endpoint = broker(config, rest_url, ws_url, address.ca_file)
    creds = Credentials(config.credentials.app_key, config.credentials.app_secret)
    tokens = TokenStore(state_dir() / "tokens", clock)  # shared by every client (and other processes)
    limiter = rate_limiter(config, clock)

    def make_rest() -> RestClient:  # one per thread (docs/decisions.md §2)
        return RestClient(endpoint, creds, tokens=tokens, clock=clock, limiter=limiter, timeout=REST_TIMEOUT_S,
                          exchange=config.exchange)

    token_rest = make_rest()
    stack.callback(token_rest.close)
    engine_events: queue.SimpleQueue = queue.SimpleQueue()
    socket = _RunSocket(endpoint, token_rest.token, engine_events, clock=clock, exchange=config.exchange)
    socket.start()
    stack.callback(socket.stop)  # idempotent: the engine stops it too
    buy, sell = resolve_conditions(settings, socket.conditions())
    settings = dataclasses.replace(settings, buy_cond=buy.seq, sell_cond=sell.seq if sell else None)

    # Intent ids are primary keys in a journal that outlives runs: a fresh prefix per run.
    prefix = f"r{started:%y%m%d%H%M%S}{uuid.uuid4().hex[:4]}-"
    kernel = Kernel(settings, journal, id_prefix=prefix, sinks=[feed.consume])  # the feed reads the facts
    lines = None  # over https every order leaves through the order worker's RestClient (kiwoom/tls.py)
    if urlsplit(rest_url).scheme == "http":
        from kiwoom_cli.kiwoom.orderline import OrderLines

        lines = OrderLines(make_rest(), timeout=REST_TIMEOUT_S)  # the engine writes orders on these
        stack.callback(lines.close)  # after the engine's join (callbacks run last-in first-out)
    engine = Engine(kernel, socket=socket, rest_factory=make_rest, clock=clock,
                    order_factory=lambda: _worker_orders(make_rest(), clock, config.costs.commission),
                    events=engine_events, order_lines=lines, until=until, stop_at_window_end=not interactive)
    feed.start()
    stack.callback(feed.close)
    feed.emit("start", started, mode=config.mode, account=account, pid=os.getpid(),
              buy_cond={"seq": buy.seq, "name": buy.name},
              sell_cond={"seq": sell.seq, "name": sell.name} if sell else None,
              until=until.isoformat() if until else None, settings=_plain(settings),
              journal=str(journal.path), log=str(log_path), rest_url=rest_url, recovered_turn=recovered,
              ahead_set_aside=journal.ahead_set_aside)
    # From here a signal asks the engine to stop (it is handled once the engine runs) instead of
    # raising in the middle of start-up with the engine's threads half started.
    interrupts.engine = engine
    engine.start()
    if interactive:
        import kiwoom_cli.ui.dashboard  # noqa: F401 - imported before tune_gc freezes what start-up made
    tune_gc()
    try:
        reason = _watch(engine, config, account, buy, sell, settings, journal, started, interactive)
    finally:
        engine.put(ev.StopRun())
        engine.join()
        interrupts.engine = None
        if engine.alive:  # stuck past the join's timeout: never close its journal under it
            log.error("the engine did not stop in time; its journal is left open")
            journal.detach()
    return _finish(engine, feed, reason, interrupts, interactive, started, clock, log_path)


GC_GEN0_THRESHOLD = 10_000  # None keeps Python's 700


def tune_gc(gen0: int | None = GC_GEN0_THRESHOLD) -> None:
    """Freeze what start-up allocated and make young collections rarer (shorter GC pauses).

    Everything imported and built so far lives for the whole run: gc.freeze() moves it out of the
    collector's view, so a full collection walks only what the run allocated since; the higher
    gen-0 threshold makes collections rarer. Measured (benchmarks/entry_to_order.py --gc, dashboard
    on, 390 entries): ~125 collections a run became ~10 and pauses >= 1 ms 4-5 became 1-2 (one of
    them this gc.collect); the entry -> order p99 moved within noise.
    """
    gc.collect()
    gc.freeze()
    if gen0 is not None:
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(gen0, gen1, gen2)


def _watch(engine, config, account, buy, sell, settings, journal, started, interactive) -> str:
    if not interactive:
        engine.done.wait()  # interruptible: a signal handler puts StopRun and the wait goes on
        return engine.exit_reason
    from kiwoom_cli.ui.dashboard import RunInfo, run_dashboard

    info = RunInfo(mode=config.mode, account=account, buy_cond=(buy.name, buy.seq),
                   sell_cond=(sell.name, sell.seq) if sell else None, settings=settings,
                   journal_path=journal.path, started_at=started)
    return run_dashboard(engine, info) or engine.exit_reason


def _finish(engine, feed, reason, interrupts, interactive, started, clock, log_path) -> int:
    from kiwoom_cli.cli.runfeed import summary

    feed.close()
    if interrupts.signal is not None and reason in ("", "stopped"):
        reason = "interrupted" if interrupts.signal == signal.SIGINT else "terminated"
    if engine.error is not None:
        reason = engine.exit_reason or "internal error"
    done = summary(feed, engine.latest, exit_reason=reason, started=started, now=clock.now())
    if interactive:
        feed_line = (f"kiwoom: run ended ({reason}): {done['buys']} buys, {done['sells']} sells, "
                     f"realised P&L {done['realised_pnl']:,} KRW, {len(done['open_positions'])} open positions; "
                     f"{_unanswered(done)}log {log_path}\n")
        log.info("%s", feed_line.strip())
        sys.stdout.write(feed_line)
        sys.stdout.flush()
    else:
        feed.write(done)
    if engine.error is not None:
        sys.stderr.write(f"kiwoom: {reason}; traceback in {log_path}\n")
        return int(ExitCode.INTERNAL)
    if reason.startswith("kicked"):
        sys.stderr.write(f"kiwoom: error: {reason} (another login with the same app key took the socket)\n")
        return int(AccountBusy.exit_code)
    if interrupts.signal is not None:
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.OK)


def _unanswered(done: dict) -> str:
    """The end line's word on orders still waiting (a sell refused for a rate limit until the end)."""
    waiting = done["unanswered"]
    if not waiting:
        return ""
    what = ", ".join(f"{w['side'] or w['action']} {w['code']}" for w in waiting)
    return f"{len(waiting)} orders not placed ({what}: still waiting to be sent); "


def _plain(settings: RunSettings) -> dict:
    out = {}
    for f in dataclasses.fields(settings):
        v = getattr(settings, f.name)
        if isinstance(v, dt.time):
            v = v.strftime("%H:%M:%S")
        elif isinstance(v, tuple) and v and isinstance(v[0], dt.time):
            v = "-".join(t.strftime("%H:%M:%S") for t in v)
        elif dataclasses.is_dataclass(v):
            v = dataclasses.asdict(v)
        out[f.name] = getattr(v, "value", v)
    return out
