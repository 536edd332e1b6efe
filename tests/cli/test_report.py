"""``sanctionwatch report vessel``: the dossier written (HTML, PDF), clear errors otherwise,
nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sanctionwatch.cli import EXIT_INPUT, EXIT_OK, run
from sanctionwatch.settings import settings
from tests.evidence.builders import IMO, SUBJECT, SmallStore, small_store
from tests.evidence.pictures import require_chromium


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SmallStore:
    return small_store(tmp_path_factory.mktemp("small"))


@pytest.fixture(autouse=True)
def log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "errors.log"
    monkeypatch.setenv("SANCTIONWATCH_LOG", str(path))
    monkeypatch.setenv("SANCTIONWATCH_TUNING", "0")
    settings.cache_clear()
    yield path
    settings.cache_clear()


def test_report_vessel_writes_the_dossier(small: SmallStore, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    require_chromium()
    out = tmp_path / "reports" / "d.html"
    assert run(["report", "vessel", str(IMO), "--out", str(out), "--store", str(small.store),
                "--pdf"]) == EXIT_OK
    html = out.read_text()
    assert "Vessel dossier" in html and str(SUBJECT) in html and 'class="map"' in html
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in out.parent.iterdir()) == ["d.html", "d.pdf"]
    err = " ".join(capsys.readouterr().err.split())
    assert f"wrote {out}" in err and "facts in the provenance table" in err


def test_positions_given(small: SmallStore, tmp_path: Path) -> None:
    out = tmp_path / "d.html"
    assert run(["report", "vessel", str(SUBJECT), "--out", str(out), "--store",
                str(small.store), "--positions", str(small.out / "positions.parquet")]) == 0
    assert "(given)" in out.read_text()


@pytest.mark.parametrize(("key", "message"), [
    ("123456789", "no AIS identity, event, match or list entry for MMSI 123456789"),
    ("8898741", "IMO 8898741 fails its check digit"),
    ("12AB", "neither an IMO number"),
])
def test_bad_or_unknown_vessel_is_a_clear_error(small: SmallStore, tmp_path: Path, key: str,
                                                message: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.html"
    assert run(["report", "vessel", key, "--out", str(out), "--store",
                str(small.store)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert message in " ".join(err.split()) and "Traceback" not in err
    assert not out.exists()


def test_no_store_or_no_positions_file(small: SmallStore, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.html"
    assert run(["report", "vessel", str(SUBJECT), "--out", str(out), "--store",
                str(tmp_path / "none.duckdb")]) == EXIT_INPUT
    assert "no store here" in capsys.readouterr().err
    assert run(["report", "vessel", str(SUBJECT), "--out", str(out), "--store",
                str(small.store), "--positions", str(tmp_path / "p.parquet")]) == EXIT_INPUT
    assert "no positions file here" in " ".join(capsys.readouterr().err.split())
    assert not out.exists()


def test_chromium_missing_writes_nothing(small: SmallStore, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "d.html"
    assert run(["report", "vessel", str(SUBJECT), "--out", str(out), "--store",
                str(small.store), "--pdf"]) == EXIT_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "Chromium is needed" in err and "make install" in err
    assert not out.exists()
