"""Every setting is declared once, in config_schema.KEYS; what else names a setting agrees with it.

The example file, the loaded dataclasses, the engine's RunSettings (defaults and bounds), the
environment variables and the command-line options are all held to that one table here.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pytest

from kiwoom_cli.config import ENV_KEYS, load_config, run_settings
from kiwoom_cli.config_schema import KEYS, TABLES, default_for
from kiwoom_cli.config_types import RunConfig, SimSettings
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

EXAMPLE = Path(__file__).resolve().parents[2] / "kiwoom.toml.example"
_CLI_ONLY = {"--until", "--headless", "--yes", "--help"}  # `kiwoom run` options that are no setting


def _example_keys() -> dict[str, bool]:
    """Dotted name -> set (True) or only shown commented out (False), each under its own [table]."""
    table, found = "", {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        header = re.fullmatch(r"\[(\w+)\]", line.strip())
        if header:
            table = header[1] + "."
            continue
        m = re.match(r"(# )?([a-z_]+) = [-\"{0-9tf]", line)  # a TOML value, not prose such as "true = ..."
        if m:
            name = table + m[2]
            found[name] = found.get(name, False) or m[1] is None
    return found


def test_every_declared_key_is_in_the_example_under_its_table_and_nothing_else_is():
    shown = _example_keys()
    assert set(shown) == set(KEYS)


@pytest.mark.parametrize("name", sorted(KEYS))
def test_each_value_the_example_sets_is_the_declared_default(name):
    doc = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    table, _, leaf = name.rpartition(".")
    values = doc.get(table, {}) if table else doc
    if leaf not in values:
        assert not _example_keys()[name]
        return
    for mode in ("sim", "mock", "real"):  # a default that depends on the mode is shown commented out only
        assert KEYS[name].parse(values[leaf]) == default_for(name, mode), mode


def test_every_environment_variable_comes_from_the_table_and_is_documented():
    text = EXAMPLE.read_text(encoding="utf-8")
    declared = {key.env: name for name, key in KEYS.items() if key.env}
    assert ENV_KEYS == declared
    for var, name in declared.items():
        assert var in text, var


def test_an_environment_variable_sets_its_key():
    cfg = load_config(env={"KIWOOM_EXCHANGE": "NXT", "KIWOOM_ACCOUNT": "1234567890"})
    assert (cfg.exchange, cfg.account) == ("NXT", "1234567890")
    assert cfg.origins["exchange"] == "environment variable KIWOOM_EXCHANGE"


def test_the_loaded_tables_have_exactly_the_declared_keys():
    for cls, table in ((RunConfig, "run"), (SimSettings, "sim")):
        assert {f"{table}.{f.name}" for f in dataclasses.fields(cls)} == {k for k in KEYS if k.startswith(table + ".")}
    assert {k.split(".", 1)[0] for k in KEYS if "." in k} == set(TABLES)


def test_run_settings_defaults_are_the_declared_sim_defaults():
    run_keys = {k.split(".", 1)[1] for k in KEYS if k.startswith("run.")}
    fields = {f.name for f in dataclasses.fields(RunSettings)}
    assert run_keys - fields == {"confirm_real"}  # the CLI's, not the engine's
    s = RunSettings()
    for name in run_keys & fields:
        value = getattr(s, name)
        assert getattr(value, "value", value) == default_for(f"run.{name}", "sim"), name
    assert s.exchange == KEYS["exchange"].default
    loaded = run_settings(load_config(env={}))
    assert [getattr(loaded, n) for n in sorted(run_keys & fields)] == [getattr(s, n) for n in sorted(run_keys & fields)]


# just outside the declared bound, and just inside it
BOUNDS = [
    ("buy_amount", 0, 1),
    ("max_positions", 1001, 1000),
    ("buy_ticks", 1001, -1000),
    ("sell_ticks", -1001, 1000),
    ("stop_loss_pct", -100, -99.5),
    ("stop_loss_pct", 0, -0.1),
    ("trail_arm_pct", 1000, 999),
    ("trail_drop_pct", 100, 99),
    ("amend_after_s", 0, 0.5),
    ("catch_up_s", 86400, 86399),
    ("max_order_value", 10**13 + 1, 10**13),
]


@pytest.mark.parametrize("name, outside, inside", BOUNDS)
def test_run_settings_and_the_file_share_one_bound(name, outside, inside):
    with pytest.raises(ConfigError):
        load_config(env={}, overrides={f"run.{name}": outside})
    with pytest.raises(ConfigError, match=f"run.{name}"):
        RunSettings(**{name: outside})
    assert getattr(load_config(env={}, overrides={f"run.{name}": inside}).run, name) == inside
    assert getattr(RunSettings(**{name: inside}), name) == inside


def _commands():
    import typer.main

    from kiwoom_cli.cli.main import app

    root = typer.main.get_command(app)
    return root, root.commands


def _options(command) -> dict[str, str]:
    return {opt: p.help for p in command.params for opt in p.opts if opt.startswith("--")}


def test_run_takes_every_setting_declared_for_it_with_the_declared_help():
    _, commands = _commands()
    options = _options(commands["run"])
    declared = {key.option: key.help for key in KEYS.values() if "run" in key.options}
    assert set(options) - _CLI_ONLY == set(declared)
    for option, help_text in declared.items():
        assert options[option] == help_text, option
    assert all(key.help for key in KEYS.values() if key.options)


def test_global_and_order_options_are_the_declared_ones():
    root, commands = _commands()
    assert _options(root)["--mode"] == KEYS["mode"].help
    for name, key in KEYS.items():
        if "order" in key.options:
            assert key.option in _options(commands["order"].commands["buy"]), name
