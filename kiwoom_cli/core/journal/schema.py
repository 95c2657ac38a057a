"""The journal's tables (SQLite), their version (`PRAGMA user_version`) and a migration per version step.

A journal records the version of its tables in `PRAGMA user_version`. A new journal is created at
VERSION with SCHEMA (check.py). An older one is migrated when it opens: MIGRATIONS[n] takes it from
version n to n + 1, each step in its own `BEGIN IMMEDIATE` transaction with the new version number,
so a step is done entirely or not at all, and two processes opening at once run it once. A journal
of a newer version than VERSION is refused (check.py): this release does not know its tables.

A change to the tables adds a migration, raises VERSION and updates SCHEMA; the DDL a migration
applies stays as it was written (SCHEMA_V1 is the first).
"""

from __future__ import annotations

import sqlite3

VERSION = 1  # the version this release writes

# Version 1: the tables of the first release with a schema version (and of every release before it).
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS intents(
  intent_id TEXT PRIMARY KEY, ts TEXT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL,
  target_id TEXT, origin TEXT, rule TEXT, side TEXT, code TEXT NOT NULL, name TEXT, qty INTEGER,
  price INTEGER, order_type TEXT, ref_price INTEGER, upper INTEGER, lower INTEGER, reserve INTEGER,
  status TEXT NOT NULL, order_no TEXT, numbers TEXT NOT NULL DEFAULT '{}',
  filled_by_no TEXT NOT NULL DEFAULT '{}', filled INTEGER NOT NULL DEFAULT 0, remaining INTEGER,
  amended INTEGER NOT NULL DEFAULT 0, cancel_sent INTEGER NOT NULL DEFAULT 0, unknown_since TEXT,
  reason TEXT, updated TEXT);
CREATE INDEX IF NOT EXISTS intents_status ON intents(status);
CREATE TABLE IF NOT EXISTS order_requests(id INTEGER PRIMARY KEY, ts TEXT, intent_id TEXT,
  kind TEXT, outcome TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS order_requests_intent ON order_requests(intent_id);
CREATE TABLE IF NOT EXISTS order_events(id INTEGER PRIMARY KEY, ts TEXT, intent_id TEXT,
  order_no TEXT, orig_order_no TEXT, code TEXT, side TEXT, status TEXT, action TEXT,
  order_qty INTEGER, order_price INTEGER, remaining INTEGER, filled_qty INTEGER,
  fill_price INTEGER, fill_qty INTEGER, reject_reason TEXT, time TEXT);
CREATE INDEX IF NOT EXISTS order_events_intent ON order_events(intent_id);
CREATE TABLE IF NOT EXISTS fills(id INTEGER PRIMARY KEY, ts TEXT, day TEXT, intent_id TEXT,
  order_no TEXT, code TEXT, side TEXT, qty INTEGER, price INTEGER, realised REAL);
CREATE TABLE IF NOT EXISTS position_changes(id INTEGER PRIMARY KEY, ts TEXT, code TEXT,
  qty INTEGER, sellable INTEGER, avg_price REAL, armed INTEGER, high INTEGER, reason TEXT);
CREATE TABLE IF NOT EXISTS decisions(id INTEGER PRIMARY KEY, ts TEXT, rule TEXT, code TEXT,
  action TEXT, reason TEXT);
CREATE INDEX IF NOT EXISTS decisions_ts ON decisions(ts);
CREATE TABLE IF NOT EXISTS positions(code TEXT PRIMARY KEY, name TEXT, qty INTEGER,
  sellable INTEGER, avg_price REAL, armed INTEGER, high INTEGER, updated TEXT);
CREATE TABLE IF NOT EXISTS flags(day TEXT, name TEXT, reason TEXT, PRIMARY KEY(day, name));
"""

SCHEMA = SCHEMA_V1  # what a new journal is created with: the tables of VERSION


def statements(ddl: str) -> list[str]:
    """Split DDL into its statements (none of ours holds a ';' inside)."""
    return [s.strip() for s in ddl.split(";") if s.strip()]


def _v0_to_v1(db: sqlite3.Connection) -> None:
    """Version 0: a journal from before schema versions. Its tables are version 1's; `IF NOT EXISTS`
    adds what a release before them lacked (an index, a table), and changes nothing that is there."""
    for statement in statements(SCHEMA_V1):
        db.execute(statement)


MIGRATIONS = (_v0_to_v1,)  # MIGRATIONS[n]: version n -> n + 1
assert len(MIGRATIONS) == VERSION


def version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite3.Connection, upto: int = VERSION) -> None:
    """Migrate the journal on `db` (autocommit mode) to version `upto`, one step per transaction.

    Each step reads the version under the write lock: a step another process has just done is not
    done again. A migration that fails rolls its step back and raises (the journal stays as it was).
    """
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            found = version(db)
            if found >= upto:
                db.execute("COMMIT")
                return
            MIGRATIONS[found](db)
            db.execute(f"PRAGMA user_version={found + 1}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
