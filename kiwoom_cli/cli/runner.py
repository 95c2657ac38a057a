"""`kiwoom run` wired end to end: config -> lock -> journal -> broker -> conditions -> engine -> UI.

One place owns the run's lifecycle; the broker adapter comes from the composition root (cli/session.py),
as for the one-shot commands. Ctrl-C and SIGTERM take the same path as the dashboard's quit
and --until: a StopRun on the engine queue, then a join (docs/architecture.md §2), so the journal is left
consistent (cli/interrupts.py). The exit codes are cli/runend.py's.
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
import uuid

from kiwoom_cli.clock import Clock, SystemClock
from kiwoom_cli.config import Config, run_settings
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.errors import BadInput, ConfirmationNeeded, Declined, ExitCode
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.models import Condition

log = logging.getLogger("kiwoom.run")


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

    return OrderService(rest, None, clock, commission=commission)  # the kernel journaled the intent


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


# --------------------------------------------------------------------------- the run


def run(config: Config, options: RunOptions, *, clock: Clock | None = None) -> int:
    """Run the trader until --until, the window's end, a quit or a signal; return the exit code.
    tune_gc's changes are undone when it returns (no setswitchinterval: it did not pay, README)."""
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        return _run(config, options, clock)
    finally:
        if frozen == 0:  # objects frozen before the run stay frozen (they cannot be told apart)
            gc.unfreeze()
        gc.set_threshold(*threshold)


def _run(config: Config, options: RunOptions, clock: Clock | None) -> int:
    clock = clock or SystemClock()
    started = clock.now()
    settings = run_settings(config, started.date())
    until = None
    if options.until is not None:  # "" is a mistake, not "no limit"
        from kiwoom_cli.cli.until import parse_until

        until = parse_until(options.until, started)
    interactive = sys.stdout.isatty() and not options.headless
    confirm_real(config, settings, options.yes)

    from kiwoom_cli.cli.interrupts import Interrupts
    from kiwoom_cli.cli.runlog import close_log, open_log
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
    from kiwoom_cli.cli.session import Broker, broker_address, journal_account
    from kiwoom_cli.core.engine import Engine
    from kiwoom_cli.core.journal import Journal, journal_path
    from kiwoom_cli.core.kernel import Kernel

    account = journal_account(config)
    feed = Feed(None if interactive else sys.stdout)
    journal = Journal(journal_path(config.mode, account))
    stack.callback(journal.close)
    recovered = journal.ahead_recovered  # a previous release's killed run, committed on open (core/journal/)
    if journal.ahead_set_aside:  # a damaged record, moved aside and never executed (logged by the journal)
        sys.stderr.write(f"kiwoom: warning: {journal.ahead_set_aside}\n")
    address = stack.enter_context(broker_address(config, run=True))
    rest_url = address.rest_url
    root = Broker(config, address, clock)  # one TokenStore and RateLimiter shared by every client
    make_rest = root.rest  # one RestClient per thread (docs/decisions.md §2)
    token_rest = make_rest()
    stack.callback(token_rest.close)
    engine_events: queue.SimpleQueue = queue.SimpleQueue()
    socket = root.socket(token_rest.token, engine_events, cls=_RunSocket, exchange=config.exchange)
    socket.start()
    stack.callback(socket.stop)  # idempotent: the engine stops it too
    buy, sell = resolve_conditions(settings, socket.conditions())
    settings = dataclasses.replace(settings, buy_cond=buy.seq, sell_cond=sell.seq if sell else None)

    # Intent ids are primary keys in a journal that outlives runs: a fresh prefix per run.
    prefix = f"r{started:%y%m%d%H%M%S}{uuid.uuid4().hex[:4]}-"
    kernel = Kernel(settings, journal, id_prefix=prefix, sinks=[feed.consume])  # the feed reads the facts
    engine = Engine(kernel, socket=socket, rest_factory=make_rest, clock=clock,
                    order_factory=lambda: _worker_orders(make_rest(), clock, config.costs.commission),
                    events=engine_events, until=until, stop_at_window_end=not interactive,
                    condition_names={c.seq: c.name for c in (buy, sell) if c is not None})
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
    from kiwoom_cli.cli.runend import finish

    return finish(engine, feed, reason, interrupts, interactive, started, clock, log_path)


GC_GEN0_THRESHOLD = 10_000  # None keeps Python's 700


def tune_gc(gen0: int | None = GC_GEN0_THRESHOLD) -> None:
    """Freeze what start-up allocated and make young collections rarer (shorter GC pauses).

    Everything imported and built so far lives for the whole run: gc.freeze() moves it out of the
    collector's view, so a full collection walks only what the run allocated since; the higher
    gen-0 threshold makes collections rarer. Measured (benchmarks/entry_to_order.py --gc, dashboard
    on, 390 entries): ~125 collections a run became ~10 and pauses >= 1 ms 4-5 became 1-2 (one of
    them this gc.collect). On the one order path (117 entries): ~90 collections became ~18 and the
    entry -> order p99 was lower in each of 4 paired runs (README, Benchmarks). run() undoes it.
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
