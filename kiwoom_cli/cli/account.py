"""`kiwoom account`: cash, totals and holdings (red up, blue down)."""

from __future__ import annotations

import typer

from kiwoom_cli.cli.output import emit_json, show


def register(app: typer.Typer) -> None:
    """Add the `account` command to the root app."""
    app.command("account")(account)


def account(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show deposit and orderable cash, account totals and every holding."""
    from kiwoom_cli.cli.session import open_session

    with open_session(ctx.obj.config()) as session:
        cash = session.rest.cash()
        balance = session.rest.balance()
    if as_json:
        emit_json({"cash": cash, "totals": balance.totals, "holdings": balance.holdings})
        return
    from kiwoom_cli.ui.render import cash_table, holdings_table

    show(cash_table(cash, balance), holdings_table(balance))
