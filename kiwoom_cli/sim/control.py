"""The simulator's control surface under /sim/ on the REST port (scripting scenarios in tests).

POST /sim/price {"code","price"}            a trade at that price (matches orders, moves conditions)
POST /sim/condition {"seq","code","event"}  force a condition entry "I" / exit "D"
POST /sim/fault {"kind","count"[,"delay_s"]} arm a fault (context.FAULT_KINDS); the answer kinds
     also take "api_id" and: token_refused "form","code"; rate_limited "form","code";
     bad_answer "status","body"[,"effect"] (see _armed)
POST /sim/frame {"text"} or {"base64"}       one raw text frame (any bytes) to every socket
GET  /sim/orders                             ctx.order_log, oldest first
POST /sim/reset                              fresh exchange state, same config
GET  /sim/health                             readiness
Bad input -> 400 {"error": "..."} naming the field. Plain JSON: this is our API, not Kiwoom's.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable

from aiohttp import web

from kiwoom_cli.sim.context import ANSWER_KINDS, FAULT_KINDS, ArmedAnswer, SimContext
from kiwoom_cli.sim.domain import SimError
from kiwoom_cli.sim.rest_errors import RATE_CODES, RATE_FORMS, TOKEN_CODES, TOKEN_FORMS
from kiwoom_cli.sim.rest_handlers import APIS

log = logging.getLogger(__name__)


class ControlError(Exception):
    """Bad control input (answered 400)."""


def _json(status: int, body: object) -> web.Response:
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False),
                        content_type="application/json")


async def _body(request: web.Request) -> dict:
    raw = await request.read()
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        raise ControlError("body: not JSON") from None
    if not isinstance(value, dict):
        raise ControlError("body: expected a JSON object")
    return value


def _field(body: dict, name: str, kind: type, check: Callable[[object], bool] | None = None,
           hint: str = "") -> object:
    if name not in body:
        raise ControlError(f"{name}: missing")
    value = body[name]
    if kind is int and isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, kind) or isinstance(value, bool) or (check and not check(value)):
        raise ControlError(f"{name}: expected {hint or kind.__name__}, got {value!r}")
    return value


def _choice(body: dict, name: str, values: tuple[str, ...]) -> str:
    if name not in body:
        raise ControlError(f"{name}: missing")
    value = body[name]
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text not in values:
        raise ControlError(f"{name}: expected one of {', '.join(values)}, got {value!r}")
    return text


def _armed(body: dict, kind: str, count: int) -> ArmedAnswer:
    """Validate an answer fault's fields: a token refusal, a rate limit or an exact bad answer."""
    api_id = body.get("api_id")
    if api_id is not None and api_id not in APIS and api_id != "LOGIN":  # LOGIN: the socket's (ws.py)
        raise ControlError(f"api_id: expected a known api-id such as ka10001, got {api_id!r}")
    if kind == "bad_answer":
        if api_id is None:
            raise ControlError("api_id: missing (bad_answer hits one api-id)")
        status = _field(body, "status", int, lambda v: 200 <= v <= 599, "an HTTP status 200-599")
        text = _field(body, "body", str, hint="a string (sent verbatim; may be empty)")
        effect = body.get("effect", False)
        if not isinstance(effect, bool):
            raise ControlError(f"effect: expected true or false, got {effect!r}")
        return ArmedAnswer(kind, api_id, count, status=status, body=text, effect=effect)
    forms, codes = (TOKEN_FORMS, TOKEN_CODES) if kind == "token_refused" else (RATE_FORMS, RATE_CODES)
    return ArmedAnswer(kind, api_id, count, form=_choice(body, "form", forms), code=_choice(body, "code", codes))


