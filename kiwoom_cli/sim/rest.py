"""The simulator's Kiwoom REST endpoints on aiohttp (docs/protocol.md).

POST only; the TR is chosen by the api-id header and must be served on its category path.
Every answer, errors included, is a Kiwoom-shaped JSON body written in one piece (aiohttp sends
headers and a small body together). Unexpected exceptions are kept in ctx.errors (tests re-raise
them) and answered with a 1999 body, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

from kiwoom_cli.sim.context import SimContext
from kiwoom_cli.sim.domain import SimError
from kiwoom_cli.sim.ratelimit import RateLimiter
from kiwoom_cli.sim.rest_errors import body_for, input_error, rate_limited, refusal, server_error
from kiwoom_cli.sim.rest_handlers import APIS, TOKEN_PATHS, Request

try:  # orjson is an optional speed-up (docs/decisions.md §9)
    import orjson

    def dumps(obj: object) -> bytes:
        return orjson.dumps(obj)

    loads = orjson.loads

except ImportError:  # pragma: no cover - exercised where orjson is absent

    def dumps(obj: object) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()

    loads = json.loads


log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json;charset=UTF-8"
LIMITER_KEY = web.AppKey("limiter", RateLimiter)
CTX_KEY = web.AppKey("sim_ctx", SimContext)
SECRET_FIELDS = ("appkey", "secretkey", "token")
# Entries kept in ctx.request_log / ctx.order_log (config.extra["request_log_max"] / ["order_log_max"]):
# an entry holds the request and answer bodies (~3 KB), and a simulator hosted by `kiwoom run` lives
# all day in the run's process, so only the latest are kept (benchmarks/memory_day.py).
REQUEST_LOG_MAX = 1_000
ORDER_LOG_MAX = 1_000


class _Answer(Exception):
    """Stop processing and answer with this status and body."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _redact(body: object) -> object:
    """Keep secrets out of the request log (secrets never reach logs)."""
    if isinstance(body, dict) and any(k in body for k in SECRET_FIELDS):
        return {k: ("***" if k in SECRET_FIELDS else v) for k, v in body.items()}
    return body


def json_response(status: int, body: dict, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, body=dumps(body), headers=headers,
                        content_type="application/json", charset="UTF-8")


class _Call:
    """What one REST call has learned so far; kept when a check stops it part-way."""

    __slots__ = ("api_id", "headers", "api", "armed", "parsed")

    def __init__(self, api_id: str) -> None:
        self.api_id = api_id
        self.headers = {"api-id": api_id, "cont-yn": "N", "next-key": ""}
        self.api = None
        self.armed = None
        self.parsed: object = None


async def kiwoom_endpoint(request: web.Request) -> web.Response:
    """Answer one REST call: checks, faults, rate limit, handler, logs, save."""
    ctx: SimContext = request.app[CTX_KEY]
    raw = await request.read()
    call = _Call(request.headers.get("api-id", ""))
    try:
        status, body = _serve(request, ctx, call, raw)
    except _Answer as answer:
        status, body = answer.status, answer.body
    except SimError as exc:
        status, body = body_for(exc)
    except Exception as exc:  # a bug in the simulator: keep it for the test, answer Kiwoom-style
        log.exception("simulator REST handler failed")
        ctx.errors.append(exc)
        status, body = server_error(type(exc).__name__)
    if call.armed is not None:
        status, body = _armed_reply(call.armed, call.api_id)
    await _record(ctx, request.path, call, raw, status, body)
    if isinstance(body, str):  # a bad_answer fault: exactly these bytes
        return web.Response(status=status, body=body.encode(), headers=call.headers,
                            content_type="application/json")
    return json_response(status, body, call.headers)


def _resolve(request: web.Request, call: _Call):
    """Find the TR of a call: POST, an api-id (implied on the token paths), served on this path."""
    path = request.path
    if request.method != "POST":
        # unverified: the broker's answer to other methods was never captured.
        raise _Answer(*server_error(f"{request.method} is not allowed; use POST", status=405))
    if path in TOKEN_PATHS:
        call.api_id = call.api_id or TOKEN_PATHS[path]
        call.headers["api-id"] = call.api_id
    if not call.api_id:
        raise input_error("1501")
    api = call.api = APIS.get(call.api_id)
    if api is None:
        raise input_error("1505", call.api_id)
    if api.path != path:
        raise input_error("1504", call.api_id, path)
    return api


