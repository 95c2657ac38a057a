"""WebSocket replies and REAL entries against the spec: the simulator's, and the fields we read."""

from __future__ import annotations

import pytest
import requests

from kiwoom_cli import market
from kiwoom_cli.kiwoom import protocol
from kiwoom_cli.kiwoom.codec import ProtocolError
from tests.conformance import spec_tables as spec
from tests.conformance.checks import answer_problems, fields_read, request_problems, unknown_reads
from tests.kit.helpers import fixture
from tests.kit.sim import APP_KEY, SECRET, instrument
from tests.kit.wire import WsClient, make_server

ENTRY_PARSERS = {
    "0B": protocol.parse_tick,
    "00": protocol.parse_order_event,
    "04": protocol.parse_balance_event,
    "02": protocol.parse_condition_event,
}
REPLY_PARSERS = {
    "CNSRLST": protocol.parse_conditions,
    "CNSRREQ/0": protocol.parse_search_page,
    "CNSRREQ/1": protocol.parse_subscribe_codes,
}
ENVELOPE_READS = frozenset({"trnm", "return_code", "return_msg"})  # protocol.ws_error_for


def entry_table(kind: str) -> dict:
    return {"type": spec.Answer(2), "name": spec.Answer(None), "item": spec.Answer(100),
            "values": spec.REAL_VALUES[kind]}


def entry_problems(entry: dict) -> list[str]:
    kind = entry.get("type")
    if kind not in spec.REAL_VALUES or set(entry) != spec.REAL_ENTRY:
        return [f"REAL entry {kind!r} with keys {sorted(entry)}"]
    problems = answer_problems(f"REAL {kind}", {k: v for k, v in entry.items() if k != "values"},
                               entry_table(kind))
    return problems + answer_problems(f"REAL {kind}.values", entry["values"], spec.REAL_VALUES[kind])


def reads_of_entry(entry: dict) -> list[str]:
    kind = entry["type"]
    read = fields_read(ENTRY_PARSERS[kind], entry) | fields_read(ENTRY_PARSERS[kind], {}, ProtocolError)
    return unknown_reads(read, entry_table(kind))


def as_rows(reply: dict) -> dict:
    """CNSRLST rows come as [seq, name] pairs (the spec's example) for the listed fields seq, name."""
    names = list(spec.REPLIES["CNSRLST"]["data"])
    return {**reply, "data": [dict(zip(names, row)) if isinstance(row, list) else row for row in reply["data"]]}


def reads_of_reply(name: str, reply: dict) -> list[str]:
    read = fields_read(REPLY_PARSERS[name], reply) | fields_read(protocol.ws_error_for, reply)
    return unknown_reads(read, spec.REPLIES[name])


@pytest.fixture
def sim(clock):  # noqa: F811
    """The sim_ws simulator, pinging often enough for one PING to arrive within a test."""
    with make_server(clock, ping_interval_s=0.2) as server:
        yield server


@pytest.fixture
def ws(clients, token):  # noqa: F811
    c = clients()
    reply = c.login(token)
    assert reply["return_code"] == 0
    assert answer_problems("LOGIN", reply, spec.REPLIES["LOGIN"]) == []  # unverified table
    return c


# --------------------------------------------------------------------------- our parsers, official examples


@pytest.mark.parametrize("kind,name", [("0B", "real-0B.json"), ("00", "real-00.json"), ("04", "real-04.json"),
                                       ("02", "real-02.json")])
def test_entry_parsers_read_only_spec_fids(kind, name):
    entry = fixture(f"ws/{name}")["body"]["data"][0]
    assert entry["type"] == kind and reads_of_entry(entry) == []


def test_the_router_keys_on_the_condition_push_fids():
    """parse_real_entry sends an entry with 841 and 843 to the condition parser: 02's FIDs."""
    assert {"841", "843"} <= set(spec.REAL_VALUES["02"])
    for kind in ("0B", "00", "04"):
        assert not {"841", "843"} & set(spec.REAL_VALUES[kind])


@pytest.mark.parametrize("name,path", [
    ("CNSRLST", "cnsrlst.json"), ("CNSRREQ/0", "cnsrreq-0.json"),
    ("CNSRREQ/1", "cnsrreq-1.json")])
def test_reply_parsers_read_only_spec_fields(name, path):
    assert reads_of_reply(name, fixture(f"ws/{path}")["body"]) == []


def test_fid_12_reads_the_official_row_as_minus_0_13_percent():
    row = {"9001": "A005930", "302": "x", "13": "010386116", **spec.OFFICIAL_CNSRREQ_ROW}
    matches, _ = protocol.parse_search_page({"trnm": "CNSRREQ", "return_code": 0, "data": [row]})
    assert (matches[0].price, matches[0].change, matches[0].change_pct) == (75000, -100, -0.13)


