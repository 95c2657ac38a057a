"""Run a parsed scenario (kiwoom_cli.sim.scenario) on the simulator's loop, on asyncio timers.

Step times are seconds from the server's start on the loop's clock (real time: a scenario
scripts what a client sees over the wire). A step that fails when it runs (e.g. a price outside
the day's limits by then) is kept in ctx.errors and the timeline carries on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from kiwoom_cli.sim.scenario import ConditionAction, FaultAction, PriceAction, Scenario

if TYPE_CHECKING:
    from kiwoom_cli.sim.server import SimServer

log = logging.getLogger(__name__)


async def run_scenario(server: SimServer, scenario: Scenario, started_at: float) -> None:
    """Run every step at started_at + step.at (loop time), in order; set server.scenario_done."""
    loop = asyncio.get_running_loop()
    ctx = server.ctx
    try:
        for step in scenario.steps:
            delay = started_at + step.at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await _run_action(server, step.action)
                server.scenario_steps_run += 1
            except Exception as exc:
                log.warning("scenario %s step %d failed: %s", scenario.source, step.number, exc)
                ctx.errors.append(exc)
    finally:
        server.scenario_done.set()


async def _run_action(server: SimServer, action) -> None:
    ctx = server.ctx
    if isinstance(action, PriceAction):
        ctx.exchange.set_price(action.code, action.price)
    elif isinstance(action, ConditionAction):
        ctx.exchange.push_condition(action.seq, action.code, action.event)
    elif isinstance(action, FaultAction):
        if action.delay_s is not None:
            ctx.faults.delay_order_s = action.delay_s
        await server.control.apply_fault(action.kind, action.count)
    else:  # pragma: no cover - the parser admits only the three kinds
        raise TypeError(f"unknown scenario action {action!r}")
