"""Replay of the committed fuzz corpus (``tests/fuzz/corpus``): the inputs the fuzz tests
found, or that the issue reported, each a plain regression test. See corpus/README.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.mutate import CORPUS, DATA, ROOT

PENDING: dict[str, str] = {}
"""Corpus files that fail today (none now), with the code that must fix them: their tests are
deselected by default (marker ``pending_fix``); take a file off when its fix lands."""

DATA_RECORDS = {"ais/stray-quote.csv": list(range(2, 13)),
                "ais/quoted-newline.csv": [2, 4, 5], "ais/gzip-no-suffix.csv": list(range(2, 41))}
"""Every data record of these files, by its first line: each must be accounted for (a
position, a report or a reject), at its true line."""

POSITIONS = {"ais/gzip-nmea-no-suffix.nm4": 37}
"""Positions these files hold (what the same content gives in a plain or well-named file)."""

ERRORS = {"lists/un1718_latin1_2020-06-04.csv": "line 2: not UTF-8 text",
          "lists/ftm_latin1_2024-01-01.ftm.json": "line 2: not UTF-8 text",
          "lists/un_entity_expansion_2021-01-18.xml": "limit on input amplification factor",
          "zones/nan-coordinate.geojson": "feature 0 (prk_waters_west_sea_approx): invalid",
          "zones/text-coordinates.geojson": "feature 0 (prk_waters_west_sea_approx): malformed"}
"""Inputs refused with the documented error: what its message must say (file, record)."""

DERIVED = {"ais/gpkg-schema-byte.gpkg": (DATA / "ais" / "dma-gothenburg-cpa" / "ais_dk_cpa.gpkg",
                                         59280, 0x80)}
"""Corpus inputs too large to commit: a committed sample with the byte at an offset set."""

FILES = sorted([*(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.name != "README.md"),
                *DERIVED])


def _path(name: str, tmp: Path) -> Path:
    """Where corpus file ``name`` is (a derived one is written under ``tmp`` first)."""
    if name not in DERIVED:
        return CORPUS / name
    src, offset, byte = DERIVED[name]
    blob = bytearray(src.read_bytes())
    blob[offset] = byte
    out = tmp / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(bytes(blob))
    return out


def _replay(files: tuple[str, ...], tmp: Path) -> tuple[int, dict[str, dict[str, Any]], str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT / "src"),
                                                    str(ROOT)) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.replay", *(str(_path(f, tmp)) for f in files)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False,
    )
    results = {}
    for line in proc.stdout.splitlines():
        r = json.loads(line)
        p = Path(r.pop("file"))
        results[f"{p.parent.name}/{p.name}"] = r
    return proc.returncode, results, proc.stderr[-2000:]


def test_corpus_is_small() -> None:
    sizes = {f: (CORPUS / f).stat().st_size for f in FILES if f not in DERIVED}
    assert FILES and max(sizes.values()) <= 16 * 1024, sizes
    assert set(PENDING) | set(ERRORS) | set(POSITIONS) | set(DATA_RECORDS) <= set(FILES)


def _check(name: str, code: int, results: dict[str, dict[str, Any]], err: str) -> None:
    """No crash (and no interpreter abort); the expected error; every data record accounted
    for at its line."""
    assert code == 0, f"replay exited {code}: {err}"
    r = results[name]
    assert r["outcome"] != "crash", (name, r)
    if name in ERRORS:
        assert r["outcome"] == "input_error", (name, r)
        assert ERRORS[name] in r["detail"] and Path(name).name in r["detail"], (name, r)
    if name in POSITIONS:
        assert r["outcome"] == "read" and r["counts"]["positions"] == POSITIONS[name], (name, r)
    if name in DATA_RECORDS:
        assert r["outcome"] == "read", (name, r)
        assert r["records"] == DATA_RECORDS[name], (name, r)
        if name == "ais/quoted-newline.csv":
            assert r["position_records"] == DATA_RECORDS[name], (name, r)


def test_corpus_replays(tmp_path: Path) -> None:
    """The files that pass today, replayed in one subprocess (one interpreter start)."""
    files = tuple(f for f in FILES if f not in PENDING)
    code, results, err = _replay(files, tmp_path)
    for name in files:
        _check(name, code, results, err)


@pytest.mark.pending_fix
@pytest.mark.parametrize("name", sorted(PENDING))
def test_corpus_pending(name: str, tmp_path: Path) -> None:
    """A file that fails today, replayed alone (some abort the interpreter)."""
    _check(name, *_replay((name,), tmp_path))
