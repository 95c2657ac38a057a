"""Helpers for the config tests: write a kiwoom.toml, point the user config dir at tmp."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest


@pytest.fixture
def write(tmp_path):
    """Return write(text, name="kiwoom.toml", where=tmp_path/"cfg") -> Path of the written file."""

    def _write(text: str, name: str = "kiwoom.toml", where: Path | None = None) -> Path:
        folder = where or tmp_path / "cfg"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture(autouse=True)
def user_config_dir(tmp_path, monkeypatch):
    """Point platformdirs' user config dir into tmp so a developer's real file never leaks in."""
    folder = tmp_path / "user-config" / "kiwoom"
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda appname=None, *a, **k: str(folder))
    return folder
