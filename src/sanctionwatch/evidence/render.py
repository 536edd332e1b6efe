"""Render a :class:`~sanctionwatch.evidence.dossier.Dossier` to one self-contained HTML file,
and that file to PDF or PNG with headless Chromium.

The HTML has inline CSS and an inline SVG map, loads nothing (a Content-Security-Policy meta
tag forbids every script, connection and external resource), and every text from the data
(AIS names are broadcast by anyone and may carry markup) is escaped by Jinja2's autoescape.
Files are written atomically: to a temporary file beside the target, renamed into place when
complete.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from sanctionwatch.atomic import atomic_path
from sanctionwatch.evidence.dossier import Dossier
from sanctionwatch.evidence.map import MapParams, render_map

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Executables tried, in order, on ``PATH``."""
CHROMIUM_TIMEOUT_S = 120.0
"""Longest a Chromium render may take (a dossier prints in 2-5 s; a cold start is slower)."""


MAX_DETAIL_MAPS = 6
"""Encounters that get a detail map of their own (the first ones in time; the overview map
shows them all)."""


class ChromiumMissing(RuntimeError):
    """No headless Chromium on ``PATH``."""


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("sanctionwatch.evidence", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True,
    )


def render_html(d: Dossier, map_params: MapParams | None = None) -> str:
    """The dossier as one HTML document (text)."""
    from sanctionwatch import __version__

    svg = render_map(d, map_params)
    details = [(e, Markup(render_map(d, map_params, focus=e)))
               for e in d.timeline if e.event_type == "encounter"][:MAX_DETAIL_MAPS]
    return _env().get_template("dossier.html.j2").render(
        d=d, map_svg=Markup(svg), version=__version__,
        details=details,
    )


def write_html(d: Dossier, out: Path, map_params: MapParams | None = None) -> Path:
    """Write the dossier's HTML to ``out`` atomically; returns ``out``."""
    text = render_html(d, map_params)
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(out)


def chromium() -> str:
    """Path of the headless Chromium executable; :class:`ChromiumMissing` when none."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing(
        "Chromium is needed for PDF and PNG output and is not installed (looked for "
        f"{', '.join(CHROMIUM_NAMES)} on PATH): `make install` installs Debian's chromium "
        "package, or run `apt-get install chromium`"
    )


def _run_chromium(html_path: Path, args: list[str]) -> None:
    exe = chromium()
    with tempfile.TemporaryDirectory(prefix="sw-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--no-first-run", "--disable-extensions", "--mute-audio",
               f"--user-data-dir={profile}", *args, Path(html_path).resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=CHROMIUM_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"{html_path}: Chromium took longer than "
                               f"{CHROMIUM_TIMEOUT_S:g} s to render it") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{html_path}: Chromium failed (exit {proc.returncode}): "
                           + " | ".join(tail))


def render_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print ``html_path`` to ``pdf_path`` (A4, no header or footer) with headless Chromium."""
    with atomic_path(pdf_path) as tmp:
        _run_chromium(html_path, ["--no-pdf-header-footer", f"--print-to-pdf={tmp}"])
        if tmp.stat().st_size == 0:
            raise RuntimeError(f"{html_path}: Chromium wrote no PDF")
    return Path(pdf_path)


def render_png(html_path: Path, png_path: Path, width_px: int = 1100,
               height_px: int = 1400) -> Path:
    """Screenshot the top ``width_px`` x ``height_px`` pixels of ``html_path`` (device scale
    1) to ``png_path`` with headless Chromium."""
    with atomic_path(png_path) as tmp:
        _run_chromium(html_path, [f"--window-size={width_px},{height_px}",
                                  "--force-device-scale-factor=1", f"--screenshot={tmp}"])
        if tmp.stat().st_size == 0:
            raise RuntimeError(f"{html_path}: Chromium wrote no screenshot")
    return Path(png_path)


def write_dossier(d: Dossier, out: Path, *, pdf: bool = False,
                  map_params: MapParams | None = None) -> list[Path]:
    """Write ``out`` (HTML) and, with ``pdf``, the PDF beside it (same name, ``.pdf``); the
    paths written. Chromium is looked for before anything is written."""
    if pdf:
        chromium()
    written = [write_html(d, out, map_params)]
    if pdf:
        written.append(render_pdf(out, Path(out).with_suffix(".pdf")))
    return written


__all__ = ["ChromiumMissing", "chromium", "render_html", "render_pdf", "render_png",
           "write_dossier", "write_html"]
