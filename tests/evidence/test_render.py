"""Rendering: escaping of broadcast names, a page that loads nothing, a reference on every
number, the map's markers where the events were, atomic files, Chromium output and errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sanctionwatch.evidence import OwnershipPath, RiskIndicator, RiskSection, build_dossier
from sanctionwatch.evidence.dossier import Dossier
from sanctionwatch.evidence.map import ENCOUNTER_COLOUR, MapParams, Projection, render_map
from sanctionwatch.evidence.render import (
    ChromiumMissing,
    render_html,
    render_pdf,
    write_dossier,
    write_html,
)
from tests.evidence.builders import ENCOUNTER, EVIL, GAP, SUBJECT, SmallStore, small_store
from tests.evidence.pictures import check_provenance, require_chromium


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SmallStore:
    return small_store(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def dossier(small: SmallStore) -> Dossier:
    return build_dossier(small.store, str(SUBJECT))


def test_markup_in_a_broadcast_name_is_shown_as_text(dossier: Dossier) -> None:
    html = render_html(dossier)
    assert "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # also inside the title, the provenance table and the SVG tooltips
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 3
    assert EVIL not in html


def test_the_page_loads_nothing_and_runs_nothing(dossier: Dossier) -> None:
    html = render_html(dossier)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None and "default-src 'none'" in csp.group(1)
    assert "script-src" not in csp.group(1)
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\s(src|srcset)=", html)
    assert set(re.findall(r'href="([^"#][^"]*)"', html)) == set()
    assert set(re.findall(r"https?://[^\s\"']+", html)) == {"http://www.w3.org/2000/svg"}


def test_every_number_carries_a_reference_into_the_provenance_table(dossier: Dossier) -> None:
    c = check_provenance(render_html(dossier))
    assert len(c.fact_ids) == len(dossier.facts)
    assert any("5.5" in text for text, _ in c.cells)


def test_a_number_without_reference_is_caught(dossier: Dossier) -> None:
    html = render_html(dossier).replace("</tbody>", "<tr><td>12 knots</td></tr></tbody>", 1)
    with pytest.raises(AssertionError, match="without a provenance reference"):
        check_provenance(html)


def _g(svg: str, event_type: str) -> re.Match[str]:
    m = re.search(rf'<g class="event ev-{event_type}"[^>]*data-x="([\d.]+)" '
                  rf'data-y="([\d.]+)">', svg)
    assert m is not None, event_type
    return m


def test_map_marks_the_encounter_and_the_gap_where_they_were(dossier: Dossier) -> None:
    svg = render_map(dossier)
    bbox = tuple(float(x) for x in re.search(r'data-bbox="([^"]+)"', svg)  # type: ignore[union-attr]
                 .group(1).split(","))
    pr = Projection(bbox, MapParams().width_px)  # type: ignore[arg-type]
    ex, ey = pr.xy(ENCOUNTER[1], ENCOUNTER[0])
    m = _g(svg, "encounter")
    assert abs(float(m.group(1)) - ex) < 0.1 and abs(float(m.group(2)) - ey) < 0.1
    assert f'fill="{ENCOUNTER_COLOUR}"' in svg[m.end():m.end() + 400]
    assert 0 < ex < pr.width and 0 < ey < pr.height
    # the gap: a dashed line from where the signal stopped to where it came back
    gx0, gy0 = pr.xy(GAP[0][1], GAP[0][0])
    gx1, gy1 = pr.xy(GAP[1][1], GAP[1][0])
    g = _g(svg, "ais_gap")
    line = re.search(r'<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"[^>]*'
                     r'stroke-dasharray', svg[g.end():])
    assert line is not None
    got = [float(v) for v in line.groups()]
    assert got == pytest.approx([gx0, gy0, gx1, gy1], abs=0.1)
    # the vessel's track breaks at the 12 h gap: two lines, never one across it
    assert svg.count('class="track"') == 2
    assert svg.count('class="partner"') == 1
    assert 'class="land"' in svg and 'class="zone"' in svg
    assert re.search(r">124(\.\d+)?°E<", svg) and re.search(r">38(\.\d+)?°N<", svg)


def test_no_map_without_positions(small: SmallStore, tmp_path: Path) -> None:
    bare = small_store(tmp_path, with_run=False)
    d = build_dossier(bare.store, str(SUBJECT))
    # the events still have positions: a map of them alone
    assert 'class="event ev-encounter"' in render_map(d)
    assert 'class="track"' not in render_map(d)


def test_files_are_written_whole_or_not_at_all(dossier: Dossier, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "d.html"
    out.write_text("previous")

    def broken(*_: object, **__: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("sanctionwatch.evidence.render.render_map", broken)
    with pytest.raises(RuntimeError):
        write_html(dossier, out)
    assert out.read_text() == "previous" and sorted(tmp_path.iterdir()) == [out]
    monkeypatch.undo()
    write_html(dossier, out)
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.html"]


def test_chromium_missing_is_a_clear_error_before_anything_is_written(
        dossier: Dossier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(ChromiumMissing, match="make install"):
        write_dossier(dossier, tmp_path / "d.html", pdf=True)
    assert list(tmp_path.iterdir()) == []


def test_pdf(dossier: Dossier, tmp_path: Path) -> None:
    require_chromium()
    _html, pdf = write_dossier(dossier, tmp_path / "d.html", pdf=True)
    assert pdf == tmp_path / "d.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000
    with pytest.raises(RuntimeError, match="Chromium"):
        render_pdf(tmp_path / "none" / "x.html", tmp_path / "x.pdf")


def test_risk_and_ownership_sections_cite_too(small: SmallStore) -> None:
    def risk(mmsi: int) -> RiskSection:
        return RiskSection(mmsi, 0.83, 0.7, (
            RiskIndicator("dark_near_dprk", 0.9, 0.25, "12.0 h dark 40 km from DPRK waters",
                          (f"{small.ais}:172",)),), ("dark 12 h near the DPRK",))

    def ownership(imo: int | None, mmsis: object) -> list[OwnershipPath]:
        return [OwnershipPath("JI SONG 6 -owner-> KOREA 2 SHPG (designated 2017-08-05)", 1,
                              evidence=("un_sc KPe.059",))]

    d = build_dossier(small.store, str(SUBJECT), risk=risk, ownership=ownership)
    html = render_html(d)
    c = check_provenance(html)
    assert any(t.startswith("0.83") for t, _ in c.cells)
    assert any("KOREA 2 SHPG" in t and refs for t, refs in c.cells)
    assert "not run" not in html and "not searched" not in html
