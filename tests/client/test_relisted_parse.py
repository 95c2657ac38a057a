"""parse_relisted: a re-subscription's CNSRREQ reply -> ConditionListed, or our typed error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from kiwoom_cli.kiwoom import wsparsers
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import ConditionListed
from tests.client.test_frame_properties import _JSON, _REPLY

FIXTURE = Path(__file__).parent.parent / "fixtures" / "kiwoom" / "ws" / "cnsrreq-1.json"


def test_the_official_reply_gives_its_seq_and_codes_once_each():
    body = json.loads(FIXTURE.read_text(encoding="utf-8"))["body"]
    assert wsparsers.parse_relisted(body) == ConditionListed("4", ("005930",))


@pytest.mark.parametrize("frame", [
    {"trnm": "CNSRREQ", "data": []},
    {"trnm": "CNSRREQ", "seq": 4, "data": []},
    {"trnm": "CNSRREQ", "seq": " ", "data": []},
    {"trnm": "CNSRREQ", "seq": "1", "data": 5},
    {"trnm": "CNSRREQ", "seq": "1", "data": [{"jmcode": ["A005930"]}]},
])
def test_a_reply_without_a_seq_or_with_bad_rows_is_an_error(frame):
    with pytest.raises(ProtocolError):
        wsparsers.parse_relisted(frame)


@settings(max_examples=300, deadline=None)
@given(frame=_REPLY | _JSON)
def test_any_json_is_a_listing_or_our_error(frame):
    try:
        assert isinstance(wsparsers.parse_relisted(frame), ConditionListed)
    except ProtocolError:
        pass
