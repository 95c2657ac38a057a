"""`kiwoom sim --tls` (and [sim] tls = true): https/wss with a CA of its own, trusted by sim-mode commands
through sim.json, and never anything else."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from kiwoom_cli.sim import embedded
from tests.kit.cli import kiwoom, kiwoom_exe
from tests.kit.helpers import wait_until


def https_orders(rest_url: str, ca_file: str) -> list[dict]:
    import http.client
    import ssl
    from urllib.parse import urlsplit

    parts = urlsplit(rest_url)
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=10,
                                       context=ssl.create_default_context(cafile=ca_file))
    try:
        conn.request("GET", "/sim/orders")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def test_kiwoom_sim_tls_is_reused_by_sim_mode_commands_trusting_exactly_its_ca(isolated_home, monkeypatch,
                                                                                 other_ca):
    proc = subprocess.Popen([kiwoom_exe(), "sim", "--tls", "--static", "--rate-limit", "off"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        found = wait_until(embedded.running_sim, timeout=30, message="a TLS simulator in sim.json")
        info = json.loads(embedded.sim_json_path().read_text())
        assert info["rest_url"].startswith("https://127.0.0.1:") and info["ws_url"].startswith("wss://127.0.0.1:")
        ca = Path(info["ca_file"])
        assert ca.parent == isolated_home / "sim" and found.ca_file == str(ca)
        assert stat.S_IMODE(ca.stat().st_mode) == 0o600
        assert ca.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        monkeypatch.setenv("SSL_CERT_FILE", other_ca)  # the simulator's CA alone counts in sim mode
        # The serving process holds the paper account: a command that did not reuse it would exit 6.
        ran = kiwoom("order", "buy", "005930", "1", "--market")
        assert ran.code == 0, ran.err
        ran = kiwoom("account")
        assert ran.code == 0 and "005930" in ran.out, ran.err
        assert [o["api_id"] for o in https_orders(found.rest_url, str(ca))] == ["kt10000"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"CA file    {ca}" in out
    assert not embedded.sim_json_path().exists()


def test_sim_tls_setting_makes_the_embedded_simulator_serve_tls(isolated_home, tmp_path):
    (tmp_path / "kiwoom.toml").write_text("[sim]\ntls = true\nrate_limit = \"off\"\n", encoding="utf-8")
    ran = kiwoom("order", "buy", "005930", "1", "--market")
    assert ran.code == 0, ran.err
    assert (isolated_home / "sim" / "ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    state = json.loads(embedded.paper_path().read_text())
    assert state["accounts"]


def test_importing_the_cli_and_plain_paths_never_loads_cryptography():
    code = ("import kiwoom_cli.cli.main, kiwoom_cli.cli.session, kiwoom_cli.kiwoom.rest, "
            "kiwoom_cli.kiwoom.socket, kiwoom_cli.sim.server, kiwoom_cli.sim.embedded, kiwoom_cli.config")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          check=True, env=dict(os.environ))
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "kiwoom_cli.sim.embedded" in imported  # the measurement itself worked
    assert not {m for m in imported if m.split(".")[0] == "cryptography" or m == "kiwoom_cli.sim.certs"}
