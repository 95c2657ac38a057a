"""Compare our frames with the real payload fixtures by keys and encodings, not values (docs/decisions.md §11)."""

from __future__ import annotations

import re

# Official 0B FIDs the simulator does not model (documented as left out in wire_ws_real.entry_0b).
OPTIONAL_0B = frozenset(
    "26 29 30 31 32 311 691 567 568 851 1890 1891 1892 1030 1031 1032 1071 1072 1313 1315 1316"
    " 1314 1497 1498 620 732 852".split()
)

_INT = re.compile(r"^[+-]?\d+$")
_DEC2 = re.compile(r"^[+-]?\d+\.\d{2}$")
_PREFIXED = re.compile(r"^[A-Z]\d{6}$")


def value_shape_errors(key: str, ours: object, theirs: object) -> list[str]:
    """Return why `ours` is not encoded like `theirs` (type, sign style, width, prefix)."""
    if type(ours) is not type(theirs):
        return [f"{key}: type {type(ours).__name__} != {type(theirs).__name__}"]
    if not isinstance(theirs, str) or theirs == "":
        return []  # empty in the example = "not filled yet": any string of ours is fine
    errors = []
    if _INT.match(theirs):
        if not _INT.match(ours):
            errors.append(f"{key}: {ours!r} is not an integer string like {theirs!r}")
        elif len(theirs) > 1 and theirs.lstrip("+-").startswith("0") and len(ours) != len(theirs):
            errors.append(f"{key}: width {len(ours)} != {len(theirs)} ({ours!r} vs {theirs!r})")
        if theirs[0] not in "+-" and theirs.startswith("0") and ours.startswith("+"):
            errors.append(f"{key}: {ours!r} has a plus sign the zero-padded {theirs!r} never has")
    elif _DEC2.match(theirs):
        if not _DEC2.match(ours):
            errors.append(f"{key}: {ours!r} is not a 2-decimal number like {theirs!r}")
    elif _PREFIXED.match(theirs):
        if not _PREFIXED.match(ours):
            errors.append(f"{key}: {ours!r} lacks the letter prefix of {theirs!r}")
    return errors


def assert_same_shape(ours: dict, theirs: dict, optional: frozenset = frozenset(), path: str = "") -> None:
    """Assert equal key sets (keys in `optional` may be missing from ours) and matching encodings."""
    missing = set(theirs) - set(ours) - optional
    extra = set(ours) - set(theirs)
    assert not missing and not extra, f"{path}: missing {sorted(missing)}, extra {sorted(extra)}"
    errors: list[str] = []
    for key, value in ours.items():
        if isinstance(value, dict) and isinstance(theirs[key], dict):
            assert_same_shape(value, theirs[key], optional, f"{path}.{key}")
        else:
            errors += value_shape_errors(f"{path}.{key}", value, theirs[key])
    assert not errors, "\n".join(errors)
