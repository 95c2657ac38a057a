"""Kiwoom's wire protocol, pure: request bodies, headers, WebSocket frames, envelope -> errors.

The parsers from wire dicts to kiwoom_cli.models live in parsers.py and are re-exported here,
so callers need only `from kiwoom_cli.kiwoom import protocol`.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from kiwoom_cli import inputs
from kiwoom_cli.errors import (
    ApiError,
    AuthError,
    BadInput,
    BrokerRejected,
    RateLimited,
    TemporaryError,
    TokenInvalid,
)
from kiwoom_cli.kiwoom.codec import ProtocolError  # noqa: F401  (re-exported)
from kiwoom_cli.kiwoom.endpoint import Credentials
from kiwoom_cli.kiwoom.parsers import *  # noqa: F401,F403  (the parsers are part of this module's API)

# --------------------------------------------------------------------------- REST: ids and paths

TOKEN, REVOKE = "au10001", "au10002"
BASIC_INFO, QUOTE, QUOTES = "ka10001", "ka10007", "ka10095"
CASH, BALANCE = "kt00001", "kt00018"
STOCK_INFO = "ka10100"  # 종목정보 조회: nxtEnable tells whether a stock trades on NXT
BUY, SELL, AMEND, CANCEL = "kt10000", "kt10001", "kt10002", "kt10003"
OPEN_ORDERS, FILLS = "ka10075", "ka10076"
ORDER_IDS = frozenset({BUY, SELL, AMEND, CANCEL})

PATHS = {
    TOKEN: "/oauth2/token",
    REVOKE: "/oauth2/revoke",
    BASIC_INFO: "/api/dostk/stkinfo",
    QUOTES: "/api/dostk/stkinfo",
    STOCK_INFO: "/api/dostk/stkinfo",
    QUOTE: "/api/dostk/mrkcond",
    CASH: "/api/dostk/acnt",
    BALANCE: "/api/dostk/acnt",
    OPEN_ORDERS: "/api/dostk/acnt",
    FILLS: "/api/dostk/acnt",
    BUY: "/api/dostk/ordr",
    SELL: "/api/dostk/ordr",
    AMEND: "/api/dostk/ordr",
    CANCEL: "/api/dostk/ordr",
}

CONTENT_TYPE = "application/json;charset=UTF-8"
MAX_CODES_PER_QUOTES = 100  # ka10095 upper bound per call: unverified (docs/protocol.md, Request bodies)
EXCHANGE = "KRX"  # the default venue; mock accepts nothing else (NXT/SOR orders get RC9000)
EXCHANGES = ("KRX", "NXT", "SOR")  # kt10000-kt10003 dmst_stex_tp
BALANCE_EXCHANGES = ("KRX", "NXT")  # kt00018 dmst_stex_tp: no "all venues" value, no SOR
ALL_VENUES = "0"  # ka10075/ka10076 stex_tp: 0 통합 (every venue), 1 KRX, 2 NXT


def rest_headers(api_id: str, token: str | None, next_key: str | None = None) -> dict[str, str]:
    """Build request headers; `next_key` (possibly "") marks a continuation page (docs/protocol.md, Headers and paging)."""
    headers = {"api-id": api_id, "content-type": CONTENT_TYPE}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if next_key is not None:
        headers["cont-yn"] = "Y"
        headers["next-key"] = next_key
    return headers


def continuation(headers: dict | None) -> str | None:
    """Return the next-key when the response headers say another page exists, else None."""
    if not headers:
        return None
    lower = {str(k).lower(): v for k, v in headers.items()}
    if str(lower.get("cont-yn", "")).strip().upper() != "Y":
        return None
    return str(lower.get("next-key", "")).strip()


# --------------------------------------------------------------------------- REST: bodies


def _check_code(code: str) -> str:
    return inputs.code(code)


def _check_qty(qty: int, *, allow_zero: bool = False) -> str:
    if not isinstance(qty, int):  # a body takes numbers from our own code, never text
        raise BadInput(f"quantity must be a whole number, got {qty!r}")
    return str(inputs.quantity(qty, allow_zero=allow_zero))


def _check_price(price: int) -> str:
    if not isinstance(price, int):
        raise BadInput(f"price must be a whole number of won, got {price!r}")
    return str(inputs.price(price))  # unsigned: a signed price is rejected with 1517 (docs/protocol.md, Request bodies)


def _check_exchange(exchange: str, allowed: tuple[str, ...] = EXCHANGES) -> str:
    if exchange not in allowed:
        raise BadInput(f"exchange must be one of {', '.join(allowed)}, got {exchange!r}")
    return exchange


def _check_order_no(order_no: str) -> str:
    """The spec's orig_ord_no is the 7-digit number an order answer gave: "139" is sent as "0000139"."""
    digits = inputs.order_no(order_no).lstrip("0") or "0"
    if len(digits) > 7:
        raise BadInput(f"not an order number (7 digits at most): {order_no!r}", hint="see `kiwoom orders`")
    return digits.zfill(7)


