"""Our REST requests (protocol.py bodies and headers) against the spec's tables."""

from __future__ import annotations

import pytest

from kiwoom_cli.config_types import HOSTS
from kiwoom_cli.errors import BadInput
from kiwoom_cli.kiwoom import protocol
from kiwoom_cli.kiwoom.endpoint import MOCK, REAL, Credentials
from tests.conformance import spec_tables as spec
from tests.conformance.checks import request_problems, value_problems

CREDS = Credentials("A" * 43, "S" * 43)
TOKEN = "W" * 86

# Every body we build, in each of its forms, by the api-id it is sent with.
BODIES = {
    "au10001": [protocol.token_body(CREDS)],
    "au10002": [protocol.revoke_body(CREDS, TOKEN)],
    "ka10001": [protocol.quote_body("005930"), protocol.quote_body("005930_NX"), protocol.quote_body("0000J0")],
    "ka10007": [protocol.quote_body("005930"), protocol.quote_body("005930_AL")],
    "ka10095": [protocol.quotes_body(["005930"]), protocol.quotes_body(["005930", "000660"])],
    "ka10100": [protocol.stock_info_body("005930")],
    "ka10075": [protocol.open_orders_body(), protocol.open_orders_body("005930")],
    "ka10076": [protocol.fills_body(), protocol.fills_body("005930")],
    "kt00001": [protocol.cash_body()],
    "kt00018": [protocol.balance_body(), protocol.balance_body("NXT")],
    "kt10000": [protocol.order_body("005930", 1, None), protocol.order_body("005930", 10, 70000, "NXT")],
    "kt10001": [protocol.order_body("005930", 3, None), protocol.order_body("000660", 1, 199700, "SOR")],
    "kt10002": [protocol.amend_body("0000139", "005930", 1, 199700),
                protocol.amend_body("139", "005930", 0, 500, "NXT")],
    "kt10003": [protocol.cancel_body("0000140", "005930"), protocol.cancel_body("0000140", "005930", 2, "SOR")],
}


def test_every_api_id_we_send_has_a_table_and_a_body():
    assert set(protocol.PATHS) == set(spec.REQUEST) == set(BODIES)


@pytest.mark.parametrize("api_id", sorted(BODIES))
def test_body_carries_exactly_the_spec_fields(api_id):
    for body in BODIES[api_id]:
        assert request_problems(api_id, body, spec.REQUEST[api_id]) == []
        required = {f.name for f in spec.REQUEST[api_id] if f.required}
        assert required <= set(body)


@pytest.mark.parametrize("api_id", sorted(BODIES))
def test_path_is_the_spec_path(api_id):
    assert protocol.PATHS[api_id] == spec.PATHS[api_id]


@pytest.mark.parametrize("api_id", sorted(set(spec.REQUEST) - spec.NO_TOKEN))
def test_headers_are_the_spec_headers(api_id):
    first = protocol.rest_headers(api_id, TOKEN)
    later = protocol.rest_headers(api_id, TOKEN, next_key="K" * 50)
    for headers in (first, later):
        assert headers.pop("content-type") == spec.CONTENT_TYPE
        assert request_problems(f"{api_id} headers", headers, spec.REQUEST_HEADERS) == []
    assert "cont-yn" not in first and later["cont-yn"] == "Y"


@pytest.mark.parametrize("api_id", sorted(spec.NO_TOKEN))
def test_token_calls_carry_api_id_and_no_authorization(api_id):
    headers = protocol.rest_headers(api_id, None)
    assert headers == {"api-id": api_id, "content-type": spec.CONTENT_TYPE}


def test_hosts_are_the_spec_hosts():
    for mode, endpoint in (("real", REAL), ("mock", MOCK)):
        assert (endpoint.rest_url, endpoint.ws_url) == (spec.HOSTS[mode], spec.WS_URL[mode])
        assert HOSTS[mode] == (spec.HOSTS[mode], spec.WS_URL[mode])


def test_continuation_reads_the_spec_response_headers():
    assert set(spec.RESPONSE_HEADERS) == {"api-id", "cont-yn", "next-key"}
    assert protocol.continuation({"api-id": "kt00018", "cont-yn": "Y", "next-key": "k1"}) == "k1"
    assert protocol.continuation({"api-id": "kt00018", "cont-yn": "N", "next-key": ""}) is None


def test_exchange_fields_name_only_values_the_spec_allows():
    """Which venues the spec allows where (docs/protocol.md), and that our bodies take exactly those."""
    order = {f.name: f for f in spec.REQUEST["kt10000"]}["dmst_stex_tp"]
    balance = {f.name: f for f in spec.REQUEST["kt00018"]}["dmst_stex_tp"]
    query = {f.name: f for f in spec.REQUEST["ka10075"]}["stex_tp"]
    assert (order.allowed, balance.allowed, query.allowed) == (("KRX", "NXT", "SOR"), ("KRX", "NXT"), ("0", "1", "2"))
    for venue in order.allowed:
        assert protocol.order_body("005930", 1, None, venue)["dmst_stex_tp"] == venue
        assert protocol.cancel_body("0000140", "005930", 0, venue)["dmst_stex_tp"] == venue
    for venue in balance.allowed:
        assert protocol.balance_body(venue)["dmst_stex_tp"] == venue
    with pytest.raises(BadInput):
        protocol.balance_body("SOR")  # not a kt00018 value
    with pytest.raises(BadInput):
        protocol.order_body("005930", 1, None, "KRW")
    assert protocol.fills_body()["stex_tp"] in query.allowed
    assert protocol.open_orders_body()["stex_tp"] in query.allowed


def test_order_numbers_are_sent_as_the_spec_7_digits():
    assert protocol.amend_body("139", "005930", 1, 500)["orig_ord_no"] == "0000139"
    assert protocol.cancel_body("00000140", "005930")["orig_ord_no"] == "0000140"
    for bad in ("12345678", "１２３", "", " 140"):
        with pytest.raises(BadInput):
            protocol.cancel_body(bad, "005930")


def test_checker_catches_what_the_spec_forbids():
    table = spec.REQUEST["kt10002"]
    good = protocol.amend_body("0000139", "005930", 1, 199700)
    assert request_problems("x", {**good, "extra": "1"}, table) == ["x: unknown field 'extra'"]
    assert request_problems("x", {k: v for k, v in good.items() if k != "mdfy_uv"}, table)
    assert request_problems("x", {**good, "orig_ord_no": "12345678"}, table)  # longer than 7
    assert request_problems("x", {**good, "mdfy_uv": "+500"}, table)  # digits only
    assert request_problems("x", {**good, "dmst_stex_tp": "KRW"}, table)
    assert request_problems("x", {**good, "mdfy_qty": 1}, table)  # not a string
    assert value_problems("v", "00012", "pad", 6)
    assert not value_problems("v", "-00012", "pad", 6)
