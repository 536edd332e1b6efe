"""Fixtures of the AIS reader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.ais.helpers import MALFORMED


@pytest.fixture
def malformed(tmp_path: Path) -> Path:
    f = tmp_path / "malformed.csv"
    f.write_text(MALFORMED)
    return f
