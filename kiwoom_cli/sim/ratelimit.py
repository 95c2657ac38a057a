"""Per-api-id token buckets, as the broker limits (docs/protocol.md, Rate limits: ~1 req/s; burst 2 here).

Time comes from the injected clock's monotonic(), so tests advance a ManualClock instead of sleeping.
"""

from __future__ import annotations

from kiwoom_cli.clock import Clock


def limit_message(api_id: str) -> str:
    """The measured 1700 wording (fixtures/kiwoom/errors/rc5-1700-429-quota.json)."""
    return (
        "허용된 요청 개수를 초과하였습니다[1700:허용된 API 요청 개수를 초과하였습니다. "
        f"유량=1, API ID={api_id}]"
    )


class RateLimiter:
    """Token bucket per api-id: `rate` tokens/s refill, at most `burst` held. limit None = off."""

    def __init__(self, limit: tuple[float, int] | None, clock: Clock) -> None:
        if limit is not None:
            rate, burst = limit
            if rate <= 0 or burst < 1:
                raise ValueError(f"rate limit needs rate > 0 and burst >= 1, got {limit!r}")
        self.limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # api_id -> (tokens, at monotonic)

    def allow(self, api_id: str) -> bool:
        """Take one token for api_id; False when the bucket is empty (answer 429)."""
        if self.limit is None:
            return True
        rate, burst = self.limit
        now = self._clock.monotonic()
        tokens, at = self._buckets.get(api_id, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * rate)
        if tokens < 1.0:
            self._buckets[api_id] = (tokens, now)
            return False
        self._buckets[api_id] = (tokens - 1.0, now)
        return True

    def reset(self) -> None:
        """Forget every bucket (full again)."""
        self._buckets.clear()
