"""Shared test fixtures: isolated state, and waiting on events instead of sleeping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import wait_until  # noqa: F401  (re-exported for convenience)

FIXTURES = Path(__file__).parent / "fixtures" / "kiwoom"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Never touch a developer's real state: KIWOOM_HOME in tmp, cwd in tmp, no KIWOOM_* vars."""
    for key in list(os.environ):
        if key.startswith("KIWOOM_"):
            monkeypatch.delenv(key)
    home = tmp_path / "kiwoom-home"
    monkeypatch.setenv("KIWOOM_HOME", str(home))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)
    return home
