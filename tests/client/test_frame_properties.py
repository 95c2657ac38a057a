"""Property tests: every WebSocket frame parser takes any JSON and gives a value or ProtocolError.

The socket reader relies on this: a frame that raises anything else would be a bug that costs a
reconnect (SocketClient._read), so no broker answer may do it.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kiwoom_cli.kiwoom import wsconn, wsparsers
from kiwoom_cli.kiwoom.codec import ProtocolError

# Leaves as a JSON parser can give them: no NaN (orjson refuses it), ints within 64 bits
# (orjson gives a float past them; json refuses past 4,300 digits), plus broker-like texts.
_NUMERIC_TEXT = st.from_regex(r"[+-]?[0-9]{0,35}(\.[0-9]{0,4})?", fullmatch=True)
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | _NUMERIC_TEXT
    | st.sampled_from(["0B", "00", "04", "02", "I", "D", "접수", "체결", "1", "2", "A005930", "Y", "N"])
)
_JSON = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)
# Frames shaped like the broker's, so the parsers get past their first checks.
_FIDS = st.sampled_from(["9001", "10", "11", "12", "13", "15", "20", "302", "841", "843", "900", "901",
                         "902", "904", "905", "907", "908", "911", "913", "914", "915", "919", "9203",
                         "930", "931", "933", "jmcode", "seq", "name"])
_VALUES = st.dictionaries(_FIDS, _LEAVES | _JSON, max_size=12)
_ENTRY = st.fixed_dictionaries(
    {},
    optional={"type": st.sampled_from(["0B", "00", "04", "02", "0D"]) | _LEAVES,
              "item": st.sampled_from(["005930", "A005930", "0088M0", ""]) | _LEAVES,
              "name": _LEAVES,
              "values": _VALUES | st.lists(_VALUES, max_size=2) | _JSON},
)
_ROWS = st.lists(_VALUES | _JSON | st.lists(_LEAVES, max_size=3), max_size=4)
_REPLY = st.fixed_dictionaries(
    {},
    optional={"trnm": st.sampled_from(["CNSRLST", "CNSRREQ", "REAL"]) | _LEAVES,
              "data": _ROWS | _JSON, "cont_yn": _LEAVES, "next_key": _LEAVES,
              "return_code": _LEAVES},
)

ENTRY_PARSERS = [wsparsers.parse_real_entry, wsparsers.parse_tick, wsparsers.parse_order_event,
                 wsparsers.parse_balance_event, wsparsers.parse_condition_event, wsparsers.entry_values]
REPLY_PARSERS = [wsparsers.parse_conditions, wsparsers.parse_search_page, wsparsers.parse_subscribe_codes]


def _value_or_protocol_error(parse, value) -> None:
    try:
        parse(value)
    except ProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(entry=_ENTRY | _JSON)
def test_real_entry_parsers_take_any_json(entry):
    for parse in ENTRY_PARSERS:
        _value_or_protocol_error(parse, entry)


@settings(max_examples=300, deadline=None)
@given(frame=_REPLY | _JSON)
def test_reply_parsers_take_any_json(frame):
    for parse in REPLY_PARSERS:
        _value_or_protocol_error(parse, frame)


@settings(max_examples=300, deadline=None)
@given(value=_JSON | _REPLY)
def test_decode_takes_any_json_text(value):
    data = json.dumps(value, ensure_ascii=False).encode("utf-8")
    try:
        frame = wsconn.decode(data)
    except ProtocolError:
        return
    assert isinstance(frame, dict) and isinstance(frame["trnm"], str)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_decode_takes_any_bytes(data):
    try:
        frame = wsconn.decode(data)
    except ProtocolError:
        return
    assert isinstance(frame, dict) and isinstance(frame["trnm"], str)


def test_decode_refuses_what_broke_the_reader():
    """Frames that once killed the reader thread: each is a ProtocolError now, or a frame whose
    parts the parsers refuse with one."""
    huge = b"9" * 5000
    for data in (
        b'{"a":' + huge + b"}",  # past int()'s 4,300 digits
        b"[" * 100_000 + b"]" * 100_000,  # nested past the recursion limit
        b"\xff\xfe{}",  # not UTF-8
        b"[]", b"5", b'"PING!"', b'{"trnm": ["REAL"]}', b'{"trnm": 5}', b"",
    ):
        try:
            wsconn.decode(data)
        except ProtocolError:
            continue
        raise AssertionError(f"decoded {data[:20]!r}")
    real = wsconn.decode(b'{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"10":"' + huge + b'"}}]}')
    _value_or_protocol_error(wsparsers.parse_real_entry, real["data"][0])
    ten_mb = {"type": "0B", "item": "005930", "values": {"10": "-" + "9" * 10_000_000}}
    _value_or_protocol_error(wsparsers.parse_real_entry, ten_mb)


def test_bare_ping_decodes_as_a_ping():
    for data in (b"PING", "PING", b" ping\n"):
        assert wsconn.decode(data) == {"trnm": "PING"}


def test_fast_and_careful_tick_paths_agree_on_hostile_numbers():
    """The hot path takes only plain numbers; anything else goes to the strict decoders."""
    base = {"10": "+97600", "11": "+100", "12": "+0.10", "15": "+3", "13": "1000", "20": "090001"}
    tick = wsparsers.parse_tick({"type": "0B", "item": "005930", "values": base})
    assert (tick.price, tick.change, tick.change_pct, tick.qty, tick.volume) == (97600, 100, 0.10, 3, 1000)
    for fid, bad in (("10", "9_7600"), ("10", "９７６００"), ("12", "nan"), ("12", "1e3"), ("13", "1" * 31),
                     ("10", 97600.5), ("20", 90001)):
        try:
            tick = wsparsers.parse_tick({"type": "0B", "item": "005930", "values": {**base, fid: bad}})
        except ProtocolError:
            continue
        assert fid == "20" and tick.time == ""  # a time that is not text is no time


@settings(max_examples=300, deadline=None)
@given(frame=_REPLY | st.dictionaries(st.sampled_from(["trnm", "return_code", "return_msg"]), _JSON))
def test_reply_errors_take_any_json(frame):
    """A reply's error (LOGIN's included) is None or one of our typed errors, never a crash."""
    from kiwoom_cli.errors import ApiError
    from kiwoom_cli.kiwoom import protocol

    for error in (protocol.ws_error_for(frame), wsconn.login_error({**frame, "trnm": "LOGIN"})):
        assert error is None or isinstance(error, ApiError)
