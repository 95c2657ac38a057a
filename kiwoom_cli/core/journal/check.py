"""The journal is checked when it opens, never silently replaced (issue #12 item 6).

A journal is created only when no earlier session left a trace of one: its marker
(`<journal>.created`, written beside it when it is created), the previous release's ahead file
(legacy_ahead.py) or its WAL. Opening an existing journal runs SQLite's `PRAGMA quick_check` and reads
the schema version (`PRAGMA user_version`); an older one is migrated in place (schema.py).
A journal that is empty, truncated, malformed, from a newer release, or missing while a trace of
it remains raises JournalError (exit 2): nothing is sent until the user runs `kiwoom journal reset`,
which sets the files aside under a dated name (set_aside) and starts a new journal.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from kiwoom_cli.core.journal.schema import SCHEMA, VERSION, migrate
from kiwoom_cli.errors import BadInput

RESET = ("run `kiwoom journal reset` with this command's --mode and --config: it sets the file aside, "
         "kept, and starts a new journal")
COMPANIONS = ("-wal", "-shm", "-ahead", ".created")  # moved with a journal; a previous release's "-ahead.lock" stays


class JournalError(BadInput):
    """The journal cannot be used as it is (damaged, missing, newer): nothing is sent."""


def marker_path(journal: Path) -> Path:
    """Return the marker written beside a journal when it is created: <journal>.created."""
    return journal.with_name(journal.name + ".created")


def traces(journal: Path) -> list[Path]:
    """Return the files that show a journal existed here (its marker, ahead file, WAL)."""
    return [journal.with_name(journal.name + s) for s in (".created", "-ahead", "-wal")
            if journal.with_name(journal.name + s).exists()]


def open_checked(path: Path, upto: int = VERSION) -> sqlite3.Connection:
    """Open the journal at `path` after checking it, creating it when no earlier session left a trace.

    A journal of an older schema version is migrated to `upto` (schema.migrate).
    """
    if not path.exists():
        left = traces(path)
        if left:
            raise JournalError(f"journal {path} is missing, but {left[0].name} beside it shows that one "
                               "existed: its positions and orders would be forgotten", hint=RESET)
        _create(path)
    if path.stat().st_size == 0:  # SQLite would read it as a new, empty database
        raise JournalError(f"journal {path} is empty (0 bytes)", hint=RESET)
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        _check(db, path)
        migrate(db, upto)
    except BaseException:
        db.close()
        raise
    if not marker_path(path).exists():  # a journal from before markers, now checked
        _write_marker(path)
    return db


def _check(db: sqlite3.Connection, path: Path) -> None:
    try:
        found = [r[0] for r in db.execute("PRAGMA quick_check")]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        ours = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='intents'").fetchone()
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        raise JournalError(f"journal {path} is damaged ({exc})", hint=RESET) from None
    if found != ["ok"]:
        first = " ".join(str(found[0] if found else "no answer").split())[:200]
        raise JournalError(f"journal {path} is damaged (quick_check: {first})", hint=RESET)
    if version > VERSION:
        raise JournalError(f"journal {path} was written by a newer kiwoom (schema version {version}; this "
                           f"one reads up to {VERSION})", hint="upgrade kiwoom, or " + RESET[len("run "):])
    if ours is None:
        raise JournalError(f"journal {path} holds no journal tables (truncated, or not kiwoom's)", hint=RESET)


def _create(path: Path) -> None:
    """Build a new journal under a temporary name, then move it into place and write its marker."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        leftover.unlink(missing_ok=True)  # our own unfinished creation, never a journal
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600))  # 0600 before SQLite writes (its -wal copies it)
    db = sqlite3.connect(str(tmp), isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version={VERSION}")
    finally:
        db.close()  # checkpoints: the file holds the whole schema
    try:  # never over a journal another process created meanwhile (both fail when path exists)
        if os.name == "nt":
            os.rename(tmp, path)
        else:
            os.link(tmp, path)
    except FileExistsError:
        return  # theirs: checked like any other
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(path)


def _write_marker(path: Path) -> None:
    fd = os.open(marker_path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds") + "\n")


def set_aside(path: Path, suffixes: tuple[str, ...], now: dt.datetime) -> list[tuple[Path, Path]]:
    """Rename `path`+suffix (each that exists) to a dated name in the same directory; return (old, new) pairs.

    The journal and its companions keep one stem, so the set-aside database still opens with its WAL:
    sim-paper.sqlite3(-wal) -> sim-paper.damaged-20261202-104500.sqlite3(-wal).
    """
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        stem = f"{path.stem}.damaged-{stamp}{'' if n == 1 else f'-{n}'}{path.suffix}"
        pairs = [(path.with_name(path.name + s), path.with_name(stem + s)) for s in suffixes]
        pairs = [(old, new) for old, new in pairs if old.exists()]
        if not any(new.exists() for _, new in pairs):
            break
    for old, new in pairs:
        os.rename(old, new)
    return pairs

