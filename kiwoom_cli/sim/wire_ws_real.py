"""REAL entries of the simulator's WebSocket: exchange events -> 0B/00/04/02 (docs/protocol.md, WebSocket and FIDs we read).

Each function returns one encoded `data` element; the hub joins entries into frames with
wire_ws.real_frame and sends the same bytes to every subscriber.
"""

from __future__ import annotations

from kiwoom_cli.sim.domain import (
    ConditionChange,
    InstrumentView,
    OrderUpdate,
    PositionUpdate,
    TradePrint,
)
from kiwoom_cli.sim.wire_ws import change_sign_code, direction_signed, dumps, hhmmss, signed, signed_rate

# FID 906 text for each trde_tp.
ORDER_TYPE_TEXT = {
    "0": "보통", "3": "시장가", "5": "조건부지정가", "6": "최유리지정가", "7": "최우선지정가",
    "10": "보통(IOC)", "13": "시장가(IOC)", "16": "최유리(IOC)",
    "20": "보통(FOK)", "23": "시장가(FOK)", "26": "최유리(FOK)",
    "28": "스톱지정가", "29": "중간가", "30": "중간가(IOC)", "31": "중간가(FOK)",
    "61": "장전시간외", "62": "시간외단일가", "81": "장후시간외",
}


def strength_text(buy_qty: int, sell_qty: int) -> str:
    """Return FID 228 체결강도 = buyer-initiated / seller-initiated volume x 100.

    unverified: the cap of 500.00 when nothing was sold follows the HTS display.
    """
    if sell_qty <= 0:
        return "500.00" if buy_qty > 0 else "0.00"
    return f"{min(buy_qty / sell_qty * 100, 500.0):.2f}"


def entry_0b(tp: TradePrint, strength: str, session: str = "2", item: str = "") -> bytes:
    """Encode one 0B 주식체결 entry (FIDs 20,10,11,12,27,28,15,13,14,16,17,18,25,228,290,9081).

    `session` is FID 290 (1 장전시간외, 2 장중, 3 장후시간외). Official FIDs we do not model
    (26, 29-32, 311, 567, 568, 691, 851, 1030-1032, ...) are left out. `item` is the registered
    item answered (CODE_NX, CODE_AL: the suffix comes back, as measured on the broker; default CODE).
    """
    inst = tp.instrument
    base = inst.base_price
    values = {
        "20": hhmmss(tp.time),
        "10": direction_signed(tp.price, base),
        "11": signed(tp.price - base),
        "12": signed_rate(round((tp.price - base) / base * 100, 2) if base else 0.0),
        "27": direction_signed(inst.best_ask, base),
        "28": direction_signed(inst.best_bid, base),
        "15": signed(tp.qty),
        "13": str(inst.volume),
        "14": str(inst.turnover // 1_000_000),  # 백만원 (~ official sample magnitude)
        "16": direction_signed(inst.open, base),
        "17": direction_signed(inst.high, base),
        "18": direction_signed(inst.low, base),
        "25": change_sign_code(inst),
        "228": strength,
        "290": session,
        "9081": "1",  # KRX; value map unverified
    }
    return dumps({"type": "0B", "name": "주식체결", "item": item or tp.code, "values": values})


def _side_text(update: OrderUpdate) -> str:
    """Return FID 905 (주문구분).

    unverified: only the 접수 of a new order has an official example ("+매수"); the 정정/취소 texts
    and which of them carry a sign follow OCX-era captures.
    """
    order = update.order
    buy = order.side == "buy"
    if order.kind == "new":
        return "+매수" if buy else "-매도"
    if order.kind == "amend":
        if update.status == "접수":
            return "+매수정정" if buy else "-매도정정"
        return "매수정정" if buy else "매도정정"
    return "매수취소" if buy else "매도취소"


def entry_00(update: OrderUpdate, inst: InstrumentView) -> bytes:
    """Encode one 00 주문체결 entry for an order step (docs/protocol.md, FIDs we read).

    Only the 접수 of a new order has an official example (fixtures/ws/real-00.json). The 체결,
    확인, 취소 and 거부 shapes are unverified: same key set, with 909-911/914/915 filled on 체결
    and the reason in 919 on 거부.
    """
    order = update.order
    fill = update.fill
    base = inst.base_price
    values = {
        "9201": order.account_no,
        "9203": order.order_no,
        "9205": "",
        "9001": order.code,
        "912": "JJ",
        "913": update.status,
        "302": order.name,
        "900": str(order.qty),
        "901": str(order.price),
        "902": str(order.remaining_qty),
        "903": str(order.filled_amount),
        "904": order.orig_order_no,
        "905": _side_text(update),
        "906": ORDER_TYPE_TEXT.get(order.trde_tp, order.trde_tp),
        "907": "2" if order.side == "buy" else "1",
        "908": hhmmss(fill.time if fill is not None else order.time),
        "909": fill.fill_no if fill is not None else "",
        "910": str(fill.price) if fill is not None else "",
        "911": str(order.filled_qty) if fill is not None else "",
        "10": direction_signed(inst.price, base),
        "27": direction_signed(inst.best_ask, base),
        "28": direction_signed(inst.best_bid, base),
        "914": str(fill.price) if fill is not None else "",
        "915": str(fill.qty) if fill is not None else "",
        "938": str(order.commission),
        "939": str(order.tax),
        "919": update.reject_reason or "0",
        "920": "",
        "921": "0701002",  # terminal number: the official example's value
        "922": "00",
        "923": "00000000",
        "10010": "",
        "2134": "1",
        "2135": "KRX",
        "2136": "N",  # mock is KRX only, no SOR (docs/protocol.md, Request bodies); the official example shows "Y"
    }
    return dumps({"type": "00", "name": "주문체결", "item": order.code, "values": values})


def entry_04(update: PositionUpdate, inst: InstrumentView) -> bytes:
    """Encode one 04 잔고 entry (docs/protocol.md, FIDs we read; name "현물잔고" per the official example).

    950 (당일총매도손익) and 990-993 (당일실현손익) are sent as zero: the domain's PositionUpdate
    carries no per-code realized P&L.
    """
    h = update.holding
    base = inst.base_price
    values = {
        "9201": update.account_no,
        "9001": h.code,
        "917": "00",
        "916": "00000000",
        "302": h.name,
        "10": direction_signed(h.current_price, h.base_price),
        "930": str(h.qty),
        "931": str(h.avg_price),
        "932": str(h.purchase_amount),
        "933": str(h.sellable_qty),
        "945": str(update.today_net_buy_qty),
        "946": "2" if update.side == "buy" else "1",
        "950": "0",
        "951": "0",
        "27": direction_signed(inst.best_ask, base),
        "28": direction_signed(inst.best_bid, base),
        "307": str(h.base_price),
        "8019": "0.00",
        "957": "0",
        "958": "0",
        "918": "00000000",
        "990": "0",
        "991": "0.00",
        "992": "0",
        "993": "0.00",
        "959": "0",
        "924": "0",
    }
    return dumps({"type": "04", "name": "현물잔고", "item": h.code, "values": values})


def entry_02(change: ConditionChange) -> bytes:
    """Encode one 02 condition push (captured shape, fixtures/ws/real-02.captured-*.json: no 907)."""
    values = {"841": change.seq, "9001": change.code, "843": change.event, "20": hhmmss(change.time)}
    return dumps({"type": "02", "name": "조건검색", "item": change.code, "values": values})
