"""The `kiwoom` command: the Typer root. Maps every error to one exit code, in one place.

Heavy modules (requests, rich, pandas, aiohttp, the simulator) are imported inside the commands
that use them, so `kiwoom --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from kiwoom_cli.cli.appctx import AppContext
from kiwoom_cli.config_schema import KEYS
from kiwoom_cli.errors import ExitCode, KiwoomError

app = typer.Typer(
    name="kiwoom",
    help="Condition-search auto-trader for Kiwoom Securities. Default market: the local simulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(
        None, "--config", help="Settings file (default: $KIWOOM_CONFIG, ./kiwoom.toml, user config dir)."
    ),
    mode: Optional[str] = typer.Option(None, KEYS["mode"].option, help=KEYS["mode"].help),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Kiwoom condition-search auto-trader."""
    ctx.obj = AppContext(config_path=config, mode=mode, debug=debug)


def _register() -> None:
    # Each sub-app lives in its own module and only registers here.
    import importlib

    for name in ("config_cmd", "quote", "account", "conditions", "order", "sim", "run", "journal"):
        importlib.import_module(f"kiwoom_cli.cli.{name}").register(app)


_register()


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"kiwoom: {message}\n")
    return code


def _log_traceback(exc: BaseException) -> str | None:
    """Write a traceback to the log file; return its path (never print secrets: tracebacks hold no config)."""
    import traceback

    from kiwoom_cli.paths import ensure_private_dir, state_dir

    try:
        logs = ensure_private_dir(state_dir() / "logs")
        path = logs / "kiwoom.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # docs/decisions.md §3: files 0600
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            traceback.print_exception(exc, file=fh)
        return str(path)
    except OSError:
        return None


def invoke(argv: list[str] | None = None) -> int:
    """Run the app and return the exit code from errors.ExitCode (docs/decisions.md §6)."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        rv = app(args=argv, prog_name="kiwoom", standalone_mode=False)
        return int(rv) if isinstance(rv, int) else 0
    except KiwoomError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        return _fail(f"error: {exc}", int(exc.exit_code))
    except typer.Exit as exc:
        if exc.exit_code == ExitCode.INTERRUPTED:  # Click's own Ctrl-C handling: say so, never silently
            return _fail("interrupted", int(ExitCode.INTERRUPTED))
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", int(ExitCode.INTERRUPTED))
    except typer.TyperException as exc:  # usage errors from the vendored Click
        if not exc.format_message():  # `kiwoom` / `kiwoom order` alone: the help was the answer
            return int(ExitCode.BAD_INPUT)
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            hint = f" (see '{ctx.command_path} --help')"
        return _fail(f"error: {exc.format_message()}{hint}", int(ExitCode.BAD_INPUT))
    except Exception as exc:  # a bug: one line, traceback in the log
        if debug:
            import traceback

            traceback.print_exc()
        where = _log_traceback(exc)
        detail = f"; traceback in {where}" if where else ""
        return _fail(f"internal error: {type(exc).__name__}{detail}", int(ExitCode.INTERNAL))


def run() -> None:
    """Console-script entry point."""
    sys.exit(invoke())
