"""RestClient: Kiwoom's REST TRs over one urllib3 keep-alive pool (one client per thread, docs/decisions.md §2).

Errors come out as kiwoom_cli.errors types (which answer is which: protocol.error_for):
- A refused token (8005/8031/8103, top level or bracketed, or HTTP 401): queries re-issue it through
  the shared cache (TokenStore.get(refused=...)) and repeat once; a second refusal -> TokenInvalid.
- A rate limit (1700/1701/1702 anywhere, HTTP 429, rc 5): the limiter learns (RateLimiter.penalize);
  queries retry up to `retries` times with backoff.
- Connection refused / DNS / connect timeout -> TemporaryError (nothing was sent).
- Orders: only a complete, recognised refusal or rejection comes out as itself (_for_order); every
  other answer, and a read timeout or dropped connection, is OutcomeUnknown, never resent.
- Queries: a malformed answer is a ProtocolError (or TemporaryError for 5xx), never an empty result.
- A server certificate that fails verification -> CertificateFailed (exit 4, nothing was sent:
  the handshake comes before any byte of the request; kiwoom/tls.py), never retried.
Nothing here logs or raises secrets: messages carry the api-id and the broker's return_msg only.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

from kiwoom_cli.clock import Clock, SystemClock
from kiwoom_cli.errors import (
    ApiError,
    AuthError,
    BrokerRejected,
    KiwoomError,
    OutcomeUnknown,
    RateLimited,
    TemporaryError,
    TokenInvalid,
)
from kiwoom_cli.kiwoom import codec, protocol, tls, venues
from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.ratelimit import RateLimiter
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.kiwoom.transport import CERTIFICATE, SendError, Transport
from kiwoom_cli.models import Balance, Cash, FillRow, OpenOrder, OrderAck, Quote

log = logging.getLogger(__name__)

MAX_PAGES = 50  # CLI's cap (docs/protocol.md, Headers and paging); more means something is wrong, not a longer list


class RestClient:
    """Kiwoom REST TRs with token caching, rate limiting, paging and error translation."""

    def __init__(
        self,
        endpoint: Endpoint,
        credentials: Credentials,
        *,
        tokens: TokenStore,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        proxy: str | None = None,
        exchange: str = protocol.EXCHANGE,
    ) -> None:
        self.endpoint = endpoint
        self.exchange = exchange  # dmst_stex_tp of new orders (amend/cancel may name their own)
        self._credentials = credentials
        self._tokens = tokens
        self._clock = clock or SystemClock()
        self._limiter = limiter
        self._timeout = timeout
        self._retries = retries
        self._sleep = sleep
        self._refused: str | None = None  # a token the broker refused an order (see _call)
        # urllib3, not requests: ~0.5 ms less per order (transport.py). Its pool is thread-safe, so
        # token() may be called from a socket's reader thread. The environment's proxy settings are
        # ignored; an explicit proxy from our config is honoured.
        self._transport = Transport(timeout, proxy, lambda: tls.for_endpoint(self.endpoint))

    def __repr__(self) -> str:
        return f"RestClient(mode={self.endpoint.mode!r}, rest_url={self.endpoint.rest_url!r})"

    # ------------------------------------------------------------------ auth

    def token(self, force: bool = False, refused: str | None = None) -> str:
        """Return a valid access token: cached, or issued (au10001) when missing or near expiry.

        `force` replaces the current token (the broker refused it); `refused` names the refused
        token (never returned again). Safe from any thread, so `client.token` can be a
        SocketClient's token_provider.
        """
        mode, key = self.endpoint.mode, self._credentials.app_key
        if refused is None and force:
            refused = self._tokens.cached(mode, key)
        return self._tokens.get(mode, key, self._issue, refused=refused)

    def _issue(self):
        attempt = 0
        while True:
            try:
                body, _ = self._post(
                    protocol.TOKEN, protocol.token_body(self._credentials), None, order=False
                )
                return protocol.parse_token(body)
            except TemporaryError as exc:  # issuance is rate-limited too (docs/protocol.md, Rate limits)
                attempt = self._backoff(protocol.TOKEN, exc, attempt)

    def revoke(self) -> None:
        """Revoke the cached token (au10002), if there is one, and forget it."""
        token = self._tokens.cached(self.endpoint.mode, self._credentials.app_key)
        if token is not None:
            body = protocol.revoke_body(self._credentials, token)
            self._post(protocol.REVOKE, body, None, order=False)
        self._tokens.discard(self.endpoint.mode, self._credentials.app_key)

    # ------------------------------------------------------------------ queries

    def quote(self, code: str) -> Quote:
        """Return one stock's price and daily limits (ka10007) on `exchange` (venues.price_code)."""
        body = protocol.quote_body(venues.price_code(code, self.exchange))
        return self._call(protocol.QUOTE, body, parse=protocol.parse_quote)[0]

    def quotes(self, codes: Sequence[str]) -> list[Quote]:
        """Return quotes for several codes on `exchange`, one ka10095 request per 100 codes; unknown
        codes are left out."""
        codes = list(dict.fromkeys(codes))
        result: list[Quote] = []
        step = protocol.MAX_CODES_PER_QUOTES
        for start in range(0, len(codes), step):
            batch = [venues.price_code(c, self.exchange) for c in codes[start : start + step]]
            body = protocol.quotes_body(batch)
            result.extend(self._call(protocol.QUOTES, body, parse=protocol.parse_quotes)[0])
        return result

    def cash(self) -> Cash:
        """Return deposit and orderable cash (kt00001 qry_tp 3)."""
        return self._call(protocol.CASH, protocol.cash_body(), parse=protocol.parse_cash)[0]

    def stock_info(self, code: str) -> bool:
        """Tell whether a stock trades on NXT (ka10100 nxtEnable)."""
        return self._call(protocol.STOCK_INFO, protocol.stock_info_body(code), parse=protocol.parse_stock_info)[0]

    def balance(self) -> Balance:
        """Return the account totals and every holding (kt00018, all pages, every venue in use).

        kt00018 has no "all venues" value: with exchange NXT or SOR both KRX and NXT are asked and
        merged by stock code (see venues.merge_balances)."""
        if self.exchange == "KRX":
            return self._balance("KRX")
        from kiwoom_cli.kiwoom.venues import merge_balances

        first = "NXT" if self.exchange == "NXT" else "KRX"
        other = "KRX" if first == "NXT" else "NXT"
        return merge_balances(self._balance(first), self._balance(other), (first, other))

    def _balance(self, exchange: str) -> Balance:
        totals, holdings = None, []
        pages = self._pages(protocol.BALANCE, protocol.balance_body(exchange), protocol.parse_balance_page)
        for page_totals, rows in pages:
            totals = totals or page_totals  # summary fields repeat on every page (unverified)
            holdings.extend(rows)
        return Balance(totals=totals, holdings=tuple(holdings))

    def open_orders(self, code: str | None = None) -> list[OpenOrder]:
        """Return orders with quantity still open on every venue (ka10075 stex_tp 0, all pages)."""
        body = protocol.open_orders_body(code)
        return [
            o for page in self._pages(protocol.OPEN_ORDERS, body, protocol.parse_open_orders) for o in page
        ]

    def fills(self, code: str | None = None) -> list[FillRow]:
        """Return today's fills on every venue (ka10076 stex_tp 0, all pages)."""
        body = protocol.fills_body(code)
        return [f for page in self._pages(protocol.FILLS, body, protocol.parse_fills) for f in page]

    # ------------------------------------------------------------------ orders

    def buy(self, code: str, qty: int, price: int | None) -> OrderAck:
        """Place a buy (kt10000); price None = market order."""
        return self._order(protocol.BUY, protocol.order_body(code, qty, price, self.exchange))

    def sell(self, code: str, qty: int, price: int | None) -> OrderAck:
        """Place a sell (kt10001); price None = market order."""
        return self._order(protocol.SELL, protocol.order_body(code, qty, price, self.exchange))

    def amend(self, order_no: str, code: str, qty: int, price: int) -> OrderAck:
        """Modify an open order's price (kt10002); the answer carries a new order number."""
        return self._order(protocol.AMEND, protocol.amend_body(order_no, code, qty, price, self.exchange))

    def cancel(self, order_no: str, code: str, qty: int = 0) -> OrderAck:
        """Cancel an open order (kt10003); qty 0 = everything still open."""
        return self._order(protocol.CANCEL, protocol.cancel_body(order_no, code, qty, self.exchange))

    def _order(self, api_id: str, body: dict) -> OrderAck:
        answer, _ = self._call(api_id, body)
        return self._ack(api_id, answer)

    @staticmethod
    def _ack(api_id: str, answer: dict) -> OrderAck:
        try:
            return protocol.parse_order_ack(answer, api_id)
        except codec.ProtocolError:
            raise OutcomeUnknown(f"{api_id}: accepted without an order number; check open orders") from None

    def token_now(self) -> str | None:
        """The cached access token if it is still valid; None rather than issue one (no waiting)."""
        return self._tokens.cached(self.endpoint.mode, self._credentials.app_key)

    def close(self) -> None:
        """Close the HTTP connections (the cached token stays valid for other clients)."""
        self._transport.close()

    def __enter__(self) -> "RestClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ transport

    def _pages(self, api_id: str, body: dict, parse):
        next_key: str | None = None
        for _ in range(MAX_PAGES):
            answer, headers = self._call(api_id, body, next_key, parse=parse)
            yield answer
            next_key = protocol.continuation(headers)
            if next_key is None:
                return
        raise codec.ProtocolError(
            f"{api_id}: more than {MAX_PAGES} pages; refusing a partial list", api_id=api_id
        )

    def _call(self, api_id: str, body: dict, next_key: str | None = None, parse=None) -> tuple:
        """Send one TR with a token; re-issue once on a refused token; retry rate-limited/temporary queries.

        An order is sent exactly once: a recognised refusal (RateLimited, TokenInvalid) is raised for
        the order service to resend (core/orders.py). A refused token is remembered, so the next
        call carries a fresh one.
        parse: a query's body parser, run inside the retry loop: a malformed answer (ProtocolError,
        named by its api-id) is asked again with the same backoff, then raised (exit 4).
        """
        order = api_id in protocol.ORDER_IDS
        refused, self._refused = self._refused, None
        attempt = 0
        while True:
            token = self._tokens.get(
                self.endpoint.mode, self._credentials.app_key, self._issue, refused=refused
            )
            try:
                answer, headers = self._post(api_id, body, token, order=order, next_key=next_key)
                return (parse(answer) if parse is not None else answer), headers
            except codec.ProtocolError as exc:
                if order:
                    raise
                if exc.api_id is None:  # a field decoder's error: say which answer it was in
                    exc = codec.ProtocolError(f"{api_id}: {exc.detail}", api_id=api_id)
                attempt = self._backoff(api_id, exc, attempt)
            except TokenInvalid:
                if order:
                    self._refused = token  # nothing placed: the caller may resend, with a new token
                    raise
                if refused is not None:
                    raise
                refused = token  # refused before any effect: resending a query is safe
                log.info("%s: token refused, issuing a new one", api_id)
            except TemporaryError as exc:  # RateLimited included (the limiter has learnt: _answer)
                if order:
                    raise  # nothing placed on a rate limit: the caller resends at the next slot
                attempt = self._backoff(api_id, exc, attempt)

    def _backoff(self, api_id: str, exc: TemporaryError, attempt: int) -> int:
        """Sleep before retry number attempt+1, or re-raise `exc` when retries are used up.

        A rate limit has already taught the limiter (see _answer), so its next slot is later too.
        """
        if attempt >= self._retries:
            raise exc
        attempt += 1
        delay = 0.5 * 2 ** (attempt - 1)
        log.info("%s: %s; retry %d in %.1fs", api_id, type(exc).__name__, attempt, delay)
        self._sleep(delay)
        return attempt

    def _post(
        self, api_id: str, body: dict, token: str | None, *, order: bool, next_key: str | None = None
    ) -> tuple[dict, dict]:
        if self._limiter is not None:
            self._limiter.acquire(api_id)
        headers = protocol.rest_headers(api_id, token, next_key)
        started = time.perf_counter()
        try:
            status, content, answer_headers = self._transport.post(
                self.endpoint.rest_url, protocol.PATHS[api_id], codec.dumps(body), headers
            )
        except SendError as exc:
            raise self._transport_error(api_id, exc, order) from None
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s -> HTTP %s in %.1f ms", api_id, status, (time.perf_counter() - started) * 1000)
        return self._answer(api_id, status, content, token, order=order), answer_headers

    def _answer(self, api_id: str, status: int, content: bytes, token: str | None, *, order: bool) -> dict:
        """Decode an answer; raise the error it carries (scrubbed of secrets)."""
        try:
            answer = codec.loads(content) if content.strip() else ""
        except ValueError:
            answer = None
        error = protocol.error_for(answer, status, api_id)
        if error is not None:
            if isinstance(error, RateLimited) and self._limiter is not None:
                self._limiter.penalize(api_id)  # every refusal, orders' included: never repeat the burst
            raise self._scrub(self._for_order(error, answer) if order else error, token)
        return answer

    @staticmethod
    def _for_order(error: ApiError, answer: object) -> KiwoomError:
        """Only a complete, recognised refusal says the order was not placed; anything else may have been.

        A refusal that contradicts itself is not complete: one at a 5xx status (the gateway's answer
        came from a server that failed), or one carrying an order number (the order has one: placed).

        Kept: TokenInvalid carrying 8005/8031/8103, RateLimited carrying 1700/1701/1702 (refused at the
        gateway, so a resend is safe), AuthError and BrokerRejected (a Kiwoom body with a nonzero
        return_code: refused). Everything else is OutcomeUnknown: a bare 401 or 429 (no number: maybe
        a middlebox), rc 5 without a number, 5xx or 1999, an empty, 204 or non-JSON body, JSON that is
        not an object or has no return_code; rc 0 without `ord_no` is caught by _ack.
        """
        if isinstance(error, TokenInvalid):
            recognised = error.code in protocol.TOKEN_REFUSED
        elif isinstance(error, RateLimited):
            recognised = error.code in protocol.RATE_LIMITED
        else:
            recognised = isinstance(error, (AuthError, BrokerRejected))
        number = answer.get("ord_no") if isinstance(answer, dict) else None
        numbered = number is not None and not (isinstance(number, str) and set(number.strip()) <= {"0"})
        if recognised and not numbered and (error.http_status or 0) < 500:
            return error
        return OutcomeUnknown(f"{error.message}; the order may have been placed: check open orders")

    def _transport_error(self, api_id: str, exc: SendError, order: bool) -> KiwoomError:
        kind, where = exc.kind, self.endpoint.rest_url  # a class name: never a URL, header or secret
        if kind == CERTIFICATE and exc.verify is not None:  # refused in the handshake: nothing sent
            return tls.failed(where, exc.verify, api_id)
        if exc.nothing_sent:
            return TemporaryError(f"{api_id}: cannot connect to {where} ({kind})", api_id=api_id)
        if order:
            return OutcomeUnknown(
                f"{api_id}: no answer from {where} ({kind}); the order may have been placed: check open orders"
            )
        return TemporaryError(f"{api_id}: no answer from {where} ({kind})", api_id=api_id)

    def _scrub(self, error: KiwoomError, token: str | None) -> KiwoomError:
        """Blank any secret a server might have echoed into a message (defence in depth)."""
        secrets = [s for s in (token, self._credentials.app_key, self._credentials.secret_key) if s]
        text = error.message
        for secret in secrets:
            text = text.replace(secret, "<redacted>")
        if text != error.message:
            error.message = text
            error.args = (text,)
        return error
