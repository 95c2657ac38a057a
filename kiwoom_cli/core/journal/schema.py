"""The journal's tables (SQLite): created if missing when a Journal opens."""

import re

# PRAGMA user_version of a journal this release writes; a higher one is refused (core/journal_check.py)
VERSION = 1

SCHEMA = """
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

TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))  # what an ahead record may write
