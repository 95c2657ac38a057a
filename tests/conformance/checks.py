"""Check requests and answers against the tables in spec_tables.py; each check returns problems."""

from __future__ import annotations

import re

from tests.conformance.spec_tables import F

_RULES = {
    "digits": r"\d+",
    "num": r"[+-]?\d+",
    "dec1": r"[+-]?\d+\.\d",
    "dec2": r"[+-]?\d+\.\d{2}",
    "dec4": r"[+-]?\d+\.\d{4}",
    "date": r"\d{8}",
    "date14": r"\d{14}",
    "time": r"\d{6}",
    "code": r"[0-9A-Z]{6}",
    "vcode": r"[0-9A-Z]{6}(_NX|_AL)?",
    "codes": r"[0-9A-Z]{6}(\|[0-9A-Z]{6})*",
    "pcode": r"[A-Z]\d{6}",
    "ordno": r"\d{7}",
    "pad9": r"(\d{9}|-\d{8})",
    "bearer": r"Bearer \S+",
    "bare": r"(?!Bearer )\S+",
}


def value_problems(where: str, value: str, rule: str, length: int | None) -> list[str]:
    """Why `value` is not a string of this rule within this length ("pad": exactly the length)."""
    if not isinstance(value, str):
        return [f"{where}: {value!r} is not a string"]
    problems = []
    if length is not None and len(value) > length:
        problems.append(f"{where}: {value!r} is longer than {length}")
    if rule == "pad":
        if length is not None and not re.fullmatch(rf"(\d{{{length}}}|-\d{{{length - 1}}})", value):
            problems.append(f"{where}: {value!r} is not zero-padded to {length} with the sign inside")
    elif rule and not re.fullmatch(_RULES[rule], value):
        problems.append(f"{where}: {value!r} does not match rule {rule!r}")
    return problems


def request_problems(where: str, body: dict, fields: tuple[F, ...]) -> list[str]:
    """Our request against the spec: required fields present and non-empty, no unknown fields,
    values strings within length, of the rule's form and among the allowed values."""
    spec = {f.name: f for f in fields}
    problems = [f"{where}: unknown field {k!r}" for k in body if k not in spec]
    for f in fields:
        if f.name not in body:
            if f.required:
                problems.append(f"{where}: required field {f.name!r} missing")
            continue
        value = body[f.name]
        if f.type == "LIST":
            if not isinstance(value, list):
                problems.append(f"{where}.{f.name}: not a list")
            continue
        if value == "":
            if f.required:
                problems.append(f"{where}.{f.name}: required but empty")
            continue
        problems += value_problems(f"{where}.{f.name}", value, f.rule, f.length)
        if f.allowed and value not in f.allowed:
            problems.append(f"{where}.{f.name}: {value!r} not among the spec's {f.allowed}")
    return problems


def answer_problems(where: str, body: dict, fields: dict, extra: frozenset = frozenset()) -> list[str]:
    """An answer against the spec: every field known (lists recursively), strings of the spec's
    length and form; "" is accepted as "no value" except where the rule pads to a width."""
    problems = []
    for key, value in body.items():
        spec = fields.get(key)
        if spec is None:
            if key not in extra:
                problems.append(f"{where}: field {key!r} is not in the spec")
            continue
        if isinstance(spec, dict):
            if not isinstance(value, list):
                problems.append(f"{where}.{key}: not a list")
                continue
            for i, row in enumerate(value):
                if not isinstance(row, dict):
                    problems.append(f"{where}.{key}[{i}]: not an object")
                else:
                    problems += answer_problems(f"{where}.{key}[{i}]", row, spec)
            continue
        if key == "return_code":
            continue  # an int in every example
        if value == "" and spec.rule not in ("pad", "pad9"):
            continue
        problems += value_problems(f"{where}.{key}", value, spec.rule, spec.length)
    return problems


class Reading(dict):
    """A dict that records every key a parser looks at (get, [], in), nested rows included."""

    def __init__(self, data: dict, seen: set, path: str = "") -> None:
        super().__init__({k: _wrap(v, seen, f"{path}{k}.") for k, v in data.items()})
        self._seen, self._path = seen, path

    def _note(self, key) -> None:
        self._seen.add(f"{self._path}{key}")

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self._note(key)
        return super().__contains__(key)


def _wrap(value, seen: set, path: str):
    if isinstance(value, dict):
        return Reading(value, seen, path)
    if isinstance(value, list):
        return [Reading(v, seen, path) if isinstance(v, dict) else v for v in value]
    return value


def fields_read(parse, body: dict, refusal: type[Exception] | None = None) -> set[str]:
    """Run `parse` on `body` and return the dotted names of every field it looked at
    (up to the `refusal` it raises, when one is given: an empty body shows the fallbacks)."""
    seen: set[str] = set()
    try:
        parse(Reading(body, seen))
    except Exception as exc:
        if refusal is None or not isinstance(exc, refusal):
            raise
    return seen


def unknown_reads(read: set[str], fields: dict, extra: frozenset = frozenset()) -> list[str]:
    """The names in `read` ("list.field") that the spec table does not have."""
    problems = []
    for name in sorted(read):
        head, _, rest = name.partition(".")
        spec = fields.get(head)
        if spec is None and head not in extra:
            problems.append(f"reads {name!r}, not in the spec")
        elif rest and (not isinstance(spec, dict) or rest not in spec):
            problems.append(f"reads {name!r}, not in the spec")
    return problems

