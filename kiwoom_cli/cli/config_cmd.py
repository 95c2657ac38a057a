"""`kiwoom config check`: the effective settings (secrets redacted) and a login test."""

from __future__ import annotations

import typer

from kiwoom_cli.cli.output import emit_json, note, say

config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `config` sub-app to the root app."""
    app.add_typer(config_app, name="config")


@config_app.command("check")
def check(
    ctx: typer.Context,
    login: bool = typer.Option(True, "--login/--no-login", help="Also log in and read the cash balance."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Print the effective settings (secrets redacted) and test the login."""
    from kiwoom_cli.config import redacted

    config = ctx.obj.config()
    settings = redacted(config)
    for warning in config.warnings:
        note(f"warning: {warning}")
    width = _print_settings(settings) if not as_json else 0
    result = {"ok": None}
    if login:
        result = _test_login(config)
        if not as_json:
            say(f"{'login':<{width}}  ok ({result['rest_url']}; orderable cash {result['orderable']:,} won)")
    if as_json:
        emit_json({"settings": settings, "login": result})


def _test_login(config) -> dict:
    """Issue (or reuse) a token and make one account query with it; errors propagate (exit 3 / 4)."""
    from kiwoom_cli.cli.session import open_session

    with open_session(config) as session:
        session.rest.token()
        cash = session.rest.cash()  # proves the token is accepted, not merely issued
        return {"ok": True, "rest_url": session.endpoint.rest_url, "ws_url": session.endpoint.ws_url,
                "orderable": cash.orderable}


def _print_settings(settings: dict) -> int:
    """Print one aligned line per setting; return the name column's width."""
    origins = settings.get("origins", {})
    top = [(key, settings.get(key)) for key in
           ("mode", "app_key", "app_secret", "credentials_from", "account", "rest_url", "ws_url")]
    tables = [(f"{table}.{key}", value) for table in ("run", "costs", "sim") for key, value in settings[table].items()]
    width = max(len(name) for name, _ in [("config file", None), *top, *tables, ("login", None)])
    say(f"{'config file':<{width}}  {settings['source'] or '(none: defaults)'}")
    for name, value in [*top, *tables]:
        origin = origins.get(name, "")
        where = f"  ({origin})" if origin and origin != "default" else ""
        say(f"{name:<{width}}  {_shown(value)}{where}")  # "-": a rule that is off, or a key not set
    return width


def _shown(value) -> str:
    """A setting as a user would write it in kiwoom.toml, not as a Python repr."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, (tuple, list)):
        if len(value) == 2 and all(isinstance(v, (int, float)) for v in value):  # rate_limit (per s, burst)
            return f"{value[0]:g}/s, burst {value[1]}"
        return ", ".join(_shown(v) for v in value)
    return str(value)
