"""The previous release's ahead file, read once when a journal opens, then gone from its place.

Until this release, `kiwoom run` made an engine turn that placed orders durable in `<journal>-ahead`
(one write() before the send) and committed the same SQL statements to SQLite after the send. A run
killed in between left the turn only in that file. This release commits every turn to SQLite before
its orders leave (docs/decisions.md §7) and writes no ahead file; a file left by the previous release
is handled by import_left(), the first time any command or run opens the journal:
- intact and ours (its checksum holds, and checked_turn() finds only the statements that release's
  journal wrote, on its tables): committed, unless its intents are already in SQLite (the old run
  committed it, then died before marking the file empty); its orders may or may not have left, as for
  an intent committed just before a crash (status pending: the settle rules ask the broker, never
  resend);
- empty (nothing waiting) or a write cut short (no checksum over a whole line: nothing was sent after
  it): dropped;
- anything else: never executed, moved aside under a dated name (kept) and reported once
  (Journal.ahead_set_aside).
Then the file is removed, after the commit: a process killed in between finds the intents present
next time and only removes it.

Two processes opening at once: everything from reading the file to the commit happens inside one
`BEGIN IMMEDIATE` transaction, which holds SQLite's write lock, so the second one waits, then finds
the file gone or its intents present. A live run of the previous release (it holds
`<journal>-ahead.lock`, the owner lock) keeps its file: it is left for the next open.

The record's format: one line, `<crc32 of the JSON, 8 hex> {"ids": [intent ids], "sql": [[statement,
args], ...]}`; an empty first line means nothing is waiting.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path

from kiwoom_cli.core import lock
from kiwoom_cli.core.journal.check import set_aside
from kiwoom_cli.core.journal.schema import SCHEMA_V1

log = logging.getLogger(__name__)

WRITTEN_AT = 1  # the schema version of the journals whose release wrote ahead files
TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA_V1))  # what a record may write

# The statements that release's journal wrote: INSERT or UPDATE ... WHERE into its tables, and
# delete_position's DELETE. One statement each: no ';'.
_STATEMENT = re.compile(r"INSERT(?: OR (?:IGNORE|REPLACE))? INTO (\w+)\([^;]*|UPDATE (\w+) SET [^;]+ WHERE [^;]*"
                        r"|DELETE FROM (positions) WHERE code=\?")

# ...and of those shapes only these texts, verbatim: a checksum is no signature, and a statement of
# the right shape with a wider WHERE (or an OR REPLACE, or a SELECT) could write off an order that
# may still fill. Arguments are bound, never read as SQL.
_INTENTS = frozenset({  # record_intent's: a record's ids are the intents these insert (first argument)
    "INSERT INTO intents(intent_id, ts, day, kind, origin, rule, side, code, name, qty, price, order_type,"
    " ref_price, upper, lower, reserve, status, remaining, updated)"
    " VALUES(?,?,?,'place',?,?,?,?,?,?,?,?,?,?,?,?,'pending',?,?)",
    "INSERT INTO intents(intent_id, ts, day, kind, target_id, code, qty, price, status, order_no, updated)"
    " VALUES(?,?,?,?,?,?,?,?,'pending',?,?)",
})
_WRITTEN = _INTENTS | frozenset({
    "INSERT OR IGNORE INTO intents(intent_id, ts, day, kind, origin, rule, side, code, name, qty, price,"
    " order_type, reserve, status, remaining, updated) VALUES(?,?,?,'place',?,?,?,?,?,?,?,?,?,'acked',?,?)",
    "UPDATE intents SET amended=1, updated=? WHERE intent_id=?",
    "UPDATE intents SET cancel_sent=1, updated=? WHERE intent_id=?",
    "UPDATE intents SET price=?, ref_price=?, upper=?, lower=?, reserve=?, updated=? WHERE intent_id=?",
    "UPDATE intents SET status='acked', order_no=?, unknown_since=NULL, updated=? WHERE intent_id=?",
    "UPDATE intents SET status='failed', reason=?, updated=? WHERE intent_id=?",
    "UPDATE intents SET status='unknown', unknown_since=?, reason=?, updated=? WHERE intent_id=?"
    " AND status='pending'",
    "UPDATE intents SET status=?, order_no=?, numbers=?, filled_by_no=?, filled=?, remaining=?, amended=?,"
    " cancel_sent=?, price=?, unknown_since=?, updated=? WHERE intent_id=?",
    "UPDATE intents SET status=?, reason=?, remaining=CASE WHEN ?='filled' THEN 0 ELSE remaining END,"
    " updated=? WHERE intent_id=?",
    "UPDATE order_events SET intent_id=? WHERE order_no=? AND intent_id IS NULL",
    "UPDATE fills SET intent_id=? WHERE order_no=? AND intent_id IS NULL",
    "INSERT INTO order_requests(ts, intent_id, kind, outcome, detail) VALUES(?,?,?,?,?)",
    "INSERT INTO order_events(ts, intent_id, order_no, orig_order_no, code, side, status, action, order_qty,"
    " order_price, remaining, filled_qty, fill_price, fill_qty, reject_reason, time)"
    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO fills(ts, day, intent_id, order_no, code, side, qty, price, realised) VALUES(?,?,?,?,?,?,?,?,?)",
    "INSERT INTO positions(code, name, qty, sellable, avg_price, armed, high, updated) VALUES(?,?,?,?,?,?,?,?)"
    " ON CONFLICT(code) DO UPDATE SET name=excluded.name, qty=excluded.qty, sellable=excluded.sellable,"
    " avg_price=excluded.avg_price, armed=excluded.armed, high=excluded.high, updated=excluded.updated",
    "DELETE FROM positions WHERE code=?",
    "INSERT INTO position_changes(ts, code, qty, sellable, avg_price, armed, high, reason)"
    " VALUES(?,?,?,?,?,?,?,?)",
    "INSERT INTO decisions(ts, rule, code, action, reason) VALUES(?,?,?,?,?)",
    "INSERT OR REPLACE INTO flags(day, name, reason) VALUES(?,?,?)",
})


class DamagedRecord(ValueError):
    """A record with a valid checksum whose content the journal would not have written."""


@dataclass(frozen=True)
class Turn:
    """One engine turn's journal statements, written ahead of its orders."""

    ids: tuple[str, ...]
    sql: tuple[tuple[str, tuple], ...]


