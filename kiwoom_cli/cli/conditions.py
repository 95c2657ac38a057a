"""`kiwoom conditions list|show`: the saved condition searches (조건검색) and their current matches.

Condition search lives on the WebSocket, and the broker allows one login per app key: while a
`kiwoom run` holds the account these commands exit 6 naming its pid (docs/decisions.md §2).
"""

from __future__ import annotations

import difflib

import typer

from kiwoom_cli.cli.output import emit_json, show
from kiwoom_cli.errors import BadInput
from kiwoom_cli.models import Condition

conditions_app = typer.Typer(help="Saved condition searches (조건검색).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `conditions` sub-app to the root app."""
    app.add_typer(conditions_app, name="conditions")


@conditions_app.command("list")
def list_conditions(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List the saved conditions: number (seq) and name."""
    from kiwoom_cli.cli.session import open_session

    with open_session(ctx.obj.config()) as session:
        conditions = session.socket().conditions()
    if as_json:
        emit_json({"conditions": conditions})
        return
    from kiwoom_cli.ui.render import conditions_table

    show(conditions_table(conditions))


@conditions_app.command("show")
def show_condition(
    ctx: typer.Context,
    which: str = typer.Argument(..., metavar="NAME|SEQ", help="The condition's name or number."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Run a condition once and show the stocks matching it now, with price and change."""
    from kiwoom_cli.cli.session import open_session

    with open_session(ctx.obj.config()) as session:
        socket = session.socket()
        condition = resolve(which, socket.conditions())
        matches = socket.search(condition.seq)
    if as_json:
        emit_json({"condition": condition, "matches": matches})
        return
    from kiwoom_cli.ui.render import matches_table

    show(matches_table(condition, matches))


def resolve(which: str, conditions: list[Condition]) -> Condition:
    """Find a condition by number or name (exact, then ignoring case); BadInput naming the choices."""
    text = which.strip()
    for test in (lambda c: c.seq == text, lambda c: c.name == text,
                 lambda c: c.name.casefold() == text.casefold()):
        found = [c for c in conditions if test(c)]
        if len(found) == 1:
            return found[0]
    names = [c.name for c in conditions]
    guess = difflib.get_close_matches(text, names, n=1, cutoff=0.5)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    listing = ", ".join(f"{c.seq} {c.name}" for c in conditions) or "none saved"
    raise BadInput(f"unknown condition {which!r}", hint=f"{hint}saved conditions: {listing}")
