"""`kiwoom run`: trade a buy condition (and exit rules) until --until, the window's end or a quit.

Every [run] setting is also an option here, passed to load_config as a dotted override so it is
validated in one place (`false` turns a rule off). The wiring lives in cli/runner.py.
"""

from __future__ import annotations

import typer

# option name -> [run] key; values stay text so that `false` and "HH:MM-HH:MM" parse like the file's
_SETTINGS = {
    "buy_cond": "condition to buy from: its name or number (seq)",
    "sell_cond": "condition whose entries sell a held stock: name or number",
    "buy_amount": "KRW per buy",
    "max_positions": "most positions held at once",
    "buy_order": "market | limit",
    "buy_ticks": "limit buys: ticks above the price (negative: below)",
    "sell_order": "market | limit",
    "sell_ticks": "limit sells: ticks below the price (negative: above)",
    "stop_loss_pct": "sell when the return % falls to this (e.g. -2.0), or false",
    "trail_arm_pct": "arm the trailing stop at this return %, or false",
    "trail_drop_pct": "trailing stop: sell after this % drop from the high, or false",
    "amend_after_s": "amend an unfilled limit buy to the upper limit after this many seconds, or false",
    "catch_up_s": "buy an entry missed while the socket reconnected if the gap was at most this many seconds, or false",
    "window": '"HH:MM-HH:MM" (KST) when rules may trade, or false (always)',
    "liquidate_at": '"HH:MM" (KST) to sell everything, or false',
    "max_daily_loss": "KRW: stop buying when the day's loss reaches this, or false",
    "max_order_value": "KRW cap on one order's value, or false",
}
_FLAGS = {
    "adopt_holdings": "trade holdings found at start (not only our own buys)",
    "liquidate_on_max_loss": "sell everything when max_daily_loss is reached",
}


def register(app: typer.Typer) -> None:
    """Add the `run` command to the root app."""
    app.command("run")(run)


def _opt(name: str, help_text: str):
    return typer.Option(None, "--" + name.replace("_", "-"), help=help_text, show_default=False)


def run(
    ctx: typer.Context,
    buy_cond: str | None = _opt("buy_cond", _SETTINGS["buy_cond"]),
    sell_cond: str | None = _opt("sell_cond", _SETTINGS["sell_cond"]),
    buy_amount: str | None = _opt("buy_amount", _SETTINGS["buy_amount"]),
    max_positions: str | None = _opt("max_positions", _SETTINGS["max_positions"]),
    buy_order: str | None = _opt("buy_order", _SETTINGS["buy_order"]),
    buy_ticks: str | None = _opt("buy_ticks", _SETTINGS["buy_ticks"]),
    sell_order: str | None = _opt("sell_order", _SETTINGS["sell_order"]),
    sell_ticks: str | None = _opt("sell_ticks", _SETTINGS["sell_ticks"]),
    stop_loss_pct: str | None = _opt("stop_loss_pct", _SETTINGS["stop_loss_pct"]),
    trail_arm_pct: str | None = _opt("trail_arm_pct", _SETTINGS["trail_arm_pct"]),
    trail_drop_pct: str | None = _opt("trail_drop_pct", _SETTINGS["trail_drop_pct"]),
    amend_after_s: str | None = _opt("amend_after_s", _SETTINGS["amend_after_s"]),
    catch_up_s: str | None = _opt("catch_up_s", _SETTINGS["catch_up_s"]),
    window: str | None = _opt("window", _SETTINGS["window"]),
    liquidate_at: str | None = _opt("liquidate_at", _SETTINGS["liquidate_at"]),
    max_daily_loss: str | None = _opt("max_daily_loss", _SETTINGS["max_daily_loss"]),
    max_order_value: str | None = _opt("max_order_value", _SETTINGS["max_order_value"]),
    adopt_holdings: bool | None = typer.Option(
        None, "--adopt-holdings/--no-adopt-holdings", help=_FLAGS["adopt_holdings"], show_default=False),
    liquidate_on_max_loss: bool | None = typer.Option(
        None, "--liquidate-on-max-loss/--no-liquidate-on-max-loss", help=_FLAGS["liquidate_on_max_loss"],
        show_default=False),
    until: str | None = typer.Option(
        None, "--until", help="Stop at HH:MM or HH:MM:SS (KST), or after a duration: +90s, +5m, +1h30m."),
    headless: bool = typer.Option(
        False, "--headless", help="No dashboard: JSON lines on stdout (automatic when stdout is not a terminal)."),
    yes: bool = typer.Option(False, "--yes", help="Real mode: start without asking (trades real money)."),
    exchange: str | None = typer.Option(
        None, "--exchange", help="Where orders go: KRX, NXT or SOR (default: the exchange setting, KRX).",
        show_default=False),
) -> int:
    """Trade a condition search: buy its entries, sell on stop-loss, trailing stop or the sell condition."""
    from kiwoom_cli.cli.runner import RunOptions
    from kiwoom_cli.cli.runner import run as run_trader

    given = dict(locals())
    overrides = {f"run.{name}": given[name] for name in (*_SETTINGS, *_FLAGS)}
    config = ctx.obj.config(**overrides, exchange=exchange)
    return run_trader(config, RunOptions(until=until, headless=headless, yes=yes))
