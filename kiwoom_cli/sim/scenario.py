"""Scenario files: a TOML timeline of control actions the simulator's server runs on timers.

    description = "a buy, then a stop-loss"   # optional
    seed = 7                                   # optional: overrides the sim's seed
    static = true                              # optional: prices move only by these steps

    [[step]]
    at = 1.5                                   # seconds from the start
    price = { code = "005930", price = 98000 }

    [[step]]
    at = 2
    condition = { seq = "0", code = "005930", event = "I" }

    [[step]]
    at = 3
    fault = { kind = "rate_limit", count = 2 }  # delay_s = 2.0 for kind "delay_order"

Each step carries exactly one action. Parsing validates everything it can without a running
market (codes are listed, prices on the grid, seqs exist, fault kinds known); whether a price is
inside the day's limits is checked when the step runs (the base price may have moved).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from kiwoom_cli import market
from kiwoom_cli.errors import BadInput
from kiwoom_cli.sim.conditions import BY_SEQ
from kiwoom_cli.sim.context import ANSWER_KINDS, FAULT_KINDS
from kiwoom_cli.sim.instruments import BY_CODE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ScenarioError(BadInput):
    """The scenario file is wrong: the message names the step and key."""


@dataclass(frozen=True, slots=True)
class PriceAction:
    code: str
    price: int


@dataclass(frozen=True, slots=True)
class ConditionAction:
    seq: str
    code: str
    event: str  # "I" | "D"


@dataclass(frozen=True, slots=True)
class FaultAction:
    kind: str
    count: int = 1
    delay_s: float | None = None  # only for kind "delay_order"


Action = PriceAction | ConditionAction | FaultAction


@dataclass(frozen=True, slots=True)
class Step:
    at: float  # seconds from the scenario's start
    action: Action
    number: int  # 1-based position in the file, for messages


@dataclass(frozen=True, slots=True)
class Scenario:
    steps: tuple[Step, ...]  # sorted by `at`, file order among equal times
    source: str
    description: str = ""
    seed: int | None = None
    static: bool | None = None


_TOP_KEYS = {"step", "description", "seed", "static"}
_ACTIONS = ("price", "condition", "fault")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror or exc}") from exc
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and validate scenario TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from exc
    except RecursionError:  # tomllib recurses per nesting level: a hostile file exhausts the stack
        raise ScenarioError(f"{source}: nested too deeply to be a scenario") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ScenarioError(
            f"{source}: unknown top-level key {unknown[0]!r} (expected {', '.join(sorted(_TOP_KEYS))})"
        )
    raw_steps = data.get("step", [])
    if not isinstance(raw_steps, list) or not all(isinstance(s, dict) for s in raw_steps):
        raise ScenarioError(f"{source}: 'step' must be an array of tables ([[step]])")
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ScenarioError(f"{source}: 'seed' must be an integer, got {seed!r}")
    static = data.get("static")
    if static is not None and not isinstance(static, bool):
        raise ScenarioError(f"{source}: 'static' must be true or false, got {static!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(f"{source}: 'description' must be a string")
    steps = [_parse_step(raw, number, source) for number, raw in enumerate(raw_steps, start=1)]
    steps.sort(key=lambda s: (s.at, s.number))
    return Scenario(steps=tuple(steps), source=source, description=description, seed=seed, static=static)


def _parse_step(raw: dict, number: int, source: str) -> Step:
    where = f"{source}: step {number}"
    at = raw.get("at")
    if at is None:
        raise ScenarioError(f"{where}: missing 'at' (seconds from the start)")
    if isinstance(at, bool) or not isinstance(at, (int, float)) or math.isnan(at) or at < 0:
        raise ScenarioError(f"{where}: 'at' must be a number of seconds >= 0, got {at!r}")
    present = [key for key in _ACTIONS if key in raw]
    extra = sorted(set(raw) - {"at", *_ACTIONS})
    if extra:
        raise ScenarioError(
            f"{where}: unknown key {extra[0]!r} (expected 'at' and one of {', '.join(_ACTIONS)})"
        )
    if len(present) != 1:
        found = ", ".join(present) or "none"
        raise ScenarioError(f"{where}: needs exactly one of {', '.join(_ACTIONS)} (found {found})")
    kind = present[0]
    body = raw[kind]
    if not isinstance(body, dict):
        raise ScenarioError(f"{where}: '{kind}' must be an inline table, e.g. {kind} = {{ ... }}")
    parser = {"price": _price, "condition": _condition, "fault": _fault}[kind]
    return Step(at=float(at), action=parser(body, f"{where}: {kind}"), number=number)


def _keys(body: dict, where: str, required: set[str], optional: set[str] = frozenset()) -> None:
    missing = sorted(required - set(body))
    if missing:
        raise ScenarioError(f"{where}: missing key {missing[0]!r}")
    extra = sorted(set(body) - required - optional)
    if extra:
        raise ScenarioError(f"{where}: unknown key {extra[0]!r}")


def _code(body: dict, where: str) -> str:
    code = body["code"]
    if not isinstance(code, str) or code not in BY_CODE:
        raise ScenarioError(f"{where}.code: {code!r} is not a listed stock code")
    return code


def _price(body: dict, where: str) -> PriceAction:
    _keys(body, where, {"code", "price"})
    code = _code(body, where)
    price = body["price"]
    if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
        raise ScenarioError(f"{where}.price: must be a positive integer (KRW), got {price!r}")
    if not market.is_on_tick(price):
        raise ScenarioError(f"{where}.price: {price} is off the tick grid (tick {market.tick_size(price)})")
    return PriceAction(code=code, price=price)


def _condition(body: dict, where: str) -> ConditionAction:
    _keys(body, where, {"seq", "code"}, {"event"})
    seq = body["seq"]
    seq = str(seq) if isinstance(seq, int) and not isinstance(seq, bool) else seq
    if not isinstance(seq, str) or seq not in BY_SEQ:
        raise ScenarioError(f"{where}.seq: {seq!r} is not a condition (known: {', '.join(BY_SEQ)})")
    code = _code(body, where)
    event = body.get("event", "I")
    if event not in ("I", "D"):
        raise ScenarioError(f'{where}.event: must be "I" (enter) or "D" (leave), got {event!r}')
    return ConditionAction(seq=seq, code=code, event=event)


def _fault(body: dict, where: str) -> FaultAction:
    _keys(body, where, {"kind"}, {"count", "delay_s"})
    kind = body["kind"]
    kinds = [k for k in FAULT_KINDS if k not in ANSWER_KINDS]  # those take parameters: POST /sim/fault
    if kind not in kinds:
        raise ScenarioError(f"{where}.kind: {kind!r} is not one of {', '.join(kinds)}")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ScenarioError(f"{where}.count: must be an integer >= 1, got {count!r}")
    delay = body.get("delay_s")
    if delay is not None:
        if kind != "delay_order":
            raise ScenarioError(f'{where}.delay_s: only applies to kind "delay_order"')
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ScenarioError(f"{where}.delay_s: must be seconds >= 0, got {delay!r}")
        delay = float(delay)
    return FaultAction(kind=kind, count=count, delay_s=delay)
