"""Build ``src/sanctionwatch/data/shore_distance.npz``: signed distance from the coast, in km.

Maintainer script, run once offline; the output is committed. Usage::

    .venv/bin/python scripts/build_shore_distance.py [--step-deg 0.05] [--unit-km 0.25]

Method:

1. Read the 30 arc-second (about 1 km) land/sea mask bundled with ``global_land_mask`` (GLOBE).
2. The coastline is every edge between a land pixel and a sea pixel; each edge is represented by
   its midpoint (at most half a pixel, about 0.46 km, from any point of the edge).
3. Those midpoints become 3D unit vectors in a k-d tree, so each node of a regular lat/lon grid
   gets its true great-circle distance to the nearest coastline edge (not a distance in degrees).
4. The sign comes from the mask at the node (the same index rule as ``globe.is_land``):
   positive at sea, negative on land.
5. Values are quantised to ``unit_km`` with sign-preserving rounding (never to zero), stored as
   int16 first differences along longitude (a smooth field, so the differences are small and
   compress well) in a compressed ``.npz``.

Takes 4-6 minutes and about 2 GB of memory on two cores at 0.05 degrees; rebuilds are
byte-identical. Ends with an accuracy check against exact distances at random points (uniform
on the sphere plus points within ~20 km of the coast).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088
PIXEL_DEG = 1.0 / 120.0
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "sanctionwatch" / "data" / "shore_distance.npz"

FloatArray = npt.NDArray[np.float64]


def unit_xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Unit vectors (n, 3) for points in degrees."""
    la = np.radians(lat)
    lo = np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def load_mask() -> npt.NDArray[np.bool_]:
    """The GLOBE ocean mask (True = sea), rows from 90N southwards, columns from 180W eastwards."""
    # Locate the file without importing global_land_mask, whose import loads the mask again.
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("global_land_mask is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "globe_combined_mask_compressed.npz"
    with np.load(path) as f:
        lat = f["lat"]
        lon = f["lon"]
        mask = np.asarray(f["mask"], dtype=bool)
    # The pixel geometry below relies on this layout; fail loudly if a release changes it.
    assert mask.shape == (21600, 43200)
    assert np.isclose(lat[0], 90.0) and np.isclose(lon[0], -180.0)
    assert np.isclose(lat[0] - lat[1], PIXEL_DEG) and np.isclose(lon[1] - lon[0], PIXEL_DEG)
    return mask


def coast_edges(mask: npt.NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """Midpoints (lat, lon) of all land/sea pixel edges, including across the antimeridian."""
    ii, jj = np.nonzero(mask[:, :-1] != mask[:, 1:])
    lat_h = 90.0 - (ii + 0.5) * PIXEL_DEG
    lon_h = -180.0 + (jj + 1) * PIXEL_DEG
    ii, jj = np.nonzero(mask[:-1, :] != mask[1:, :])
    lat_v = 90.0 - (ii + 1) * PIXEL_DEG
    lon_v = -180.0 + (jj + 0.5) * PIXEL_DEG
    (ii,) = np.nonzero(mask[:, -1] != mask[:, 0])
    lat_w = 90.0 - (ii + 0.5) * PIXEL_DEG
    lon_w = np.full(ii.shape, 180.0)
    return np.concatenate([lat_h, lat_v, lat_w]), np.concatenate([lon_h, lon_v, lon_w])


def mask_is_land(mask: npt.NDArray[np.bool_], lat: FloatArray, lon: FloatArray) -> npt.NDArray[
    np.bool_
]:
    """Land test with the same index rule as ``global_land_mask.globe.is_land``."""
    n_r, n_c = mask.shape
    i = np.clip(((lat - 90.0) / -PIXEL_DEG).astype(np.int64), 0, n_r - 1)
    j = np.clip(((lon + 180.0) / PIXEL_DEG).astype(np.int64), 0, n_c - 1)
    return ~mask[i, j]


def signed_distance(
    tree: cKDTree, mask: npt.NDArray[np.bool_], lat: FloatArray, lon: FloatArray
) -> FloatArray:
    """Exact signed distance (km) from the mask's coastline at the given points."""
    chord, _ = tree.query(unit_xyz(lat, lon), k=1, workers=-1)
    dist = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0))
    return np.where(mask_is_land(mask, lat, lon), -dist, dist)


def bilinear(q: npt.NDArray[np.int16], unit_km: float, step: float, lat: FloatArray,
             lon: FloatArray) -> FloatArray:
    """Reference bilinear interpolation of the quantised grid (mirrors the package's reader)."""
    n_lat, n_lon = q.shape
    y = (np.clip(lat, -90.0, 90.0) + 90.0) / step
    x = np.mod(lon + 180.0, 360.0) / step
    i0 = np.minimum(np.floor(y).astype(np.int64), n_lat - 2)
    j0 = np.floor(x).astype(np.int64) % n_lon
    j1 = (j0 + 1) % n_lon
    fy = y - i0
    fx = x - np.floor(x)
    g = q.astype(np.float64) * unit_km
    return np.asarray(
        (g[i0, j0] * (1 - fx) + g[i0, j1] * fx) * (1 - fy)
        + (g[i0 + 1, j0] * (1 - fx) + g[i0 + 1, j1] * fx) * fy
    )


