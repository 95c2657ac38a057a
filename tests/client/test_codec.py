"""Table-driven and property tests of Kiwoom's value encodings (docs/protocol.md, Answers: value encodings we read)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiwoom_cli.kiwoom import codec
from kiwoom_cli.kiwoom.codec import ProtocolError


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("000000017598258", 17598258),
        ("-00000000196888", -196888),
        ("+82", 82),
        ("-0", 0),
        ("0", 0),
        ("", None),
        ("   ", None),
        (None, None),
        (" 42 ", 42),
        ("-00000100", -100),  # CNSRREQ 9-wide
        (1234, 1234),
    ],
)
def test_int_or_none(raw, expected):
    assert codec.int_or_none(raw) == expected


@pytest.mark.parametrize("raw", ["0.00", "-47.41", "20,000", "1e5", "abc", "+", "--1", True])
def test_int_rejects_non_integers_naming_the_field(raw):
    with pytest.raises(ProtocolError, match="cur_prc"):
        codec.int_or_none(raw, "cur_prc")


@pytest.mark.parametrize(
    "raw, expected",
    [("+70000", 70000), ("-94800", 94800), ("135300", 135300), ("000000059000", 59000), ("-0", 0), ("", 0)],
)
def test_price_drops_the_direction_sign(raw, expected):
    assert codec.price(raw) == expected


@pytest.mark.parametrize(
    "raw, expected", [("-0", None), ("0", None), ("", None), ("-20450", 20450), ("20850", 20850)]
)
def test_price_or_none_treats_zero_as_no_value(raw, expected):
    assert codec.price_or_none(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("-0.24", -0.24),
        ("+28.68", 28.68),
        ("1.8546", 1.8546),
        ("46.25", 46.25),
        ("0.00", 0.0),
        ("", 0.0),
        ("-52.71", -52.71),
    ],
)
def test_rate_keeps_the_sign(raw, expected):
    assert codec.rate(raw) == pytest.approx(expected)


@pytest.mark.parametrize(
    "raw, expected",
    # Kiwoom's spec (ka10172 FID 12): "000001500" is +1.50 %, "-00001500" -1.50 %, and its example
    # row (75,000, change -100) carries "-00000130", -0.13 %.
    [("000001500", 1.50), ("-00001500", -1.50), ("-00000130", -0.13), ("000000000", 0.0), ("000030000", 30.0)],
)
def test_rate_x1000(raw, expected):
    assert codec.rate_x1000(raw) == pytest.approx(expected)


@pytest.mark.parametrize(
    "raw", ["１２３", "١٢٣", "1_000", "1" * 19, "9" * 31, "1e5", "nan", "+-5", 10**40, [1], {"a": 1}, True]
)
def test_numbers_are_ascii_and_bounded(raw):
    """Full-width and other Unicode digits, underscores and numbers past 18 digits (what a 64-bit
    integer always holds) are refused."""
    with pytest.raises(ProtocolError):
        codec.int_or_zero(raw)
    with pytest.raises(ProtocolError):
        codec.rate(raw)


def test_a_number_past_python_int_limit_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        codec.int_or_zero("9" * 5000)  # int() itself raises ValueError past 4,300 digits
    with pytest.raises(ProtocolError):
        codec.price("-" + "9" * 10_000_000)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("A005930", ("005930", "")),
        ("J123456", ("123456", "")),
        ("Q500001", ("500001", "")),
        ("005930", ("005930", "")),
        ("005930_NX", ("005930", "_NX")),
        ("039490_AL", ("039490", "_AL")),
        ("A005930_AL", ("005930", "_AL")),
        ("0088M0", ("0088M0", "")),  # alphanumeric KRX code: left alone
        ("AB12345", ("AB12345", "")),  # not letter + 6 digits: not stripped
        ("A00593", ("A00593", "")),
        (" 079650 ", ("079650", "")),
    ],
)
def test_split_code(raw, expected):
    assert codec.split_code(raw) == expected


def test_code_missing_is_an_error():
    with pytest.raises(ProtocolError):
        codec.code("")


@pytest.mark.parametrize(
    "raw, expected", [("0000000", None), ("", None), ("0000139", "0000139"), ("00024", "00024")]
)
def test_order_no(raw, expected):
    assert codec.order_no(raw) == expected


@given(st.integers(min_value=-(10**14) + 1, max_value=10**15 - 1), st.integers(min_value=1, max_value=15))
def test_zero_padded_signed_round_trip(value, width):
    """Any value padded Kiwoom-style (sign inside the width) decodes back to itself."""
    digits = str(abs(value)).rjust(width - (1 if value < 0 else 0), "0")
    text = ("-" if value < 0 else "") + digits
    assert codec.int_or_zero(text) == value


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["+", "-", ""]))
def test_price_is_unsigned_whatever_the_direction(value, sign):
    assert codec.price(f"{sign}{value}") == value


@given(st.integers(min_value=-(10**8), max_value=10**8))
def test_rate_x1000_matches_decimal_text(value):
    width = 9
    text = ("-" if value < 0 else "") + str(abs(value)).rjust(width - (value < 0), "0")
    assert codec.rate_x1000(text) == pytest.approx(value / 1000)


@given(st.from_regex(r"[A-Z][0-9]{6}", fullmatch=True), st.sampled_from(["", "_NX", "_AL"]))
def test_prefixed_codes_normalise(raw, suffix):
    assert codec.split_code(raw + suffix) == (raw[1:], suffix)


def test_dumps_keeps_korean_and_is_compact():
    assert codec.dumps({"a": "삼성"}) == '{"a":"삼성"}'.encode("utf-8")
    assert codec.loads(codec.dumps({"x": [1, "2"]})) == {"x": [1, "2"]}
