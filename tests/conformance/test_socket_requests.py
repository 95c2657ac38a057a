"""Our WebSocket frames (protocol.py *_frame) against the spec's tables; LOGIN/PING are unverified."""

from __future__ import annotations

import pytest

from kiwoom_cli.kiwoom import protocol
from tests.conformance import spec_tables as spec
from tests.conformance.checks import request_problems
from tests.kit.helpers import fixture

FRAMES = {
    "LOGIN": [protocol.login_frame("W" * 86)],
    "REG": [protocol.account_reg_frame(), protocol.reg_frame(["005930", "000660_NX"], ["0B"]),
            protocol.reg_frame(["005930"], ["0B"], group="2")],
    "REMOVE": [protocol.remove_frame(["005930"], ["0B"]), protocol.remove_frame([""], ["00", "04"])],
    "CNSRLST": [protocol.cnsrlst_frame()],
    "CNSRREQ/0": [protocol.cnsrreq_frame("4", "0"), protocol.cnsrreq_frame("4", "0", "K" * 20)],
    "CNSRREQ/1": [protocol.cnsrreq_frame("4", "1")],
    "CNSRCLR": [protocol.cnsrclr_frame("4")],
}


def test_every_frame_we_send_has_a_table():
    assert set(FRAMES) == set(spec.FRAMES)
    assert [name for name, f in spec.FRAMES.items() if not f.verified] == ["LOGIN"]
    assert {name for name in spec.REPLIES if name not in spec.FRAMES} == {"PING"} <= spec.UNVERIFIED_REPLIES


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_frame_carries_exactly_the_spec_fields(name):
    table = spec.FRAMES[name]
    for frame in FRAMES[name]:
        assert request_problems(name, frame, table.fields) == []
        for i, row in enumerate(frame.get("data") or ()):
            assert set(row) == {f.name for f in spec.REG_ROW}
            for f in spec.REG_ROW:
                assert isinstance(row[f.name], list) and row[f.name], (name, f.name)
                for value in row[f.name]:
                    assert isinstance(value, str) and len(value) <= f.length, (name, i, value)


def test_reg_registers_only_the_real_types_we_read():
    types = protocol.account_reg_frame()["data"][0]["type"]
    assert set(types) | {"0B"} <= set(spec.REAL_TYPES) and "02" in spec.REAL_TYPES


def test_login_matches_the_captured_exchange_and_kiwoom_client():
    """Unverified against the spec (it does not list LOGIN): a bare token, no "Bearer" (fixtures)."""
    frame = protocol.login_frame("W" * 86)
    assert frame == {"trnm": "LOGIN", "token": "W" * 86}
    reply = fixture("ws/login.response.json")["body"]
    assert set(reply) <= set(spec.REPLIES["LOGIN"]) and reply["trnm"] == "LOGIN"


def test_ping_fixture_has_only_the_fields_the_table_names():
    """Unverified: PING comes from the server and is echoed as it came (fixtures, Kiwoom's client)."""
    ping = fixture("ws/ping.json")["body"]
    assert ping["trnm"] == "PING" and set(ping) <= set(spec.REPLIES["PING"])
