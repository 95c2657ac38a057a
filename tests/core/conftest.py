"""The core tests' journal: one SQLite file in the test's tmp folder."""

from __future__ import annotations

import pytest


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite3"
