"""One handler per Kiwoom TR: validate the body, call the exchange, encode the reply.

Handlers run on the simulator's loop thread and are synchronous (the exchange is pure).
They raise SimError subclasses; rest.py turns those into Kiwoom error bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kiwoom_cli.sim import wire_rest as w
from kiwoom_cli.sim import wire_rest_account as wa
from kiwoom_cli.sim.context import SimContext
from kiwoom_cli.sim.domain import OrderView, SimInputError, SimRejection
from kiwoom_cli.sim.rest_errors import auth_error, input_error

_CODE = re.compile(r"^\d{6}$")
_DIGITS = re.compile(r"^\d+$")
MAX_WATCH_CODES = 100  # ka10095 codes per call; unverified upper bound (docs/protocol.md, Request bodies)
NO_ORDER = "0000000"


@dataclass
class Request:
    ctx: SimContext
    api_id: str
    body: dict
    token: str = ""
    cont: bool = False  # request header cont-yn == "Y"
    next_key: str = ""
    page_size: int = 20


@dataclass
class Reply:
    body: dict
    next_key: str = ""  # non-empty -> response headers cont-yn: Y, next-key: this
    headers: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- field checks


def text(body: dict, name: str, required: bool = True) -> str:
    """Return a string field; 1511 when required and missing/empty, 1517 when not a string."""
    value = body.get(name, "")
    if not isinstance(value, str):
        # unverified: the broker's reaction to a non-string JSON value; all values are strings (docs/protocol.md, Request bodies).
        raise input_error("1517", name, "문자열이 아닙니다")
    if required and value == "":
        raise input_error("1511", name)
    return value


def choice(body: dict, name: str, allowed: tuple[str, ...]) -> str:
    value = text(body, name)
    if value not in allowed:
        raise input_error("1517", name, f"허용되지 않는 값입니다({value})")
    return value


def number(body: dict, name: str, required: bool = True, positive: bool = False) -> int | None:
    """Parse an unsigned integer string; a sign or any non-digit -> 1517 (measured for prices)."""
    value = text(body, name, required)
    if value == "":
        return None
    if not _DIGITS.match(value):
        raise input_error("1517", name, "숫자 형식이 아닙니다")
    n = int(value)
    if positive and n <= 0:
        raise input_error("1517", name, "0보다 커야 합니다")
    return n


def stock_code(body: dict, name: str = "stk_cd", quote: bool = False) -> str:
    """A 6-digit code; quote TRs also take _NX/_AL suffixes, served from KRX (mock: unverified; docs/protocol.md, Request bodies)."""
    value = text(body, name)
    if quote and value[-3:] in ("_NX", "_AL"):
        value = value[:-3]
    if not _CODE.match(value):
        raise input_error("1517", name, "종목코드 형식이 아닙니다")
    return value


def page(rows: list, rq: Request) -> tuple[list, str]:
    """Slice one page; next-key is the offset of the next page (opaque to clients)."""
    start = 0
    if rq.cont:
        if not _DIGITS.match(rq.next_key or ""):
            raise input_error("1517", "next-key", "연속조회키가 올바르지 않습니다")
        start = int(rq.next_key)
    end = start + rq.page_size
    return rows[start:end], (str(end) if end < len(rows) else "")


# --------------------------------------------------------------------------- auth


def au10001(rq: Request) -> Reply:
    grant = rq.body.get("grant_type", "")
    if grant in ("", None):
        raise auth_error("8011")
    if grant != "client_credentials":
        raise auth_error("8012")
    appkey, secret = rq.body.get("appkey", ""), rq.body.get("secretkey", "")
    token, expires = rq.ctx.exchange.issue_token(str(appkey or ""), str(secret or ""))
    return Reply(w.token_body(token, expires))


def au10002(rq: Request) -> Reply:
    token = rq.body.get("token", "")
    if not token:
        raise auth_error("8016")
    rq.ctx.exchange.revoke_token(str(rq.body.get("appkey", "")), str(rq.body.get("secretkey", "")),
                                 str(token))
    return Reply(w.ok({}))


# --------------------------------------------------------------------------- quotes


def ka10001(rq: Request) -> Reply:
    """The answer's stk_cd (20 wide in the spec) is the code as asked, _NX/_AL included (unverified);
    ka10007's is 6 wide, so it answers the bare code. One price per stock whatever the venue."""
    body = w.ka10001(rq.ctx.exchange.instrument(stock_code(rq.body, quote=True)))
    body["stk_cd"] = text(rq.body, "stk_cd")
    return Reply(body)