class Control:
    """Handlers bound to one SimContext. `reset` is given by the server (it owns construction)."""

    def __init__(self, ctx: SimContext, reset: Callable[[], None]) -> None:
        self.ctx = ctx
        self._reset = reset

    async def price(self, request: web.Request) -> web.Response:
        body = await _body(request)
        code = _field(body, "code", str)
        price = _field(body, "price", int, lambda p: p > 0, "a positive integer")
        trade = self.ctx.exchange.set_price(code, price)
        return _json(200, {"code": trade.code, "price": trade.price})

    async def condition(self, request: web.Request) -> web.Response:
        body = await _body(request)
        seq = _field(body, "seq", str)
        code = _field(body, "code", str)
        event = _field(body, "event", str, lambda e: e in ("I", "D"), '"I" or "D"')
        change = self.ctx.exchange.push_condition(seq, code, event)
        return _json(200, {"seq": change.seq, "code": change.code, "event": change.event})

    async def fault(self, request: web.Request) -> web.Response:
        body = await _body(request)
        kind = _field(body, "kind", str, lambda k: k in FAULT_KINDS, f"one of {', '.join(FAULT_KINDS)}")
        count = int(body.get("count", 1)) if str(body.get("count", 1)).isdigit() else None
        if count is None or count < 1:
            raise ControlError(f"count: expected a positive integer, got {body.get('count')!r}")
        if "delay_s" in body:
            delay = body["delay_s"]
            if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
                raise ControlError(f"delay_s: expected seconds >= 0, got {delay!r}")
            self.ctx.faults.delay_order_s = float(delay)
        if kind in ANSWER_KINDS:
            self.ctx.faults.answers.append(_armed(body, kind, count))
        else:
            await self.apply_fault(kind, count)
        return _json(200, {"kind": kind, "count": count, "pending": dict(self.ctx.faults.pending),
                           "answers": len(self.ctx.faults.answers)})

    async def apply_fault(self, kind: str, count: int) -> None:
        """Fire immediate faults now; arm the per-request ones for the next `count` requests."""
        if kind == "expire_token":
            self.ctx.exchange.expire_all_tokens()
        elif kind in ANSWER_KINDS:
            raise ControlError(f"{kind}: takes parameters; POST /sim/fault")
        elif kind == "drop_socket":
            if self.ctx.drop_sockets is not None:
                await self.ctx.drop_sockets()
        else:
            self.ctx.faults.arm(kind, count)

    async def frame(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "base64" in body:
            try:
                data = base64.b64decode(_field(body, "base64", str), validate=True)
            except binascii.Error:
                raise ControlError("base64: not base64") from None
        else:
            data = _field(body, "text", str, hint='a string (or give "base64")').encode("utf-8")
        sent = self.ctx.push_frame(data) if self.ctx.push_frame is not None else 0
        return _json(200, {"bytes": len(data), "sockets": sent})

    async def orders(self, request: web.Request) -> web.Response:
        return _json(200, list(self.ctx.order_log))

    async def reset(self, request: web.Request) -> web.Response:
        self._reset()
        return _json(200, {"reset": True})

    async def health(self, request: web.Request) -> web.Response:
        return _json(200, {"ok": True, "open": bool(self.ctx.exchange.is_open())})


def guarded(ctx: SimContext, handler):
    """Wrap a control handler: bad input -> 400 {"error"}; unexpected errors kept for the test.

    A wrapper rather than a middleware, so the Kiwoom REST hot path pays nothing for it.
    """

    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ControlError as exc:
            return _json(400, {"error": str(exc)})
        except SimError as exc:  # e.g. unknown code or off-grid price from the exchange
            return _json(400, {"error": f"{exc.code}: {exc.message}"})
        except Exception as exc:
            log.exception("simulator control handler failed")
            ctx.errors.append(exc)
            return _json(500, {"error": type(exc).__name__})

    return run


def add_routes(app: web.Application, control: Control) -> None:
    """Add /sim/ routes (before rest.add_routes, whose catch-all comes last)."""
    ctx = control.ctx
    app.router.add_post("/sim/price", guarded(ctx, control.price))
    app.router.add_post("/sim/condition", guarded(ctx, control.condition))
    app.router.add_post("/sim/fault", guarded(ctx, control.fault))
    app.router.add_post("/sim/frame", guarded(ctx, control.frame))
    app.router.add_get("/sim/orders", guarded(ctx, control.orders))
    app.router.add_post("/sim/reset", guarded(ctx, control.reset))
    app.router.add_get("/sim/health", guarded(ctx, control.health))
