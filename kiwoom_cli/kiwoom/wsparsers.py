"""WebSocket parsers: REAL entries and condition-search replies -> kiwoom_cli.models (docs/protocol.md, WebSocket).

Pure. REAL entries are routed by content: FIDs 841/843 make a condition push whatever the
`type` says (docs/protocol.md, FIDs we read); otherwise 0B -> Tick, 00 -> OrderEvent, 04 -> BalanceEvent.
"""

from __future__ import annotations

import re

from kiwoom_cli.errors import KiwoomError
from kiwoom_cli.kiwoom import codec
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import (
    BalanceEvent,
    Condition,
    ConditionEvent,
    ConditionListed,
    ConditionMatch,
    OrderAction,
    OrderEvent,
    OrderStatus,
    Side,
    Tick,
)

__all__ = [
    "entry_values",
    "parse_real_entry",
    "parse_real_frame",
    "parse_tick",
    "parse_order_event",
    "parse_balance_event",
    "parse_condition_event",
    "parse_conditions",
    "parse_search_page",
    "parse_subscribe_codes",
    "parse_relisted",
]

_STATUS = {
    "접수": OrderStatus.ACCEPTED,
    "체결": OrderStatus.FILLED,
    "확인": OrderStatus.CONFIRMED,
    "취소": OrderStatus.CANCELLED,
    "거부": OrderStatus.REJECTED,
}


def _label(value: object) -> str:
    """A short, safe name for a value from a frame (a type or trnm) in an error message."""
    return repr(value[:10]) if isinstance(value, str) else type(value).__name__


def entry_values(entry: dict) -> dict:
    """Return a REAL entry's FID map: an object, or defensively a one-element list of one (docs/protocol.md, WebSocket)."""
    if not isinstance(entry, dict):
        raise ProtocolError(f"REAL: entry is not an object ({type(entry).__name__})")
    values = entry.get("values")
    if isinstance(values, list) and len(values) == 1:
        values = values[0]
    if not isinstance(values, dict):
        raise ProtocolError(f"REAL {_label(entry.get('type'))}: values is not an object")
    return values


def _entry_code(values: dict, entry: dict) -> str:
    raw = values.get("9001") or entry.get("item")
    return codec.code(raw, "9001")


# FIDs 10, 11, 12, 15, 13 joined by "|" as the fast path accepts them (the careful decoders agree)
_PLAIN_TICK = re.compile(r"[+-]?[0-9]{1,18}\|[+-]?[0-9]{1,18}\|[+-]?[0-9]{1,18}\.[0-9]{1,10}"
                         r"\|[+-]?[0-9]{1,18}\|[+-]?[0-9]{1,18}").fullmatch


def parse_tick(entry: dict, received: float = 0.0, values: dict | None = None) -> Tick:
    """Parse a 0B 주식체결 entry (price direction sign dropped; change, rate and trade qty keep theirs).

    values: the entry's FID map when the caller already took it (entry_values).
    """
    if values is None:
        values = entry_values(entry)
    try:  # the hot path: a plain code and well-formed numbers decode with the builtins alone
        item, fids = entry["item"], (values["10"], values["11"], values["12"], values["15"], values["13"])
        if (type(item) is str and len(item) == 6 and item.isdigit() and item.isascii()
                and type(values["20"]) is str and _PLAIN_TICK("|".join(fids))):
            return Tick(item, abs(int(fids[0])), int(fids[1]), float(fids[2]), int(fids[3]), int(fids[4]),
                        values["20"], received)
    except (KeyError, TypeError):
        pass  # "", "-0", prefixes, suffixes, missing FIDs: the careful decoders below say what is wrong
    return Tick(
        code=codec.code(entry.get("item") or values.get("9001"), "item"),
        price=codec.price(values.get("10"), "10"),
        change=codec.int_or_zero(values.get("11"), "11"),
        change_pct=codec.rate(values.get("12"), "12"),
        qty=codec.int_or_zero(values.get("15"), "15"),
        volume=codec.int_or_zero(values.get("13"), "13"),
        time=codec.name(values.get("20")),
        received=received,
    )


def _side(values: dict) -> Side:
    marker = codec.name(values.get("907"))
    if marker == "2":
        return Side.BUY
    if marker == "1":
        return Side.SELL
    text = codec.name(values.get("905"))  # 907 is the reliable field; 905 only as a fallback
    if "매수" in text:
        return Side.BUY
    if "매도" in text:
        return Side.SELL
    raise ProtocolError(f"REAL 00: no side in 907 {marker!r} / 905 {text!r}")


def _action(values: dict) -> OrderAction:
    text = codec.name(values.get("905")).lstrip("+-")  # the sign mirrors the HTS colour (docs/protocol.md, FIDs we read)
    if "정정" in text:
        return OrderAction.AMEND
    if "취소" in text:
        return OrderAction.CANCEL
    return OrderAction.NEW


def parse_order_event(entry: dict, received: float = 0.0) -> OrderEvent:
    """Parse a 00 주문체결 entry (docs/protocol.md, FIDs we read). Frames other than 접수 are unverified shapes."""
    values = entry_values(entry)
    status_text = codec.name(values.get("913"))
    status = _STATUS.get(status_text)
    if status is None:
        raise ProtocolError(f"REAL 00: unknown order status 913 {status_text!r}")
    number = codec.order_no(values.get("9203"), "9203")
    if number is None:
        raise ProtocolError("REAL 00: no order number (9203)")
    reason = codec.name(values.get("919"))
    fill_qty = codec.int_or_none(values.get("915"), "915")
    return OrderEvent(
        order_no=number,
        orig_order_no=codec.order_no(values.get("904"), "904"),
        code=_entry_code(values, entry),
        name=codec.name(values.get("302")),
        side=_side(values),
        status=status,
        action=_action(values),
        order_qty=codec.int_or_zero(values.get("900"), "900"),
        order_price=codec.price(values.get("901"), "901"),
        remaining_qty=codec.int_or_zero(values.get("902"), "902"),
        filled_qty=codec.int_or_zero(values.get("911"), "911"),
        fill_price=codec.price_or_none(values.get("914"), "914") if fill_qty else None,
        fill_qty=fill_qty or None,
        time=codec.name(values.get("908")),
        reject_reason=None if reason in ("", "0") else reason,
        received=received,
    )


