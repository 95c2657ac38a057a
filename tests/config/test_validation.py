"""Bad settings: each is a ConfigError (exit 2) naming the key, where it came from and what is allowed."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.config import load_config, run_settings, sim_config
from kiwoom_cli.errors import ConfigError, ExitCode

# (file text, the key the message must name, a fragment of the allowed values)
BAD_FILES = [
    ("foo = 1\n", "foo", "Allowed: mode, app_key"),
    ("[run]\nbuy_amonut = 5\n", "buy_amonut", "Did you mean run.buy_amount?"),
    ("[runn]\nbuy_amount = 5\n", "runn", "[run]"),
    ("buy_amount = 5\n", "buy_amount", "Did you mean run.buy_amount?"),
    ("[sim]\nspeed = 5\n", "speed", "tick_rate"),
    ("run = 5\n", "run", "table"),
    ('mode = "paper"\n', "mode", '"sim", "mock" or "real"'),
    ("mode = 1\n", "mode", '"sim", "mock" or "real"'),
    ("rate_burst = 3\n", "rate_burst", "1 or 2"),
    ("rate_burst = 0\n", "rate_burst", "1 or 2"),
    ('rate_burst = "2"\n', "rate_burst", "1 or 2"),
    ("rate_burst = true\n", "rate_burst", "1 or 2"),
    ("rate_burst = 2.0\n", "rate_burst", "1 or 2"),
    ('[run]\nbuy_amount = "1000"\n', "run.buy_amount", "whole number from 1 to 10^13"),
    ("[run]\nbuy_amount = 1000.0\n", "run.buy_amount", "whole number from 1 to 10^13"),
    ("[run]\nbuy_amount = -5\n", "run.buy_amount", "whole number from 1 to 10^13"),
    ("[run]\nbuy_amount = 0\n", "run.buy_amount", "whole number from 1 to 10^13"),
    ("[run]\nbuy_amount = true\n", "run.buy_amount", "whole number from 1 to 10^13"),
    ("[run]\nbuy_amount = false\n", "run.buy_amount", "whole number from 1 to 10^13"),
    ("[run]\nmax_positions = false\n", "run.max_positions", "from 1 to 1000"),
    ("[run]\nmax_positions = 0\n", "run.max_positions", "from 1 to 1000"),
    ("[run]\nbuy_order = false\n", "run.buy_order", '"market" or "limit"'),
    ('[run]\nbuy_order = "limt"\n', "run.buy_order", '"market" or "limit"'),
    ('[run]\nsell_order = "MARKET"\n', "run.sell_order", '"market" or "limit"'),
    ("[run]\nbuy_ticks = 1.5\n", "run.buy_ticks", "ticks"),
    ("[run]\nsell_ticks = false\n", "run.sell_ticks", "ticks"),
    ("[run]\nstop_loss_pct = 1.5\n", "run.stop_loss_pct", "negative percent"),
    ("[run]\nstop_loss_pct = 0\n", "run.stop_loss_pct", "negative percent"),
    ("[run]\nstop_loss_pct = -150\n", "run.stop_loss_pct", "above -100"),
    ('[run]\nstop_loss_pct = "false"\n', "run.stop_loss_pct", "or false (off)"),
    ("[run]\nstop_loss_pct = true\n", "run.stop_loss_pct", "or false (off)"),
    ("[run]\nstop_loss_pct = nan\n", "run.stop_loss_pct", "or false (off)"),
    ("[run]\ntrail_arm_pct = -1\n", "run.trail_arm_pct", "above 0"),
    ("[run]\ntrail_drop_pct = 0\n", "run.trail_drop_pct", "between 0 and 100"),
    ("[run]\ntrail_drop_pct = 100\n", "run.trail_drop_pct", "between 0 and 100"),
    ("[run]\namend_after_s = 0\n", "run.amend_after_s", "above 0"),
    ('[run]\namend_after_s = "10s"\n', "run.amend_after_s", "above 0"),
    ("[run]\nmax_daily_loss = -100\n", "run.max_daily_loss", "whole number from 1 to 10^13"),
    ("[run]\nmax_order_value = 1.5\n", "run.max_order_value", "whole number from 1 to 10^13"),
    ("[run]\nbuy_amount = 2_000_000\nmax_order_value = 1_000_000\n", "run.max_order_value", "at most"),
    ('[run]\nadopt_holdings = "yes"\n', "run.adopt_holdings", "true or false"),
    ("[run]\nconfirm_real = 1\n", "run.confirm_real", "true or false"),
    ('[run]\nbuy_cond = ""\n', "run.buy_cond", "condition name or number"),
    ("[run]\nsell_cond = -1\n", "run.sell_cond", "condition name or number"),
    ('[run]\nwindow = "9-15"\n', "run.window", '"HH:MM-HH:MM"'),
    ('[run]\nwindow = "09:00"\n', "run.window", '"HH:MM-HH:MM"'),
    ('[run]\nwindow = "15:20-15:20"\n', "run.window", '"HH:MM-HH:MM"'),
    ('[run]\nwindow = "25:00-26:00"\n', "run.window", '"HH:MM-HH:MM"'),
    ('[run]\nwindow = "09:60-10:00"\n', "run.window", '"HH:MM-HH:MM"'),
    ('[run]\nwindow = "09:00-15:20-16:00"\n', "run.window", '"HH:MM-HH:MM"'),
    ('[run]\nwindow = "0900-1520"\n', "run.window", '"HH:MM-HH:MM"'),
    ("[run]\nwindow = 930\n", "run.window", '"HH:MM-HH:MM"'),
    ("[run]\nwindow = true\n", "run.window", '"HH:MM-HH:MM"'),
    ('[run]\nliquidate_at = "3pm"\n', "run.liquidate_at", '"HH:MM"'),
    ('[run]\nliquidate_at = "１５:１５"\n', "run.liquidate_at", '"HH:MM"'),  # full-width digits
    ('[run]\nwindow = "09:00-１５:20"\n', "run.window", '"HH:MM-HH:MM"'),
    ("[costs]\ncommission = 0.015\n", "costs.commission", "below 0.01"),
    ("[costs]\ncommission = -0.1\n", "costs.commission", "below 0.01"),
    ("[costs]\ncommission = false\n", "costs.commission", "below 0.01"),
    ("[costs]\nsell_tax = {abc = 0.1}\n", "costs.sell_tax", "year = fraction"),
    ("[costs]\nsell_tax = {2026 = 0.5}\n", "costs.sell_tax", "year = fraction"),
    ('[costs]\nsell_tax = "x"\n', "costs.sell_tax", "year = fraction"),
    ('[sim]\nhours = "24/7"\n', "sim.hours", '"always" or "krx"'),
    ("[sim]\ncash = 0\n", "sim.cash", "whole number from 1 to 10^13"),
    ("[sim]\nseed = -1\n", "sim.seed", "from 0 to"),
    ("[sim]\ntick_rate = 0\n", "sim.tick_rate", "above 0"),
    ('[sim]\nrate_limit = "fast"\n', "sim.rate_limit", '"1/2"'),
    ('[sim]\nrate_limit = "0/2"\n', "sim.rate_limit", '"1/2"'),
    ('[sim]\nrate_limit = "1/0"\n', "sim.rate_limit", '"1/2"'),
    ('[sim]\nrate_limit = "1/x"\n', "sim.rate_limit", '"1/2"'),
    ("[sim]\nrate_limit = {rate = 1.0}\n", "sim.rate_limit", "burst"),
    ("[sim]\nrate_limit = true\n", "sim.rate_limit", '"off"'),
    ('rest_url = "api.kiwoom.com"\n', "rest_url", "http:// or https://"),
    ('ws_url = "https://x.example/ws"\n', "ws_url", "ws:// or wss://"),
    ("account = 1234567890\n", "account", "as a string"),
    ('account = "12ab"\n', "account", "as a string"),
    ('app_key = "only-the-key"\n', "app_secret", "both, or neither"),
    ('mode = "real"\nrest_url = "http://evil.example"\napp_key = "k"\napp_secret = "s"\n', "rest_url", "https://"),
    # hostile numbers: every one is a bound, named in the message (issue 12 item 7)
    ("[costs]\ncommission = 1e20\n", "costs.commission", "below 0.01"),
    ("[costs]\nsell_tax = 1e20\n", "costs.sell_tax", "year = fraction"),
    ("[costs]\nsell_tax = {2026 = 1e20}\n", "costs.sell_tax", "year = fraction"),
    ("[sim]\ntick_rate = 1e20\n", "sim.tick_rate", "below 1000"),
    ("[sim]\ntick_rate = nan\n", "sim.tick_rate", "below 1000"),
    ("[sim]\ncash = 9223372036854775807\n", "sim.cash", "10^13"),
    ("[run]\nbuy_amount = 10_000_000_000_001\n", "run.buy_amount", "from 1 to 10^13"),
    ("[run]\nmax_order_value = 9223372036854775807\n", "run.max_order_value", "10^13"),
    ("[run]\nmax_daily_loss = 9223372036854775807\n", "run.max_daily_loss", "10^13"),
    ("[run]\nmax_positions = 1001\n", "run.max_positions", "from 1 to 1000"),
    ("[run]\nbuy_ticks = 1001\n", "run.buy_ticks", "-1000 to 1000"),
    ("[run]\nsell_ticks = -9223372036854775808\n", "run.sell_ticks", "-1000 to 1000"),
    ("[run]\ntrail_arm_pct = 1e20\n", "run.trail_arm_pct", "below 1000"),
    ("[run]\namend_after_s = 1e20\n", "run.amend_after_s", "below 86400"),
    ('[sim]\nrate_limit = "1e20/2"\n', "sim.rate_limit", '"1/2"'),
    ('[sim]\nrate_limit = "1/99999999999"\n', "sim.rate_limit", '"1/2"'),
    ('account = "１２３４５６７８"\n', "account", "6 to 12 digits"),
    ('mode = "mock"\nws_url = "ws://10.0.0.5:9/ws"\napp_key = "k"\napp_secret = "s"\n', "ws_url", "wss://"),
]


@pytest.mark.parametrize("text, key, allowed", BAD_FILES)
def test_bad_file_names_key_file_and_allowed_values(text, key, allowed, write):
    path = write(text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    message = str(err.value)
    assert key in message
    assert str(path) in message
    assert allowed in message
    assert "Allowed" in message
    assert err.value.exit_code == ExitCode.BAD_INPUT == 2


@pytest.mark.parametrize(
    "text",
    ['mode = "sim"\nbroken = \n', "[run]\nbuy_amount = 1\n[run]\nbuy_amount = 2\n", b"\xff\xfe mode"],
)
def test_unreadable_toml_names_the_file(text, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(path) in str(err.value)
    assert "TOML" in str(err.value)
    assert err.value.exit_code == 2


@pytest.mark.parametrize("text", [
    "a = " + "[" * 100_000 + "]" * 100_000 + "\n",  # the parser itself would recurse to death
    "a = " + "[" * 20 + "]" * 20 + "\n",  # parses, but no setting nests like that
    "[run]\nx = " + "{a = " * 12 + "1" + "}" * 12 + "\n",
    "a." * 50 + "b = 1\n",  # dotted keys are tables too
])
def test_absurd_nesting_is_refused_with_one_line(text, tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(path) in str(err.value) and "nested deeper than 8 levels" in str(err.value)
    assert err.value.exit_code == 2


def test_a_huge_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text("# padding\n" * 200_000)
    with pytest.raises(ConfigError, match="larger than 1,000,000 bytes"):
        load_config(path, env={})


# (overrides, env, key named, origin named)
BAD_OTHER = [
    ({"run.buy_amount": -1}, {}, "run.buy_amount", "command-line option: run.buy_amount"),
    ({"run.buy_amount": "abc"}, {}, "run.buy_amount", "command-line option"),
    ({"run.stop_loss_pct": 2}, {}, "run.stop_loss_pct", "command-line option"),
    ({"run.nope": 1}, {}, "nope", "command-line option"),
    ({"mode": "paper"}, {}, "mode", "command-line option: mode"),
    ({}, {"KIWOOM_MODE": "paper"}, "mode", "environment variable KIWOOM_MODE"),
    ({}, {"KIWOOM_REST_URL": "ftp://x"}, "rest_url", "environment variable KIWOOM_REST_URL"),
    ({}, {"KIWOOM_ACCOUNT": "abc"}, "account", "environment variable KIWOOM_ACCOUNT"),
    ({}, {"KIWOOM_ACCOUNT": "１２３４５６７８"}, "account", "environment variable KIWOOM_ACCOUNT"),
    ({"run.buy_amount": "１０００"}, {}, "run.buy_amount", "command-line option"),  # full-width digits
    ({"run.buy_amount": "1e20"}, {}, "run.buy_amount", "command-line option"),
    ({"run.buy_amount": "100000000000000000000"}, {}, "run.buy_amount", "command-line option"),
    ({"run.stop_loss_pct": "－３"}, {}, "run.stop_loss_pct", "command-line option"),
    ({"run.trail_arm_pct": "1e400"}, {}, "run.trail_arm_pct", "command-line option"),
    ({"run.max_order_value": "1e20"}, {}, "run.max_order_value", "command-line option"),
]


@pytest.mark.parametrize("overrides, env, key, origin", BAD_OTHER)
def test_bad_option_or_environment_named(overrides, env, key, origin):
    with pytest.raises(ConfigError) as err:
        load_config(env=env, overrides=overrides)
    assert key in str(err.value)
    assert origin in str(err.value)
    assert err.value.exit_code == 2


RULE_KEYS = [
    "stop_loss_pct",
    "trail_arm_pct",
    "trail_drop_pct",
    "amend_after_s",
    "window",
    "liquidate_at",
    "max_daily_loss",
    "max_order_value",
]


@pytest.mark.parametrize("key", RULE_KEYS)
@pytest.mark.parametrize("how", ["file", "option-bool", "option-text"])
def test_false_turns_a_rule_off(key, how, write):
    creds = {"KIWOOM_APPKEY": "k" * 16, "KIWOOM_SECRETKEY": "s" * 16}
    if how == "file":
        cfg = load_config(write(f'mode = "real"\n[run]\n{key} = false\n'), env=creds)
    else:
        value = False if how == "option-bool" else "false"
        cfg = load_config(env=creds, overrides={"mode": "real", f"run.{key}": value})
    assert getattr(cfg.run, key) is None
    assert getattr(load_config(env=creds, overrides={"mode": "real"}).run, key) is not None or key.startswith("max_")
    settings = run_settings(cfg, on=dt.date(2026, 11, 25))
    assert getattr(settings, key) is None
    if key.startswith("trail"):
        assert settings.trailing_on is False


@pytest.mark.parametrize(
    "text, expected",
    [
        ('"09:00-15:20"', (dt.time(9, 0), dt.time(15, 20))),
        ('"9:00-15:20"', (dt.time(9, 0), dt.time(15, 20))),
        ('" 09:00 - 15:20 "', (dt.time(9, 0), dt.time(15, 20))),
        ('"09:00:30-15:20:05"', (dt.time(9, 0, 30), dt.time(15, 20, 5))),
        ('"22:00-02:00"', (dt.time(22, 0), dt.time(2, 0))),  # across midnight: sim practice at night
        ("false", None),
    ],
)
def test_window_parsing(text, expected, write):
    assert load_config(write(f"[run]\nwindow = {text}\n"), env={}).run.window == expected


@pytest.mark.parametrize(
    "mode, window, liquidate_at",
    [("sim", None, None), ("mock", (dt.time(9), dt.time(15, 20)), dt.time(15, 15)),
     ("real", (dt.time(9), dt.time(15, 20)), dt.time(15, 15))],
)
def test_window_and_liquidation_defaults_depend_on_mode(mode, window, liquidate_at):
    cfg = load_config(env={"KIWOOM_APPKEY": "k", "KIWOOM_SECRETKEY": "s"}, overrides={"mode": mode})
    assert (cfg.run.window, cfg.run.liquidate_at) == (window, liquidate_at)


def test_defaults_with_no_config():
    cfg = load_config(env={})
    r = cfg.run
    assert cfg.mode == "sim" and cfg.source is None
    assert (r.buy_amount, r.max_positions, r.buy_order, r.sell_order) == (1_000_000, 5, "market", "market")
    assert (r.stop_loss_pct, r.trail_arm_pct, r.trail_drop_pct, r.amend_after_s) == (-2.0, 2.0, 1.0, 10.0)
    assert r.window is None
    assert (cfg.sim.hours, cfg.sim.rate_limit) == ("always", (1.0, 2))


@pytest.mark.parametrize(
    "overrides, attr, expected",
    [
        ({"run.buy_amount": "500_000"}, "buy_amount", 500_000),
        ({"run.stop_loss_pct": "-3.5"}, "stop_loss_pct", -3.5),
        ({"run.stop_loss_pct": -3}, "stop_loss_pct", -3.0),
        ({"run.adopt_holdings": "yes"}, "adopt_holdings", True),
        ({"run.window": "10:00-11:00"}, "window", (dt.time(10), dt.time(11))),
        ({"run.buy_cond": 3}, "buy_cond", "3"),
        ({"run.buy_cond": "momentum"}, "buy_cond", "momentum"),
        ({"run.buy_ticks": -2}, "buy_ticks", -2),
    ],
)
def test_options_are_validated_and_read_like_the_file(overrides, attr, expected):
    assert getattr(load_config(env={}, overrides=overrides).run, attr) == expected


@pytest.mark.parametrize(
    "text, hours, always_open, rate_limit",
    [
        ('hours = "krx"\nrate_limit = "off"', "krx", False, None),
        ("rate_limit = false", "always", True, None),
        ('rate_limit = "0.5/3"', "always", True, (0.5, 3)),
        ("rate_limit = {rate = 2, burst = 4}", "always", True, (2.0, 4)),
    ],
)
def test_sim_table(text, hours, always_open, rate_limit, write):
    cfg = load_config(write(f"[sim]\n{text}\ncash = 5_000_000\nseed = 7\ntick_rate = 3\n"), env={})
    assert (cfg.sim.hours, cfg.sim.rate_limit, cfg.sim.cash, cfg.sim.seed) == (hours, rate_limit, 5_000_000, 7)
    sc = sim_config(cfg, state_path="x.json", extra={"page_size": 5})
    assert (sc.always_open, sc.rate_limit, sc.cash, sc.seed, sc.tick_rate, sc.state_path) == (
        always_open, rate_limit, 5_000_000, 7, 3.0, "x.json")
    assert sc.extra["page_size"] == 5
    assert sc.extra["commission"] == cfg.costs.commission


def test_sim_config_shares_the_cost_table(write):
    cfg = load_config(write("[costs]\ncommission = 0.0001\nsell_tax = {2026 = 0.0018}\n"), env={})
    extra = sim_config(cfg).extra
    assert extra["commission"] == 0.0001
    assert extra["sell_tax_by_year"][2026] == 0.0018 and extra["sell_tax_by_year"][2025] == 0.0015


@pytest.mark.parametrize(
    "text, day, commission, sell_tax",
    [
        ("", dt.date(2025, 6, 1), 0.00015, 0.0015),
        ("", dt.date(2026, 1, 2), 0.00015, 0.0020),
        ("", dt.date(2031, 1, 2), 0.00015, 0.0020),
        ("commission = 0\nsell_tax = {2026 = 0.0018}", dt.date(2026, 3, 1), 0.0, 0.0018),
        ("sell_tax = {2026 = 0.0018}", dt.date(2025, 3, 1), 0.00015, 0.0015),
        ("sell_tax = {2027 = 0.0025}", dt.date(2028, 3, 1), 0.00015, 0.0025),
        ("sell_tax = 0.001", dt.date(2024, 3, 1), 0.00015, 0.001),
        ("sell_tax = 0.001", dt.date(2030, 3, 1), 0.00015, 0.001),
    ],
)
def test_dated_costs(text, day, commission, sell_tax, write):
    cfg = load_config(write(f"[costs]\n{text}\n"), env={})
    rates = cfg.costs_on(day)
    assert rates.commission == pytest.approx(commission)
    assert rates.sell_tax == pytest.approx(sell_tax)
    assert run_settings(cfg, on=day).costs == rates


def test_run_settings_carries_every_run_value(write):
    cfg = load_config(
        write('[run]\nbuy_amount = 300_000\nmax_positions = 2\nbuy_order = "limit"\nbuy_ticks = 1\n'
              'window = "09:05-15:00"\nliquidate_at = "14:50"\nmax_daily_loss = 50_000\nsell_cond = "2"\n'),
        env={},
    )
    s = run_settings(cfg, on=dt.date(2026, 5, 1))
    assert (s.buy_amount, s.max_positions, s.buy_order.value, s.buy_ticks) == (300_000, 2, "limit", 1)
    assert (s.window, s.liquidate_at) == ((dt.time(9, 5), dt.time(15)), dt.time(14, 50))
    assert (s.max_daily_loss, s.sell_cond) == (50_000, "2")


@pytest.mark.parametrize("mode, expected", [("sim", 2), ("mock", 1), ("real", 1)])
def test_rate_burst_defaults_to_the_safe_1_against_the_broker(mode, expected, write):
    env = {"KIWOOM_APPKEY": "k", "KIWOOM_SECRETKEY": "s"}
    assert load_config(env=env, overrides={"mode": mode}).rate_burst == expected
    assert load_config(write("rate_burst = 2\n"), env=env, overrides={"mode": mode}).rate_burst == 2
    assert load_config(env=env, overrides={"mode": mode, "rate_burst": "1"}).rate_burst == 1


@pytest.mark.parametrize("mode, text, expected", [
    ("mock", "", 1), ("real", "", 1), ("mock", "rate_burst = 2\n", 2),
    ("sim", "", 2), ("sim", '[sim]\nrate_limit = "1/1"\n', 1), ("sim", "rate_burst = 1\n", 1)])
def test_commands_and_run_build_their_limiter_with_rate_burst(mode, text, expected, write):
    from kiwoom_cli.cli.session import rate_limiter as run_limiter
    from kiwoom_cli.clock import ManualClock

    env = {"KIWOOM_APPKEY": "k", "KIWOOM_SECRETKEY": "s"}
    config = load_config(write(text) if text else None, env=env, overrides={"mode": mode})
    assert run_limiter(config, ManualClock()).burst("kt10000") == expected
    off = load_config(write('[sim]\nrate_limit = "off"\n'), env=env, overrides={"mode": "sim"})
    assert run_limiter(off, ManualClock()) is None
