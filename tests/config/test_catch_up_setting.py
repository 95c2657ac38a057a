"""[run] catch_up_s: seconds above 0 (default 60) or false; it reaches the engine's RunSettings."""

from __future__ import annotations

import pytest

from kiwoom_cli.config import load_config, run_settings
from kiwoom_cli.errors import ConfigError


def test_default_is_60_seconds_and_reaches_the_engine():
    cfg = load_config(env={})
    assert cfg.run.catch_up_s == 60.0 and run_settings(cfg).catch_up_s == 60.0


@pytest.mark.parametrize("value, expected", [("false", None), ("15", 15.0), ("2.5", 2.5)])
def test_file_and_option_values(value, expected, write):
    assert load_config(write(f"[run]\ncatch_up_s = {value}\n"), env={}).run.catch_up_s == expected
    assert run_settings(load_config(env={}, overrides={"run.catch_up_s": value})).catch_up_s == expected


@pytest.mark.parametrize("value", ["0", "-5", "86400", '"60s"', "true"])
def test_bad_values_name_the_key_and_exit_2(value, write):
    with pytest.raises(ConfigError) as err:
        load_config(write(f"[run]\ncatch_up_s = {value}\n"), env={})
    assert "run.catch_up_s" in str(err.value) and "above 0" in str(err.value)
    assert err.value.exit_code == 2
