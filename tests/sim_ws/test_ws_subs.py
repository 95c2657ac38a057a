"""ws_subs: REG/REMOVE parsing, per-group refresh semantics, the item cap, the subscriber index."""

from __future__ import annotations

import pytest

from kiwoom_cli.sim.ws_subs import Index, RegError, Registrations, parse_pairs


def test_parse_pairs_every_item_times_every_type():
    pairs = parse_pairs([{"item": ["005930", "000660"], "type": ["0B", "0D"]}])
    assert sorted(pairs) == sorted(
        [("0B", "005930"), ("0B", "000660"), ("0D", "005930"), ("0D", "000660")])


@pytest.mark.parametrize("items", [[""], [], ["005930"]])
def test_account_types_need_no_item(items):
    assert parse_pairs([{"item": items, "type": ["00", "04"]}]) == [("00", ""), ("04", "")]


@pytest.mark.parametrize("data", [None, [], ["x"], [{"type": "0B", "item": ["1"]}],
                                  [{"type": ["0B"], "item": [""]}], [{"type": ["0BX"], "item": ["1"]}]])
def test_malformed_data_is_rejected(data):
    with pytest.raises(RegError):
        parse_pairs(data)


def test_refresh_and_remove():
    regs = Registrations(limit=100)
    regs.register("1", [("0B", "005930")], keep_earlier=True)
    regs.register("1", [("0B", "000660")], keep_earlier=True)
    assert regs.items_of("0B") == {"005930", "000660"}
    regs.register("1", [("0B", "035420")], keep_earlier=False)  # refresh "0"
    assert regs.items_of("0B") == {"035420"}
    regs.register("2", [("0B", "035420"), ("00", "")], keep_earlier=True)
    regs.remove("1", [("0B", "035420")])
    assert regs.items_of("0B") == {"035420"}  # still registered in group 2
    assert regs.types() == {"0B", "00"}
    regs.remove("9", [("0B", "x")])  # unknown group: ignored


def test_cap_counts_distinct_items_and_changes_nothing_when_exceeded():
    regs = Registrations(limit=3)
    regs.register("1", [("0B", "a"), ("0D", "a"), ("0B", "b"), ("00", "")], keep_earlier=True)
    regs.register("2", [("0B", "c")], keep_earlier=True)
    with pytest.raises(RegError, match="등록 종목수 초과"):
        regs.register("2", [("0B", "d")], keep_earlier=True)
    assert regs.items_of("0B") == {"a", "b", "c"}
    regs.register("2", [("0B", "d")], keep_earlier=False)  # replacing c keeps 3 items
    assert regs.items_of("0B") == {"a", "b", "d"}


def test_index_update_and_discard():
    idx = Index()
    idx.update("c1", set(), {"a", "b"})
    idx.update("c2", set(), {"b"})
    idx.update("c1", {"a", "b"}, {"b"})
    assert idx.get("a") is None and idx.get("b") == {"c1", "c2"}
    idx.discard("c2", "b")
    idx.discard("c1", "b")
    assert idx.get("b") is None
