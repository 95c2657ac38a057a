"""`kiwoom journal ...`: the journal of one mode and account (core/journal/).

`reset` is the way forward when a command refused a damaged, missing or newer journal: it sets the
files aside under a dated name in the same directory (kept, never deleted) and starts a new journal.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Optional

import typer

from kiwoom_cli.cli.output import note, say
from kiwoom_cli.errors import AccountBusy, ConfirmationNeeded, Declined

journal_app = typer.Typer(help="The journal: what kiwoom remembers between runs.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `journal` sub-app to the root app."""
    app.add_typer(journal_app, name="journal")


@journal_app.command("reset")
def reset(
    ctx: typer.Context,
    mode: Optional[str] = typer.Option(None, "--mode", help="sim | mock | real (default: the configured mode)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Real mode: do not ask."),
) -> None:
    """Set a damaged journal aside (kept) and start a new one; positions it managed are no longer managed."""
    from kiwoom_cli.cli.session import journal_account
    from kiwoom_cli.core import lock
    from kiwoom_cli.core.journal import journal_path

    config = ctx.obj.config(**({"mode": mode} if mode else {}))
    path = journal_path(config.mode, journal_account(config))
    held = _hold(lock.lock_path(), "`kiwoom run`", "stop the run first")
    try:
        _reset(config, path, yes)
    finally:
        lock.release(held)


def _hold(path, who: str, hint: str):
    from kiwoom_cli.core import lock

    try:
        return lock.acquire(path)
    except AccountBusy:
        pid = lock.holder_pid(path)
        raise AccountBusy(f"{who} (pid {pid or '?'}) is using the journal: it cannot be reset now",
                          hint=hint) from None


def _reset(config, path, yes: bool) -> None:
    from kiwoom_cli.core.journal import check as journal_check

    if not path.exists() and not journal_check.traces(path):
        say(f"no journal at {path} yet: nothing to reset")
        return
    problem = _problem(path)
    if problem is None:
        say(f"journal {path} passed its checks: nothing to reset")
        return
    journal_bad, why = problem
    what = "journal and its files" if journal_bad else "ahead file (the journal itself is kept)"
    _confirm(config, f"{why}\nSet the {what} aside and carry on?", yes)
    now = dt.datetime.now()
    moved = journal_check.set_aside(path, ("", *journal_check.COMPANIONS) if journal_bad else ("-ahead",), now)
    for old, new in moved:
        say(f"kept {old.name} as {new}")
    if not journal_bad:
        say(f"the journal {path} passed its checks and is kept as it is")
    else:
        journal_check.open_checked(path).close()  # no trace is left: a new journal with its marker
        say(f"started a new journal at {path}")
        note("holdings at the broker are shown, not managed, until they are bought by a run or adopted "
             "(adopt_holdings)")


def _problem(path) -> tuple[bool, str] | None:
    """Return (the journal itself is unusable, why), or None when the journal and its ahead file are sound."""
    from kiwoom_cli.core.journal import check as journal_check
    from kiwoom_cli.core.journal import legacy_ahead

    try:
        journal_check.open_checked(path).close()
    except journal_check.JournalError as exc:
        return True, exc.message
    why = legacy_ahead.damage(path)  # a previous release's file the journal would move aside on open
    if why is None:
        return None
    return False, f"the ahead file {legacy_ahead.ahead_path(path)} holds a record kiwoom would not have written ({why})"


def _confirm(config, question: str, yes: bool) -> None:
    if config.mode != "real" or yes:
        return
    if not (sys.stdin is not None and sys.stdin.isatty()):
        raise ConfirmationNeeded("resetting a real-money journal needs confirmation and there is no terminal "
                                 "to ask on", hint="add --yes")
    if not typer.confirm(question, default=False, err=True):
        raise Declined("declined: nothing was moved")
