"""Kiwoom-shaped error bodies for the simulator's REST side (docs/protocol.md, Errors we act on).

The documented number travels inside return_msg: "<summary>[NNNN:<detail>]" or
"[2000](<code>:<detail>)"; return_code is only the class (2 input, 3 auth, 5 rate, 20 rejection).
"""

from __future__ import annotations

from kiwoom_cli.sim.domain import SimAuthError, SimError, SimInputError, SimRejection
from kiwoom_cli.sim.ratelimit import limit_message

# Official wording of the error table (docs/protocol.md, Errors we act on), with {} where the server fills in values.
MESSAGES = {
    "1501": "API ID가 Null이거나 값이 없습니다",
    "1504": "해당 URI에서는 지원하는 API ID가 아닙니다. API ID={}, URI={}",
    "1505": "해당 API ID는 존재하지 않습니다. API ID={}",
    "1511": "필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터={}",
    "1513": "Http Header에 authorization 필드가 설정되어 있어야 합니다",
    "1514": "입력으로 들어온 Http Header의 authorization 필드 형식이 맞지 않습니다",
    "1515": "Http Header의 authorization 필드 내 Grant Type이 미리 정의된 형식이 아닙니다",
    "1516": "Http Header의 authorization 필드 내 Token이 정의되어 있지 않습니다",
    "1517": "입력 값 형식이 올바르지 않습니다. 파라미터={} 실패사유={}",
    "1902": "종목 정보가 없습니다. 입력한 종목코드 값을 확인바랍니다",
    "1999": "예기치 못한 에러가 발생했습니다. 실패사유={}",
    "8005": "Token이 유효하지 않습니다",
    "8031": "투자구분(실전/모의)이 달라서 Token를 사용할수가 없습니다",
    "8103": "토큰 인증 또는 단말기인증에 실패했습니다. 실패사유={}",
    "1700": "허용된 API 요청 개수를 초과하였습니다. 유량={}, API ID={}",
    "1701": "허용된 전체 요청 개수를 초과하였습니다. 총유량={}",
    "1702": "허용된 그룹 요청 개수를 초과하였습니다. 총유량={}, API_ID={}",
    "8011": "입력파라미터로 grant_type이 들어오지 않았습니다",
    "8012": "grant_type이 올바르지 않습니다",
    "8016": "입력파라미터로 Token이 들어오지 않았습니다",
}

# The one measured rc 2 summary ("입력 값 오류입니다[1511:…]", 3P#71365194239 and others).
INPUT_SUMMARY = "입력 값 오류입니다"
AUTH_SUMMARY = "인증에 실패했습니다"
# unverified: no capture of a 1999 body; class 1 and this summary are our choice.
SERVER_SUMMARY = "예기치 못한 에러가 발생했습니다"

# HTTP statuses. rc 2/3/20 come with 200 (docs/protocol.md, Errors we act on; measured for 1511, 8001, 8005, RC4058).
# unverified: the status of 1501/1504/1505/1513/1515/1517 was never captured; we use 200 like 1511.
STATUS_INPUT = 200
STATUS_AUTH = 200
STATUS_REJECT = 200
STATUS_RATE = 429
STATUS_SERVER = 500  # unverified: a 1999 was never captured with its status


def input_error(code: str, *args: object) -> SimInputError:
    """Build an rc-2 input error with the official wording."""
    return SimInputError(code, MESSAGES[code].format(*args))


def auth_error(code: str) -> SimAuthError:
    return SimAuthError(code, MESSAGES[code])


def body_for(exc: SimError) -> tuple[int, dict]:
    """HTTP status and Kiwoom body for a simulator error."""
    if isinstance(exc, SimRejection):
        return STATUS_REJECT, {"return_code": 20, "return_msg": f"[2000]({exc.code}:{exc.message})"}
    if isinstance(exc, SimAuthError):
        return STATUS_AUTH, {"return_code": 3, "return_msg": f"{AUTH_SUMMARY}[{exc.code}:{exc.message}]"}
    return STATUS_INPUT, {"return_code": 2, "return_msg": f"{INPUT_SUMMARY}[{exc.code}:{exc.message}]"}


def rate_limited(api_id: str) -> tuple[int, dict]:
    return STATUS_RATE, {"return_code": 5, "return_msg": limit_message(api_id)}


def server_error(reason: str, status: int = STATUS_SERVER) -> tuple[int, dict]:
    """A 1999 body (unverified class 1); `reason` must never carry a traceback or secrets."""
    msg = MESSAGES["1999"].format(reason)
    return status, {"return_code": 1, "return_msg": f"{SERVER_SUMMARY}[1999:{msg}]"}


# Faults token_refused / rate_limited (POST /sim/fault): every form Kiwoom's spec and client know.
# unverified: which form the broker uses when; the 401 body is our guess (rc 3 with the bracket).
TOKEN_FORMS = ("http401", "rc3", "top")
RATE_FORMS = ("http429", "top")
TOKEN_CODES = ("8005", "8031", "8103")
RATE_CODES = ("1700", "1701", "1702")
RATE_SUMMARY = "허용된 요청 개수를 초과하였습니다"


def refusal(kind: str, form: str, code: str, api_id: str) -> tuple[int, dict]:
    """Status and body of a token refusal or a rate limit in the given form."""
    if kind == "token_refused":
        msg = MESSAGES[code].format("injected fault")
        if form == "top":
            return 200, {"return_code": int(code), "return_msg": msg}
        return (401 if form == "http401" else 200), {"return_code": 3, "return_msg": f"{AUTH_SUMMARY}[{code}:{msg}]"}
    msg = MESSAGES[code].format(1, api_id or "*") if code != "1701" else MESSAGES[code].format(1)
    if form == "top":
        return 200, {"return_code": int(code), "return_msg": msg}
    return STATUS_RATE, {"return_code": 5, "return_msg": f"{RATE_SUMMARY}[{code}:{msg}]"}
