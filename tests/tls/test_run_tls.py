"""`kiwoom run --headless` in mock mode over https/wss buys on an entry; every order leaves through the
order worker's RestClient, certificate-verified (the one order path, docs/architecture.md §3)."""

from __future__ import annotations

import signal

import pytest

from tests.kit.cli import mock_env
from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR, Run
from tests.kit.sim import subscribed
from tests.tls.conftest import sim_orders

CODE = "005930"


@pytest.fixture
def runs():
    started: list[Run] = []
    yield started
    for run in started:
        run.kill()


@pytest.mark.parametrize("how", ["SSL_CERT_FILE", "ca_file"])
def test_run_buys_on_an_entry_over_tls(tls_sim, tmp_path, runs, how):
    extra = {"SSL_CERT_FILE": tls_sim.ca_file}
    if how == "ca_file":
        extra = {"KIWOOM_CONFIG": str(tmp_path / "tls.toml")}
        (tmp_path / "tls.toml").write_text(f'ca_file = "{tls_sim.ca_file}"\n', encoding="utf-8")
    run = Run("--headless", "--buy-cond", "1", *ANY_HOUR, env=mock_env(tls_sim, **extra))
    runs.append(run)
    tls_sim.set_price(CODE, 100_000)
    wait_until(lambda: subscribed(tls_sim, seq="1"), timeout=30, message="run subscribed to condition 1")
    tls_sim.push_condition("1", CODE, "I")
    fill = run.wait_for("fill", code=CODE, side="buy", timeout=30)[0]
    assert run.wait_for("start")[0]["rest_url"].startswith("https://")
    run.signal(signal.SIGTERM)
    assert run.wait_exit() == 130, run.stderr[-2000:]
    assert run.summary()["buys"] == 1 and fill["qty"] > 0
    assert [o["api_id"] for o in sim_orders(tls_sim)] == ["kt10000"]
