"""The journal's reads: what a restart resumes from, and what commands show (one connection, `_db`)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field

from kiwoom_cli.core.order_states import OPEN, OrderState, loaded_state
from kiwoom_cli.core.records import Order, Position
from kiwoom_cli.models import OrderType, Side

OPEN_STATUSES = tuple(s.value for s in OrderState if s in OPEN)  # pending, unknown, acked


@dataclass
class Stored:
    """What a restart resumes from."""

    positions: list[Position] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)
    realised: float = 0.0


class JournalReads:
    """Mixin for Journal: reads over its connection."""

    _db: sqlite3.Connection

    def load(self, day: dt.date) -> Stored:
        """Return tracked positions, open orders, today's flags and realised P&L."""
        db = self._db
        positions = [
            Position(r["code"], r["name"] or "", r["qty"], r["sellable"], r["avg_price"],
                     armed=bool(r["armed"]), high=r["high"] or 0)
            for r in db.execute("SELECT * FROM positions ORDER BY code")
        ]
        orders = [_order(r) for r in db.execute(
            "SELECT * FROM intents WHERE kind='place' AND status IN (?,?,?) ORDER BY ts, rowid", OPEN_STATUSES)]
        flags = {r["name"]: r["reason"] for r in db.execute("SELECT * FROM flags WHERE day=?", (day.isoformat(),))}
        realised = db.execute("SELECT COALESCE(SUM(realised), 0) FROM fills WHERE day=?",
                              (day.isoformat(),)).fetchone()[0]
        return Stored(positions, orders, flags, float(realised))

    def manual_unjournaled(self, day: dt.date) -> list[Order]:
        """Today's manual place intents that reached the broker (an order number) and whose fills the
        journal does not hold in full; each with its amends' order numbers (core/manualfills.py)."""
        rows = self._db.execute(
            "SELECT i.* FROM intents i WHERE i.kind='place' AND i.origin='manual' AND i.day=?"
            " AND i.order_no IS NOT NULL AND i.qty > (SELECT COALESCE(SUM(f.qty), 0) FROM fills f"
            " WHERE f.intent_id=i.intent_id) AND i.status NOT IN (?,?,?) ORDER BY i.ts, i.rowid",
            (day.isoformat(), OrderState.FAILED.value, OrderState.REJECTED.value, OrderState.NOT_PLACED.value))
        orders = [_order(r) for r in rows]
        for order in orders:
            for r in self._db.execute("SELECT order_no FROM intents WHERE target_id=? AND kind='amend'"
                                      " AND order_no IS NOT NULL", (order.intent_id,)):
                order.numbers.setdefault(r["order_no"], "amend")
        return orders

    def bought(self, day: dt.date, code: str) -> tuple[int, int]:
        """(shares, won) of the buy fills journaled on `day` for `code`."""
        row = self._db.execute("SELECT COALESCE(SUM(qty), 0), COALESCE(SUM(qty * price), 0) FROM fills"
                               " WHERE day=? AND code=? AND side=?", (day.isoformat(), code, Side.BUY.value)).fetchone()
        return int(row[0]), int(row[1])

    def decisions(self, since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[dict]:
        """Return decisions in time order, optionally between two times."""
        sql, args = "SELECT ts, rule, code, action, reason FROM decisions WHERE 1=1", []
        if since is not None:
            sql, args = sql + " AND ts >= ?", [*args, since.isoformat()]
        if until is not None:
            sql, args = sql + " AND ts < ?", [*args, until.isoformat()]
        return [dict(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def intents(self, status: str | None = None) -> list[dict]:
        sql = "SELECT * FROM intents" + (" WHERE status=?" if status else "") + " ORDER BY ts, rowid"
        return [dict(r) for r in self._db.execute(sql, (status,) if status else ())]

    def orders_for(self, intent_id: str) -> dict:
        """Return an intent with its requests, order events, fills and amend/cancel intents."""
        one = self._db.execute("SELECT * FROM intents WHERE intent_id=?", (intent_id,)).fetchone()
        q = lambda sql: [dict(r) for r in self._db.execute(sql, (intent_id,))]
        return {
            "intent": dict(one) if one else None,
            "requests": q("SELECT * FROM order_requests WHERE intent_id=? ORDER BY id"),
            "events": q("SELECT * FROM order_events WHERE intent_id=? ORDER BY id"),
            "fills": q("SELECT * FROM fills WHERE intent_id=? ORDER BY id"),
            "children": q("SELECT * FROM intents WHERE target_id=? ORDER BY ts, rowid"),
        }


def _order(r: sqlite3.Row) -> Order:
    return Order(
        r["intent_id"], Side(r["side"]), r["code"], r["qty"], r["price"], OrderType(r["order_type"]),
        r["rule"] or "", r["origin"] or "run", dt.datetime.fromisoformat(r["ts"]), name=r["name"] or "",
        upper=r["upper"] or 0, lower=r["lower"] or 0, reserve=r["reserve"] or 0, order_no=r["order_no"],
        numbers=json.loads(r["numbers"]) or _first_number(r), filled_by_no=json.loads(r["filled_by_no"]),
        remaining=r["remaining"], filled=r["filled"], amended=bool(r["amended"]),
        cancel_sent=bool(r["cancel_sent"]), state=loaded_state(r["status"]),
        unknown_since=dt.datetime.fromisoformat(r["unknown_since"]) if r["unknown_since"]
        else (dt.datetime.fromisoformat(r["ts"]) if r["status"] != OrderState.ACKED.value else None),
    )


def _first_number(r: sqlite3.Row) -> dict[str, str]:
    """A one-shot command's order keeps its number in order_no only (its progress is never saved)."""
    return {r["order_no"]: "new"} if r["order_no"] else {}
