"""The journal's writer: SQLite (stdlib), WAL, synchronous=NORMAL, write-through (docs/decisions.md §7,
docs/architecture.md §5).

Every intent, order request, order event, fill, position change and rule decision is written as it
happens. An engine turn is one transaction (batch()), committed before the caller hands its
intents to the order worker: an intent is durable before its order leaves. NORMAL survives a killed
process (not a power cut). One file per mode and account, 0600, under state_dir()/journal/. Used by
one thread (the engine's); readers such as `kiwoom status` open their own connection. The WAL is
checkpointed off this thread (checkpoint.py). Opening checks the file and migrates its schema
(check.py, schema.py), then commits, once, an order turn that a run of the previous release left in
its ahead file (legacy_ahead.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import sqlite3
from pathlib import Path

from kiwoom_cli import paths
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.journal import legacy_ahead, schema
from kiwoom_cli.core.journal.check import open_checked
from kiwoom_cli.core.journal.checkpoint import Checkpointer
from kiwoom_cli.core.journal.reads import JournalReads
from kiwoom_cli.core.order_states import OrderState as S
from kiwoom_cli.core.records import FillApplied, Order, Position
from kiwoom_cli.models import OrderEvent

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 100  # commits between checkpoints (a few pages each: well under SQLite's 1000 pages)


def journal_path(mode: str, account: str) -> Path:
    """Return state_dir()/journal/<mode>-<account>.sqlite3."""
    safe = re.sub(r"[^0-9A-Za-z_-]", "_", f"{mode}-{account}")
    return paths.ensure_private_dir(paths.state_dir() / "journal") / f"{safe}.sqlite3"


class Journal(JournalReads):
    def __init__(self, path: Path) -> None:
        path = Path(path)
        paths.ensure_private_dir(path.parent)
        self.path = path
        # checked and migrated, or created 0600 when no earlier journal left a trace (JournalError: exit 2).
        # One thread at a time: the caller's during start-up, then the engine's (no same-thread check).
        self._db = open_checked(path, upto=legacy_ahead.WRITTEN_AT)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # Checkpointer does it, off this thread
        self._commits = 0
        self._depth = 0
        self._dirty = False
        self._detached = False
        # the previous release's ahead file, read once: committed, skipped or moved aside (legacy_ahead.py)
        try:
            found = legacy_ahead.import_left(self._db, path)  # its statements are of WRITTEN_AT's tables
            schema.migrate(self._db)
        except BaseException:
            self._db.close()
            raise
        self.ahead_recovered = found.committed  # a killed run's last order turn was committed now
        self.ahead_set_aside = found.set_aside  # the warning when a damaged record was moved aside
        self._checkpointer = Checkpointer(path)

    @classmethod
    def open_for(cls, mode: str, account: str) -> Journal:
        """Open (creating) the journal of one mode and account."""
        return cls(journal_path(mode, account))

    def close(self) -> None:
        if self._detached:
            return
        try:
            self._checkpointer.close()
        finally:
            self._db.close()  # the last connection to close checkpoints what is left

    def detach(self) -> None:
        """Leave the journal to a thread that still uses it: close() does nothing from now on."""
        self._detached = True

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def batch(self):
        """Group the writes of one engine turn into one commit, done when the outermost batch ends.

        The caller sends the turn's intents only after this returns: they are durable by then. A turn
        that raises keeps what it wrote (committed all the same) and its error propagates.
        """
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            if self._depth == 0 and self._dirty:
                self._commit()

    def _write(self, sql: str, args=()) -> None:
        if not self._dirty:
            self._db.execute("BEGIN")
            self._dirty = True
        self._db.execute(sql, args)
        if self._depth == 0:
            self._commit()

    def _commit(self) -> None:
        self._db.execute("COMMIT")  # if it fails, the transaction stays open: the next commit retries
        self._dirty = False
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            self._checkpointer.wake()

    # ------------------------------------------------------------------ writes

    def record_intent(self, intent, now: dt.datetime) -> None:
        """Journal a place/amend/cancel intent; committed when this returns outside a batch."""
        ts, day = now.isoformat(), now.date().isoformat()
        if isinstance(intent, ev.PlaceOrder):
            self._write(
                "INSERT INTO intents(intent_id, ts, day, kind, origin, rule, side, code, name, qty, price,"
                " order_type, ref_price, upper, lower, reserve, status, remaining, updated)"
                f" VALUES(?,?,?,'place',?,?,?,?,?,?,?,?,?,?,?,?,'{S.PENDING.value}',?,?)",
                (intent.intent_id, ts, day, intent.origin, intent.rule, intent.side.value, intent.code,
                 intent.name, intent.qty, intent.price, intent.order_type.value, intent.ref_price,
                 intent.upper, intent.lower, intent.reserve, intent.qty, ts),
            )
            kind = "place"
        else:
            kind = "amend" if isinstance(intent, ev.AmendOrder) else "cancel"
            price = intent.price if kind == "amend" else None
            self._write(
                "INSERT INTO intents(intent_id, ts, day, kind, target_id, code, qty, price, status,"
                f" order_no, updated) VALUES(?,?,?,?,?,?,?,?,'{S.PENDING.value}',?,?)",
                (intent.intent_id, ts, day, kind, intent.target_id, intent.code, intent.qty, price,
                 intent.order_no, ts),
            )
            column = "amended" if kind == "amend" else "cancel_sent"
            self._write(f"UPDATE intents SET {column}=1, updated=? WHERE intent_id=?", (ts, intent.target_id))
        self.record_request(intent.intent_id, kind, "sent", _detail(intent), now)

    def record_request(self, intent_id: str, kind: str, outcome: str, detail: str, now: dt.datetime) -> None:
        self._write("INSERT INTO order_requests(ts, intent_id, kind, outcome, detail) VALUES(?,?,?,?,?)",
                    (now.isoformat(), intent_id, kind, outcome, detail))

    def record_refusal(self, event: ev.OrderRefused, now: dt.datetime) -> None:
        """Journal a recognised refusal (nothing placed); with `resent`, the try sent right after it."""
        detail = f"{event.error_code or ''} {event.reason}".strip()
        self.record_request(event.intent_id, "answer", event.kind, detail, now)
        if event.resent:
            self.record_request(event.intent_id, "retry", "sent", "with a fresh token", now)

    def record_retry(self, intent, attempt: int, now: dt.datetime) -> None:
        """Journal try number `attempt` of a refused intent, with the price it is sent at now."""
        self.record_request(intent.intent_id, "retry", "sent", f"try {attempt}: {_detail(intent)}", now)
        if isinstance(intent, ev.PlaceOrder):
            self._write("UPDATE intents SET price=?, ref_price=?, upper=?, lower=?, reserve=?, updated=?"
                        " WHERE intent_id=?", (intent.price, intent.ref_price, intent.upper, intent.lower,
                                               intent.reserve, now.isoformat(), intent.intent_id))

    def record_outcome(self, event, now: dt.datetime) -> None:
        """Journal the answer to an order request: acked, failed (nothing placed) or unknown."""
        ts = now.isoformat()
        if isinstance(event, ev.OrderAcked):
            self.record_request(event.intent_id, "answer", S.ACKED.value, event.order_no, now)
            self._write(f"UPDATE intents SET status='{S.ACKED.value}', order_no=?, unknown_since=NULL, updated=?"
                        " WHERE intent_id=?", (event.order_no, ts, event.intent_id))
            self.link_order(event.intent_id, event.order_no)
        elif isinstance(event, ev.OrderFailed):
            detail = f"{event.error_code or ''} {event.reason}".strip()
            self.record_request(event.intent_id, "answer", S.FAILED.value, detail, now)
            self._write(f"UPDATE intents SET status='{S.FAILED.value}', reason=?, updated=? WHERE intent_id=?"
                        f" AND status='{S.PENDING.value}'", (detail, ts, event.intent_id))  # order_states.TABLE
        elif isinstance(event, ev.OrderUnknown):
            self.record_request(event.intent_id, "answer", S.UNKNOWN.value, event.reason, now)
            self._write(f"UPDATE intents SET status='{S.UNKNOWN.value}', unknown_since=?, reason=?, updated=?"
                        f" WHERE intent_id=? AND status='{S.PENDING.value}'", (ts, event.reason, ts, event.intent_id))

    def link_order(self, intent_id: str, order_no: str) -> None:
        """Tie to an intent the rows of its order written before its number was known.

        The broker may push an order's 00 frames before the REST answer names its number, or before
        a settle query finds it: those rows have no intent (orders_for() reads by intent).
        """
        for table in ("order_events", "fills"):
            self._write(f"UPDATE {table} SET intent_id=? WHERE order_no=? AND intent_id IS NULL",
                        (intent_id, order_no))

    def record_order_event(self, e: OrderEvent, intent_id: str | None, now: dt.datetime) -> None:
        self._write(
            "INSERT INTO order_events(ts, intent_id, order_no, orig_order_no, code, side, status, action,"
            " order_qty, order_price, remaining, filled_qty, fill_price, fill_qty, reject_reason, time)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (now.isoformat(), intent_id, e.order_no, e.orig_order_no, e.code, e.side.value, e.status.value,
             e.action.value, *map(_raw, (e.order_qty, e.order_price, e.remaining_qty, e.filled_qty, e.fill_price,
                                         e.fill_qty)), e.reject_reason, e.time),
        )

    def save_order(self, o: Order, now: dt.datetime) -> None:
        """Write an open order's progress (numbers, fills, flags) so a restart resumes it."""
        status = o.state.value
        self._write(
            "UPDATE intents SET status=?, order_no=?, numbers=?, filled_by_no=?, filled=?, remaining=?,"
            " amended=?, cancel_sent=?, price=?, unknown_since=?, updated=? WHERE intent_id=?",
            (status, o.order_no, json.dumps(o.numbers), json.dumps(o.filled_by_no), o.filled, o.remaining,
             int(o.amended), int(o.cancel_sent), o.price,
             o.unknown_since.isoformat() if o.unknown_since else None, now.isoformat(), o.intent_id),
        )

    def adopt_order(self, o: Order, now: dt.datetime) -> None:
        """Journal an order found at the broker that no intent of ours describes."""
        ts = now.isoformat()
        self._write(
            "INSERT OR IGNORE INTO intents(intent_id, ts, day, kind, origin, rule, side, code, name, qty,"
            " price, order_type, reserve, status, remaining, updated)"
            f" VALUES(?,?,?,'place',?,?,?,?,?,?,?,?,?,'{S.ACKED.value}',?,?)",
            (o.intent_id, ts, now.date().isoformat(), o.origin, o.rule, o.side.value, o.code, o.name, o.qty,
             o.price, o.order_type.value, o.reserve, o.remaining, ts),
        )
        self.save_order(o, now)

    def close_order(self, intent_id: str, status: S, reason: str, now: dt.datetime) -> None:
        status = S(status).value  # a closed state's word, never free text
        self._write(f"UPDATE intents SET status=?, reason=?, remaining=CASE WHEN ?='{S.FILLED.value}' THEN 0"
                    " ELSE remaining END, updated=? WHERE intent_id=?",
                    (status, reason, status, now.isoformat(), intent_id))

    def record_fill(self, f: FillApplied, now: dt.datetime) -> None:
        self._write("INSERT INTO fills(ts, day, intent_id, order_no, code, side, qty, price, realised)"
                    " VALUES(?,?,?,?,?,?,?,?,?)",
                    (now.isoformat(), now.date().isoformat(), f.intent_id, f.order_no, f.code, f.side.value,
                     f.qty, f.price, f.realised))

    def save_position(self, p: Position, reason: str, now: dt.datetime) -> None:
        """Upsert a managed position (tracked stock) and log the change."""
        ts = now.isoformat()
        self._write("INSERT INTO positions(code, name, qty, sellable, avg_price, armed, high, updated)"
                    " VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(code) DO UPDATE SET name=excluded.name,"
                    " qty=excluded.qty, sellable=excluded.sellable, avg_price=excluded.avg_price,"
                    " armed=excluded.armed, high=excluded.high, updated=excluded.updated",
                    (p.code, p.name, p.qty, p.sellable, p.avg_price, int(p.armed), p.high, ts))
        self._log_position(p.code, p.qty, p.sellable, p.avg_price, p.armed, p.high, reason, ts)

    def delete_position(self, code: str, reason: str, now: dt.datetime) -> None:
        self._write("DELETE FROM positions WHERE code=?", (code,))
        self._log_position(code, 0, 0, 0.0, False, 0, reason, now.isoformat())

    def _log_position(self, code, qty, sellable, avg, armed, high, reason, ts) -> None:
        self._write("INSERT INTO position_changes(ts, code, qty, sellable, avg_price, armed, high, reason)"
                    " VALUES(?,?,?,?,?,?,?,?)", (ts, code, qty, sellable, avg, int(armed), high, reason))

    def record_decision(self, d: ev.Decision, now: dt.datetime) -> None:
        self._write("INSERT INTO decisions(ts, rule, code, action, reason) VALUES(?,?,?,?,?)",
                    (now.isoformat(), d.rule, d.code, d.action, d.reason))

    def set_flag(self, day: dt.date, name: str, reason: str) -> None:
        self._write("INSERT OR REPLACE INTO flags(day, name, reason) VALUES(?,?,?)",
                    (day.isoformat(), name, reason))


def _detail(intent) -> str:
    if isinstance(intent, ev.PlaceOrder):
        price = "market" if intent.price is None else intent.price
        return f"{intent.side.value} {intent.code} {intent.qty} @ {price}"
    if isinstance(intent, ev.AmendOrder):
        return f"amend {intent.order_no} {intent.code} {intent.qty} @ {intent.price}"
    return f"cancel {intent.order_no} {intent.code} {intent.qty or 'all'}"


def _raw(value):
    """A broker's number as SQLite can keep it: past 64 bits, handed over as text, which the INTEGER
    column keeps as a real (the socket parser lets 30 digits through; the state never takes such a price)."""
    return str(value) if isinstance(value, int) and not -(2**63) <= value < 2**63 else value
