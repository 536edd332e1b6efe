"""The shape of the code a newcomer relies on: engines know detectors only by their declared
scope, layers import in one direction, and no module is too long to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sanctionwatch.detectors import BUILTIN, detectors

SRC = Path(__file__).resolve().parents[1] / "src" / "sanctionwatch"
MAX_MODULE_LINES = 800

CONTRACT = {"sanctionwatch.detectors", "sanctionwatch.detectors.base",
            "sanctionwatch.detectors.schedule", "sanctionwatch.detectors.details",
            "sanctionwatch.detectors.common"}
"""The detector modules an engine may import: the contract, not a detector."""


def _modules(folder: str = "") -> list[Path]:
    return sorted((SRC / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            # ``from package import module`` imports a module too
            out |= {f"{node.module}.{a.name}" for a in node.names
                    if _is_module(f"{node.module}.{a.name}")}
    return out


def _is_module(name: str) -> bool:
    parent = SRC.parent.joinpath(*name.split("."))
    return parent.with_suffix(".py").is_file() or (parent / "__init__.py").is_file()


def _strings(path: Path) -> set[str]:
    """String constants of a module, docstrings left out."""
    tree = ast.parse(path.read_text())
    docs = set()
    # docstrings of modules, classes, functions and attributes: string expression statements
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for stmt in block:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    docs.add(id(stmt.value))
    return {n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_is_over_800_lines(path: Path) -> None:
    n = len(path.read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.relative_to(SRC)}: {n} lines"


@pytest.mark.parametrize("path", _modules("engines"), ids=lambda p: p.name)
def test_engines_import_no_particular_detector(path: Path) -> None:
    detector_modules = {m for m in _imports(path) if m.startswith("sanctionwatch.detectors.")}
    particular = {m for m in detector_modules
                  if m.split(".")[2] in BUILTIN or m.split(".")[2] not in
                  {c.split(".")[-1] for c in CONTRACT}}
    assert not particular, f"{path.name} imports {sorted(particular)}"
    names = set(detectors())
    assert not names & _strings(path), f"{path.name} names a detector: {names & _strings(path)}"


@pytest.mark.parametrize(("package", "forbidden"), [
    ("detectors", ("sanctionwatch.engines", "sanctionwatch.store", "sanctionwatch.pipeline",
                   "sanctionwatch.cli", "sanctionwatch.config", "sanctionwatch.ingest")),
    ("ingest", ("sanctionwatch.detectors", "sanctionwatch.engines", "sanctionwatch.tracks",
                "sanctionwatch.store", "sanctionwatch.pipeline", "sanctionwatch.cli")),
    ("tracks", ("sanctionwatch.detectors", "sanctionwatch.engines", "sanctionwatch.store",
                "sanctionwatch.pipeline", "sanctionwatch.cli")),
    ("engines", ("sanctionwatch.store", "sanctionwatch.pipeline", "sanctionwatch.cli",
                 "sanctionwatch.screening", "sanctionwatch.sanctions")),
])
def test_layers_import_in_one_direction(package: str, forbidden: tuple[str, ...]) -> None:
    for path in _modules(package):
        bad = {m for m in _imports(path) if m.startswith(forbidden)}
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_no_module_changes_the_process_at_import() -> None:
    """Only the tuning module may call mallopt or set environment variables, and only in
    functions (importing it does nothing: tests/test_tuning.py)."""
    for path in _modules():
        if path.name == "tuning.py":
            continue
        text = path.read_text()
        assert "mallopt" not in text, path
        assert "os.environ[" not in text and "os.environ.setdefault" not in text, path
