"""What the root callback hands every command: global options, and the config loaded once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class AppContext:
    config_path: Path | None = None
    mode: str | None = None
    debug: bool = False
    _config: Any = field(default=None, repr=False)

    def config(self, **overrides: Any):
        """Load kiwoom.toml + environment once; command-line overrides are dotted keys."""
        if self._config is None or overrides:
            from kiwoom_cli.config import load_config

            merged = dict(overrides)
            if self.mode:
                merged.setdefault("mode", self.mode)
            cfg = load_config(self.config_path, overrides=merged or None)
            if overrides:
                return cfg
            self._config = cfg
        return self._config
