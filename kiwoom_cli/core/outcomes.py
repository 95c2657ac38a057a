"""What an error raised while sending an order means for that order: the one map, used by the
manual path (core/orders.OrderService) and the order worker (core/workers.OrderWorker) alike.

Only an error known to have come before the order could take effect says "nothing was placed":
- a recognised refusal (RateLimited, TokenInvalid): refused at the gate, so it may be sent again
  -> OrderRefused. The REST client raises these for an order only when the refusal is complete
  (its number, no order number, not a 5xx: kiwoom/rest.RestClient._for_order);
- a rejection or refusal by the broker (BrokerRejected, AuthError), input refused before sending
  (BadInput), or no connection made at all (TemporaryError, CertificateFailed: the adapter turns a
  request that may have left into OutcomeUnknown) -> OrderFailed.
Everything else -> OrderUnknown, never resent: OutcomeUnknown, a malformed answer (ProtocolError),
a plain KiwoomError or ApiError, Ctrl-C, a bug. Settled later by a query (docs/decisions.md §7).
"""

from __future__ import annotations

from kiwoom_cli.core import events as ev
from kiwoom_cli.errors import (
    AuthError,
    BadInput,
    BrokerRejected,
    CertificateFailed,
    KiwoomError,
    RateLimited,
    TemporaryError,
    TokenInvalid,
)

Outcome = ev.OrderFailed | ev.OrderRefused | ev.OrderUnknown

# before any effect; checked after the refusals (RateLimited is a TemporaryError, TokenInvalid an AuthError)
_BEFORE_ANY_EFFECT = (BrokerRejected, AuthError, BadInput, TemporaryError, CertificateFailed)
INTERRUPTED = "interrupted while the order request was in flight: it may have reached the broker"


def outcome(intent_id: str, exc: BaseException) -> Outcome:
    """The outcome of the order `intent_id` whose send raised `exc`."""
    if isinstance(exc, (RateLimited, TokenInvalid)):
        kind = ev.REFUSED_RATE if isinstance(exc, RateLimited) else ev.REFUSED_TOKEN
        return ev.OrderRefused(intent_id, exc.message, exc.code, kind)
    if isinstance(exc, _BEFORE_ANY_EFFECT):
        return ev.OrderFailed(intent_id, exc.message, getattr(exc, "code", None))
    return ev.OrderUnknown(intent_id, reason(exc))


def reason(exc: BaseException) -> str:
    """What an unknown outcome's record says about the error behind it (never a secret)."""
    if isinstance(exc, KiwoomError):
        return exc.message
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    return f"internal error: {type(exc).__name__}"

