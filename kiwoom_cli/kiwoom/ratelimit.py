"""Per-api-id token buckets mirroring the broker (about 1 request/s per api-id).

The broker's burst is not settled (1 or 2: sources conflict), so it is a setting (`rate_burst`,
default 1 = safe) and the limiter learns: see `penalize`.

One RateLimiter is shared by every RestClient of a process. `acquire` reserves the caller's slot
under a lock, then sleeps outside it, so callers leave in the order they asked (FIFO per api-id)
and nobody polls. It waits rather than fails.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from kiwoom_cli.clock import Clock, SystemClock


@dataclass
class _Bucket:
    rate: float
    burst: int
    tokens: float
    stamp: float


class RateLimiter:
    """Token bucket per api-id; `limits` overrides (rate/s, burst) for particular api-ids."""

    def __init__(
        self,
        rate: float = 1.0,
        burst: int = 1,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        limits: Mapping[str, tuple[float, int]] | None = None,
        margin: float = 0.02,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._default = (rate, burst)
        self._limits = dict(limits or {})
        self._clock = clock or SystemClock()
        self._sleep = sleep
        # Our clock and the server's drift apart by network jitter: wait a little longer than
        # the bucket says whenever we have to wait at all.
        self._margin = margin
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, api_id: str, now: float) -> _Bucket:
        bucket = self._buckets.get(api_id)
        if bucket is None:
            rate, burst = self._limits.get(api_id, self._default)
            bucket = self._buckets[api_id] = _Bucket(rate, burst, float(burst), now)
        return bucket

    def reserve(self, api_id: str) -> float:
        """Take the next slot for `api_id` and return how many seconds to wait for it (no sleeping)."""
        with self._lock:
            now = self._clock.monotonic()
            bucket = self._bucket(api_id, now)
            bucket.tokens = min(bucket.burst, bucket.tokens + (now - bucket.stamp) * bucket.rate)
            bucket.stamp = now
            bucket.tokens -= 1.0
            if bucket.tokens >= 0:
                return 0.0
            wait = -bucket.tokens / bucket.rate + self._margin
            if bucket.burst == 1:
                # at its slot the broker's bucket of one is full, so it keeps nothing of the margin we
                # waited: the next slot counts from when this call really leaves (with a larger burst
                # the bucket is not full at a slot and the margin carries over)
                bucket.tokens -= self._margin * bucket.rate
            return wait

    def acquire(self, api_id: str) -> float:
        """Block until `api_id` may be called; return the seconds waited."""
        wait = self.reserve(api_id)
        if wait > 0:
            self._sleep(wait)
        return wait

    def penalize(self, api_id: str) -> None:
        """The broker refused `api_id` for its rate (429 / 1700-1702): learn, so the burst is not repeated.

        Our choice: the bucket is emptied (the next call waits a whole slot) AND its burst drops to 1
        for the rest of the process, since a refusal within our budget means the broker's budget is
        smaller (or shared with another process). Only that api-id is touched, 1701/1702 included.
        """
        with self._lock:
            now = self._clock.monotonic()
            bucket = self._bucket(api_id, now)
            bucket.burst = 1
            # refilled to now first: a caller that waited for its slot left the bucket in debt at
            # the time it reserved, and that debt is paid by now (else the next slot is 1/rate late)
            refilled = min(bucket.burst, bucket.tokens + (now - bucket.stamp) * bucket.rate)
            bucket.tokens = min(refilled, 0.0)
            bucket.stamp = now

    def burst(self, api_id: str) -> int:
        """The burst `api_id` is allowed now (the configured one until the broker refused it)."""
        with self._lock:
            bucket = self._buckets.get(api_id)
            return bucket.burst if bucket is not None else self._limits.get(api_id, self._default)[1]
