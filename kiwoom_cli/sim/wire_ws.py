"""WebSocket wire format of the simulator: domain views -> Kiwoom frames (docs/protocol.md, WebSocket).

Control frames, value encodings and condition-search replies; REAL entries are in wire_ws_real.
Pure functions, no I/O. Every frame is returned as UTF-8 JSON bytes, encoded once, so the hub
can send the same bytes to every subscriber. A REAL frame is assembled from already-encoded
entries by a byte join (`real_frame`), never by re-encoding.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from kiwoom_cli.sim.domain import InstrumentView
from kiwoom_cli.sim.rest_errors import MESSAGES, refusal

try:  # optional speed-up (docs/decisions.md §9)
    import orjson

    def dumps(obj: Any) -> bytes:
        """Encode a JSON value to compact UTF-8 bytes."""
        return orjson.dumps(obj)

    def loads(data: str | bytes) -> Any:
        """Decode a JSON text frame."""
        return orjson.loads(data)

except ImportError:  # pragma: no cover - exercised only where orjson is missing

    def dumps(obj: Any) -> bytes:
        """Encode a JSON value to compact UTF-8 bytes."""
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def loads(data: str | bytes) -> Any:
        """Decode a JSON text frame."""
        return json.loads(data)


# --------------------------------------------------------------------------- messages

LOGIN_FAILED_MSG = (
    "토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE={code}, MESSAGE={message}]"
)
BEFORE_LOGIN_MSG = "로그인 인증이 들어오기 전에 다른 전문이 들어왔습니다. 해당 전문은 무시됩니다"
REG_LIMIT_MSG = "등록 종목수 초과"
SYSTEM_MESSAGES = {
    "R10001": "동일한 App key로 접속이 되었습니다. 기존 세션은 종료가 됩니다",
    "R10002": "사용자 프로그램으로부터 Heartbeat(연결유지) 메시지가 오지않아서 접속을 종료합니다",
    "R10004": "접속허용요청(토큰)이 들어오지 않았습니다",
}

PING = dumps({"trnm": "PING"})
BARE_PING = b"PING"  # the bare text form, which Kiwoom's own client also accepts (fault bare_ping)

def system_frame(code: str) -> bytes:
    """Return a SYSTEM close notice, e.g. R10002 (shape per fixtures/ws/system-*.json)."""
    return dumps({"trnm": "SYSTEM", "code": code, "message": SYSTEM_MESSAGES[code]})


def login_ok() -> bytes:
    """Return the LOGIN success reply (fixtures/ws/login.response.json, mock server)."""
    return dumps({"trnm": "LOGIN", "return_code": 0, "return_msg": "", "sor_yn": "Y"})


def login_failed(code: str, message: str) -> bytes:
    """Return the LOGIN failure reply (errors/ws-login-805004.json); code/message from the REST error."""
    return dumps(
        {
            "trnm": "LOGIN",
            "return_code": 805004,
            "return_msg": LOGIN_FAILED_MSG.format(code=code, message=message),
        }
    )


def login_refused(form: str, code: str) -> bytes:
    """Return a LOGIN refusal in a token_refused fault's form: "top" (return_code 8031), "rc3"
    (rc 3 with [8031:...]) or "http401", which on a socket is the LOGIN's own 805004 [CODE=...] form.

    unverified: which of these the broker's LOGIN uses for 8031 and 8103 (only 8005's is captured).
    """
    if form == "http401":
        return login_failed(code, MESSAGES[code].format("injected fault"))
    _, body = refusal("token_refused", form, code, "LOGIN")
    return dumps({"trnm": "LOGIN", **body})


def reply(trnm: str, return_code: int = 0, return_msg: str = "", **extra: Any) -> bytes:
    """Return a `{"trnm", ...extra, "return_code", "return_msg"}` reply (REG/REMOVE/CNSRCLR acks)."""
    body: dict[str, Any] = {"trnm": trnm, **extra}
    body["return_code"] = return_code
    body["return_msg"] = return_msg
    return dumps(body)


def before_login(trnm: str) -> bytes:
    """Return the reply to a frame sent before the LOGIN reply.

    unverified: only the code 100013 and the message are quoted by the capture; the frame shape
    (echoing `trnm`) is our choice.
    """
    return reply(trnm, 100013, BEFORE_LOGIN_MSG)


def real_frame(entries: Iterable[bytes]) -> bytes:
    """Join already-encoded REAL entries into one `{"trnm":"REAL","data":[...]}` frame."""
    return b'{"trnm":"REAL","data":[' + b",".join(entries) + b"]}"


# --------------------------------------------------------------------------- value encodings


def hhmmss(t: dt.datetime) -> str:
    """Return a KST time of day as HHMMSS (times on events are already KST)."""
    return f"{t.hour:02d}{t.minute:02d}{t.second:02d}"


def direction_signed(price: int, base: int) -> str:
    """Return a price with the direction sign (+ above base, - below, none when equal; docs/protocol.md, Answers: value encodings we read)."""
    if price > base:
        return f"+{price}"
    if price < base:
        return f"-{price}"
    return str(price)


def signed(value: int) -> str:
    """Return a real-signed integer: "+50", "-50", "0"."""
    return f"+{value}" if value > 0 else str(value)


def signed_rate(rate: float) -> str:
    """Return a percent with 2 decimals and its sign ("-0.24").

    unverified: the "+" on positive rates follows the OCX convention; only negative examples exist.
    """
    if rate == 0:
        return "0.00"
    return f"{rate:+.2f}"


def change_sign_code(inst: InstrumentView) -> str:
    """Return FID 25 (전일대비기호): 1 upper limit, 2 up, 3 flat, 4 lower limit, 5 down."""
    p = inst.price
    if p == inst.base_price:
        return "3"
    if p > inst.base_price:
        return "1" if p >= inst.upper_limit else "2"
    return "4" if p <= inst.lower_limit else "5"


def padded9(value: int) -> str:
    """Return a 9-wide zero-padded number with the sign inside the width ("-00000100").

    unverified: positives carry no "+" (every official positive is unsigned zero-padded).
    """
    return f"-{-value:08d}" if value < 0 else f"{value:09d}"


def prefixed(code: str) -> str:
    """Return a stock code with the A prefix (CNSRREQ 9001/jmcode; docs/protocol.md, WebSocket)."""
    return "A" + code


# --------------------------------------------------------------------------- condition search


def cnsrlst(conditions: Iterable[Any]) -> bytes:
    """Return the CNSRLST reply: data is a list of [seq, name] pairs."""
    data = [[c.seq, c.name] for c in conditions]
    return dumps({"trnm": "CNSRLST", "return_code": 0, "return_msg": "", "data": data})


def cnsrreq_row(inst: InstrumentView) -> dict[str, str]:
    """Return one CNSRREQ search_type 0 row keyed by FID (fixtures/ws/cnsrreq-0.json encodings).

    FID 12 is the rate x 1000 without a point, to 2 decimals of a percent (the spec, ka10172:
    "000001500" is +1.50 %; its example row, -100 on 75,100, carries "-00000130", -0.13 %).
    """
    base = inst.base_price
    rate_x1000 = 10 * round((inst.price - base) * 10000 / base) if base else 0
    return {
        "9001": prefixed(inst.code),
        "302": inst.name,
        "10": padded9(inst.price),
        "25": change_sign_code(inst),
        "11": padded9(inst.price - base),
        "12": padded9(rate_x1000),
        "13": padded9(inst.volume),
        "16": padded9(inst.open),
        "17": padded9(inst.high),
        "18": padded9(inst.low),
    }


def cnsrreq_page(seq: str, rows: list[dict], cont: bool, next_key: str) -> bytes:
    """Return a CNSRREQ search_type 0 reply page (cont_yn/next_key in the body; docs/protocol.md, WebSocket)."""
    return dumps(
        {
            "trnm": "CNSRREQ",
            "seq": seq,
            "cont_yn": "Y" if cont else "N",
            "next_key": next_key,
            "return_code": 0,
            "return_msg": "",
            "data": rows,
        }
    )


def cnsrreq_realtime(seq: str, codes: Iterable[str]) -> bytes:
    """Return the CNSRREQ search_type 1 reply: current matches as {"jmcode": "A......"}."""
    data = [{"jmcode": prefixed(c)} for c in codes]
    return dumps({"trnm": "CNSRREQ", "seq": seq, "return_code": 0, "return_msg": "", "data": data})
