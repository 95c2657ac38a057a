"""RateLimiter: per-api-id token bucket with injected clock and sleep (docs/decisions.md §8)."""

from __future__ import annotations

import threading

import pytest

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.kiwoom.ratelimit import RateLimiter


def make(rate=1.0, burst=2, **kw):
    clock = ManualClock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    return RateLimiter(rate, burst, clock=clock, sleep=sleep, margin=0.0, **kw), clock, slept


def test_burst_then_one_per_second():
    limiter, clock, slept = make()
    waits = [limiter.acquire("ka10001") for _ in range(5)]
    assert waits == [0.0, 0.0, pytest.approx(1.0), pytest.approx(1.0), pytest.approx(1.0)]
    assert slept == waits[2:]


def test_api_ids_are_independent():
    limiter, _, _ = make()
    assert [limiter.acquire(a) for a in ("kt10000", "kt10000", "kt10001", "kt10001", "ka10095")] == [0.0] * 5
    assert limiter.reserve("kt10000") == pytest.approx(1.0)


def test_bucket_refills_with_time_up_to_burst():
    limiter, clock, _ = make()
    limiter.acquire("x")
    limiter.acquire("x")
    clock.advance(0.5)
    assert limiter.reserve("x") == pytest.approx(0.5)
    clock.advance(100)
    assert [limiter.reserve("x") for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]


def test_reservations_queue_in_order_without_sleeping():
    """Callers that arrive together get increasing slots: FIFO, nobody polls."""
    limiter, _, _ = make(rate=2.0, burst=1)
    assert [limiter.reserve("x") for _ in range(4)] == [
        0.0,
        pytest.approx(0.5),
        pytest.approx(1.0),
        pytest.approx(1.5),
    ]


def test_margin_is_added_only_to_waits():
    limiter = RateLimiter(1.0, 1, clock=ManualClock(), sleep=lambda s: None, margin=0.05)
    assert limiter.reserve("x") == 0.0
    assert limiter.reserve("x") == pytest.approx(1.05)


def test_per_api_overrides():
    limiter, _, _ = make(limits={"au10001": (10.0, 1)})
    assert limiter.reserve("au10001") == 0.0
    assert limiter.reserve("au10001") == pytest.approx(0.1)


def test_penalize_empties_the_bucket():
    limiter, _, _ = make()
    limiter.penalize("ka10075")
    assert limiter.reserve("ka10075") == pytest.approx(1.0)


def test_thread_safe_every_slot_distinct():
    clock = ManualClock()
    limiter = RateLimiter(1.0, 2, clock=clock, sleep=lambda s: None, margin=0.0)
    waits: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker():
        start.wait()
        for _ in range(25):
            w = limiter.acquire("ka10001")
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 200 callers at one instant: two free slots, then one per second, none shared.
    assert sorted(round(w, 6) for w in waits) == [0.0, 0.0] + [float(i) for i in range(1, 199)]


def test_invalid_configuration():
    with pytest.raises(ValueError):
        RateLimiter(0, 2)
    with pytest.raises(ValueError):
        RateLimiter(1.0, 0)


def test_a_refusal_empties_the_bucket_and_drops_its_burst_to_one():
    limiter, clock, _ = make(burst=2)
    assert limiter.burst("kt10000") == 2
    limiter.penalize("kt10000")
    assert limiter.burst("kt10000") == 1 and limiter.burst("kt10001") == 2  # only the refused api-id
    clock.advance(10.0)  # long enough to refill any burst
    assert limiter.reserve("kt10000") == 0.0
    assert limiter.reserve("kt10000") == pytest.approx(1.0)  # burst 1 now: the refused pair is not repeated
    assert [limiter.reserve("kt10001") for _ in range(2)] == [0.0, 0.0]


def test_default_burst_is_the_safe_one():
    limiter = RateLimiter(clock=ManualClock(), margin=0.0)
    assert limiter.reserve("ka10001") == 0.0
    assert limiter.reserve("ka10001") == pytest.approx(1.0)


def test_a_refusal_after_a_wait_makes_the_next_slot_one_period_later_not_two():
    """The refused call waited for its slot (the bucket in debt when it reserved); the broker's refusal
    moves the next slot to one period after the refusal, the next free slot, not one period later still."""
    limiter, clock, _ = make(burst=1)
    assert limiter.acquire("kt10000") == 0.0
    assert limiter.acquire("kt10000") == pytest.approx(1.0)  # waited for its slot, then sent ...
    limiter.penalize("kt10000")  # ... and the broker refused it
    assert limiter.reserve("kt10000") == pytest.approx(1.0)


def test_each_wait_counts_from_the_previous_call_with_its_margin():
    """A broker bucket of burst 1 is full when our call arrives, so it keeps none of the margin we
    waited: every later call is spaced a whole period plus the margin from the one before it."""
    limiter = RateLimiter(1.0, 1, clock=ManualClock(), sleep=lambda s: None, margin=0.05)
    assert [limiter.reserve("x") for _ in range(3)] == [0.0, pytest.approx(1.05), pytest.approx(2.10)]


def test_with_a_burst_of_two_the_margin_is_not_carried_into_later_slots():
    limiter = RateLimiter(1.0, 2, clock=ManualClock(), sleep=lambda s: None, margin=0.05)
    assert [limiter.reserve("x") for _ in range(4)] == [0.0, 0.0, pytest.approx(1.05), pytest.approx(2.05)]