def ka10007(rq: Request) -> Reply:
    inst = rq.ctx.exchange.instrument(stock_code(rq.body, quote=True))
    return Reply(w.ka10007(inst, rq.ctx.clock.now()))


def ka10100(rq: Request) -> Reply:
    """종목정보 조회: the listing fields the simulator knows, nxtEnable "Y" or "N"."""
    ex = rq.ctx.exchange
    inst = ex.instrument(stock_code(rq.body))
    return Reply(w.ka10100(inst, ex.nxt_enabled(inst.code)))


def ka10095(rq: Request) -> Reply:
    """Several codes joined by "|"; an unknown or malformed code gives a row of empty values."""
    codes = [c for c in text(rq.body, "stk_cd").split("|") if c != ""]
    if len(codes) > MAX_WATCH_CODES:
        raise input_error("1517", "stk_cd", f"종목은 {MAX_WATCH_CODES}개까지 조회할 수 있습니다")
    now = rq.ctx.clock.now()
    rows = []
    for code in codes:
        plain = code[:-3] if code[-3:] in ("_NX", "_AL") else code
        try:
            rows.append({**w.ka10095_row(rq.ctx.exchange.instrument(plain), now), "stk_cd": code})  # as asked
        except SimInputError:
            rows.append(w.ka10095_unknown_row())
    return Reply(w.ka10095(rows))


# --------------------------------------------------------------------------- account


def _app_key(rq: Request) -> str:
    return rq.ctx.exchange.app_key_for_token(rq.token)


def kt00001(rq: Request) -> Reply:
    choice(rq.body, "qry_tp", ("2", "3"))
    return Reply(wa.kt00001(rq.ctx.exchange.account(_app_key(rq))))


def kt00018(rq: Request) -> Reply:
    choice(rq.body, "qry_tp", ("1", "2"))
    venue = choice(rq.body, "dmst_stex_tp", ("KRX", "NXT"))
    acct = rq.ctx.exchange.account(_app_key(rq))
    now = rq.ctx.clock.now()
    # Holdings belong to the account, whatever venue bought them (the simulator's reading: whether
    # the broker splits them by venue is unverified); the venue would pick the price, and the
    # simulator has one price per stock.
    del venue
    rows = wa.kt00018_rows(acct, now)
    rows, next_key = page(rows, rq)
    return Reply(wa.kt00018(acct, now, rows), next_key)


def _side_filter(value: str) -> Callable[[OrderView], bool]:
    wanted = {"0": None, "1": "sell", "2": "buy"}[value]
    return lambda o: wanted is None or o.side == wanted


def ka10075(rq: Request) -> Reply:
    scope = choice(rq.body, "all_stk_tp", ("0", "1"))
    side_ok = _side_filter(choice(rq.body, "trde_tp", ("0", "1", "2")))
    venue = choice(rq.body, "stex_tp", ("0", "1", "2"))
    code = stock_code(rq.body) if scope == "1" else None
    ex = rq.ctx.exchange
    orders = [o for o in ex.open_orders(_app_key(rq))
              if side_ok(o) and (code is None or o.code == code) and _on_venue(o, venue)]
    rows = [wa.ka10075_row(o, _instrument_or_none(ex, o.code)) for o in orders]
    rows, next_key = page(rows, rq)
    return Reply(wa.listing("oso", rows), next_key)


def _on_venue(order: OrderView, stex_tp: str) -> bool:
    """stex_tp 0 (통합) lists every order; 1 KRX and 2 NXT only the orders placed there."""
    return stex_tp == "0" or order.venue == {"1": "KRX", "2": "NXT"}[stex_tp]


def _instrument_or_none(ex, code: str):
    try:
        return ex.instrument(code)
    except SimInputError:
        return None


def ka10076(rq: Request) -> Reply:
    scope = choice(rq.body, "qry_tp", ("0", "1"))
    side_ok = _side_filter(choice(rq.body, "sell_tp", ("0", "1", "2")))
    venue = choice(rq.body, "stex_tp", ("0", "1", "2"))
    code = stock_code(rq.body) if scope == "1" else None
    before = text(rq.body, "ord_no", required=False)
    if before and not _DIGITS.match(before):
        raise input_error("1517", "ord_no", "숫자 형식이 아닙니다")
    orders = [o for o in reversed(rq.ctx.exchange.orders(_app_key(rq)))  # newest first
              if o.filled_qty > 0 and side_ok(o) and (code is None or o.code == code)
              and (not before or o.order_no < before.zfill(7)) and _on_venue(o, venue)]
    rows, next_key = page([wa.ka10076_row(o) for o in orders], rq)
    return Reply(wa.listing("cntr", rows), next_key)


# --------------------------------------------------------------------------- orders


