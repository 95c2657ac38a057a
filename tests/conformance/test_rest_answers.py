"""REST answers against the spec: the simulator's answers, and every field our parsers read."""

from __future__ import annotations

import pytest

from kiwoom_cli.errors import AuthError, BrokerRejected, RateLimited, TemporaryError, TokenInvalid
from kiwoom_cli.kiwoom import protocol
from kiwoom_cli.kiwoom.codec import ProtocolError
from tests.conformance import spec_tables as spec
from tests.conformance.checks import answer_problems, fields_read, unknown_reads
from tests.kit.helpers import fixture
from tests.kit.sim import APP_KEY, SECRET
from tests.sim_server.test_fixture_crosscheck import FIXTURES, GARBLED, payloads  # noqa: F401

EXAMPLES = {**FIXTURES, "ka10100": "rest/ka10100.response.json"}
PARSERS = {
    "au10001": protocol.parse_token,
    "ka10001": protocol.parse_basic_info,
    "ka10007": protocol.parse_quote,
    "ka10095": protocol.parse_quotes,
    "ka10100": protocol.parse_stock_info,
    "kt00001": protocol.parse_cash,
    "kt00018": protocol.parse_balance_page,
    "ka10075": protocol.parse_open_orders,
    "ka10076": protocol.parse_fills,
    **{api_id: (lambda body, a=api_id: protocol.parse_order_ack(body, a)) for api_id in sorted(protocol.ORDER_IDS)},
}


def read_by(api_id: str, body: dict) -> set[str]:
    """Fields the parser and the envelope check read from `body`; an empty body shows the fallbacks."""
    read = fields_read(lambda b: protocol.error_for(b, 200, api_id), body) | fields_read(PARSERS[api_id], body)
    return read | fields_read(PARSERS[api_id], {}, ProtocolError)


def test_every_answer_we_parse_has_a_table():
    assert set(PARSERS) == set(spec.RESPONSE) - {"au10002"}


@pytest.mark.parametrize("api_id", sorted(PARSERS))
def test_parser_reads_only_spec_fields_of_the_official_example(api_id):
    body = fixture(EXAMPLES[api_id])["body"]
    if api_id in GARBLED:  # its values are shifted: the parser fails loudly, read what it reached
        with pytest.raises(ProtocolError):
            PARSERS[api_id](body)
        read = fields_read(PARSERS[api_id], body, ProtocolError)
    else:
        read = read_by(api_id, body)
    assert read and unknown_reads(read, spec.RESPONSE[api_id], spec.ENVELOPE) == []


@pytest.mark.parametrize("api_id", sorted(set(PARSERS) - {"ka10100"}))  # ka10100: below
def test_simulator_answer_is_in_the_spec_and_parses(payloads, api_id):  # noqa: F811
    body = payloads[api_id]
    assert body["return_code"] == 0
    assert answer_problems(api_id, body, spec.RESPONSE[api_id], spec.ENVELOPE) == []
    read = read_by(api_id, body)
    assert unknown_reads(read, spec.RESPONSE[api_id], spec.ENVELOPE) == []


def test_simulator_stock_info_is_in_the_spec(sim, api):  # noqa: F811
    body = api.ok("ka10100", protocol.stock_info_body("005930"), path=spec.PATHS["ka10100"])
    assert answer_problems("ka10100", body, spec.RESPONSE["ka10100"], spec.ENVELOPE) == []
    assert unknown_reads(read_by("ka10100", body), spec.RESPONSE["ka10100"], spec.ENVELOPE) == []


def test_simulator_answer_headers_are_the_spec_headers(sim, api):  # noqa: F811
    r = api.call("kt00018", protocol.balance_body())
    names = {k.lower() for k in r.headers}
    assert {"api-id", "cont-yn", "next-key"} <= names, r.headers
    assert r.headers["api-id"] == "kt00018" and r.headers["cont-yn"] in ("Y", "N")
    assert len(r.headers["next-key"]) <= spec.RESPONSE_HEADERS["next-key"].length


def test_simulator_revoke_answers_with_the_envelope_only(sim, api):  # noqa: F811
    body = protocol.revoke_body(protocol.Credentials(APP_KEY, SECRET), api.token)
    data = api.ok("au10002", body, path=spec.PATHS["au10002"])
    assert answer_problems("au10002", data, spec.RESPONSE["au10002"], spec.ENVELOPE) == []


def test_answer_checker_catches_what_the_spec_forbids():
    table = spec.RESPONSE["kt00018"]
    assert answer_problems("x", {"tot_pur_amt": "17598258"}, table)  # not padded to 15
    assert answer_problems("x", {"tot_prft_rt": "1.8"}, table)  # not 2 decimals
    assert answer_problems("x", {"bogus": "1"}, table)
    assert answer_problems("x", {"acnt_evlt_remn_indv_tot": [{"stk_cd": "005930"}]}, table)  # no prefix
    assert not answer_problems("x", {"acnt_evlt_remn_indv_tot": [{"stk_cd": "A005930"}]}, table)
    assert unknown_reads({"access_token"}, spec.RESPONSE["au10001"]) == ["reads 'access_token', not in the spec"]


def test_error_numbers_are_the_spec_table():
    from kiwoom_cli.sim.rest_errors import MESSAGES

    assert len(spec.ERROR_NUMBERS) == 37 and spec.TOKEN_REFUSED | spec.RATE_LIMITED <= spec.ERROR_NUMBERS
    assert set(MESSAGES) <= spec.ERROR_NUMBERS  # the simulator sends only documented numbers
    for number in sorted(spec.ERROR_NUMBERS):
        for message in (f"요약[{number}:상세]", f"[CODE={number}, MESSAGE=x]"):
            assert protocol.error_number(message) == number


def test_simulator_errors_carry_the_spec_numbers(sim, api):  # noqa: F811
    bodies = [api.call("kt00001", protocol.cash_body(), token="bogus").json(),
              api.call("kt00001", {}).json(),
              api.call("kt00001", protocol.cash_body(), path="/api/dostk/ordr").json()]
    sim.fault("rate_limit", 1)
    bodies.append(api.call("kt00001", protocol.cash_body()).json())
    numbers = [protocol.error_number(b["return_msg"]) for b in bodies]
    assert numbers[1:3] == ["1511", "1504"], bodies
    assert all(n in spec.ERROR_NUMBERS for n in numbers), numbers
    assert numbers[0] in spec.TOKEN_REFUSED and numbers[-1] in spec.RATE_LIMITED


def expected_error(number: str) -> type:
    """What each number of the spec's error table means to us (docs/protocol.md, errors we act on)."""
    if number in spec.TOKEN_REFUSED:
        return TokenInvalid
    if number in spec.RATE_LIMITED:
        return RateLimited
    if number == "1999":
        return TemporaryError
    if number.startswith("8") and number not in ("8104", "8200"):
        return AuthError
    return BrokerRejected


@pytest.mark.parametrize("number", sorted(spec.ERROR_NUMBERS))
def test_every_spec_error_number_is_acted_on_in_both_forms(number):
    bracketed = {"return_code": 3 if number.startswith("8") else 2, "return_msg": f"요약[{number}:상세]"}
    top_level = {"return_code": int(number), "return_msg": "상세"}
    for body in (bracketed, top_level):
        error = protocol.error_for(body, 200, "kt00001")
        assert type(error) is expected_error(number) and error.code == number, (body, error)