def token_body(credentials: Credentials) -> dict[str, str]:
    """Body of au10001 (issue a token)."""
    return {
        "grant_type": "client_credentials",
        "appkey": credentials.app_key,
        "secretkey": credentials.secret_key,
    }


def revoke_body(credentials: Credentials, token: str) -> dict[str, str]:
    """Body of au10002 (revoke a token)."""
    return {"appkey": credentials.app_key, "secretkey": credentials.secret_key, "token": token}


def quote_body(code: str) -> dict[str, str]:
    """Body of ka10007 / ka10001 (one stock; `code` may carry _NX/_AL)."""
    bare = code[:-3] if code.endswith(("_NX", "_AL")) else code
    _check_code(bare)
    return {"stk_cd": code}


def quotes_body(codes: Sequence[str]) -> dict[str, str]:
    """Body of ka10095: codes (each may carry _NX/_AL) joined by "|" (docs/protocol.md, Request bodies)."""
    if not codes:
        raise BadInput("no stock codes given")
    if len(codes) > MAX_CODES_PER_QUOTES:
        raise BadInput(f"at most {MAX_CODES_PER_QUOTES} codes per ka10095 request")
    for c in codes:
        _check_code(c[:-3] if c.endswith(("_NX", "_AL")) else c)
    return {"stk_cd": "|".join(codes)}


def stock_info_body(code: str) -> dict[str, str]:
    """Body of ka10100 (one stock, bare 6-digit code)."""
    return {"stk_cd": _check_code(code)}


def cash_body() -> dict[str, str]:
    """Body of kt00001 (qry_tp 3 = estimated)."""
    return {"qry_tp": "3"}


def balance_body(exchange: str = EXCHANGE) -> dict[str, str]:
    """Body of kt00018 (qry_tp 1 = summed per stock) for one venue, KRX or NXT."""
    return {"qry_tp": "1", "dmst_stex_tp": _check_exchange(exchange, BALANCE_EXCHANGES)}


def order_body(code: str, qty: int, price: int | None, exchange: str = EXCHANGE) -> dict[str, str]:
    """Body of kt10000 / kt10001: limit (trde_tp 0) or, with price None, market (trde_tp 3, ord_uv "")."""
    return {
        "dmst_stex_tp": _check_exchange(exchange),
        "stk_cd": _check_code(code),
        "ord_qty": _check_qty(qty),
        "ord_uv": "" if price is None else _check_price(price),
        "trde_tp": "3" if price is None else "0",
        "cond_uv": "",
    }


def amend_body(order_no: str, code: str, qty: int, price: int, exchange: str = EXCHANGE) -> dict[str, str]:
    """Body of kt10002 (qty 0 = all remaining: docs/protocol.md, Request bodies); `exchange`: where the order was placed."""
    return {
        "dmst_stex_tp": _check_exchange(exchange),
        "orig_ord_no": _check_order_no(order_no),
        "stk_cd": _check_code(code),
        "mdfy_qty": _check_qty(qty, allow_zero=True),
        "mdfy_uv": _check_price(price),
        "mdfy_cond_uv": "",
    }


def cancel_body(order_no: str, code: str, qty: int = 0, exchange: str = EXCHANGE) -> dict[str, str]:
    """Body of kt10003 (qty 0 = cancel all remaining); `exchange`: where the order was placed."""
    return {
        "dmst_stex_tp": _check_exchange(exchange),
        "orig_ord_no": _check_order_no(order_no),
        "stk_cd": _check_code(code),
        "cncl_qty": _check_qty(qty, allow_zero=True),
    }


