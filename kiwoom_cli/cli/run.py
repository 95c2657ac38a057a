"""`kiwoom run`: trade a buy condition (and exit rules) until --until, the window's end or a quit.

Every [run] setting that config_schema.py marks for `run` is also an option here (its help from there
too), passed to load_config as a dotted override so it is validated in one place (`false` turns a rule
off). The wiring lives in cli/runner.py.
"""

from __future__ import annotations

import typer

from kiwoom_cli.config_schema import KEYS

# The [run] keys that are options here (config_schema.py declares which, with their help); values stay
# text so that `false` and "HH:MM-HH:MM" parse like the file's. The parameters below name each one.
_SETTINGS = tuple(name[len("run."):] for name, key in KEYS.items() if name.startswith("run.") and "run" in key.options)


def register(app: typer.Typer) -> None:
    """Add the `run` command to the root app."""
    app.command("run")(run)


def _opt(name: str):
    key = KEYS[name if name in KEYS else f"run.{name}"]
    if key.kind == "bool":  # a flag pair: --adopt-holdings / --no-adopt-holdings
        return typer.Option(None, f"{key.option}/--no-{key.option[2:]}", help=key.help, show_default=False)
    return typer.Option(None, key.option, help=key.help, show_default=False)


def run(
    ctx: typer.Context,
    buy_cond: str | None = _opt("buy_cond"),
    sell_cond: str | None = _opt("sell_cond"),
    buy_amount: str | None = _opt("buy_amount"),
    max_positions: str | None = _opt("max_positions"),
    buy_order: str | None = _opt("buy_order"),
    buy_ticks: str | None = _opt("buy_ticks"),
    sell_order: str | None = _opt("sell_order"),
    sell_ticks: str | None = _opt("sell_ticks"),
    stop_loss_pct: str | None = _opt("stop_loss_pct"),
    trail_arm_pct: str | None = _opt("trail_arm_pct"),
    trail_drop_pct: str | None = _opt("trail_drop_pct"),
    amend_after_s: str | None = _opt("amend_after_s"),
    catch_up_s: str | None = _opt("catch_up_s"),
    window: str | None = _opt("window"),
    liquidate_at: str | None = _opt("liquidate_at"),
    max_daily_loss: str | None = _opt("max_daily_loss"),
    max_order_value: str | None = _opt("max_order_value"),
    adopt_holdings: bool | None = _opt("adopt_holdings"),
    liquidate_on_max_loss: bool | None = _opt("liquidate_on_max_loss"),
    until: str | None = typer.Option(
        None, "--until", help="Stop at HH:MM or HH:MM:SS (KST), or after a duration: +90s, +5m, +1h30m."),
    headless: bool = typer.Option(
        False, "--headless", help="No dashboard: JSON lines on stdout (automatic when stdout is not a terminal)."),
    yes: bool = typer.Option(False, "--yes", help="Real mode: start without asking (trades real money)."),
    exchange: str | None = _opt("exchange"),
) -> int:
    """Trade a condition search: buy its entries, sell on stop-loss, trailing stop or the sell condition."""
    from kiwoom_cli.cli.runner import RunOptions
    from kiwoom_cli.cli.runner import run as run_trader

    given = dict(locals())
    overrides = {f"run.{name}": given[name] for name in _SETTINGS}
    config = ctx.obj.config(**overrides, exchange=exchange)
    return run_trader(config, RunOptions(until=until, headless=headless, yes=yes))
