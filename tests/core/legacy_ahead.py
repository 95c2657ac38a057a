"""Ahead records as the previous release wrote them (core/journal/legacy_ahead.py reads them once)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from kiwoom_cli.core.journal.legacy_ahead import ahead_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "journal_v1"


def record(ids, statements) -> bytes:
    """One record line: `<crc32 of the JSON, 8 hex> <JSON>\\n`, as that release's AheadFile.write made it."""
    payload = json.dumps({"ids": ids, "sql": statements}, ensure_ascii=False, separators=(",", ":")).encode()
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


def leave(journal: Path, data: bytes) -> Path:
    """Leave `data` in the ahead file beside `journal`, as a killed run of that release left it."""
    path = ahead_path(journal)
    path.write_bytes(data)
    return path


def killed_runs_turn() -> bytes:
    """The fixture: the order turn (intent k1) a run of 6f90d8b left in its ahead file when killed."""
    return (FIXTURES / "ahead.txt").read_bytes()


def journal_v1(path: Path, version: int | None = None) -> Path:
    """Build, at `path`, the journal that release wrote (the fixture's SQL dump); optionally relabel its version."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as db:
        db.executescript((FIXTURES / "journal.sql").read_text(encoding="utf-8"))
        if version is not None:
            db.execute(f"PRAGMA user_version={version}")
    return path
