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


def test_cli_keeps_polars_freed_memory_longer_unless_the_user_says_otherwise() -> None:
    import os

    from sanctionwatch.cli import JEMALLOC_CONF, POLARS_JEMALLOC_CONF

    code = "import os, sanctionwatch.cli.app; print(os.environ['_RJEM_MALLOC_CONF'])"
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    # Polars puts its own defaults first; jemalloc takes the last value of each option
    assert out.stdout.strip().endswith("," + JEMALLOC_CONF)
    # a parent that imported Polars (a benchmark, a notebook) passes Polars' defaults on
    env["_RJEM_MALLOC_CONF"] = POLARS_JEMALLOC_CONF
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip().endswith("," + JEMALLOC_CONF)
    env["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:0"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip().endswith(",dirty_decay_ms:0")
