"""Docs that cannot rot: every detector, parameter, table and command is documented."""

import dataclasses
import re
from pathlib import Path

import pytest

from sanctionwatch.cli.app import app
from sanctionwatch.detectors import detectors

ROOT = Path(__file__).resolve().parents[1]
UNIT_SUFFIXES = ("_m", "_km", "_nm", "_h", "_min", "_s", "_knots", "_deg", "_count", "_share",
                 "_positions", "_per_day")


def test_schema_doc_is_generated_from_the_declarations():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (ROOT / "docs" / "schema.md").read_text() == mod.schema_markdown(), (
        "docs/schema.md is stale: run python scripts/gen_docs.py"
    )


@pytest.mark.parametrize("name", list(detectors()))
def test_every_detector_has_a_page_documenting_every_parameter(name):
    page = ROOT / "docs" / "detectors" / f"{name}.md"
    assert page.is_file(), f"missing {page}"
    text = page.read_text()
    for f in dataclasses.fields(detectors()[name].params_type):
        assert f"`{f.name}`" in text, f"{page.name} does not document parameter {f.name}"


@pytest.mark.parametrize("name", list(detectors()))
def test_every_numeric_parameter_carries_its_unit(name):
    for f in dataclasses.fields(detectors()[name].params_type):
        default = f.default
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            assert f.name.endswith(UNIT_SUFFIXES), f"{name}.{f.name} has no unit suffix"


@pytest.mark.parametrize("name", list(detectors()))
def test_every_detector_is_in_the_readme(name):
    assert f"`{name}`" in (ROOT / "README.md").read_text()


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    assert names
    for n in names:
        assert re.search(rf"`sanctionwatch {n}\b", readme), f"README does not document {n}"


def test_readme_links_resolve():
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if "://" in target:
            continue
        assert (ROOT / target).exists(), f"README links to missing {target}"


def test_every_setting_and_run_file_key_is_documented():
    import dataclasses as dc

    from sanctionwatch.config import RunConfig
    from sanctionwatch.engines import EngineOptions
    from sanctionwatch.ingest.files import IngestOptions
    from sanctionwatch.settings import NAMES, PREFIX
    from sanctionwatch.tracks import PrepareParams

    page = (ROOT / "docs" / "configuration.md").read_text()
    for name in NAMES:
        assert f"`{PREFIX}{name}`" in page, f"configuration.md does not document {PREFIX}{name}"
    for cls in (RunConfig, IngestOptions, EngineOptions, PrepareParams):
        for f in dc.fields(cls):
            if f.name != "params":
                assert re.search(rf"^\[?{f.name}\b", page, re.M), f"configuration.md: {f.name}"


@pytest.mark.parametrize("name", list(detectors()))
def test_every_detector_page_states_its_scope(name):
    page = (ROOT / "docs" / "detectors" / f"{name}.md").read_text()
    head = " ".join(page.splitlines()[:6])
    assert f"scope: {detectors()[name].scope}" in head, f"{name}.md does not state its scope"
