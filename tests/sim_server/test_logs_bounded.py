"""The simulator's request and order logs keep only the latest entries (a hosted simulator lives all
day in `kiwoom run`'s process: benchmarks/memory_day.py)."""

from __future__ import annotations

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.sim import rest
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.wire import Api


def test_request_and_order_logs_stay_within_their_bounds():
    keep = 20
    config = SimConfig(rate_limit=None, static=True, seed=7, cash=10**12,
                       extra={"request_log_max": keep, "order_log_max": keep})
    with SimServer(config, clock=ManualClock()) as sim:
        api = Api(sim)
        api.login()
        nos = [api.buy("005930", 1) for _ in range(3 * keep)]
        requests, orders = sim.request_log, sim.order_log
    assert len(requests) <= keep and len(orders) <= keep
    assert orders[-1]["result"]["ord_no"] == nos[-1]  # the latest are the ones kept
    assert requests[-1]["api_id"] == "kt10000"


def test_default_bounds_are_set():
    # a day of a busy run sends ~5,000 requests of ~3 KB each: the defaults keep a few MB at most
    assert 0 < rest.REQUEST_LOG_MAX <= 1_000 and 0 < rest.ORDER_LOG_MAX <= 1_000
