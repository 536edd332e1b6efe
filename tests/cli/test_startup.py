"""The command line starts quickly: heavy libraries load only for the commands that use them."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("followthemoney", "scipy.optimize", "scipy.spatial", "sanctionwatch.screening.matcher",
         "sanctionwatch.sanctions.store", "rapidfuzz", "distributed", "fastapi", "uvicorn")


@pytest.mark.parametrize("module", ["sanctionwatch.cli.app", "sanctionwatch.pipeline"])
def test_cli_and_detect_imports_leave_heavy_modules_unloaded(module: str) -> None:
    # detect without sanctions lists loaded never needs the matcher or followthemoney
    code = (
        f"import sys, {module}\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_package_names_resolve() -> None:
    import sanctionwatch.sanctions as sanctions
    import sanctionwatch.screening as screening

    for name in screening.__all__:
        assert getattr(screening, name) is not None
    for name in sanctions.__all__:
        assert getattr(sanctions, name) is not None
    try:
        screening.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("unknown names must raise AttributeError")
