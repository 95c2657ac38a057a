"""kiwoom.toml + environment + command-line settings -> frozen dataclasses (docs/decisions.md §3, §5).

Read once at the CLI root and passed down; nothing deeper reads files or the environment.
Precedence of a value: command-line option > environment > file > default. The keys, their
parsers, defaults and environment variables are declared once, in config_schema.py. Secrets never
reach a repr, a message or redacted().
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit

from kiwoom_cli.config_schema import KEYS, TABLES, Invalid, default_for, from_text
from kiwoom_cli.config_toml import read_toml as _read_toml
from kiwoom_cli.config_types import (
    HOSTS,
    SIM_PAPER,
    Config,
    CostSchedule,
    Credentials,
    Endpoint,
    RunConfig,
    SimSettings,
)
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.errors import ConfigError

if TYPE_CHECKING:
    from kiwoom_cli.sim.domain import SimConfig

__all__ = [
    "HOSTS",
    "SIM_PAPER",
    "Config",
    "CostSchedule",
    "Credentials",
    "Endpoint",
    "RunConfig",
    "SimSettings",
    "find_config_file",
    "load_config",
    "redacted",
    "run_settings",
    "sim_config",
    "user_config_file",
]

ENV_KEYS: dict[str, str] = {key.env: name for name, key in KEYS.items() if key.env}  # KIWOOM_MODE -> mode ...
# Broker keys in the environment belong to mock/real; sending them to a simulator (which stores
# the app key in its state file) would spread them for nothing, so sim mode ignores them.
_BROKER_ENV = ("KIWOOM_APPKEY", "KIWOOM_SECRETKEY")
_LOOPBACK = "127.0.0.0/8, ::1 or localhost"
DEFAULT_ORIGIN = "default"


# --------------------------------------------------------------------------- discovery


def user_config_file() -> Path:
    """Return the per-user config file path (it may not exist)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("kiwoom")) / "kiwoom.toml"


def find_config_file(path: Path | None = None, env: Mapping[str, str] = os.environ) -> Path | None:
    """Return the settings file: --config, then $KIWOOM_CONFIG, then ./kiwoom.toml, then the user config dir."""
    for given, how in ((path, "--config"), (env.get("KIWOOM_CONFIG") or None, "KIWOOM_CONFIG")):
        if given is not None:
            p = Path(given).expanduser()
            if not p.is_file():
                what = "is not a file" if p.exists() else "does not exist"
                raise ConfigError(f"config file {p} (from {how}) {what}")
            return p.absolute()
    for p in (Path.cwd() / "kiwoom.toml", user_config_file()):
        if p.is_file():
            return p
    return None


# --------------------------------------------------------------------------- loading


def load_config(
    path: Path | None = None,
    *,
    env: Mapping[str, str] = os.environ,
    overrides: Mapping[str, object] | None = None,
) -> Config:
    """Load settings: command-line overrides (dotted keys) > environment > file > defaults."""
    source = find_config_file(path, env)
    file_values = _flatten(_read_toml(source), str(source)) if source is not None else {}
    opt_values = _check_overrides(overrides or {})

    def merge(env_vars: tuple[str, ...]) -> dict[str, tuple[Any, str, bool]]:
        raw = {k: (v, str(source), False) for k, v in file_values.items()}  # name -> (value, origin, as text)
        raw.update({ENV_KEYS[v]: (env[v], f"environment variable {v}", True) for v in env_vars if env.get(v)})
        raw.update({k: (v, "command-line option", True) for k, v in opt_values.items()})
        return raw

    raw = merge(tuple(ENV_KEYS))
    mode = _value("mode", raw, "sim")
    if mode == "sim":  # see _BROKER_ENV
        raw = merge(tuple(v for v in ENV_KEYS if v not in _BROKER_ENV))

    parsed = {name: _value(name, raw, default_for(name, mode)) for name in KEYS}
    origins = {name: raw[name][1] if name in raw else DEFAULT_ORIGIN for name in KEYS}
    _cross_check(parsed, origins, mode, source)
    return Config(
        mode=mode,
        credentials=_credentials(parsed, origins, mode),
        account=parsed["account"],
        rest_url=parsed["rest_url"],
        ws_url=parsed["ws_url"],
        source=source,
        run=RunConfig(**{f.name: parsed[f"run.{f.name}"] for f in fields(RunConfig)}),
        costs=CostSchedule(commission=parsed["costs.commission"], sell_tax=parsed["costs.sell_tax"]),
        sim=SimSettings(**{f.name: parsed[f"sim.{f.name}"] for f in fields(SimSettings)}),
        exchange=parsed["exchange"],
        origins=MappingProxyType(origins),
        warnings=_warnings(source, origins),
        rate_burst=parsed["rate_burst"],
        ca_file=_ca_file(parsed["ca_file"], origins["ca_file"], source),
    )