def accuracy_report(
    tree: cKDTree, mask: npt.NDArray[np.bool_], coast_lat: FloatArray, coast_lon: FloatArray,
    q: npt.NDArray[np.int16], unit_km: float, step: float, n: int = 400_000,
) -> None:
    """Print interpolation error against exact distances, by distance band."""
    rng = np.random.default_rng(20190311)
    lat_u = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon_u = rng.uniform(-180.0, 180.0, n)
    k = rng.integers(0, coast_lat.size, n)
    lat_c = np.clip(coast_lat[k] + rng.normal(0.0, 0.15, n), -89.9, 89.9)
    lon_c = np.mod(coast_lon[k] + rng.normal(0.0, 0.15, n) + 180.0, 360.0) - 180.0
    lat = np.concatenate([lat_u, lat_c])
    lon = np.concatenate([lon_u, lon_c])
    exact = signed_distance(tree, mask, lat, lon)
    est = bilinear(q, unit_km, step, lat, lon)
    err = np.abs(est - exact)
    print(f"accuracy check on {lat.size:,} points (|interpolated - exact|, km):")
    bands = [(-1e9, -50), (-50, 0), (0, 2), (2, 5), (5, 10), (10, 20), (20, 50), (50, 200),
             (200, 1e9)]
    for lo, hi in bands:
        s = (exact > lo) & (exact <= hi)
        e = err[s]
        sign = float(np.mean(np.sign(est[s]) != np.sign(exact[s])))
        print(f"  exact in ({lo:>6g}, {hi:>6g}] km: n={s.sum():>7,}  mean={e.mean():.2f}  "
              f"p95={np.quantile(e, 0.95):.2f}  p99={np.quantile(e, 0.99):.2f}  "
              f"max={e.max():.2f}  sign differs={sign:.1%}")


def main() -> None:
    """Build the raster and write the compressed file."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--step-deg", type=float, default=0.05, help="grid spacing in degrees")
    ap.add_argument("--unit-km", type=float, default=0.25, help="quantisation step in km")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--rows-per-chunk", type=int, default=200)
    ap.add_argument("--no-check", action="store_true", help="skip the accuracy check")
    args = ap.parse_args()
    step: float = args.step_deg
    unit_km: float = args.unit_km
    if not np.isclose(180.0 / step, round(180.0 / step)):
        raise SystemExit("--step-deg must divide 180")

    t0 = time.perf_counter()
    mask = load_mask()
    coast_lat, coast_lon = coast_edges(mask)
    tree = cKDTree(unit_xyz(coast_lat, coast_lon))
    print(f"{coast_lat.size:,} coastline edges; tree built in {time.perf_counter() - t0:.0f} s")

    n_lat = round(180.0 / step) + 1
    n_lon = round(360.0 / step)
    grid_lat = -90.0 + np.arange(n_lat) * step
    grid_lon = -180.0 + np.arange(n_lon) * step
    q = np.empty((n_lat, n_lon), dtype=np.int16)
    for r0 in range(0, n_lat, args.rows_per_chunk):
        la, lo = np.meshgrid(grid_lat[r0 : r0 + args.rows_per_chunk], grid_lon, indexing="ij")
        d = signed_distance(tree, mask, la.ravel(), lo.ravel()).reshape(la.shape)
        mag = np.abs(d) / unit_km
        # Round away from zero below one unit so no node loses its sign.
        qm = np.maximum(np.rint(mag), 1.0)
        if qm.max() > np.iinfo(np.int16).max:
            raise SystemExit("distance exceeds int16 range: increase --unit-km")
        q[r0 : r0 + la.shape[0]] = (np.sign(d) * qm).astype(np.int16)
        print(f"  rows {r0:>5}/{n_lat}  {time.perf_counter() - t0:.0f} s", flush=True)

    dlon = np.diff(q, axis=1, prepend=np.int16(0)).astype(np.int16)
    meta = {
        "description": "signed great-circle distance from the coast (km): + sea, - land",
        "grid": "nodes lat = lat0 + i*step_deg (i < n_lat), lon = lon0 + j*step_deg, wraps in lon",
        "encoding": "dist_km = unit_km * cumsum(dlon, axis=1)",
        "source": "global_land_mask "
        + importlib.metadata.version("global-land-mask")
        + " (GLOBE 30 arc-second land mask, MIT)",
        "coastline": "midpoints of land/sea pixel edges; sign from the mask at the node",
        "build": "python scripts/build_shore_distance.py "
        f"--step-deg {step:g} --unit-km {unit_km:g}",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        dlon=dlon,
        lat0=np.float64(-90.0),
        lon0=np.float64(-180.0),
        step_deg=np.float64(step),
        unit_km=np.float64(unit_km),
        meta=np.array(json.dumps(meta, sort_keys=True)),
    )
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.2f} MB, grid {n_lat}x{n_lon}) "
          f"in {time.perf_counter() - t0:.0f} s")
    print(f"range {q.min() * unit_km:.1f} .. {q.max() * unit_km:.1f} km")
    if not args.no_check:
        accuracy_report(tree, mask, coast_lat, coast_lon, q, unit_km, step)


if __name__ == "__main__":
    main()