@dataclass(frozen=True)
class Found:
    """What import_left() did with the file: committed its turn, or moved it aside (the warning)."""

    committed: bool = False
    set_aside: str | None = None


def ahead_path(journal: Path) -> Path:
    """Return the ahead file beside a journal: <journal>-ahead."""
    return journal.with_name(journal.name + "-ahead")


def owner_lock_path(journal: Path) -> Path:
    """Return the lock a run of the previous release held on its ahead file: <journal>-ahead.lock."""
    return journal.with_name(journal.name + "-ahead.lock")


def read_turn(data: bytes) -> Turn | None:
    """Return the turn waiting in the file's bytes, or None (none, or a write that never finished)."""
    line, newline, _ = data.partition(b"\n")
    crc, _, payload = line.partition(b" ")
    if not newline or not payload or crc != b"%08x" % zlib.crc32(payload):
        return None
    try:
        item = json.loads(payload)
        return Turn(tuple(item["ids"]), tuple((sql, tuple(args)) for sql, args in item["sql"]))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DamagedRecord(f"not a list of [statement, args] ({type(exc).__name__})") from None


def checked_turn(data: bytes, tables: frozenset[str] = TABLES) -> Turn | None:
    """Return the waiting turn (or None, as read_turn()) once its content is what the journal wrote.

    DamagedRecord says what is wrong; nothing of such a record may be executed.
    """
    turn = read_turn(data)
    if turn is None:
        return None
    if not turn.ids or not all(isinstance(i, str) for i in turn.ids):
        raise DamagedRecord("its intent ids are not a list of text")
    for sql, args in turn.sql:
        _check_statement(sql, args, tables)
    # import_left skips a turn whose intents are present (committed once, by whichever process is first)
    if {args[0] for sql, args in turn.sql if sql in _INTENTS} != set(turn.ids):
        raise DamagedRecord("its intent ids are not the intents it inserts")
    return turn