# --------------------------------------------------------------------------- the simulator's answers


def test_simulator_control_replies_are_in_the_spec(sim, ws):
    for frame, name in ((protocol.account_reg_frame(), "REG"), (protocol.remove_frame([""], ["04"]), "REMOVE"),
                        (protocol.cnsrlst_frame(), "CNSRLST"), (protocol.cnsrclr_frame("1"), "CNSRCLR")):
        ws.send(frame)
        reply = ws.reply(frame["trnm"])
        assert reply["return_code"] == 0, reply
        assert answer_problems(name, as_rows(reply) if name == "CNSRLST" else reply, spec.REPLIES[name]) == []
        if name in REPLY_PARSERS:
            assert reads_of_reply(name, reply) == []


def test_simulator_ping_is_the_captured_shape(sim, ws):
    ping = ws.reply("PING")
    assert answer_problems("PING", ping, spec.REPLIES["PING"]) == []


def test_simulator_condition_search_replies_are_in_the_spec(sim, ws):
    inst = instrument(sim)
    sim.set_price(inst.code, market.add_ticks(inst.price, -3))
    sim.push_condition("1", inst.code, "I")
    for name, frame in (("CNSRREQ/0", protocol.cnsrreq_frame("1", "0")), ("CNSRREQ/1", protocol.cnsrreq_frame("1", "1"))):
        ws.send(frame)
        reply = ws.reply("CNSRREQ")
        assert reply["return_code"] == 0 and reply["data"], reply
        assert answer_problems(name, reply, spec.REPLIES[name]) == []
        assert reads_of_reply(name, reply) == []
    sim.push_condition("1", inst.code, "D")
    entry = ws.real()["data"][0]
    assert entry_problems(entry) == [] and reads_of_entry(entry) == []


def test_simulator_fid_12_is_the_rate_times_1000(sim, ws):
    inst = instrument(sim)
    sim.set_price(inst.code, market.add_ticks(inst.base_price, -3))
    sim.push_condition("1", inst.code, "I")
    ws.send(protocol.cnsrreq_frame("1", "0"))
    row = next(r for r in ws.reply("CNSRREQ")["data"] if r["9001"].endswith(inst.code))
    price, change = int(row["10"]), int(row["11"])
    rate = change / (price - change) * 100
    assert change and abs(int(row["12"]) / spec.CNSRREQ_RATE_SCALE - rate) < 0.006


def test_simulator_real_entries_are_in_the_spec(sim, ws, token):  # noqa: F811
    for frame in (protocol.account_reg_frame(), protocol.reg_frame(["005930"], ["0B"], group="2")):
        ws.send(frame)
        assert ws.reply("REG")["return_code"] == 0
    sim.set_price("005930", market.add_ticks(instrument(sim).price, -2))
    http = requests.Session()
    http.trust_env = False
    r = http.post(sim.rest_url + spec.PATHS["kt10000"], json=protocol.order_body("005930", 1, None),
                  headers=protocol.rest_headers("kt10000", token))
    assert r.json()["return_code"] == 0, r.text
    seen: dict[str, list[dict]] = {}
    for _ in range(50):  # bounded, so a missing frame fails instead of reading PINGs forever
        if {"0B", "04"} <= set(seen) and any(e["values"]["913"] == "체결" for e in seen.get("00", [])):
            break
        for entry in ws.real()["data"]:
            seen.setdefault(entry["type"], []).append(entry)
    for kind, entries in seen.items():
        for entry in entries:
            assert entry_problems(entry) == [], kind
            assert reads_of_entry(entry) == [], kind


def test_paged_search_follow_ups_stay_within_the_spec(clock):  # noqa: F811
    """The server's next_key goes back in our next CNSRREQ, whose next_key is at most 20 long."""
    with make_server(clock, cnsr_page_size=1) as server:
        for inst in server.call(server.ctx.exchange.instruments)[:3]:
            server.push_condition("1", inst.code, "I")
        c = WsClient(server.ws_url)
        try:
            assert c.login(server.call(server.ctx.exchange.issue_token, APP_KEY, SECRET)[0])["return_code"] == 0
            frame, pages = protocol.cnsrreq_frame("1", "0"), 0
            while frame is not None and pages < 10:
                c.send(frame)
                reply = c.reply("CNSRREQ")
                assert answer_problems("CNSRREQ/0", reply, spec.REPLIES["CNSRREQ/0"]) == []
                _, next_key = protocol.parse_search_page(reply)
                frame = None if next_key is None else protocol.cnsrreq_frame("1", "0", next_key)
                if frame is not None:
                    assert request_problems("CNSRREQ/0", frame, spec.FRAMES["CNSRREQ/0"].fields) == []
                pages += 1
            assert pages >= 3 and frame is None
        finally:
            c.close()
