"""The command line starts quickly: heavy libraries load only for the commands that use them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("followthemoney", "scipy.optimize", "scipy.spatial", "sanctionwatch.screening.matcher",
         "sanctionwatch.sanctions.store", "rapidfuzz")


def test_cli_import_leaves_heavy_modules_unloaded() -> None:
    code = (
        "import sys, sanctionwatch.cli.app\n"
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
