"""The real `kiwoom` console script, as a new user would run it: no configuration, then mock mode."""

from __future__ import annotations

import re

import json
import subprocess
import sys

from tests.kit.cli import kiwoom_proc
from tests.kit.sim import APP_KEY, SECRET


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, (proc.args, proc.stdout, proc.stderr)
    return proc


def test_fresh_machine_no_config_embedded_simulator(isolated_home, tmp_path):
    assert not (tmp_path / "kiwoom.toml").exists()
    account = ok(kiwoom_proc("account"))
    assert "100,000,000" in account.stdout and "no holdings" in account.stdout
    conditions = ok(kiwoom_proc("conditions", "list", "--json"))
    assert len(json.loads(conditions.stdout)["conditions"]) >= 5

    buy = json.loads(ok(kiwoom_proc("order", "buy", "005930", "3", "--market", "--json")).stdout)
    assert buy["status"] == "filled" and buy["filled"] == 3
    holdings = json.loads(ok(kiwoom_proc("account", "--json")).stdout)["holdings"]
    assert [(h["code"], h["qty"]) for h in holdings] == [("005930", 3)]  # kept in the paper account
    assert (isolated_home / "sim" / "paper.json").exists()

    upper = json.loads(ok(kiwoom_proc("quote", "005930", "--json")).stdout)["quotes"][0]["upper_limit"]
    sell = ok(kiwoom_proc("order", "sell", "005930", "2", "--price", str(upper), "--wait", "0"))
    assert "accepted" in sell.stdout
    [open_order] = json.loads(ok(kiwoom_proc("orders", "--json")).stdout)["open_orders"]
    assert open_order["side"] == "sell" and open_order["price"] == upper
    cancel = ok(kiwoom_proc("order", "cancel", open_order["order_no"]))
    assert "Cancel confirmed" in cancel.stdout
    assert json.loads(ok(kiwoom_proc("orders", "--json")).stdout)["open_orders"] == []
    assert list((isolated_home / "journal").glob("sim-paper.sqlite3"))  # manual orders journaled


def test_mock_mode_against_a_running_simulator(sim):
    env = {"KIWOOM_MODE": "mock", "KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
           "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET}
    assert re.search(r"^login +ok ", ok(kiwoom_proc("config", "check", env=env)).stdout, re.M)
    ok(kiwoom_proc("conditions", "list", env=env))
    ok(kiwoom_proc("order", "buy", "005930", "2", "--market", env=env))
    assert "005930" in ok(kiwoom_proc("account", env=env)).stdout
    # over the orderable cash: refused before it is sent (issue 13), exit 2
    refused = kiwoom_proc("order", "buy", "005930", "100000", "--market", env=env)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "cash: needs" in refused.stderr
    rejected = kiwoom_proc("order", "sell", "005930", "100000", "--market", env=env)  # the broker says no
    assert rejected.returncode == 1 and rejected.stderr.count("\n") == 1 and "800033" in rejected.stderr
    assert [e["api_id"] for e in sim.order_log] == ["kt10000", "kt10001"]


def test_mock_mode_with_the_urls_in_the_config_file(sim, tmp_path):
    (tmp_path / "kiwoom.toml").write_text(
        f'mode = "mock"\nrest_url = "{sim.rest_url}"\nws_url = "{sim.ws_url}"\n', encoding="utf-8")
    env = {"KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET}
    assert "no holdings" in ok(kiwoom_proc("account", env=env)).stdout


def test_mode_option_with_urls_in_the_environment(sim):
    env = {"KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
           "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET}
    ok(kiwoom_proc("--mode", "mock", "order", "buy", "000660", "1", "--market", env=env))
    assert [e["body"]["stk_cd"] for e in sim.order_log] == ["000660"]


def test_importing_the_cli_root_loads_no_heavy_modules():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import kiwoom_cli.cli.main"],
                          capture_output=True, text=True, check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "kiwoom_cli.cli.main" in imported  # the measurement itself worked
    heavy = {"requests", "rich.table", "rich.console", "pandas", "aiohttp", "websocket",
             "kiwoom_cli.sim.server", "kiwoom_cli.kiwoom.rest", "sqlite3"}
    assert not heavy & imported, sorted(heavy & imported)
