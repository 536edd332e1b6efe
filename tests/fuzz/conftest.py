"""The ``pending_fix`` marker: tests of defects another part of issue 14 fixes. They are
deselected unless ``SANCTIONWATCH_PENDING=1`` (or ``-m pending_fix``), so the default run
stays green; remove a test's marker when its fix lands."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pending_fix: fails until a fix of issue 14 lands; not run by default")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("SANCTIONWATCH_PENDING") == "1" or "pending_fix" in (
            config.getoption("markexpr") or ""):
        return
    keep = [i for i in items if i.get_closest_marker("pending_fix") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
