"""Credentials per mode, secrets kept out of every output, endpoints, and the example file."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from kiwoom_cli.config import HOSTS, SIM_PAPER, load_config, redacted
from kiwoom_cli.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "kiwoom.toml.example"
KEY = "AppKeyValue-7f3a9c2e41b8d05"
SECRET = "SecretValue-c0ffee1234abcd99"


def everything_printed(cfg) -> str:
    return "\n".join(
        [repr(cfg), str(cfg), repr(cfg.credentials), str(cfg.credentials), json.dumps(redacted(cfg), default=str)]
    )


@pytest.mark.parametrize("mode", ["mock", "real"])
@pytest.mark.parametrize(
    "env, missing",
    [
        ({}, ["KIWOOM_APPKEY", "KIWOOM_SECRETKEY"]),
        ({"KIWOOM_APPKEY": KEY}, ["KIWOOM_SECRETKEY"]),
        ({"KIWOOM_SECRETKEY": SECRET}, ["KIWOOM_APPKEY"]),
        ({"KIWOOM_APPKEY": "", "KIWOOM_SECRETKEY": ""}, ["KIWOOM_APPKEY", "KIWOOM_SECRETKEY"]),
    ],
)
def test_mock_and_real_need_keys(mode, env, missing, write):
    path = write(f'mode = "{mode}"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, env=env)
    message = str(err.value)
    for var in missing:
        assert var in message
    for var in {"KIWOOM_APPKEY", "KIWOOM_SECRETKEY"} - set(missing):
        assert f"{var} not set" not in message and f"{var} and" not in message
    assert str(path) in message and mode in message
    assert KEY not in message and SECRET not in message
    assert err.value.exit_code == 2


@pytest.mark.parametrize("where", ["env", "file", "option"])
@pytest.mark.parametrize("mode", ["mock", "real", "sim"])
def test_secrets_never_in_repr_str_or_redacted(where, mode, write):
    env, overrides, path = {}, {"mode": mode}, None
    if where == "env":
        env = {"KIWOOM_APPKEY": KEY, "KIWOOM_SECRETKEY": SECRET}
        if mode == "sim":
            path = write(f'app_key = "{KEY}"\napp_secret = "{SECRET}"\n')
    elif where == "file":
        path = write(f'app_key = "{KEY}"\napp_secret = "{SECRET}"\n')
    else:
        overrides.update(app_key=KEY, app_secret=SECRET)
    cfg = load_config(path, env=env, overrides=overrides)
    assert (cfg.credentials.app_key, cfg.credentials.app_secret) == (KEY, SECRET)
    printed = everything_printed(cfg)
    assert KEY not in printed and SECRET not in printed
    assert SECRET[-2:] not in json.dumps(redacted(cfg)["app_secret"])
    view = redacted(cfg)
    assert view["app_key"] == "****" + KEY[-2:]
    assert view["app_secret"] == "set"


@pytest.mark.parametrize(
    "text",
    [
        f'app_secert = "{SECRET}"\n',  # a misspelt key: unknown, its value must not be echoed
        f'[run]\napp_secret = "{SECRET}"\n',
        f'app_secret = "{SECRET}\n',  # unterminated string: a TOML error
        'app_secret = ""\napp_key = "x"\n',
        "app_secret = 12345678901234\napp_key = \"x\"\n",
    ],
)
def test_secrets_never_in_error_messages(text, write):
    with pytest.raises(ConfigError) as err:
        load_config(write(text), env={})
    assert SECRET not in str(err.value) and "12345678901234" not in str(err.value)


def test_short_key_shows_only_set(write):
    cfg = load_config(env={}, overrides={"mode": "mock", "app_key": "abc123", "app_secret": "xyz789"})
    assert redacted(cfg)["app_key"] == "set"
    assert "abc123" not in everything_printed(cfg) and "xyz789" not in everything_printed(cfg)


def test_sim_without_config_logs_in_as_sim_paper():
    cfg = load_config(env={})
    assert (cfg.credentials.app_key, cfg.credentials.app_secret) == (SIM_PAPER, SIM_PAPER)
    assert redacted(cfg)["app_key"] == SIM_PAPER
    assert cfg.endpoint() == ("sim", None, None)


def test_sim_mode_ignores_broker_keys_in_the_environment():
    env = {"KIWOOM_APPKEY": KEY, "KIWOOM_SECRETKEY": SECRET}
    assert load_config(env=env).credentials.is_sim_paper
    assert load_config(env=env, overrides={"mode": "mock"}).credentials.app_key == KEY


@pytest.mark.parametrize(
    "mode, env, file_text, expected",
    [
        ("real", {}, "", HOSTS["real"]),
        ("mock", {}, "", HOSTS["mock"]),
        ("sim", {}, "", (None, None)),
        ("sim", {}, 'rest_url = "http://127.0.0.1:8080/"\nws_url = "ws://127.0.0.1:8080/ws"\n',
         ("http://127.0.0.1:8080", "ws://127.0.0.1:8080/ws")),
        ("real", {"KIWOOM_REST_URL": "http://localhost:9", "KIWOOM_WS_URL": "ws://localhost:9/ws"}, "",
         ("http://localhost:9", "ws://localhost:9/ws")),
        ("mock", {"KIWOOM_REST_URL": "https://proxy.example"}, 'rest_url = "https://file.example"\n',
         ("https://proxy.example", HOSTS["mock"][1])),
    ],
)
def test_endpoint(mode, env, file_text, expected, write):
    env = dict(env, KIWOOM_APPKEY="k", KIWOOM_SECRETKEY="s")
    cfg = load_config(write(file_text) if file_text else None, env=env, overrides={"mode": mode})
    assert cfg.endpoint() == (mode, *expected)
    assert redacted(cfg)["rest_url"] == expected[0]


def test_example_file_loads_and_equals_the_defaults():
    example = load_config(EXAMPLE, env={})
    assert example.source == EXAMPLE
    assert dataclasses.replace(example, source=None) == load_config(env={})


@pytest.mark.parametrize("mode", ["mock", "real"])
def test_example_file_equals_the_defaults_in_every_mode(mode):
    env = {"KIWOOM_APPKEY": "k", "KIWOOM_SECRETKEY": "s"}
    example = load_config(EXAMPLE, env=env, overrides={"mode": mode})
    assert dataclasses.replace(example, source=None) == load_config(env=env, overrides={"mode": mode})


def test_example_file_documents_every_key():
    from kiwoom_cli.config_schema import KEYS

    text = EXAMPLE.read_text(encoding="utf-8")
    for name in KEYS:
        assert f"\n{name.split('.')[-1]} = " in text or f"\n# {name.split('.')[-1]} = " in text, name


@pytest.mark.skipif(os.name != "posix", reason="file modes")
@pytest.mark.parametrize("mode_bits, warned", [(0o644, True), (0o600, False)])
def test_warns_when_a_file_with_keys_is_readable_by_others(mode_bits, warned, write):
    path = write(f'app_key = "{KEY}"\napp_secret = "{SECRET}"\n')
    path.chmod(mode_bits)
    cfg = load_config(path, env={})
    assert bool(cfg.warnings) is warned
    assert all(SECRET not in w for w in cfg.warnings)