def parse_balance_event(entry: dict) -> BalanceEvent:
    """Parse a 04 잔고 entry."""
    values = entry_values(entry)
    return BalanceEvent(
        code=_entry_code(values, entry),
        name=codec.name(values.get("302")),
        qty=codec.int_or_zero(values.get("930"), "930"),
        sellable_qty=codec.int_or_zero(values.get("933"), "933"),
        avg_price=codec.price(values.get("931"), "931"),
        current_price=codec.price(values.get("10"), "10"),
    )


def parse_condition_event(entry: dict, received: float = 0.0) -> ConditionEvent:
    """Parse a condition push: 841 seq, 9001 code, 843 I (entered) / D (left), 20 time."""
    values = entry_values(entry)
    marker = codec.name(values.get("843"))
    if marker not in ("I", "D"):
        raise ProtocolError(f"REAL 02: 843 is {marker!r}, expected I or D")
    return ConditionEvent(
        seq=codec.name(values.get("841")),
        code=_entry_code(values, entry),
        entered=marker == "I",
        time=codec.name(values.get("20")),
        received=received,
    )


def parse_real_entry(entry: dict, received: float = 0.0):
    """Parse one entry of a REAL frame's data list; None for types we do not model (0D, 0s ...)."""
    values = entry_values(entry)
    if "841" in values and "843" in values:
        return parse_condition_event(entry, received)
    kind = entry.get("type")
    if kind == "0B":
        return parse_tick(entry, received, values)
    if kind == "00":
        return parse_order_event(entry, received)
    if kind == "04":
        return parse_balance_event(entry)
    return None


def parse_real_frame(frame: dict, received: float = 0.0) -> tuple[list, list[KiwoomError]]:
    """Parse a REAL frame's entries: (events, one error per bad entry); a bad entry spoils no other."""
    entries = frame.get("data")
    if not isinstance(entries, list):
        return [], [ProtocolError("REAL: data is not a list")]
    events, errors = [], []
    for entry in entries:
        try:
            event = parse_real_entry(entry, received)
        except KiwoomError as exc:
            errors.append(exc)
            continue
        if event is not None:
            events.append(event)
    return events, errors


def _data(frame: dict) -> list:
    if not isinstance(frame, dict):
        raise ProtocolError(f"reply is not an object ({type(frame).__name__})")
    data = frame.get("data")
    if data is None or data == "":
        return []
    if not isinstance(data, list):
        raise ProtocolError(f"{_label(frame.get('trnm'))}: data is not a list")
    return data


def parse_conditions(frame: dict) -> list[Condition]:
    """Parse a CNSRLST reply: [seq, name] pairs, or {"seq", "name"} objects (both accepted; docs/protocol.md, WebSocket)."""
    conditions = []
    for row in _data(frame):
        if isinstance(row, (list, tuple)) and len(row) >= 2:
            seq, label = row[0], row[1]
        elif isinstance(row, dict):
            seq, label = row.get("seq"), row.get("name")
        else:
            raise ProtocolError(f"CNSRLST: unexpected row {str(row)[:40]!r}")
        seq = codec.name(seq)
        if not seq:
            raise ProtocolError("CNSRLST: row without seq")
        conditions.append(Condition(seq=seq, name=codec.name(label)))
    return conditions


def parse_search_page(frame: dict) -> tuple[list[ConditionMatch], str | None]:
    """Parse a CNSRREQ search_type 0 reply: (matches, next_key or None when it is the last page).

    Numbers are 9 wide with the sign inside ("-00000100"); FID 12 is the rate x 1000 (codec.rate_x1000).
    """
    matches = []
    for row in _data(frame):
        if not isinstance(row, dict):
            raise ProtocolError("CNSRREQ: row is not an object")
        matches.append(
            ConditionMatch(
                code=codec.code(row.get("9001"), "9001"),
                name=codec.name(row.get("302")),
                price=codec.price(row.get("10"), "10"),
                change=codec.int_or_zero(row.get("11"), "11"),
                change_pct=codec.rate_x1000(row.get("12"), "12"),
                volume=codec.int_or_zero(row.get("13"), "13"),
            )
        )
    more = codec.name(frame.get("cont_yn")).upper() == "Y"
    return matches, (codec.name(frame.get("next_key")) if more else None)


def parse_subscribe_codes(frame: dict) -> list[str]:
    """Parse a CNSRREQ search_type 1 reply: the codes matching now (jmcode, prefix stripped), in order."""
    codes: list[str] = []
    for row in _data(frame):
        if isinstance(row, dict):
            raw = row.get("jmcode")  # the spec's only row field here (no 9001)
        else:
            raw = row
        bare = codec.code(raw, "jmcode")
        if bare not in codes:
            codes.append(bare)
    return codes


def parse_relisted(frame: dict) -> ConditionListed:
    """Parse the CNSRREQ search_type 1 reply to a re-subscription: its condition and the codes in it now."""
    seq = frame.get("seq") if isinstance(frame, dict) else None
    if not isinstance(seq, str) or not seq.strip() or len(seq) > 20:
        raise ProtocolError("CNSRREQ: seq is missing or not a condition number")
    return ConditionListed(seq.strip(), tuple(parse_subscribe_codes(frame)))
