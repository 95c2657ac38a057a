"""`kiwoom quote CODE [CODE ...]`: price, change and daily limits, all codes in one ka10095 request."""

from __future__ import annotations

import typer

from kiwoom_cli.cli.output import emit_json, show
from kiwoom_cli.errors import BadInput


def register(app: typer.Typer) -> None:
    """Add the `quote` command to the root app."""
    app.command("quote")(quote)


def quote(
    ctx: typer.Context,
    codes: list[str] = typer.Argument(..., metavar="CODE...", help="6-digit stock codes, e.g. 005930 000660."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show price, change and daily limits; several codes cost one request of the rate budget."""
    from kiwoom_cli.cli.session import open_session
    from kiwoom_cli.core.orders import check_code

    wanted = list(dict.fromkeys(check_code(c) for c in codes))  # bad codes fail before any request
    with open_session(ctx.obj.config()) as session:
        quotes = session.rest.quotes(wanted)
    found = {q.code for q in quotes}
    unknown = [c for c in wanted if c not in found]
    if as_json:
        emit_json({"quotes": quotes, "unknown": unknown})
    elif quotes:
        from kiwoom_cli.ui.render import quotes_table

        show(quotes_table(quotes))
    if unknown:
        raise BadInput(f"unknown stock code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
                       hint="check the code, e.g. 005930")