def _value(name: str, raw: dict[str, tuple[Any, str, bool]], default: Any) -> Any:
    if name not in raw:
        return default
    value, origin, textual = raw[name]
    key = KEYS[name]
    if textual and isinstance(value, str):
        value = from_text(key, value)
    try:
        return key.parse(value)
    except Invalid as exc:
        shown = "" if key.secret else f" = {_show(value)}"
        raise ConfigError(f"{origin}: {name}{shown}: {exc}. Allowed: {key.allowed}") from None


def _flatten(doc: dict[str, Any], origin: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for top, value in doc.items():
        if top in TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: {top} = ... is not a table. Allowed: a [{top}] table of its keys")
            for sub, v in value.items():
                name = f"{top}.{sub}"
                if name not in KEYS:
                    _unknown(name, origin, prefix=f"{top}.")
                flat[name] = v
        elif top in KEYS:
            flat[top] = value
        else:
            _unknown(top, origin, prefix="")
    return flat


def _unknown(name: str, origin: str, prefix: str) -> None:
    same_table = [k for k in KEYS if k.startswith(prefix) and (prefix or "." not in k)]
    allowed = [k[len(prefix):] for k in same_table] + ([f"[{t}]" for t in TABLES] if not prefix else [])
    guess = difflib.get_close_matches(name, list(KEYS), n=1, cutoff=0.75) or [
        k for k in KEYS if k.rsplit(".", 1)[-1] == name.rsplit(".", 1)[-1]
    ]
    hint = f" Did you mean {guess[0]}?" if guess else ""
    where = f"[{prefix[:-1]}] " if prefix else ""
    bare = name[len(prefix) :]
    raise ConfigError(f"{origin}: unknown key {where}{bare}.{hint} Allowed: {', '.join(allowed)}")


def _check_overrides(overrides: Mapping[str, object]) -> dict[str, Any]:
    out = {}
    for name, value in overrides.items():
        if value is None:  # an option the user did not give
            continue
        if name not in KEYS:
            _unknown(name, "command-line option", prefix="")
        out[name] = value
    return out


def _credentials(parsed: dict[str, Any], origins: dict[str, str], mode: str) -> Credentials:
    key, secret = parsed["app_key"], parsed["app_secret"]
    if key is None and secret is None and mode == "sim":
        return Credentials(SIM_PAPER, SIM_PAPER, origin=f"built-in {SIM_PAPER} (sim mode)")
    where = {origins["app_key"], origins["app_secret"]} - {DEFAULT_ORIGIN}
    return Credentials(key, secret, origin=" and ".join(sorted(where)))


def _cross_check(p: dict[str, Any], origins: dict[str, str], mode: str, source: Path | None) -> None:
    pairs = (("KIWOOM_APPKEY", "app_key"), ("KIWOOM_SECRETKEY", "app_secret"))
    missing = [var for var, name in pairs if p[name] is None]
    if missing and mode != "sim":
        names = " and ".join(missing)
        raise ConfigError(
            f'mode "{mode}" needs an app key and a secret key: {names} not set. Set the environment '
            f"variable{'s' if len(missing) > 1 else ''} {names} "
            f"(or app_key / app_secret in {source or 'kiwoom.toml'}). "
            f"Allowed: the keys issued for {mode} trading at openapi.kiwoom.com"
        )
    if len(missing) == 1:
        given, absent = ("app_key", "app_secret") if p["app_key"] else ("app_secret", "app_key")
        raise ConfigError(
            f"{origins[given]}: {given} is set but {absent} is not. "
            f"Allowed: both, or neither (sim mode then uses {SIM_PAPER})"
        )
    cap = p["run.max_order_value"]
    if cap is not None and p["run.buy_amount"] > cap:
        raise ConfigError(
            f"{origins['run.buy_amount']}: run.buy_amount = {p['run.buy_amount']} is above "
            f"run.max_order_value = {cap} ({origins['run.max_order_value']}), so every buy would be refused. "
            "Allowed: buy_amount at most max_order_value"
        )
    if mode != "sim":  # keys go to these servers: refuse plain text beyond this machine
        _refuse_plain_text(p, origins, mode)


def _refuse_plain_text(p: dict[str, Any], origins: dict[str, str], mode: str) -> None:
    """mock/real: no http:// or ws:// beyond this machine (the app key would travel unencrypted)."""
    for name in ("rest_url", "ws_url"):
        u = p[name]
        if u and urlsplit(u).scheme in ("http", "ws") and not _loopback(urlsplit(u).hostname):
            raise ConfigError(
                f'{origins[name]}: {name} = {_show(u)}: mode "{mode}" would send the app key unencrypted. '
                f"Allowed: https:// / wss://, or http:// / ws:// to {_LOOPBACK}"
            )


def _loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: this machine, where plain http(s) carries nothing off it."""
    import ipaddress

    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ca_file(value: str | None, origin: str, source: Path | None) -> str | None:
    """Resolve ca_file (relative to the settings file it came from, else to the current directory) and check it."""
    if value is None:
        return None
    from kiwoom_cli.kiwoom.tls import pem_problem

    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (source.parent if source is not None and origin == str(source) else Path.cwd()) / path
    problem = pem_problem(str(path))
    if problem is not None:
        raise ConfigError(f"{origin}: ca_file = {path}: {problem}. Allowed: {KEYS['ca_file'].allowed}")
    return str(path)


def _warnings(source: Path | None, origins: dict[str, str]) -> tuple[str, ...]:
    if source is None or os.name != "posix":
        return ()
    holds_secret = any(origins[k] == str(source) for k in ("app_key", "app_secret"))
    try:
        loose = source.stat().st_mode & 0o077
    except OSError:
        return ()
    if holds_secret and loose:
        return (
            f"{source} holds app keys and is readable by other users: "
            "chmod 600 it (or use KIWOOM_APPKEY / KIWOOM_SECRETKEY)",
        )
    return ()


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + (value if len(value) <= 40 else value[:37] + "...") + '"'
    if isinstance(value, dict):
        return "{...}"
    return repr(value)[:40]


# --------------------------------------------------------------------------- views for others


def run_settings(config: Config, on: dt.date | None = None) -> RunSettings:
    """Build the engine's RunSettings, with the cost rates in force on a trade date (default: today, KST)."""
    from kiwoom_cli.clock import KST

    day = on or dt.datetime.now(KST).date()
    names = {f.name for f in fields(RunSettings)}  # confirm_real is the CLI's, not the engine's
    values = {k: v for k, v in vars(config.run).items() if k in names}
    return RunSettings(**values, costs=config.costs_on(day), exchange=config.exchange)


def sim_config(config: Config, **fields_: Any) -> SimConfig:
    """Build the simulator's SimConfig from [sim] and [costs]; `fields_` sets its other fields (state_path ...)."""
    from kiwoom_cli.sim.domain import SimConfig  # only sim mode pays for the import

    s = config.sim
    extra = {"commission": config.costs.commission, "sell_tax_by_year": dict(config.costs.sell_tax)}
    extra.update(fields_.pop("extra", {}))
    return SimConfig(
        seed=s.seed,
        cash=s.cash,
        always_open=s.hours == "always",  # "krx": the exchange's default KRX session hours
        tick_rate=s.tick_rate,
        rate_limit=s.rate_limit,
        extra=extra,
        **fields_,
    )


def _mask_key(value: str | None) -> str:
    if not value:
        return "not set"
    if value == SIM_PAPER:
        return SIM_PAPER
    return f"****{value[-2:]}" if len(value) >= 12 else "set"  # 2 of >= 12 chars tells which key, not the key


def redacted(config: Config) -> dict[str, Any]:
    """Return every setting as plain values for `kiwoom config check`; secrets masked, never shown."""

    def plain(v: Any) -> Any:
        if isinstance(v, dt.time):
            return v.strftime("%H:%M:%S" if v.second else "%H:%M")
        if isinstance(v, tuple) and len(v) == 2 and all(isinstance(t, dt.time) for t in v):
            return f"{plain(v[0])}-{plain(v[1])}"
        return v

    creds = config.credentials
    ep = config.endpoint()
    return {
        "source": str(config.source) if config.source else None,
        "mode": config.mode,
        "app_key": _mask_key(creds.app_key),
        "app_secret": SIM_PAPER if creds.is_sim_paper else ("set" if creds.app_secret else "not set"),
        "credentials_from": creds.origin,
        "account": config.account,
        "rest_url": ep.rest_url,
        "ws_url": ep.ws_url,
        "exchange": config.exchange,
        "rate_burst": config.rate_burst,
        "ca_file": config.ca_file,
        "run": {k: plain(v) for k, v in vars(config.run).items()},
        "costs": {"commission": config.costs.commission, "sell_tax": dict(config.costs.sell_tax)},
        "sim": {k: v for k, v in vars(config.sim).items()},
        "origins": dict(config.origins),
        "warnings": list(config.warnings),
    }