def _check_statement(sql: object, args: tuple, tables: frozenset[str]) -> None:
    found = _STATEMENT.fullmatch(sql) if isinstance(sql, str) else None
    if found is None:
        raise DamagedRecord(f"a statement the journal never writes: {str(sql)[:40]!r}")
    table = next(name for name in found.groups() if name)
    if table not in tables:
        raise DamagedRecord(f"a statement on the unknown table {table[:40]!r}")
    if sql.count("?") != len(args) or not all(a is None or isinstance(a, (str, int, float)) for a in args):
        raise DamagedRecord(f"arguments that do not fit their statement {sql[:40]!r}")
    if sql not in _WRITTEN:
        raise DamagedRecord(f"a statement the journal never writes: {sql[:40]!r}")


def damage(journal: Path) -> str | None:
    """Say what is wrong with the ahead file beside `journal` (None: absent, or nothing wrong)."""
    try:
        checked_turn(ahead_path(journal).read_bytes())
    except FileNotFoundError:
        return None
    except DamagedRecord as exc:
        return str(exc)
    return None


def import_left(db: sqlite3.Connection, journal: Path) -> Found:
    """Handle the ahead file a previous release left beside `journal` (see the module doc); `db` in
    autocommit mode, at schema version WRITTEN_AT."""
    path = ahead_path(journal)
    if not path.exists():
        return Found()
    if lock.holder_pid(owner_lock_path(journal)) is not None:
        log.warning("journal: %s belongs to a live run of the previous kiwoom release: left for the next "
                    "start", path.name)
        return Found()
    db.execute("BEGIN IMMEDIATE")  # SQLite's write lock: one process at a time until the commit
    try:
        found = _import_locked(db, journal, path)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    path.unlink(missing_ok=True)  # after the commit: read once (moved aside already, if damaged)
    return found


def _import_locked(db: sqlite3.Connection, journal: Path, path: Path) -> Found:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Found()  # another process has just handled it
    try:
        turn = checked_turn(data)
        if turn is None or _present(db, turn.ids):  # nothing waiting, or committed before the crash
            return Found()
        db.execute("SAVEPOINT ahead")
        try:
            for sql, args in turn.sql:
                db.execute(sql, args)
        except sqlite3.IntegrityError as exc:  # e.g. a NOT NULL column left out: not what the journal wrote
            db.execute("ROLLBACK TO ahead")
            raise DamagedRecord(f"a statement SQLite refused ({exc})") from None
        finally:
            db.execute("RELEASE ahead")
    except DamagedRecord as exc:
        return Found(set_aside=_set_aside(journal, path, str(exc)))
    log.warning("journal: committed the order turn a stopped run left in %s (intents %s)", path.name,
                ", ".join(turn.ids))
    return Found(committed=True)


def _present(db: sqlite3.Connection, ids: tuple[str, ...]) -> bool:
    return db.execute(f"SELECT 1 FROM intents WHERE intent_id IN ({','.join('?' * len(ids))})",
                      ids).fetchone() is not None


def _set_aside(journal: Path, path: Path, why: str) -> str:
    """Move a damaged record aside (kept, never executed) and say so, once: the journal goes on."""
    [(_, kept)] = set_aside(journal, ("-ahead",), dt.datetime.now())
    warning = (
        f"journal: the ahead file {path.name} held a record kiwoom would not have written ({why}); moved to "
        f"{kept}, its turn was not replayed: its orders, if any left, are not in the journal, so the "
        "broker's lists show them as orders kiwoom did not place (a run attaches an open one; a holding "
        "is shown, not managed, unless adopt_holdings)")
    log.warning("%s", warning)
    return warning
