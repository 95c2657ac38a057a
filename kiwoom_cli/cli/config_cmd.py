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
    if not as_json:
        _print_settings(settings)
    result = {"ok": None}
    if login:
        result = _test_login(config)
        if not as_json:
            say(f"login      ok ({result['rest_url']}; orderable cash {result['orderable']:,} won)")
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


def _print_settings(settings: dict) -> None:
    origins = settings.get("origins", {})
    say(f"config file  {settings['source'] or '(none: defaults)'}")
    for key in ("mode", "app_key", "app_secret", "credentials_from", "account", "rest_url", "ws_url"):
        value = settings.get(key)
        say(f"{key:<12} {value if value is not None else '-'}")
    for table in ("run", "costs", "sim"):
        for key, value in settings[table].items():
            name = f"{table}.{key}"
            origin = origins.get(name, "")
            shown = "-" if value is None else value  # None: a rule that is off, or a key not set
            where = f"  ({origin})" if origin and origin != "default" else ""
            say(f"{name:<24} {shown}{where}")
