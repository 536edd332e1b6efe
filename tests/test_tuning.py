"""Process tuning is explicit: importing the package changes nothing process-wide; the
``sanctionwatch`` command tunes batch runs only, and child processes do not inherit it."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from sanctionwatch import tuning
from sanctionwatch.settings import Settings

SNAPSHOT = """
import json, os
def state():
    import pyarrow as pa
    from numpy._core import multiarray
    flag = multiarray._set_madvise_hugepage(True)
    multiarray._set_madvise_hugepage(flag)
    return {"env": dict(os.environ), "pool": pa.default_memory_pool().backend_name,
            "hugepage": flag}
"""


def _run(code: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return out.stdout.strip()


def test_importing_the_package_and_its_cli_changes_nothing_process_wide() -> None:
    # Polars sets its own allocator variable when imported: load it (and Arrow, NumPy) first,
    # then every sanctionwatch module, and compare.
    code = SNAPSHOT + """
import polars
before = state()
import importlib, pkgutil, sanctionwatch
for m in pkgutil.walk_packages(sanctionwatch.__path__, "sanctionwatch."):
    if not m.name.startswith("sanctionwatch.engines.dask"):
        importlib.import_module(m.name)
import sanctionwatch.cli, sanctionwatch.cli.app, sanctionwatch.engines.dask
print(json.dumps(before == state()))
"""
    assert _run(code) == "true"


def test_importing_the_cli_package_loads_no_library() -> None:
    code = """
import os, sys
before = dict(os.environ)
import sanctionwatch, sanctionwatch.cli
print(before == dict(os.environ), "polars" in sys.modules, "pyarrow" in sys.modules)
"""
    assert _run(code) == "True False False"


@pytest.mark.parametrize(("user", "expected_end"), [
    (None, tuning.JEMALLOC_CONF),
    (tuning.POLARS_JEMALLOC_CONF, tuning.JEMALLOC_CONF),  # a parent that imported Polars
    ("dirty_decay_ms:0", "dirty_decay_ms:0"),  # the user's own choice wins
])
def test_batch_tuning_reaches_polars_and_is_not_passed_on(user: str | None,
                                                          expected_end: str) -> None:
    code = """
import os
from sanctionwatch import tuning
applied = tuning.prepare_batch(["detect", "in.csv"])
import polars
seen = os.environ["_RJEM_MALLOC_CONF"]
tuning.restore_environment(applied)
print(seen)
print(os.environ.get("_RJEM_MALLOC_CONF", "-"))
"""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if user is not None:
        env["_RJEM_MALLOC_CONF"] = user
    seen, after = _run(code, env).splitlines()
    assert seen.endswith("," + expected_end)  # Polars puts its defaults first; last one wins
    if user is None or user == tuning.POLARS_JEMALLOC_CONF:
        # set by the tuning, then removed: child processes get the libraries' defaults
        assert after == "-" if user is None else after == user
    else:
        assert after == seen  # the user's own setting is never touched (Polars extends it)


def test_only_batch_commands_are_tuned_and_the_setting_turns_it_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert tuning.batch_command(["detect", "x.csv"]) == "detect"
    assert tuning.batch_command(["--help"]) is None
    assert tuning.batch_command(["events", "--json"]) is None
    monkeypatch.setattr(tuning, "settings", lambda: Settings(tuning=False))
    assert tuning.prepare_batch(["detect", "x.csv"]) is None
    monkeypatch.setattr(tuning, "settings", lambda: Settings(tuning=True))
    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    assert tuning.prepare_batch(["screen", "KIM"]) is None  # not a batch command
    assert "_RJEM_MALLOC_CONF" not in os.environ


def test_keep_freed_memory_on_glibc() -> None:
    if not (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"):
        pytest.skip("glibc only")
    code = SNAPSHOT + """
from sanctionwatch.tuning import keep_freed_memory
print(keep_freed_memory(), state()["pool"], state()["hugepage"])
"""
    # Arrow allocates from glibc too, so what it frees is reused; no huge-page advice
    assert _run(code) == "True system False"


def test_a_malformed_setting_is_a_clear_error_not_a_traceback() -> None:
    env = {**os.environ, "SANCTIONWATCH_THREADS": "zero"}
    code = ("import sys; sys.argv = ['sanctionwatch', 'version']\n"
            "from sanctionwatch.cli import main; main()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "error: SANCTIONWATCH_THREADS must be a whole number >= 1, got 'zero'")