def open_orders_body(code: str | None = None) -> dict[str, str]:
    """Body of ka10075 (all stocks, or one; both sides; stex_tp 0 = 통합)."""
    return {
        "all_stk_tp": "0" if code is None else "1",
        "trde_tp": "0",
        "stk_cd": "" if code is None else _check_code(code),
        "stex_tp": ALL_VENUES,
    }


def fills_body(code: str | None = None) -> dict[str, str]:
    """Body of ka10076 (all stocks, or one; both sides; no order-number cursor)."""
    return {
        "stk_cd": "" if code is None else _check_code(code),
        "qry_tp": "0" if code is None else "1",
        "sell_tp": "0",
        "ord_no": "",
        "stex_tp": ALL_VENUES,
    }


# --------------------------------------------------------------------------- envelope -> errors

# "…[1700:…]" and "[2000](RC4058:…)" (docs/protocol.md, Errors we act on); "(RC4057:…)" without the [2000] also seen;
# the WebSocket LOGIN failure says "[CODE=8005, MESSAGE=…]".
_BACK_OFFICE_RE = re.compile(r"\[\d+\]\s*\((\w+):")
_BARE_BACK_OFFICE_RE = re.compile(r"\s*\((\w+):")
_BRACKET_RE = re.compile(r"\[(\w+):")
_WS_CODE_RE = re.compile(r"\[CODE=(\w+)")


def error_number(message: str) -> str | None:
    """Return the documented error number inside a return_msg ("1700", "RC4058", "8005"), or None."""
    if not isinstance(message, str):
        return None
    for found in (
        _WS_CODE_RE.search(message),
        _BACK_OFFICE_RE.search(message),
        _BARE_BACK_OFFICE_RE.match(message),
        _BRACKET_RE.search(message),
    ):
        if found:
            return found.group(1)
    return None


def _return_code(body: dict) -> int | None:
    value = body.get("return_code")
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


# Kiwoom's documented error numbers, grouped by what the caller must do.
TOKEN_REFUSED = frozenset({"8005", "8031", "8103"})  # this token is no good: re-issue once, repeat
RATE_LIMITED = frozenset({"1700", "1701", "1702"})  # the gateway's per-api, total and group limits
NOT_AUTH = frozenset({"8104", "8200"})  # 8xxx request errors: TR not on mock, not for corporate accounts
SERVER_FAILED = "1999"  # "unexpected error": may come after an order took effect


def _numbers(rc: int | None, message: str) -> tuple[str | None, set[str]]:
    """The documented number(s) of an answer: the bracket's, and a top-level return_code >= 1000."""
    bracket = error_number(message)
    top = str(rc) if rc is not None and rc >= 1000 else None
    return bracket or top, {n for n in (bracket, top) if n is not None}


def error_for(body: object, http_status: int, api_id: str) -> ApiError | None:
    """Translate one REST answer into the error its caller must act on, or None for success.

    Classified by the documented number wherever it appears (top-level return_code or the bracket
    of return_msg), then by the HTTP status, then by the return_code class:
    8005/8031/8103 or HTTP 401 -> TokenInvalid; 1700-1702, HTTP 429 or rc 5 -> RateLimited;
    1999 or 5xx -> TemporaryError; no Kiwoom body (not a JSON object with a return_code), or
    return_code 0 at a status other than 200 -> ProtocolError; 8104/8200 -> BrokerRejected; other
    8xxx or rc 3 without a number -> AuthError; everything else (rc 3 with [1504] included) ->
    BrokerRejected. Only a refusal carrying its number is complete: `code` holds it, and
    rest.py's orders trust nothing less (see RestClient._for_order).
    """
    if not isinstance(body, dict):
        body, why = {}, ("an empty body" if body == "" else "not a JSON object")
    else:
        why = "no return_code"
    rc = _return_code(body)
    raw_msg = body.get("return_msg")
    message = raw_msg.strip() if isinstance(raw_msg, str) else ""
    if http_status == 200 and rc == 0:
        return None
    code, numbers = _numbers(rc, message)
    detail = f"{api_id}: {message or f'HTTP {http_status}'}"
    kwargs = dict(return_code=rc, code=code, api_id=api_id, http_status=http_status)
    cls = _retry_class(numbers, http_status)
    if cls is None and (rc is None or rc == 0):
        why = why if rc is None else "return_code 0"
        return ProtocolError(f"{api_id}: unexpected answer from the broker (HTTP {http_status}, {why})",
                             **kwargs)
    return (cls or _refusal_class(numbers, rc, code))(detail, **kwargs)


