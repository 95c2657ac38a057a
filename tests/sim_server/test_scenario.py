"""Scenario timelines run on the server's asyncio timers."""

from __future__ import annotations

from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.scenario import parse_scenario
from kiwoom_cli.sim.server import SimServer
from tests.kit.wire import Api


def test_scenario_steps_run_in_order(clock, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'seed = 11\nstatic = true\n'
        '[[step]]\nat = 0\nprice = { code = "005930", price = 98000 }\n'
        '[[step]]\nat = 0.05\ncondition = { seq = "0", code = "000660", event = "I" }\n'
        '[[step]]\nat = 0.1\nfault = { kind = "rate_limit", count = 1 }\n',
        encoding="utf-8",
    )
    config = SimConfig(rate_limit=None)
    with SimServer(config, clock=clock, scenario=path) as sim:
        assert sim.config.seed == 11 and sim.config.static is True and config.seed is None
        assert sim.scenario_done.wait(5)
        assert sim.scenario_steps_run == 3
        assert sim.call(lambda: sim.ctx.exchange.instrument("005930").price) == 98000
        assert "000660" in sim.call(lambda: sim.ctx.exchange.condition_matches("0"))
        api = Api(sim)
        r = api.http.post(sim.rest_url + "/oauth2/token",
                          json={"grant_type": "client_credentials", "appkey": "k", "secretkey": "s"})
        assert r.status_code == 429  # the armed fault hits the next REST call


def test_failing_step_is_reported_and_timeline_continues(clock):
    # 5000 is on the grid but far outside 005930's daily limits: fails when it runs
    scenario = parse_scenario('[[step]]\nat = 0\nprice = { code = "005930", price = 5000 }\n'
                              '[[step]]\nat = 0\nprice = { code = "000660", price = 571000 }\n')
    sim = SimServer(SimConfig(rate_limit=None, static=True), clock=clock, scenario=scenario)
    try:
        with sim:
            assert sim.scenario_done.wait(5)
            assert sim.scenario_steps_run == 1
    except Exception as exc:
        assert "1517" in str(exc)
    else:
        raise AssertionError("the failed step should be re-raised on exit")
