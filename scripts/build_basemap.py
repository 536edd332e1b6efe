"""Build ``src/sanctionwatch/data/land.geojson``: the offline basemap of the dossier maps.

Maintainer script; the output is committed and the package never reads the source files nor
the network. Source: Natural Earth land polygons (public domain) as TopoJSON in the npm package
``world-atlas`` 2.0.2 (ISC), fetched once with ``npm pack world-atlas@2.0.2``::

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python scripts/build_basemap.py /tmp/package

Derivation: the whole world from ``land-50m.json``, except inside :data:`DETAIL_BOX` (East
Asia: the Yellow Sea, Korea Bay, East China Sea and Sea of Japan, where the DPRK scenarios
and the Panel's STS areas lie) where ``land-10m.json`` replaces it. Polygons are simplified
with a tolerance of :data:`SIMPLIFY_DEG` (Douglas-Peucker, topology kept) and coordinates
rounded to :data:`COORD_DECIMALS`; rebuilds are byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, box, mapping
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "sanctionwatch" / "data" / "land.geojson"

DETAIL_BOX = (100.0, 15.0, 150.0, 50.0)
"""min_lon, min_lat, max_lon, max_lat of the area drawn from the 1:10m data."""
SIMPLIFY_DEG = {"10m": 0.004, "50m": 0.02}
"""Douglas-Peucker tolerance per source scale, degrees (0.004° ≈ 450 m: below a pixel of a
map 1,000 px wide spanning 5°; 0.02° ≈ 2 km, the 1:50m data's own resolution)."""
COORD_DECIMALS = 3
"""Decimals kept (1e-3° ≈ 110 m)."""
MIN_AREA_DEG2 = {"10m": 1e-5, "50m": 1e-3}
"""Islands smaller than this (square degrees) are dropped after simplification."""


def _arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Decode the delta-encoded, quantised arcs of a TopoJSON topology."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def _ring(arcs: list[list[tuple[float, float]]], idx: list[int]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in idx:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(arc if not pts else arc[1:])
    return pts


def land(path: Path) -> MultiPolygon:
    """The ``land`` object of a world-atlas TopoJSON file as one MultiPolygon."""
    topo = json.loads(path.read_text())
    arcs = _arcs(topo)
    polys = []
    for geom in topo["objects"]["land"]["geometries"]:
        parts = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for rings in parts:
            shell, *holes = (_ring(arcs, r) for r in rings)
            p = Polygon(shell, holes)
            polys.append(p if p.is_valid else p.buffer(0))
    u = unary_union(polys)
    return u if isinstance(u, MultiPolygon) else MultiPolygon([u])


def _parts(geom: Any) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]


def _rounded(p: Polygon) -> dict[str, Any]:
    m = mapping(p)
    m["coordinates"] = [
        [[round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)] for x, y in ring]
        for ring in m["coordinates"]
    ]
    return m


def build(src: Path) -> dict[str, Any]:
    """The basemap FeatureCollection from the world-atlas package folder ``src``."""
    detail = box(*DETAIL_BOX)
    coarse = land(src / "land-50m.json").difference(detail)
    fine = land(src / "land-10m.json").intersection(detail)
    features = []
    for scale, geom in (("50m", coarse), ("10m", fine)):
        simple = geom.simplify(SIMPLIFY_DEG[scale], preserve_topology=True)
        parts = [p for p in _parts(simple) if p.area >= MIN_AREA_DEG2[scale]]
        parts.sort(key=lambda p: (round(p.bounds[0], 6), round(p.bounds[1], 6)))
        features.append({
            "type": "Feature",
            "properties": {"scale": scale},
            "geometry": {"type": "MultiPolygon",
                         "coordinates": [_rounded(p)["coordinates"] for p in parts]},
        })
    return {
        "type": "FeatureCollection",
        "name": "Natural Earth land (world-atlas 2.0.2), 1:50m world, 1:10m East Asia",
        "features": features,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package", type=Path, help="unpacked world-atlas npm package folder")
    args = ap.parse_args(argv)
    text = json.dumps(build(args.package), separators=(",", ":"))
    OUT.write_text(text + "\n")
    data = OUT.read_bytes()
    print(f"{OUT}: {len(data):,} B sha256 {hashlib.sha256(data).hexdigest()}")
    for name in ("land-50m.json", "land-10m.json"):
        digest = hashlib.sha256((args.package / name).read_bytes()).hexdigest()
        print(f"  source {name} sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
