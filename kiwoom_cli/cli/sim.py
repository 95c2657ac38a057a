"""`kiwoom sim`: serve the local Kiwoom exchange until Ctrl-C (docs/decisions.md §2, §4)."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
from pathlib import Path

import typer

from kiwoom_cli.errors import BadInput


def register(app: typer.Typer) -> None:
    """Add the `sim` command to the root app."""
    app.command("sim")(sim)


def _rate_limit(value: str | None):
    from kiwoom_cli.config_schema import Invalid, rate_limit

    try:
        return rate_limit(value)
    except Invalid as exc:
        raise BadInput(f"--rate-limit: {exc}") from None


def sim(
    ctx: typer.Context,
    port: int = typer.Option(0, "--port", min=0, max=65535, help="REST port (0 = any free port)."),
    ws_port: int | None = typer.Option(
        0, "--ws-port", min=0, max=65535, help="WebSocket port (0 = any free port)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Seed the market (state kept in memory)."),
    scenario: Path | None = typer.Option(None, "--scenario", help="TOML timeline of price/condition/fault steps."),
    static: bool = typer.Option(False, "--static", help="Prices move only when told (control surface/scenario)."),
    always_open: bool = typer.Option(False, "--always-open", help="Continuous trading at any hour (default)."),
    hours: str | None = typer.Option(None, "--hours", help='"always" or "krx" (KRX session phases and NXT\'s pre-/after-market).'),
    cash: int | None = typer.Option(None, "--cash", min=1, help="Starting cash of a new account, KRW."),
    tick_rate: float | None = typer.Option(None, "--tick-rate", min=0.0, max=999.0, help="Trades per second across the market."),
    rate_limit: str | None = typer.Option(None, "--rate-limit", help='"off" or RATE/BURST per api-id, e.g. 1/2.'),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback unless you mean otherwise)."),
    reset: bool = typer.Option(False, "--reset", help="Empty the paper account before starting."),
    app_key: str | None = typer.Option(
        None, "--app-key", envvar="KIWOOM_SIM_APPKEY", show_envvar=True,
        help="Accept only this app key (with --secret-key); any other pair gets [8001]."),
    secret_key: str | None = typer.Option(
        None, "--secret-key", envvar="KIWOOM_SIM_SECRETKEY", show_envvar=True, show_default=False,
        help="The secret of --app-key (prefer the environment variable: options show in `ps`)."),
    token_lifetime: float | None = typer.Option(
        None, "--token-lifetime", min=1.0, help="Token lifetime in seconds (default 24 h), to test expiry."),
    tls: bool = typer.Option(
        False, "--tls", help="Serve https/wss with a CA made at start (written to the state dir, named in sim.json)."),
) -> None:
    """Serve the simulator (REST + WebSocket) until Ctrl-C; other commands find it via sim.json."""
    from kiwoom_cli.config import sim_config
    from kiwoom_cli.sim import embedded

    _check_hours(hours, always_open)
    settings = ctx.obj.config()
    config = sim_config(settings)
    tls = tls or settings.sim.tls
    overrides = _overrides(seed=seed, static=static, always_open=always_open, hours=hours, cash=cash,
                           tick_rate=tick_rate, rate_limit=rate_limit, token_lifetime=token_lifetime)
    overrides.update(_fixed_keys(app_key, secret_key))
    config = dataclasses.replace(config, **overrides)
    if embedded.running_sim() is not None:
        raise BadInput("a simulator is already serving this state directory (see sim.json); stop it first")
    persist = seed is None and scenario is None
    paper = embedded.paper_path()
    if persist:
        config = dataclasses.replace(config, state_path=str(paper))
    stop = threading.Event()
    # Ctrl-C and SIGTERM take the same path: wake the main thread, then shut down in order.
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _serve(config, stop, host=host, port=port, ws_port=ws_port, scenario=scenario, tls=tls,
               persist=persist, reset=reset, paper=paper)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    typer.echo("Simulator stopped.")


def _check_hours(hours: str | None, always_open: bool) -> None:
    if hours is not None and hours not in ("always", "krx"):
        raise BadInput(f'--hours: expected "always" or "krx", got {hours!r}')
    if always_open and hours == "krx":
        raise BadInput("--always-open and --hours krx contradict each other")


def _overrides(*, seed, static, always_open, hours, cash, tick_rate, rate_limit, token_lifetime) -> dict:
    """The SimConfig fields the options set (an option left out keeps the configured value)."""
    given = {"seed": seed, "cash": cash, "tick_rate": tick_rate, "token_lifetime_s": token_lifetime}
    overrides: dict = {name: value for name, value in given.items() if value is not None}
    if static:
        overrides["static"] = True
    if always_open or hours is not None:
        overrides["always_open"] = always_open or hours == "always"
    if rate_limit is not None:
        overrides["rate_limit"] = _rate_limit(rate_limit)
    return overrides


def _fixed_keys(app_key: str | None, secret_key: str | None) -> dict:
    if (app_key is None) != (secret_key is None):
        raise BadInput("--app-key and --secret-key go together (or KIWOOM_SIM_APPKEY and KIWOOM_SIM_SECRETKEY)")
    if app_key is None:
        return {}
    if not app_key or not secret_key:
        raise BadInput("--app-key / --secret-key must not be empty")
    return {"fixed_keys": (app_key, secret_key)}


def _serve(config, stop: threading.Event, *, host: str, port: int, ws_port: int | None,
           scenario: Path | None, tls: bool, persist: bool, reset: bool, paper: Path) -> None:
    """Start the server, publish it in sim.json and serve until `stop`; undo both on the way out."""
    from kiwoom_cli.sim import embedded
    from kiwoom_cli.sim.server import SimServer

    with contextlib.ExitStack() as stack:
        if persist or reset:  # AccountBusy (exit 6) while another process holds the account
            stack.enter_context(embedded.account_lock(paper))
        if reset:
            paper.unlink(missing_ok=True)
        certs = None
        if tls:  # cryptography is imported on this path only
            from kiwoom_cli.sim import certs as sim_certs

            certs = sim_certs.make(embedded.ca_path())
        server = SimServer(config, host=host, port=port, ws_port=ws_port, scenario=scenario, tls=certs)
        try:
            server.start()
        except OSError as exc:  # port taken, address not ours: the user's to fix
            raise BadInput(f"cannot serve on {host} (--port {port}, --ws-port {ws_port}): "
                           f"{exc.strerror or exc}") from None
        stack.push(server)
        embedded.publish(server.rest_url, server.ws_url, server.ca_file)
        stack.callback(embedded.unpublish)
        typer.echo(f"REST       {server.rest_url}")
        typer.echo(f"WebSocket  {server.ws_url}")
        typer.echo(f"Account    {paper if persist else 'in memory (--seed/--scenario)'}")
        if certs is not None:
            typer.echo(f"CA file    {certs.ca_file}")
        typer.echo("Serving; Ctrl-C to stop.")
        stop.wait()