def _venue(rq: Request) -> str:
    """dmst_stex_tp: KRX, NXT or SOR (Kiwoom's mock server takes KRX only, answering RC9000;
    this simulator plays the real broker, which takes all three)."""
    return choice(rq.body, "dmst_stex_tp", ("KRX", "NXT", "SOR"))


def _place(rq: Request, side: str) -> Reply:
    venue = _venue(rq)
    code = stock_code(rq.body)
    qty = number(rq.body, "ord_qty", positive=True)
    trde_tp = text(rq.body, "trde_tp")
    if not _DIGITS.match(trde_tp):
        raise input_error("1517", "trde_tp", "숫자 형식이 아닙니다")
    price = number(rq.body, "ord_uv", required=False) or None  # "" or "0": no price (market)
    text(rq.body, "cond_uv", required=False)
    if trde_tp == "0" and price is None:
        # unverified wording/class: one 3P fixture ("308003") for a limit order without price.
        raise SimRejection("308003", "주문단가를 입력하십시요")
    order = rq.ctx.exchange.place_order(_app_key(rq), side, code, qty, price, trde_tp, venue)
    return Reply(wa.order_placed(order))


def kt10000(rq: Request) -> Reply:
    return _place(rq, "buy")


def kt10001(rq: Request) -> Reply:
    return _place(rq, "sell")


def _root(rq: Request, app_key: str, order: OrderView) -> str:
    """The first order of an amend/cancel chain (kt10003 example reports the root; docs/protocol.md, Answers: value encodings we read)."""
    by_no = {o.order_no: o for o in rq.ctx.exchange.orders(app_key)}
    no = order.orig_order_no
    while no in by_no and by_no[no].orig_order_no not in ("", NO_ORDER):
        no = by_no[no].orig_order_no
    return no


def kt10002(rq: Request) -> Reply:
    venue = _venue(rq)
    orig = text(rq.body, "orig_ord_no")
    if not _DIGITS.match(orig):
        raise input_error("1517", "orig_ord_no", "숫자 형식이 아닙니다")
    code = stock_code(rq.body)
    qty = number(rq.body, "mdfy_qty")
    price = number(rq.body, "mdfy_uv", positive=True)
    text(rq.body, "mdfy_cond_uv", required=False)
    app_key = _app_key(rq)
    order = rq.ctx.exchange.amend_order(app_key, orig.zfill(7), code, qty, price, venue)
    return Reply(wa.order_amended(order, _root(rq, app_key, order)))


def kt10003(rq: Request) -> Reply:
    venue = _venue(rq)
    orig = text(rq.body, "orig_ord_no")
    if not _DIGITS.match(orig):
        raise input_error("1517", "orig_ord_no", "숫자 형식이 아닙니다")
    code = stock_code(rq.body)
    qty = number(rq.body, "cncl_qty")
    app_key = _app_key(rq)
    order = rq.ctx.exchange.cancel_order(app_key, orig.zfill(7), code, qty, venue)
    return Reply(wa.order_cancelled(order, _root(rq, app_key, order)))


# --------------------------------------------------------------------------- routing table


@dataclass(frozen=True)
class Api:
    path: str  # URL path it is served on
    handler: Callable[[Request], Reply]
    auth: bool = True  # needs authorization: Bearer <token>
    mutating: bool = False  # save the exchange afterwards
    order: bool = False  # goes to ctx.order_log; delay_order fault applies


APIS: dict[str, Api] = {
    "au10001": Api("/oauth2/token", au10001, auth=False, mutating=True),
    "au10002": Api("/oauth2/revoke", au10002, auth=False, mutating=True),
    "ka10001": Api("/api/dostk/stkinfo", ka10001),
    "ka10095": Api("/api/dostk/stkinfo", ka10095),
    "ka10100": Api("/api/dostk/stkinfo", ka10100),
    "ka10007": Api("/api/dostk/mrkcond", ka10007),
    "kt00001": Api("/api/dostk/acnt", kt00001),
    "kt00018": Api("/api/dostk/acnt", kt00018),
    "ka10075": Api("/api/dostk/acnt", ka10075),
    "ka10076": Api("/api/dostk/acnt", ka10076),
    "kt10000": Api("/api/dostk/ordr", kt10000, mutating=True, order=True),
    "kt10001": Api("/api/dostk/ordr", kt10001, mutating=True, order=True),
    "kt10002": Api("/api/dostk/ordr", kt10002, mutating=True, order=True),
    "kt10003": Api("/api/dostk/ordr", kt10003, mutating=True, order=True),
}
TOKEN_PATHS = {"/oauth2/token": "au10001", "/oauth2/revoke": "au10002"}
