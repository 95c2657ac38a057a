"""The journal's ahead file: a run's order turn made durable by one write() before the send.

Why (issue #5: condition entry -> order bytes, p50 < 0.5 ms): the engine sleeps between market
events, and on this kind of machine the first microseconds after a wake-up run several times slower
than warm code. An SQLite commit of one intent costs ~15-25 µs warm but ~180 µs right after a wake-up
(the commit of an empty transaction alone ~45 µs), most of the path's budget; a write() of a few
hundred bytes over blocks the file already has costs ~30 µs then (benchmarks/entry_to_order.py).

So in `kiwoom run` the statements of an engine turn that places orders are not executed before the
send: they are written here as one record, the orders leave, and the journal then commits the same
statements to SQLite in one transaction and marks this file empty (Journal.flush). What this file
holds was thus durable before the bytes left (docs/decisions.md §7), and it survives a killed process as the
WAL does with synchronous=NORMAL (both live in the OS's page cache: neither survives a power cut).

One slot: at most one turn is ever waiting (the journal commits it before the next batch), so each
record is written at offset 0 over the last one, with no allocation and no size change. A record is
one line: `<crc32 of the JSON, 8 hex> {"ids": [intent ids], "sql": [[statement, args], ...]}`; an
empty first line means nothing is waiting. A first line whose checksum does not match is a write
that never finished (mixed with the bytes of an older record): nothing was sent after it.

Replay (Journal.recover_ahead, before anything reads the journal): a turn whose intents SQLite does
not have is committed then; its orders may or may not have left, exactly as for an intent committed
just before a crash (status pending: the settle rules ask the broker, never resend). A turn whose
intents SQLite has was committed before the crash (one transaction holds the whole turn).

A record whose checksum holds but whose content is not what the journal writes (checked_turn: a
statement other than an INSERT or UPDATE into the journal's tables or its one DELETE, not a list
of [statement, args]) is damage: it is never executed. The journal moves the file aside under a
dated name (kept) with one warning and goes on (Journal.ahead_set_aside, core/store.py).

A run holds owner_lock_path() while it writes this file; only a holder of that lock replays it.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

try:  # optional speed-up (docs/decisions.md §9); both write the same JSON for str / int / float / None
    from orjson import dumps as _dumps
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    def _dumps(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DamagedRecord(ValueError):
    """A record with a valid checksum whose content the journal would not have written."""


# The statements Journal writes (core/store.py): INSERT or UPDATE ... WHERE into its tables, and
# delete_position's DELETE. One statement each: no ';'.
_STATEMENT = re.compile(r"INSERT(?: OR (?:IGNORE|REPLACE))? INTO (\w+)\([^;]*|UPDATE (\w+) SET [^;]+ WHERE [^;]*"
                        r"|DELETE FROM (positions) WHERE code=\?")


@dataclass(frozen=True)
class Turn:
    """One engine turn's journal statements, written ahead of its orders."""

    ids: tuple[str, ...]
    sql: tuple[tuple[str, tuple], ...]


def ahead_path(journal: Path) -> Path:
    """Return the ahead file beside a journal: <journal>-ahead."""
    return journal.with_name(journal.name + "-ahead")


def owner_lock_path(journal: Path) -> Path:
    """Return the lock a run holds on its journal's ahead file while it runs: <journal>-ahead.lock.

    Per journal, not the run lock (one for the whole state dir): a one-shot command may commit
    the turn a killed run left in one journal while a run on another mode or account is live.
    """
    return journal.with_name(journal.name + "-ahead.lock")


def _pwrite(fd: int, data, at: int) -> int:
    if hasattr(os, "pwrite"):
        return os.pwrite(fd, data, at)
    os.lseek(fd, at, os.SEEK_SET)  # Windows: no pwrite; one thread uses the file
    return os.write(fd, data)


def waiting(path: Path) -> bool:
    """Say whether the ahead file at `path` may hold a turn (cheap: its first byte, no parsing)."""
    try:
        with open(path, "rb") as f:
            return f.read(1) not in (b"", b"\n")
    except FileNotFoundError:
        return False


class AheadFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # 0600 like the journal

    def write(self, ids: list[str], statements: list) -> None:
        """Write the turn; return only once all of it is written (an OSError propagates: send nothing)."""
        payload = _dumps({"ids": ids, "sql": statements})
        view = memoryview(b"%08x " % zlib.crc32(payload) + payload + b"\n")
        at = 0
        while view:
            n = _pwrite(self._fd, view, at)
            view, at = view[n:], at + n

    def turn(self) -> Turn | None:
        """Return the waiting turn, or None (none, or a write that never finished: see the module doc)."""
        with open(self._fd, "rb", closefd=False) as f:
            f.seek(0)
            line = f.readline()
        crc, _, payload = line.rstrip(b"\n").partition(b" ")
        if not line.endswith(b"\n") or not payload or crc != b"%08x" % zlib.crc32(payload):
            return None
        try:
            item = json.loads(payload)
            return Turn(tuple(item["ids"]), tuple((sql, tuple(args)) for sql, args in item["sql"]))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise DamagedRecord(f"not a list of [statement, args] ({type(exc).__name__})") from None

    def checked_turn(self, tables: frozenset[str]) -> Turn | None:
        """Return the waiting turn (or None, as turn()) once its content is what the journal writes.

        DamagedRecord says what is wrong; nothing of such a record may be executed.
        """
        turn = self.turn()
        if turn is None:
            return None
        if not turn.ids or not all(isinstance(i, str) for i in turn.ids):
            raise DamagedRecord("its intent ids are not a list of text")
        for sql, args in turn.sql:
            found = _STATEMENT.fullmatch(sql) if isinstance(sql, str) else None
            if found is None:
                raise DamagedRecord(f"a statement the journal never writes: {str(sql)[:40]!r}")
            table = next(name for name in found.groups() if name)
            if table not in tables:
                raise DamagedRecord(f"a statement on the unknown table {table[:40]!r}")
            if sql.count("?") != len(args) or not all(a is None or isinstance(a, (str, int, float)) for a in args):
                raise DamagedRecord(f"arguments that do not fit their statement {sql[:40]!r}")
        return turn

    def clear(self) -> None:
        """Mark the file empty: the waiting turn is committed (one byte; the blocks stay for the next)."""
        _pwrite(self._fd, b"\n", 0)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
