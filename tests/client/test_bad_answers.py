"""Malformed REST answers are broker errors, never "none" (#12 item 5): each missing list or field the
client relies on raises codec.ProtocolError naming the api-id and the field; queries are asked again
with backoff; then exit 4. Property tests: any JSON -> a parsed value or ProtocolError."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiwoom_cli.errors import ExitCode
from kiwoom_cli.kiwoom import parsers
from kiwoom_cli.kiwoom.codec import ProtocolError
from tests.kit.sim import api_ids, arm, rest_client, running_sim

OK = {"return_code": 0, "return_msg": "ok"}
ROW_BALANCE = {"stk_cd": "A005930", "stk_nm": "n", "rmnd_qty": "10", "trde_able_qty": "10", "pur_pric": "100"}
ROW_OPEN = {"ord_no": "0000001", "stk_cd": "005930", "io_tp_nm": "+매수", "ord_qty": "5", "oso_qty": "5"}
ROW_FILL = {"ord_no": "0000001", "stk_cd": "005930", "io_tp_nm": "-매도", "ord_qty": "5", "cntr_qty": "5"}

# (parser, api-id, list key, one good row): a missing list is an error; an empty one is "none"
LISTS = [
    (lambda b: parsers.parse_balance_page(b)[1], "kt00018", "acnt_evlt_remn_indv_tot", ROW_BALANCE),
    (parsers.parse_open_orders, "ka10075", "oso", ROW_OPEN),
    (parsers.parse_fills, "ka10076", "cntr", ROW_FILL),
    (parsers.parse_quotes, "ka10095", "atn_stk_infr", None),
]


@pytest.mark.parametrize("parse, api_id, key, row", LISTS)
def test_a_missing_list_is_an_error_naming_api_and_list_and_an_empty_one_is_none(parse, api_id, key, row):
    with pytest.raises(ProtocolError) as raised:
        parse(dict(OK))
    assert raised.value.message == f"unexpected answer from the broker: {api_id}: answer lacks {key!r}"
    assert raised.value.exit_code == ExitCode.NETWORK
    assert parse({**OK, key: []}) == []
    for bad in ("", None, {}, "[]"):
        with pytest.raises(ProtocolError):
            parse({**OK, key: bad})


@pytest.mark.parametrize("parse, api_id, key, row, field", [
    (*LISTS[0], "rmnd_qty"), (*LISTS[0], "trde_able_qty"), (*LISTS[0], "stk_cd"),
    (*LISTS[1], "oso_qty"), (*LISTS[1], "ord_qty"), (*LISTS[1], "ord_no"),
    (*LISTS[2], "cntr_qty"), (*LISTS[2], "ord_qty"), (*LISTS[2], "ord_no"),
])
def test_a_row_missing_a_field_the_client_counts_on_is_an_error(parse, api_id, key, row, field):
    assert len(parse({**OK, key: [row]})) == 1
    broken = {k: v for k, v in row.items() if k != field}
    with pytest.raises(ProtocolError, match=f"{api_id}: answer lacks {field!r}"):
        parse({**OK, key: [broken]})


@pytest.mark.parametrize("parse, api_id, key, row, field", [(*LISTS[0], "rmnd_qty"), (*LISTS[1], "oso_qty")])
@pytest.mark.parametrize("empty", ["", "  ", None])
def test_a_row_whose_quantity_is_empty_is_an_error_not_a_dropped_row(parse, api_id, key, row, field, empty):
    """A review: rmnd_qty "" read as 0 dropped a held row ("no holdings"); oso_qty null dropped an open order."""
    assert parse({**OK, key: [{**row, field: "0"}]}) == []  # a real 0: nothing there
    with pytest.raises(ProtocolError, match=f"{api_id}: a row's {field} is empty"):
        parse({**OK, key: [{**row, field: empty}]})


def test_a_token_that_cannot_go_into_a_header_is_an_error_and_never_cached(sim, client):
    """A review: a token with CR/LF was cached until 2099 and every command exited 70."""
    body = {**OK, "token": "abc\r\nX: y", "expires_dt": "20991231235959"}
    arm(sim, kind="bad_answer", api_id="au10001", status=200, body=json.dumps(body), count=1)
    with pytest.raises(ProtocolError, match="not printable ASCII"):
        client.cash()
    assert client.token_now() is None  # nothing cached: the next command issues a fresh token
    assert client.cash().orderable > 0


@pytest.mark.parametrize("field", ["entr", "ord_alow_amt"])
def test_cash_without_its_figures_is_an_error(field):
    body = {**OK, "entr": "100", "ord_alow_amt": "90"}
    assert parsers.parse_cash(body).orderable == 90
    with pytest.raises(ProtocolError, match=f"kt00001: answer lacks {field!r}"):
        parsers.parse_cash({k: v for k, v in body.items() if k != field})


@pytest.mark.parametrize("value", ["", None, "   "])
def test_orderable_cash_left_empty_is_an_error_not_zero(value):
    """What a buy is checked against: an empty figure is a malformed answer (exit 4, a run halts
    buying), never 0 won read as a figure (a refusal for the wrong reason, or a quiet run)."""
    body = {**OK, "entr": "100", "ord_alow_amt": value}
    with pytest.raises(ProtocolError, match="kt00001"):
        parsers.parse_cash(body)


# ------------------------------------------------------------------ property tests

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["", "0", "-0", "+00012", "A005930", "매수", "-매도", "1" * 5000, "00000000", "1.5"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
KEYS = ["stk_cd", "stk_nm", "cur_prc", "pred_close_pric", "base_pric", "upl_pric", "lst_pric", "pred_pre",
        "flu_rt", "open_pric", "high_pric", "low_pric", "trde_qty", "entr", "ord_alow_amt", "d2_entra",
        "rmnd_qty", "trde_able_qty", "pur_pric", "pur_amt", "evlt_amt", "evltv_prft", "prft_rt", "ord_no",
        "io_tp_nm", "ord_qty", "ord_pric", "oso_qty", "cntr_qty", "cntr_pric", "orig_ord_no", "ord_stt",
        "tm", "ord_tm", "trde_tp", "base_orig_ord_no", "token", "expires_dt", "tot_pur_amt", "tot_prft_rt"]
ROW = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=12)
LIST_KEYS = ["acnt_evlt_remn_indv_tot", "oso", "cntr", "atn_stk_infr"]
BODY = st.dictionaries(st.sampled_from(KEYS + LIST_KEYS), JSON | st.lists(ROW, max_size=3), max_size=16) | ROW
PARSERS = [parsers.parse_token, parsers.parse_quote, parsers.parse_basic_info, parsers.parse_quotes,
           parsers.parse_cash, parsers.parse_balance_page, parsers.parse_open_orders, parsers.parse_fills,
           lambda b: parsers.parse_order_ack(b, "kt10000")]


@pytest.mark.parametrize("parse", PARSERS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODY)
def test_any_json_body_parses_or_raises_protocol_error(parse, body):
    try:
        parse(body)
    except ProtocolError:
        pass


# ------------------------------------------------------------------ the client asks again, then gives up


@pytest.fixture
def sim():
    with running_sim() as server:
        yield server


@pytest.fixture
def client(sim, tmp_path):
    with rest_client(sim, tmp_path / "tokens", sleep=lambda s: None) as c:
        yield c


def test_a_malformed_balance_is_asked_again_and_a_good_one_counts(sim, client):
    arm(sim, kind="bad_answer", api_id="kt00018", status=200, body=json.dumps(OK), count=2)  # no list, twice
    assert client.balance().holdings == ()  # the third answer is well-formed (and empty)
    assert api_ids(sim).count("kt00018") == 3


@pytest.mark.parametrize("api_id, call, field", [
    ("kt00018", lambda c: c.balance(), "'acnt_evlt_remn_indv_tot'"),
    ("kt00001", lambda c: c.cash(), "'entr'"),
    ("ka10075", lambda c: c.open_orders(), "'oso'"),
    ("ka10076", lambda c: c.fills(), "'cntr'"),
    ("ka10095", lambda c: c.quotes(["005930"]), "'atn_stk_infr'"),
])
def test_a_query_malformed_after_its_retries_is_protocol_error_naming_it(sim, client, api_id, call, field):
    arm(sim, kind="bad_answer", api_id=api_id, status=200, body=json.dumps(OK), count=3)
    with pytest.raises(ProtocolError) as raised:
        call(client)
    assert raised.value.api_id == api_id and field in raised.value.message
    assert api_ids(sim).count(api_id) == 3  # asked, then retried twice


def test_a_field_decoder_error_names_its_api_id(sim, client):
    arm(sim, kind="bad_answer", api_id="kt00001", status=200, count=3,
        body=json.dumps({**OK, "entr": [1], "ord_alow_amt": "1"}))
    with pytest.raises(ProtocolError, match=r"^unexpected answer from the broker: kt00001: entr: expected a string"):
        client.cash()
