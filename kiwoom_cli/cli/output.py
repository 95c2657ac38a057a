"""Printing for the one-shot commands: Rich for people on stdout, one JSON document for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout (dataclasses, enums and tuples made plain)."""
    from kiwoom_cli.ui.render import to_jsonable

    sys.stdout.write(json.dumps(to_jsonable(document), ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def show(*renderables: Any) -> None:
    """Print Rich renderables (tables, Text) on stdout."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    for item in renderables:
        console.print(item)


def say(message: str) -> None:
    """Print one line for people on stdout."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def note(message: str) -> None:
    """Print one line on stderr (progress and warnings that must not spoil --json on stdout)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
