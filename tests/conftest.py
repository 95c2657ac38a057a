"""Fixtures for every folder: isolated state, and the kit's simulator (tests/kit/fixtures.py)."""

from __future__ import annotations

import os

import pytest

from tests.kit.fixtures import clock, sim, sim_clock  # noqa: F401  (fixtures for every folder)


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
