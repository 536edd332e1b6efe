"""A vessel's tracks from the store, for the map replay and the track exports.

Positions are not kept in the store: they come from the ``positions.parquet`` of the newest
run recorded in the store whose output folder holds the vessel's positions (as for the
dossier, :func:`sanctionwatch.evidence.loaders.find_positions`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np


def vessel_keys(store_path: str | Path, key: str) -> tuple[int | None, list[int]]:
    """The IMO (when ``key`` is one) and the MMSIs the store knows for the vessel ``key``
    (IMO or MMSI). ``ValueError`` for a key that is neither, ``VesselNotFound`` when the
    store knows nothing of it."""
    from sanctionwatch.evidence.dossier import VesselNotFound, parse_key
    from sanctionwatch.evidence.loaders import open_store

    imo, mmsi = parse_key(key)
    with open_store(store_path) as src:
        mmsis = src.mmsis_for(imo, mmsi)
        if not mmsis and not src.listed_ids(imo, mmsis):
            raise VesselNotFound(f"{store_path}: the store holds nothing on {key}")
    return imo, mmsis


def vessel_tracks(store_path: str | Path, key: str, since: datetime | None = None,
                  until: datetime | None = None) -> list[dict[str, Any]]:
    """The vessel's tracks, one per MMSI and track id, in time order, each ``{mmsi,
    track_id, times, coordinates}`` (``times`` ISO 8601 UTC, ``coordinates`` [lon, lat]),
    within ``since``-``until`` when given. Empty when no run holds its positions."""
    from sanctionwatch.evidence.dossier import Provenance
    from sanctionwatch.evidence.loaders import find_positions, load_tracks, open_store

    _, mmsis = vessel_keys(store_path, key)
    with open_store(store_path) as src:
        path, run_id, _ = find_positions(src, mmsis, None)
    if path is None:
        return []
    out = []
    for t in load_tracks(path, run_id, mmsis, Provenance()):
        times = t.time.astype("datetime64[ms]")
        keep = np.ones(len(times), dtype=bool)
        if since is not None:
            keep &= times >= np.datetime64(since.astimezone(UTC).replace(tzinfo=None), "ms")
        if until is not None:
            keep &= times <= np.datetime64(until.astimezone(UTC).replace(tzinfo=None), "ms")
        for tid in dict.fromkeys(int(x) for x in t.track_id[keep]):
            idx = np.flatnonzero(keep & (t.track_id == tid))
            out.append({
                "mmsi": t.mmsi, "track_id": tid,
                "times": [str(times[i]) + "Z" for i in idx],
                "coordinates": [[float(t.lon[i]), float(t.lat[i])] for i in idx],
            })
    return out


def tracks_geojson(tracks: list[dict[str, Any]]) -> dict[str, Any]:
    """Tracks as a GeoJSON FeatureCollection: a LineString per track (a Point for a single
    position), properties ``mmsi``, ``track_id`` and ``times`` (one per coordinate)."""
    feats = []
    for t in tracks:
        coords = t["coordinates"]
        geometry = ({"type": "LineString", "coordinates": coords} if len(coords) > 1
                    else {"type": "Point", "coordinates": coords[0]})
        feats.append({"type": "Feature", "id": f"{t['mmsi']}-{t['track_id']}",
                      "geometry": geometry,
                      "properties": {"mmsi": t["mmsi"], "track_id": t["track_id"],
                                     "times": t["times"]}})
    return {"type": "FeatureCollection", "features": feats}


__all__ = ["tracks_geojson", "vessel_keys", "vessel_tracks"]