def _serve(request: web.Request, ctx: SimContext, call: _Call, raw: bytes) -> tuple[int, dict]:
    """Run the checks and faults in order, then the handler; raise _Answer/SimError to stop."""
    api = _resolve(request, call)
    api_id = call.api_id
    token = _bearer(request) if api.auth else ""
    call.armed = ctx.faults.answer_for(api_id, api.auth)
    if call.armed is not None and not call.armed.effect:
        raise _Answer(0, {})  # answered by the caller, nothing done
    if ctx.faults.take("rate_limit") or not request.app[LIMITER_KEY].allow(api_id):
        raise _Answer(*rate_limited(api_id))
    if ctx.faults.take("rest_error"):
        raise _Answer(*server_error("injected fault rest_error"))
    parsed = call.parsed = _parse_body(raw)
    if api.auth:
        ctx.exchange.app_key_for_token(token)  # SimAuthError 8005 when invalid/expired
    rq = Request(ctx, api_id, parsed, token, request.headers.get("cont-yn", "") == "Y",
                 request.headers.get("next-key", ""), int(ctx.config.extra.get("page_size", 20)))
    try:
        reply = api.handler(rq)
    finally:
        if api.mutating:
            ctx.exchange.save()
    if reply.next_key:
        call.headers.update({"cont-yn": "Y", "next-key": reply.next_key})
    return 200, reply.body


async def _record(ctx: SimContext, path: str, call: _Call, raw: bytes, status: int,
                  body: dict | str) -> None:
    """Log the call (orders also in the order log, after an armed delay) with secrets redacted."""
    sent = call.parsed if call.parsed is not None else _as_sent(raw)
    if call.api is not None and call.api.order:
        _log_order(ctx, call.api_id, sent, body)
        if ctx.faults.take("delay_order"):
            await asyncio.sleep(ctx.faults.delay_order_s)
    _trim(ctx.request_log, int(ctx.config.extra.get("request_log_max", REQUEST_LOG_MAX)))
    ctx.request_log.append({
        "time": ctx.clock.now().timestamp(), "path": path, "api_id": call.api_id,
        "body": _redact(sent), "status": status,
        "result": _redact(body),
    })


def _armed_reply(armed, api_id: str) -> tuple[int, dict | str]:
    if armed.kind == "bad_answer":
        return armed.status, armed.body
    return refusal(armed.kind, armed.form, armed.code, api_id)


def _trim(entries: list, keep: int) -> None:
    """Bound a log of a long-running simulator to `keep` entries (drop the oldest tenth at a time)."""
    if len(entries) >= keep:
        del entries[: max(1, len(entries) - keep + keep // 10)]


def _bearer(request: web.Request) -> str:
    value = request.headers.get("authorization")
    if value is None or value.strip() == "":
        raise input_error("1513")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise input_error("1515")
    if not token.strip():
        raise input_error("1516")
    return token.strip()


def _parse_body(raw: bytes) -> dict:
    """The body must be a JSON object; anything else is a 1517 (unverified wording)."""
    if not raw.strip():
        return {}
    try:
        value = loads(raw)
    except (UnicodeDecodeError, ValueError):  # orjson.JSONDecodeError is a ValueError
        raise input_error("1517", "body", "JSON 형식이 아닙니다") from None
    if not isinstance(value, dict):
        raise input_error("1517", "body", "JSON 객체가 아닙니다")
    return value


def _as_sent(raw: bytes) -> object:
    """The body for the logs when the request never got as far as parsing it."""
    try:
        return loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return raw.decode("utf-8", "replace")


def _log_order(ctx: SimContext, api_id: str, body: object, result: dict) -> None:
    _trim(ctx.order_log, int(ctx.config.extra.get("order_log_max", ORDER_LOG_MAX)))
    ctx.order_log.append({"time": ctx.clock.now().timestamp(), "api_id": api_id,
                          "body": body, "result": result})


async def not_found(request: web.Request) -> web.Response:
    """Unknown paths get a Kiwoom-shaped body too (unverified: status and wording)."""
    status, body = server_error(f"no such path {request.path}", status=404)
    return json_response(status, body)


def add_routes(app: web.Application, ctx: SimContext) -> None:
    """Add the REST routes. Call after the WebSocket route and the /sim/ control routes."""
    app[CTX_KEY] = ctx
    app[LIMITER_KEY] = RateLimiter(ctx.config.rate_limit, ctx.clock)
    for path in sorted({api.path for api in APIS.values()}):
        app.router.add_route("*", path, kiwoom_endpoint)
    app.router.add_route("*", "/api/dostk/{category}", kiwoom_endpoint)
    app.router.add_route("*", "/{tail:.*}", not_found)
