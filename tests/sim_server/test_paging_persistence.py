"""Header paging (cont-yn / next-key), persistence across servers, the tick generator."""

from __future__ import annotations

import json
import os

from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.helpers import wait_until
from tests.kit.sim import instrument
from tests.kit.wire import Api

CODES = ["005930", "000660", "035420", "035720", "005380"]


def pages(api: Api, api_id: str, body: dict, key: str) -> list[list[dict]]:
    """Follow cont-yn/next-key response headers until cont-yn is N."""
    out, headers = [], {}
    for _ in range(20):
        r = api.call(api_id, body, headers=headers)
        data = r.json()
        assert r.status_code == 200 and data["return_code"] == 0, data
        assert r.headers["api-id"] == api_id
        out.append(data[key])
        if r.headers["cont-yn"] != "Y":
            assert r.headers["next-key"] == ""
            return out
        assert r.headers["next-key"]
        headers = {"cont-yn": "Y", "next-key": r.headers["next-key"]}
    raise AssertionError("paging never ended")


def paged_sim(clock, **kw):
    return SimServer(SimConfig(rate_limit=None, static=True, extra={"page_size": 2}, **kw), clock=clock)


def test_kt00018_pages(clock):
    with paged_sim(clock) as sim:
        api = Api(sim)
        api.login()
        for code in CODES:
            api.buy(code)
        got = pages(api, "kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"}, "acnt_evlt_remn_indv_tot")
        assert [len(p) for p in got] == [2, 2, 1]
        assert sorted(r["stk_cd"] for p in got for r in p) == sorted("A" + c for c in CODES)


def test_ka10075_and_ka10076_pages(clock):
    with paged_sim(clock) as sim:
        api = Api(sim)
        api.login()
        for code in CODES:
            api.buy(code, price=instrument(sim, code).lower_limit)  # rests
        got = pages(api, "ka10075", {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"}, "oso")
        assert [len(p) for p in got] == [2, 2, 1]
        assert len({r["ord_no"] for p in got for r in p}) == 5
        for code in CODES[:3]:
            api.buy(code)
        got = pages(api, "ka10076", {"stk_cd": "", "qry_tp": "0", "sell_tp": "0", "ord_no": "", "stex_tp": "0"},
                    "cntr")
        nos = [r["ord_no"] for p in got for r in p]
        assert [len(p) for p in got] == [2, 1] and nos == sorted(nos, reverse=True)


def test_bad_next_key_is_1517(clock):
    with paged_sim(clock) as sim:
        api = Api(sim)
        api.login()
        r = api.call("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"}, headers={"cont-yn": "Y", "next-key": "zz"})
        assert r.json()["return_code"] == 2 and "[1517:" in r.json()["return_msg"]


def test_state_persists_across_two_servers(clock, tmp_path):
    path = tmp_path / "paper.json"
    config = SimConfig(rate_limit=None, static=True, state_path=str(path))
    with SimServer(config, clock=clock) as sim:
        api = Api(sim)
        token = api.login()
        api.buy("005930", qty=4)
        moved = instrument(sim).base_price + 300
        sim.set_price("005930", moved)
    assert path.exists() and oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text())  # valid JSON
    with SimServer(SimConfig(rate_limit=None, static=True, state_path=str(path)), clock=clock) as sim2:
        api2 = Api(sim2)
        api2.token = token  # the token survives too (docs/decisions.md §4)
        [row] = api2.ok("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})["acnt_evlt_remn_indv_tot"]
        assert row["stk_cd"] == "A005930" and int(row["rmnd_qty"]) == 4
        assert int(row["cur_prc"]) == moved


def test_tick_generator_moves_prices(clock):
    with SimServer(SimConfig(rate_limit=None, static=False, tick_rate=200.0, seed=3), clock=clock) as sim:
        before = sum(i.volume for i in sim.call(lambda: sim.ctx.exchange.instruments()))
        wait_until(lambda: sum(i.volume for i in sim.call(lambda: sim.ctx.exchange.instruments())) > before,
                   timeout=5, message="ticks")


def test_static_market_has_no_tick_timer(sim):
    assert sim._tick_handle is None


def test_damaged_state_file_is_bad_input(clock, tmp_path):
    import pytest

    from kiwoom_cli.errors import BadInput

    path = tmp_path / "paper.json"
    path.write_text("{not json")
    with pytest.raises(BadInput, match="--reset"):
        SimServer(SimConfig(rate_limit=None, static=True, state_path=str(path)), clock=clock).start()
