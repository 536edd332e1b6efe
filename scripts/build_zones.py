"""Build ``src/sanctionwatch/data/zones.geojson``: the built-in areas of interest.

Maintainer script; the output is committed and the package never reads the source files. Usage::

    .venv/bin/python scripts/build_zones.py ../shared/data/fishing/gfw_dark_fleets_nk_boundaries

Two zones come from Global Fishing Watch's boundary files (DPRK claimed East Sea EEZ and the
DPRK military zone), simplified. The others are drawn by hand here, from published descriptions;
they are approximate, and each feature's ``source`` says so.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Polygon, box, mapping, shape
from shapely.geometry.polygon import orient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "sanctionwatch" / "data" / "zones.geojson"
SIMPLIFY_DEG = 0.002  # about 200 m; the coastline side is far more detailed than needed
PRECISION_DEG = 1e-5

GFW = (
    "Global Fishing Watch, GitHub GlobalFishingWatch/paper-dark-fishing-fleets-in-north-korea "
    "@ bc52ec9a14a1e9c42da76ded31fe9413b220be23, {path} (Park et al. 2020, 'Illuminating dark "
    "fishing fleets in North Korea', Science Advances 6(30):eabb1197). Geometry derived from "
    "Marine Regions (Flanders Marine Institute), North Korean EEZ MRGID 8328, CC BY 4.0. The GFW "
    "repository has no licence file (the paper is CC BY-NC 4.0): research use. Simplified by "
    "sanctionwatch (Douglas-Peucker, tolerance 0.002 deg, about 200 m; coordinates rounded to "
    "1e-5 deg)."
)
PANEL = (
    "UN Security Council Panel of Experts established pursuant to resolution 1874 (2009), "
    "reports S/2018/171, S/2019/171, S/2019/691 and S/2020/151, which document ship-to-ship "
    "transfers of refined petroleum to DPRK tankers and of DPRK coal in this area. APPROXIMATE: "
    "a box drawn by the sanctionwatch authors around the area the reports describe, not the "
    "reported positions."
)

# (lon, lat). Digitised by hand against the GLOBE 1 km land mask; see the feature's source.
# Landward side runs inland through the DPRK, so coastal waters, estuaries and harbours are in.
WEST_SEA_DPRK = [
    (124.15, 39.80),  # Yalu River mouth (PRC-DPRK land border meets the sea)
    (124.00, 39.35),  # ~equidistant Dalu Dao (PRC) / Cholsan peninsula islands (DPRK)
    (124.15, 39.00),  # ~equidistant Haiyang Dao (PRC) / DPRK coast
    (123.85, 38.50),  # ~equidistant Haiyang Dao / Cho-do
    (123.50, 38.05),  # ~equidistant Shandong (Chengshantou) / Changsan cape
    (124.00, 38.05),  # western end of the Northern Limit Line (approx.)
    (124.70, 38.035),  # between Paengnyong-do (ROK) and Changsan cape (DPRK)
    (124.95, 37.90),  # north of Taechong-do / Sochong-do (ROK)
    (125.25, 37.62),  # south of Kangryong peninsula
    (125.55, 37.64),
    (125.75, 37.72),  # between Yonpyong-do (ROK) and the DPRK coast
    (126.05, 37.76),  # Han River estuary, west of Kyodong-do (ROK)
    (126.10, 37.95),  # inland (DPRK)
    (126.00, 38.60),
    (125.90, 39.50),
    (125.20, 40.00),
    (124.50, 39.95),
]
WEST_SEA_SOURCE = (
    "APPROXIMATE, digitised by the sanctionwatch authors (uncertainty 10-20 km): waters between "
    "the DPRK West Sea coast (Korea Bay, northern Yellow Sea) and approximate equidistance lines "
    "with the People's Republic of China, with the southern edge near the Northern Limit Line "
    "(NLL) administered by the Republic of Korea. Not a legal boundary: the PRC-DPRK maritime "
    "boundary is not delimited, and the DPRK claims waters south of the NLL (its 1999 'West Sea "
    "Military Demarcation Line'). The polygon also covers a strip of DPRK land along the coast. "
    "No small public polygon of the DPRK West Sea EEZ exists; Marine Regions' North Korean EEZ "
    "(MRGID 8328, CC BY 4.0) is the authoritative digital version for users who can obtain it."
)

STS_BOXES = [
    # (zone_id, name, (min_lon, min_lat, max_lon, max_lat))
    ("sts_east_china_sea_shanghai_zhoushan",
     "STS area: East China Sea off Shanghai and the Zhoushan archipelago", (122.0, 29.5, 125.0,
                                                                             32.0)),
    ("sts_korea_bay_west_of_nampo",
     "STS area: Korea Bay / Yellow Sea west of Nampo", (123.5, 38.0, 125.2, 39.5)),
    ("sts_liaoning_coast", "STS area: waters off the Liaoning coast (Korea Bay, off Dalian)",
     (121.0, 38.3, 123.5, 39.8)),
]


def gfw_polygon(path: Path) -> shapely.Geometry:
    """Read the single polygon of a GFW boundary GeoJSON and simplify it."""
    fc = json.loads(path.read_text())
    (feature,) = fc["features"]
    g = shape(feature["geometry"])
    s = shapely.set_precision(g.simplify(SIMPLIFY_DEG, preserve_topology=True), PRECISION_DEG)
    if not s.is_valid or s.is_empty:
        raise SystemExit(f"{path}: simplified geometry is invalid")
    print(f"  {path.name}: {shapely.get_num_coordinates(g)} -> "
          f"{shapely.get_num_coordinates(s)} vertices, area change "
          f"{abs(s.area - g.area) / g.area:.3%}, max shift "
          f"{shapely.hausdorff_distance(g, s) * 111:.2f} km")
    return s


def feature(zone_id: str, name: str, kind: str, is_dprk: bool, source: str,
            geom: shapely.Geometry) -> dict[str, Any]:
    """A GeoJSON feature with the zone properties (exterior rings counter-clockwise)."""
    if isinstance(geom, Polygon):
        geom = orient(geom, 1.0)
    assert geom.is_valid, zone_id
    return {
        "type": "Feature",
        "properties": {"zone_id": zone_id, "name": name, "kind": kind, "is_dprk": is_dprk,
                       "source": source},
        "geometry": mapping(geom),
    }


def main() -> None:
    """Assemble and write the zones."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gfw_dir", type=Path, help="directory of the GFW DPRK boundary files "
                    "(e.g. ../shared/data/fishing/gfw_dark_fleets_nk_boundaries)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    rel = "supplementary-sections/1-boundary/"
    feats = [
        feature("prk_eez_east_sea", "DPRK claimed EEZ, East Sea (Sea of Japan)", "eez", True,
                GFW.format(path=rel + "eez_prk/eez_prk.json"),
                gfw_polygon(args.gfw_dir / "eez_prk" / "eez_prk.json")),
        feature("prk_military_zone_east_sea",
                "DPRK military zone (declared 1977), East Sea part", "military_zone", True,
                GFW.format(path=rel + "eez_prk_mz/eez_prk_mz.json"),
                gfw_polygon(args.gfw_dir / "eez_prk_mz" / "eez_prk_mz.json")),
        feature("prk_waters_west_sea_approx",
                "DPRK waters, West Sea (Korea Bay / Yellow Sea), approximate", "eez", True,
                WEST_SEA_SOURCE, Polygon(WEST_SEA_DPRK)),
    ]
    feats += [feature(zid, name, "sts_area", False, PANEL, box(*bounds))
              for zid, name, bounds in STS_BOXES]
    fc = {"type": "FeatureCollection", "name": "sanctionwatch built-in zones", "features": feats}
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(text) / 1e3:.0f} kB, {len(feats)} zones)")


if __name__ == "__main__":
    main()
