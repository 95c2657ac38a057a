"""Where the settings file is found, and which value wins (docs/decisions.md §3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwoom_cli.config import find_config_file, load_config
from kiwoom_cli.errors import ConfigError, ExitCode

PLACES = ("option", "env", "cwd", "user")


@pytest.mark.parametrize(
    "present, winner",
    [
        (("option", "env", "cwd", "user"), "option"),
        (("env", "cwd", "user"), "env"),
        (("cwd", "user"), "cwd"),
        (("user",), "user"),
        (("option", "user"), "option"),
        (("env", "user"), "env"),
        ((), None),
    ],
)
def test_discovery_order(present, winner, tmp_path, write, user_config_dir):
    folders = {
        "option": tmp_path / "opt",
        "env": tmp_path / "envdir",
        "cwd": tmp_path,  # the test runs in tmp_path (tests/conftest.py)
        "user": user_config_dir,
    }
    amounts = {place: 1000 + i for i, place in enumerate(PLACES)}
    paths = {p: write(f"[run]\nbuy_amount = {amounts[p]}\n", where=folders[p]) for p in present}
    env = {"KIWOOM_CONFIG": str(paths["env"])} if "env" in paths else {}
    cfg = load_config(paths.get("option"), env=env)
    if winner is None:
        assert cfg.source is None
        assert cfg.run.buy_amount == 1_000_000
    else:
        assert cfg.source == paths[winner]
        assert cfg.run.buy_amount == amounts[winner]
        assert cfg.origins["run.buy_amount"] == str(paths[winner])


@pytest.mark.parametrize("how", ["option", "env"])
@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_named_file_must_exist(how, kind, tmp_path):
    target = tmp_path / "nope.toml"
    if kind == "directory":
        target.mkdir()
    with pytest.raises(ConfigError) as err:
        if how == "option":
            load_config(target, env={})
        else:
            load_config(env={"KIWOOM_CONFIG": str(target)})
    assert str(target) in str(err.value)
    assert ("--config" if how == "option" else "KIWOOM_CONFIG") in str(err.value)
    assert err.value.exit_code == ExitCode.BAD_INPUT == 2


def test_find_config_file_returns_absolute_path_for_relative_option(tmp_path, write):
    write("", where=tmp_path / "rel")
    found = find_config_file(Path("rel/kiwoom.toml"), env={})
    assert found == tmp_path / "rel" / "kiwoom.toml"
    assert found.is_absolute()


# (key, file value, env var, env value, override, expected winner value)
PRECEDENCE = [
    ("rest_url", '"https://file.example"', "KIWOOM_REST_URL", "https://env.example", "https://opt.example"),
    ("ws_url", '"wss://file.example/ws"', "KIWOOM_WS_URL", "wss://env.example/ws", "wss://opt.example/ws"),
    ("account", '"1111111111"', "KIWOOM_ACCOUNT", "2222222222", "3333333333"),
    ("mode", '"real"', "KIWOOM_MODE", "mock", "sim"),
]


@pytest.mark.parametrize("key, file_value, var, env_value, opt_value", PRECEDENCE)
@pytest.mark.parametrize("layers", ["f", "fe", "feo", "eo", "fo", "o", "e", ""])
def test_precedence_option_env_file_default(key, file_value, var, env_value, opt_value, layers, write):
    creds = {"KIWOOM_APPKEY": "k" * 16, "KIWOOM_SECRETKEY": "s" * 16}  # so mock/real load
    path = write(f"{key} = {file_value}\n") if "f" in layers else None
    env = dict(creds, **({var: env_value} if "e" in layers else {}))
    overrides = {key: opt_value} if "o" in layers else None
    cfg = load_config(path, env=env, overrides=overrides)
    if "o" in layers:
        expected, origin = opt_value, "command-line option"
    elif "e" in layers:
        expected, origin = env_value, f"environment variable {var}"
    elif "f" in layers:
        expected, origin = file_value.strip('"'), str(path)
    else:
        expected, origin = {"mode": "sim"}.get(key), "default"
    assert getattr(cfg, key) == expected
    assert cfg.origins[key] == origin


@pytest.mark.parametrize(
    "layers, expected",
    [("", 1_000_000), ("f", 2000), ("fo", 3000), ("o", 3000)],
)
def test_run_option_beats_file(layers, expected, write):
    path = write("[run]\nbuy_amount = 2000\n") if "f" in layers else None
    overrides = {"run.buy_amount": 3000} if "o" in layers else None
    assert load_config(path, env={}, overrides=overrides).run.buy_amount == expected


def test_credentials_precedence_in_mock(write):
    path = write('mode = "mock"\napp_key = "file-key-0000000001"\napp_secret = "file-secret-0000001"\n')
    cfg = load_config(path, env={"KIWOOM_APPKEY": "env-key-00000000002"})
    assert cfg.credentials.app_key == "env-key-00000000002"
    assert cfg.credentials.app_secret == "file-secret-0000001"
    assert cfg.origins["app_key"] == "environment variable KIWOOM_APPKEY"
    assert cfg.origins["app_secret"] == str(path)


def test_none_overrides_are_options_not_given(write):
    path = write("[run]\nbuy_amount = 2000\n")
    cfg = load_config(path, env={}, overrides={"run.buy_amount": None, "mode": None})
    assert cfg.run.buy_amount == 2000
    assert cfg.mode == "sim"


def test_load_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("KIWOOM_REST_URL", "http://127.0.0.1:9")
    assert load_config().endpoint().rest_url == "http://127.0.0.1:9"
