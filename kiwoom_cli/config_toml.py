"""Read a settings file: bounded in size and nesting, every failure a ConfigError naming the file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kiwoom_cli.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

MAX_TOML_BYTES = 1_000_000  # a settings file is a few hundred bytes
MAX_TOML_DEPTH = 8  # tables and lists inside each other; the schema needs 3 ([costs] sell_tax)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_TOML_BYTES + 1)
        if len(raw) > MAX_TOML_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_TOML_BYTES:,} bytes; not a settings file")
        data = tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:  # the message holds line/column only, never the text
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested deeper than {MAX_TOML_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML: the file is not UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if _depth(data) > MAX_TOML_DEPTH:
        raise ConfigError(f"{path}: nested deeper than {MAX_TOML_DEPTH} levels")
    return data


def _depth(value: Any) -> int:
    """How deep tables and lists nest in a parsed TOML value (no recursion: any depth is safe)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if d <= MAX_TOML_DEPTH:  # deeper than that is an error already: stop looking
            children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()
            stack.extend((c, d + 1) for c in children)
    return deepest
