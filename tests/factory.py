"""Builders for hand-made tracks used by the detector tests.

Positions are generated along great-circle-free local tangent-plane motion, which is accurate
to well under a metre over the tens of kilometres a test track covers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from sanctionwatch.detectors.base import DetectionInput
from sanctionwatch.reference import Port, ReferenceData
from sanctionwatch.reference.core import ConstantShoreDistance
from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS
from sanctionwatch.tracks import prepare_tracks

T0 = datetime(2019, 3, 1, 0, 0, tzinfo=UTC)
M_PER_DEG_LAT = 111_195.0


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """Move a point by metres north and east."""
    return (
        lat + north_m / M_PER_DEG_LAT,
        lon + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat))),
    )


def track(
    mmsi: int,
    lat: float,
    lon: float,
    *,
    start: datetime = T0,
    hours: float = 6.0,
    interval_s: float = 600.0,
    speed_knots: float = 0.0,
    course_deg: float = 0.0,
    source: str = "test.csv",
    first_record: int = 1,
) -> pl.DataFrame:
    """A straight track at constant speed and course, one position every ``interval_s``."""
    n = int(hours * 3600 / interval_s) + 1
    v = speed_knots * 1852 / 3600
    rows = []
    for i in range(n):
        d = v * i * interval_s
        la, lo = offset(
            lat, lon, d * math.cos(math.radians(course_deg)), d * math.sin(math.radians(course_deg))
        )
        rows.append(
            {
                "mmsi": mmsi,
                "timestamp": start + timedelta(seconds=i * interval_s),
                "lat": la,
                "lon": lo,
                "sog_knots": speed_knots,
                "cog_deg": course_deg,
                "heading_deg": course_deg,
                "nav_status": 0,
                "source": source,
                "record": first_record + i,
            }
        )
    return positions(rows)


def positions(rows: Sequence[dict[str, object]]) -> pl.DataFrame:
    """A POSITIONS frame from dicts (missing nullable columns are null)."""
    return POSITIONS.conform(pl.DataFrame(list(rows), infer_schema_length=None))


def reports(rows: Sequence[dict[str, object]]) -> pl.DataFrame:
    """A VESSEL_REPORTS frame from dicts; ``source``/``record`` default to test values."""
    full = [{"source": "test.csv", "record": i + 1, **r} for i, r in enumerate(rows)]
    return VESSEL_REPORTS.conform(pl.DataFrame(full, infer_schema_length=None))


def open_sea_reference(
    ports: Sequence[Port] = (), shore_km: float = 100.0
) -> ReferenceData:
    """Reference data where every point is ``shore_km`` from shore and only ``ports`` exist."""
    return ReferenceData(ports=list(ports), shore=ConstantShoreDistance(shore_km))


def detection_input(
    *frames: pl.DataFrame,
    vessel_reports: pl.DataFrame | None = None,
    reference: ReferenceData | None = None,
) -> DetectionInput:
    """Prepare tracks from position frames and wrap them for a detector."""
    prepared = prepare_tracks(pl.concat(list(frames), how="vertical"))
    rep = vessel_reports if vessel_reports is not None else VESSEL_REPORTS.empty()
    return DetectionInput(
        tracks=prepared.tracks,
        reports=rep.sort(["mmsi", "timestamp"]),
        reference=reference or open_sea_reference(),
        removed=prepared.removed,
    )