def _retry_class(numbers: set[str], http_status: int) -> type[ApiError] | None:
    """The error a caller may retry after (new token, wait, check), by number then HTTP status."""
    if numbers & TOKEN_REFUSED:
        return TokenInvalid
    if numbers & RATE_LIMITED:
        return RateLimited
    if http_status == 401:
        return TokenInvalid
    if http_status == 429:
        return RateLimited
    if SERVER_FAILED in numbers or http_status >= 500:
        return TemporaryError
    return None


def _refusal_class(numbers: set[str], rc: int, code: str | None) -> type[ApiError]:
    """The error of a well-formed refusal (nonzero return_code, none of _retry_class's cases)."""
    if numbers & NOT_AUTH:
        return BrokerRejected
    # the rest of the table's 8xxx (keys, issuance, terminal, IP) is authentication
    if any(len(n) == 4 and n.startswith("8") for n in numbers) or (rc == 3 and code is None):
        return AuthError
    if rc == 5:
        return RateLimited
    return BrokerRejected


def ws_error_for(frame: dict) -> ApiError | None:
    """Translate a WebSocket reply (LOGIN, REG, CNSR*) with a nonzero return_code into an error."""
    rc = _return_code(frame)
    if rc == 0:
        return None
    trnm = str(frame.get("trnm", "?"))
    raw_msg = frame.get("return_msg")
    message = raw_msg.strip() if isinstance(raw_msg, str) else ""
    number = error_number(message)
    detail = f"{trnm}: {message or f'return_code {rc}'}"
    kwargs = dict(return_code=rc, code=number or (str(rc) if rc is not None else None), api_id=trnm)
    if trnm == "LOGIN":
        if number == "8005":
            return TokenInvalid(detail, **kwargs)
        return AuthError(detail, **kwargs)
    if rc is None:
        return ProtocolError(f"{trnm}: reply has no return_code", **kwargs)
    return BrokerRejected(detail, **kwargs)


# --------------------------------------------------------------------------- WebSocket frames

REG_GROUP = "1"
ACCOUNT_TYPES = ("00", "04")
CONDITION_EXCHANGE = "K"  # KRX, the only documented stex_tp for CNSRREQ


def login_frame(token: str) -> dict[str, str]:
    """LOGIN carries the bare token, no "Bearer" (docs/protocol.md, WebSocket)."""
    return {"trnm": "LOGIN", "token": token}


def reg_frame(items: Iterable[str], types: Sequence[str], *, group: str = REG_GROUP) -> dict:
    """REG keeping earlier registrations (refresh "1"); every item x every type is registered."""
    return {
        "trnm": "REG",
        "grp_no": group,
        "refresh": "1",
        "data": [{"item": list(items), "type": list(types)}],
    }


def remove_frame(items: Iterable[str], types: Sequence[str], *, group: str = REG_GROUP) -> dict:
    """REMOVE the given item x type pairs."""
    return {"trnm": "REMOVE", "grp_no": group, "data": [{"item": list(items), "type": list(types)}]}


def account_reg_frame() -> dict:
    """REG the account types 00 + 04 with item [""] as in the official example (docs/protocol.md, WebSocket)."""
    return reg_frame([""], ACCOUNT_TYPES)


def cnsrlst_frame() -> dict[str, str]:
    """Ask for the saved condition list (ka10171)."""
    return {"trnm": "CNSRLST"}


def cnsrreq_frame(seq: str, search_type: str, next_key: str | None = None) -> dict[str, str]:
    """Run a condition once ("0", paged by body cont_yn/next_key) or subscribe to it ("1")."""
    frame = {"trnm": "CNSRREQ", "seq": seq, "search_type": search_type, "stex_tp": CONDITION_EXCHANGE}
    if search_type == "0":
        frame["cont_yn"] = "N" if next_key is None else "Y"
        frame["next_key"] = next_key or ""
    return frame


def cnsrclr_frame(seq: str) -> dict[str, str]:
    """Stop a condition's real-time pushes (ka10174)."""
    return {"trnm": "CNSRCLR", "seq": seq}
