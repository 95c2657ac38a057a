"""`kiwoom run` the way a new user starts it: no config, the embedded simulator, condition names.

These use the default lively market (seeded through [sim] seed in a temporary kiwoom.toml), so they
take real time: 20 s for the user's run and 60 s for the liveliness promise of docs/decisions.md §4.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from kiwoom_cli.core.journal import Journal, journal_path
from kiwoom_cli.sim.embedded import paper_path, sim_json_path
from tests.kit.cli import kiwoom_exe
from tests.kit.helpers import wait_until
from tests.kit.run import Run

BUY, SELL = "급등주 포착", "단기 과열(매도)"  # seq 0 and 2 of the simulator's saved conditions


def seeded(tmp_path, seed: int, **sim) -> None:
    lines = ["[sim]", f"seed = {seed}", *(f"{k} = {v}" for k, v in sim.items())]
    (tmp_path / "kiwoom.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def journal_intents() -> list[dict]:
    journal = Journal(journal_path("sim", "paper"))
    try:
        return journal.intents()
    finally:
        journal.close()


@pytest.mark.slow  # real time on the lively market
def test_headless_run_on_the_embedded_simulator_ends_at_until_with_every_order_journaled(tmp_path):
    seeded(tmp_path, 3)
    run = Run("--headless", "--until", "+20s", "--buy-cond", BUY, "--sell-cond", SELL)
    start = run.wait_for("start")[0]
    assert start["buy_cond"] == {"seq": "0", "name": BUY} and start["sell_cond"] == {"seq": "2", "name": SELL}
    published = wait_until(lambda: sim_json_path().exists() and json.loads(sim_json_path().read_text()))
    assert published["pid"] == run.proc.pid  # one-shot commands meanwhile use this run's simulator
    # (a second embedded simulator would find the paper account locked and exit 6); socket commands
    # stay off the run's one WebSocket login and say why
    account = subprocess.run([kiwoom_exe(), "account", "--json"], capture_output=True, text=True, timeout=30,
                             check=False)
    assert account.returncode == 0, account.stderr
    conditions = subprocess.run([kiwoom_exe(), "conditions", "list"], capture_output=True, text=True, timeout=30,
                                check=False)
    assert conditions.returncode == 6 and f"pid {run.proc.pid}" in conditions.stderr
    assert run.wait_exit(timeout=60) == 0
    assert not sim_json_path().exists()  # unpublished at the end
    summary = run.summary()
    assert run.lines[-1] is summary and summary["exit_reason"] == "until reached"
    assert all({"time", "kind"} <= line.keys() for line in run.lines)

    # Every order the simulator received (its persisted paper account keeps each one) is an
    # intent of this run, journaled with the same code, side and quantity, and decided by a rule.
    received = json.loads(paper_path().read_text(encoding="utf-8"))["accounts"][0]["orders"]
    assert received, "the lively market made no order in 20 s"
    intents = journal_intents()
    by_no = {no.lstrip("0"): i for i in intents for no in [i["order_no"] or "", *json.loads(i["numbers"])] if no}
    for order in received:
        intent = by_no.get(order["order_no"].lstrip("0"))
        assert intent is not None, f"order {order['order_no']} has no journaled intent"
        if order["kind"] == "new":
            assert (intent["code"], intent["side"], intent["qty"]) == (order["code"], order["side"], order["qty"])
            assert intent["origin"] == "run" and intent["rule"] in ("buy_cond", "sell_cond", "stop_loss", "trailing")
    decided = {(line["rule"], line["code"]) for line in run.matching("decision") if line["action"] in ("buy", "sell")}
    for line in run.matching("order", action="place"):
        assert (line["rule"], line["code"]) in decided
    assert summary["orders"]["placed"] == len([o for o in received if o["kind"] == "new"])


@pytest.mark.slow  # real time on the lively market
def test_a_minute_on_the_default_market_makes_two_buys_and_an_exit(tmp_path):
    # docs/decisions.md §4, at the default tick rate and default [run] settings: the promise as a user sees it
    seeded(tmp_path, 1)
    run = Run("--headless", "--until", "+60s", "--buy-cond", BUY, "--sell-cond", SELL)
    code = run.wait_exit(timeout=120)
    assert code == 0, f"exit {code}; summary {run.matching('summary')}; stderr {run.stderr[-2000:]}"
    summary = run.summary()
    assert summary["buys"] >= 2 and summary["sells"] >= 1, summary
