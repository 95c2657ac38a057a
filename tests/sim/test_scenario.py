"""Scenario files: parsing into a sorted timeline, and errors that name the step and key."""

from __future__ import annotations

import pytest

from kiwoom_cli.errors import BadInput
from kiwoom_cli.sim.scenario import (
    ConditionAction,
    FaultAction,
    PriceAction,
    ScenarioError,
    load_scenario,
    parse_scenario,
)

GOOD = """
description = "buy, then a stop-loss"
seed = 7
static = true

[[step]]
at = 3
fault = { kind = "rate_limit", count = 2 }

[[step]]
at = 1.5
price = { code = "005930", price = 98000 }

[[step]]
at = 2
condition = { seq = "0", code = "005930", event = "I" }

[[step]]
at = 2
condition = { seq = 2, code = "000660" }

[[step]]
at = 4
fault = { kind = "delay_order", delay_s = 0.5 }
"""


def test_parses_a_sorted_timeline_of_plain_dataclasses(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text(GOOD, encoding="utf-8")
    sc = load_scenario(path)
    assert (sc.description, sc.seed, sc.static, sc.source) == ("buy, then a stop-loss", 7, True, str(path))
    assert [(s.at, s.number) for s in sc.steps] == [(1.5, 2), (2.0, 3), (2.0, 4), (3.0, 1), (4.0, 5)]
    assert [s.action for s in sc.steps] == [
        PriceAction("005930", 98_000),
        ConditionAction("0", "005930", "I"),
        ConditionAction("2", "000660", "I"),
        FaultAction("rate_limit", 2),
        FaultAction("delay_order", 1, 0.5),
    ]


def test_empty_scenario_is_valid():
    assert parse_scenario("").steps == ()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[step]]\nat = \n", "not valid TOML"),
        ("speed = 2\n", "unknown top-level key 'speed'"),
        ("seed = 'x'\n", "'seed' must be an integer"),
        ("[[step]]\nprice = { code = '005930', price = 98000 }\n", "step 1: missing 'at'"),
        ("[[step]]\nat = -1\nprice = { code = '005930', price = 98000 }\n", "step 1: 'at' must be"),
        ("[[step]]\nat = 1\n", "step 1: needs exactly one of price, condition, fault (found none)"),
        (
            "[[step]]\nat = 1\nprice = { code = '005930', price = 98000 }\nfault = { kind = 'rate_limit' }\n",
            "step 1: needs exactly one of price, condition, fault (found price, fault)",
        ),
        ("[[step]]\nat = 1\nwait = 2\n", "step 1: unknown key 'wait'"),
        ("[[step]]\nat = 1\nprice = 5\n", "step 1: 'price' must be an inline table"),
        ("[[step]]\nat = 1\nprice = { code = '999999', price = 1000 }\n", "step 1: price.code: '999999'"),
        ("[[step]]\nat = 1\nprice = { code = '005930' }\n", "step 1: price: missing key 'price'"),
        (
            "[[step]]\nat = 1\nprice = { code = '005930', price = 98050 }\n",
            "step 1: price.price: 98050 is off the tick grid",
        ),
        (
            "[[step]]\nat = 1\nprice = { code = '005930', price = 0 }\n",
            "step 1: price.price: must be a positive",
        ),
        (
            "[[step]]\nat = 1\nprice = { code = '005930', price = 98000, qty = 1 }\n",
            "step 1: price: unknown key 'qty'",
        ),
        ("[[step]]\nat = 1\ncondition = { seq = '9', code = '005930' }\n", "step 1: condition.seq: '9'"),
        (
            "[[step]]\nat = 1\ncondition = { seq = '0', code = '005930', event = 'X' }\n",
            "step 1: condition.event",
        ),
        ("[[step]]\nat = 1\nfault = { kind = 'meteor' }\n", "step 1: fault.kind: 'meteor'"),
        ("[[step]]\nat = 1\nfault = { kind = 'bad_answer' }\n", "step 1: fault.kind: 'bad_answer'"),
        ("[[step]]\nat = 1\nfault = { kind = 'rate_limit', count = 0 }\n", "step 1: fault.count"),
        (
            "[[step]]\nat = 1\nfault = { kind = 'rate_limit', delay_s = 1 }\n",
            "step 1: fault.delay_s: only applies",
        ),
        (
            "[[step]]\nat = 1\nfault = { kind = 'rate_limit' }\n[[step]]\nat = 2\nfault = { kind = 'x' }\n",
            "step 2: fault.kind",
        ),
    ],
)
def test_errors_name_the_step_and_key(text, message):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="s.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("s.toml")
    assert isinstance(info.value, BadInput)  # the CLI maps it to exit 2


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read scenario"):
        load_scenario(tmp_path / "nope.toml")


def test_a_scenario_nested_past_the_stack_is_a_clear_error_not_a_crash():
    text = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"  # tomllib recurses once per bracket
    with pytest.raises(ScenarioError, match="nested too deeply") as info:
        parse_scenario(text, source="deep.toml")
    assert isinstance(info.value, BadInput)  # exit 2, as every bad scenario
