"""connect_sim (find or start the simulator) and the `kiwoom sim` command in a real process."""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from kiwoom_cli.errors import AccountBusy
from kiwoom_cli.sim import embedded
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


def login(rest_url: str) -> str:
    r = session().post(rest_url + "/oauth2/token",
                       json={"grant_type": "client_credentials", "appkey": "sim-paper", "secretkey": "sim-paper"})
    return r.json()["token"]


def buy(rest_url: str, token: str, qty: int) -> dict:
    return session().post(rest_url + "/api/dostk/ordr", json={
        "dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": str(qty), "ord_uv": "", "trde_tp": "3",
        "cond_uv": ""}, headers={"api-id": "kt10000", "authorization": f"Bearer {token}"}).json()


def holdings(rest_url: str, token: str) -> list[dict]:
    return session().post(rest_url + "/api/dostk/acnt", json={"qry_tp": "1", "dmst_stex_tp": "KRX"},
                          headers={"api-id": "kt00018", "authorization": f"Bearer {token}"}
                          ).json()["acnt_evlt_remn_indv_tot"]


def test_embedded_sim_persists_the_paper_account_under_a_lock(isolated_home):
    config = SimConfig(rate_limit=None, static=True)
    with embedded.connect_sim(config) as (rest_url, ws_url):
        assert rest_url.startswith("http://127.0.0.1:") and ws_url.endswith("/api/dostk/websocket")
        token = login(rest_url)
        assert buy(rest_url, token, 2)["return_code"] == 0
        with pytest.raises(AccountBusy):
            with embedded.account_lock(embedded.paper_path()):
                pass
        assert not embedded.sim_json_path().exists()  # one-shot commands do not publish
    assert embedded.paper_path().exists()
    with embedded.connect_sim(config) as (rest_url, _):
        [row] = holdings(rest_url, login(rest_url))
        assert int(row["rmnd_qty"]) == 2
    with embedded.account_lock(embedded.paper_path()):  # released after the command
        pass


def test_published_live_sim_is_used(isolated_home):
    with SimServer(SimConfig(rate_limit=None, static=True)) as sim:
        embedded.publish(sim.rest_url, sim.ws_url)
        try:
            with embedded.connect_sim() as urls:
                assert urls == (sim.rest_url, sim.ws_url)
        finally:
            embedded.unpublish()
        assert not embedded.sim_json_path().exists()


def test_stale_sim_json_is_ignored(isolated_home):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(proc.stdout)
    embedded.sim_json_path().write_text(json.dumps(
        {"pid": dead, "rest_url": "http://127.0.0.1:9", "ws_url": "ws://127.0.0.1:9/x"}))
    assert embedded.running_sim() is None
    with embedded.connect_sim(SimConfig(rate_limit=None, static=True)) as (rest_url, _):
        assert rest_url != "http://127.0.0.1:9"


def test_kiwoom_sim_command_serves_publishes_and_cleans_up(isolated_home):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiwoom_cli", "sim", "--rate-limit", "off", "--static", "--cash", "5000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        info = wait_until(lambda: embedded.running_sim(), timeout=20, message="sim.json")
        rest_url, ws_url = info
        assert json.loads(embedded.sim_json_path().read_text())["pid"] == proc.pid
        token = login(rest_url)
        assert buy(rest_url, token, 1)["return_code"] == 0
        with pytest.raises(AccountBusy):  # the serving process holds the account
            with embedded.account_lock(embedded.paper_path()):
                pass
        with embedded.connect_sim() as urls:  # a one-shot command would use it
            assert urls == (rest_url, ws_url)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert rest_url in out and ws_url in out
    assert not embedded.sim_json_path().exists()
    state = json.loads(embedded.paper_path().read_text())
    assert state["accounts"]


def test_kiwoom_sim_rejects_bad_options(isolated_home):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "kiwoom_cli", "sim", "--rate-limit", "fast"],
                          capture_output=True, text=True, env=env, timeout=30, check=False)
    assert proc.returncode == 2 and "--rate-limit" in proc.stderr


@pytest.mark.parametrize("args, said", [
    (["--hours", "x"], '--hours: expected "always" or "krx"'),
    (["--always-open", "--hours", "krx"], "--always-open and --hours krx contradict each other"),
    (["--app-key", "a"], "--app-key and --secret-key go together"),
    (["--app-key", "a", "--secret-key", ""], "--app-key / --secret-key must not be empty"),
    (["--rate-limit", "fast", "--app-key", "a"], "--rate-limit: "),  # the rate limit is checked first
])
def test_kiwoom_sim_names_the_contradicting_option(isolated_home, args, said):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("KIWOOM_SIM_APPKEY", None), env.pop("KIWOOM_SIM_SECRETKEY", None)
    proc = subprocess.run([sys.executable, "-m", "kiwoom_cli", "sim", *args],
                          capture_output=True, text=True, env=env, timeout=30, check=False)
    assert proc.returncode == 2 and said in proc.stderr, proc.stderr


def test_kiwoom_sim_exits_6_while_the_account_is_held(isolated_home):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with embedded.account_lock(embedded.paper_path()):
        proc = subprocess.run([sys.executable, "-m", "kiwoom_cli", "sim", "--reset"],
                              capture_output=True, text=True, env=env, timeout=30, check=False)
    assert proc.returncode == 6 and "in use" in proc.stderr


def test_kiwoom_sim_port_in_use_is_bad_input(isolated_home):
    import socket

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "kiwoom_cli", "sim", "--port", str(port), "--seed", "1"],
                              capture_output=True, text=True, env=env, timeout=30, check=False)
    assert proc.returncode == 2 and "cannot serve" in proc.stderr


def test_kiwoom_sim_with_fixed_keys_refuses_any_other_pair_and_tokens_expire(isolated_home):
    env = dict(os.environ, PYTHONPATH=str(ROOT), KIWOOM_SIM_APPKEY="the-only-app-key-0123456789",
               KIWOOM_SIM_SECRETKEY="the-only-secret-0123456789")
    proc = subprocess.Popen([sys.executable, "-m", "kiwoom_cli", "sim", "--seed", "3", "--rate-limit", "off",
                             "--token-lifetime", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        rest_url, _ = wait_until(lambda: embedded.running_sim(), timeout=20, message="sim.json")
        with session() as s:
            def token_for(key: str, secret: str) -> dict:
                body = {"grant_type": "client_credentials", "appkey": key, "secretkey": secret}
                return s.post(f"{rest_url}/oauth2/token", json=body, timeout=10).json()

            refused = token_for("another-app-key-0123456789", "another-secret-0123456789")
            assert refused["return_code"] == 3 and "[8001:" in refused["return_msg"]
            issued = token_for(env["KIWOOM_SIM_APPKEY"], env["KIWOOM_SIM_SECRETKEY"])
            assert issued["return_code"] == 0
            issued_at = datetime.datetime.strptime(issued["expires_dt"], "%Y%m%d%H%M%S")
            now_kst = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=9))).replace(tzinfo=None)
            assert 0 < (issued_at - now_kst).total_seconds() <= 61  # --token-lifetime 60, in KST
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "the-only-secret" not in out + err


def test_kiwoom_sim_fixed_keys_go_together(isolated_home):
    env = dict(os.environ, PYTHONPATH=str(ROOT), KIWOOM_SIM_APPKEY="lonely-app-key-0123456789")
    proc = subprocess.run([sys.executable, "-m", "kiwoom_cli", "sim"], capture_output=True, text=True,
                          env=env, timeout=30, check=False)
    assert proc.returncode == 2 and "--secret-key" in proc.stderr
