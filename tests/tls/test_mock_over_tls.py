"""Mock mode over https/wss against the TLS simulator, as a user would configure it (environment, kiwoom.toml)."""

from __future__ import annotations

import pytest

from kiwoom_cli.config import load_config
from kiwoom_cli.errors import ConfigError
from tests.kit.cli import kiwoom
from tests.kit.cli import mock_env
from tests.tls.conftest import sim_orders


def use(monkeypatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def trust_by_ca_file(tmp_path, ca_file: str) -> None:
    (tmp_path / "kiwoom.toml").write_text(f'ca_file = "{ca_file}"\n', encoding="utf-8")  # cwd is tmp_path


@pytest.mark.parametrize("how", ["SSL_CERT_FILE", "ca_file"])
def test_account_over_tls(tls_sim, tmp_path, monkeypatch, how):
    extra = {"SSL_CERT_FILE": tls_sim.ca_file} if how == "SSL_CERT_FILE" else {}
    use(monkeypatch, mock_env(tls_sim, **extra))
    if how == "ca_file":
        trust_by_ca_file(tmp_path, tls_sim.ca_file)
    ran = kiwoom("account")
    assert ran.code == 0, ran.err
    assert "100,000,000" in ran.out
    assert "kt00018" in {e["api_id"] for e in tls_sim.request_log}


def test_manual_order_over_tls_trusting_the_ca_through_ca_file(tls_sim, tmp_path, monkeypatch):
    use(monkeypatch, mock_env(tls_sim))
    trust_by_ca_file(tmp_path, tls_sim.ca_file)
    ran = kiwoom("order", "buy", "005930", "1", "--market", "--yes")
    assert ran.code == 0, ran.err
    assert [(o["api_id"], o["body"]["stk_cd"]) for o in sim_orders(tls_sim)] == [("kt10000", "005930")]


def test_untrusted_certificate_is_refused_and_no_order_arrives(tls_sim, monkeypatch, other_ca):
    use(monkeypatch, mock_env(tls_sim, SSL_CERT_FILE=tls_sim.ca_file))
    assert kiwoom("account").code == 0  # the token is cached: the order command goes straight to orders
    monkeypatch.setenv("SSL_CERT_FILE", other_ca)  # certifi + a CA that did not sign the simulator's
    seen = len(tls_sim.request_log)
    ran = kiwoom("order", "buy", "005930", "1", "--market", "--yes")
    assert ran.code == 4, (ran.code, ran.err)
    assert "certificate verify failed for 127.0.0.1" in ran.err
    assert "Traceback" not in ran.err
    assert sim_orders(tls_sim) == [] and len(tls_sim.request_log) == seen


def test_without_the_ca_the_first_request_is_refused_before_the_keys_leave(tls_sim, monkeypatch):
    use(monkeypatch, mock_env(tls_sim))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    ran = kiwoom("account")
    assert ran.code == 4 and "au10001: certificate verify failed for 127.0.0.1" in ran.err
    assert tls_sim.request_log == []


def test_a_broken_ssl_cert_file_is_exit_2_naming_it(tls_sim, tmp_path, monkeypatch):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n", encoding="utf-8")
    use(monkeypatch, mock_env(tls_sim, SSL_CERT_FILE=str(junk)))
    ran = kiwoom("account")
    assert ran.code == 2 and "SSL_CERT_FILE" in ran.err and "PEM" in ran.err
    assert tls_sim.request_log == []


@pytest.mark.parametrize("content, words", [
    (None, "cannot read it"),
    ("hello\n", "not a PEM file"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a PEM file"),
])
def test_a_bad_ca_file_is_exit_2_naming_the_key(tls_sim, tmp_path, monkeypatch, content, words):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    use(monkeypatch, mock_env(tls_sim))
    trust_by_ca_file(tmp_path, str(path))
    ran = kiwoom("account")
    assert ran.code == 2, ran.err
    assert "ca_file" in ran.err and words in ran.err
    assert tls_sim.request_log == []


def test_a_relative_ca_file_is_relative_to_the_settings_file(tls_sim, tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "ca.pem").write_bytes(open(tls_sim.ca_file, "rb").read())
    (conf / "kiwoom.toml").write_text('ca_file = "ca.pem"\n', encoding="utf-8")
    config = load_config(conf / "kiwoom.toml", env={})
    assert config.ca_file == str(conf / "ca.pem")


@pytest.mark.parametrize("name, url", [
    ("rest_url", "http://10.0.0.5:8080"),
    ("rest_url", "http://mockapi.kiwoom.com"),
    ("ws_url", "ws://192.168.1.2:10000/api/dostk/websocket"),
])
def test_plain_text_beyond_loopback_is_exit_2_naming_the_key(monkeypatch, name, url):
    env = {"KIWOOM_MODE": "mock", "KIWOOM_APPKEY": "k" * 20, "KIWOOM_SECRETKEY": "s" * 20,
           "KIWOOM_REST_URL": "https://127.0.0.1:1", "KIWOOM_WS_URL": "wss://127.0.0.1:1/ws"}
    env["KIWOOM_" + name.upper()] = url
    use(monkeypatch, env)
    ran = kiwoom("account")  # refused while the settings load: nothing is connected
    assert ran.code == 2 and name in ran.err and "unencrypted" in ran.err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "localhost", "[::1]"])
def test_plain_text_to_loopback_is_allowed(host):
    env = {"KIWOOM_MODE": "real", "KIWOOM_APPKEY": "k" * 20, "KIWOOM_SECRETKEY": "s" * 20,
           "KIWOOM_REST_URL": f"http://{host}:8080", "KIWOOM_WS_URL": f"ws://{host}:8080/api/dostk/websocket"}
    assert load_config(env=env).rest_url == f"http://{host}:8080"


def test_a_host_that_only_starts_like_loopback_is_not_loopback():
    env = {"KIWOOM_MODE": "mock", "KIWOOM_APPKEY": "k" * 20, "KIWOOM_SECRETKEY": "s" * 20,
           "KIWOOM_REST_URL": "http://127.0.0.1.example.com"}
    with pytest.raises(ConfigError, match="rest_url"):
        load_config(env=env)
