"""Reception: which of a ship's one-minute true positions reach the archive, and how noisy.

- Terrestrial receivers hear ships within ``terrestrial_km`` of the coast (DETECTION.md 4:
  roughly 40-60 nm). The archive is decimated as providers deliver it: about one position per
  1-3 minutes under way, one per 3 minutes at anchor or moored (ITU-R M.1371 class A nominal
  interval when not moving; class B below 2 kn).
- Further out only satellites hear them: passes every ``sat_revisit_min`` (uniform, default
  20-75 min, so no background silence reaches the 6 h gap threshold and the encounter
  detector's 1.5 h interpolation limit still bridges them), each giving 1-3 positions.
- A dark ship transmits nothing; every received position gets ~10 m of GNSS noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sanctionwatch.simulate.traffic import Track, offset

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Coverage:
    """Reception model parameters."""

    terrestrial_km: float = 80.0
    moving_keep_share: float = 0.5  # one position per ~2 min under way
    slow_interval_min: int = 3
    sat_revisit_min: tuple[float, float] = (20.0, 75.0)
    noise_m: float = 10.0


def received(track: Track, shore_km: npt.NDArray[np.float64], cov: Coverage,
             rng: np.random.Generator) -> BoolArray:
    """Mask of the track's minutes that are received (and not dark)."""
    n = track.t.size
    slow = (track.sog <= 2.0) | np.isin(track.status, (1, 5))
    phase = int(rng.integers(cov.slow_interval_min))
    terr = np.where(slow, (track.t + phase) % cov.slow_interval_min == 0,
                    rng.random(n) < cov.moving_keep_share)
    terr &= shore_km < cov.terrestrial_km
    # satellite passes: a renewal process over the whole time span
    t0, t1 = int(track.t.min()), int(track.t.max()) + 1
    k = int((t1 - t0) / cov.sat_revisit_min[0]) + 2
    gaps = rng.uniform(*cov.sat_revisit_min, size=k)
    passes = t0 + np.cumsum(gaps) - rng.uniform(0, cov.sat_revisit_min[1])
    passes = np.floor(passes[passes < t1]).astype(np.int64)
    width = rng.integers(1, 4, size=passes.size)
    sat = np.zeros(t1 - t0 + 3, dtype=bool)
    for w in range(3):  # at most three one-minute fixes per pass
        idx = passes[width > w] + w - t0
        sat[idx[(idx >= 0) & (idx < sat.size)]] = True
    sat_at = sat[track.t - t0] & (shore_km >= cov.terrestrial_km)
    keep = (terr | sat_at) & ~track.dark
    # the first and last minutes of a ship outside dark windows are heard, so every true
    # track has a defined start and end in the archive
    return np.asarray(keep)


def noisy(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], cov: Coverage,
          rng: np.random.Generator) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """GNSS noise, ``noise_m`` standard deviation per axis."""
    return offset(lat, lon, rng.normal(0, cov.noise_m, lat.size),
                  rng.normal(0, cov.noise_m, lat.size))
