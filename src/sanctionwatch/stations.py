"""Station types: which MMSIs are ships, and what the others are.

AIS carries more than ships: coast (base) stations, aids to navigation, SAR aircraft, craft
associated with a parent ship (fishing-gear buoys, tenders), SART / MOB / EPIRB beacons, and
identities no station should use (0, 123456789, truncated numbers). Vessel detectors see
ships only: track preparation takes the positions of every other station out
(:func:`split_stations`, reason ``station:<type>`` in ``removed``) and
:class:`~sanctionwatch.detectors.DetectionInput` keeps only ships' reports
(:func:`ship_reports`). Both decide from the MMSI alone, so every engine, whatever MMSI range it
holds, agrees. :func:`classify_stations` lists every MMSI of a run with its type (the
``stations.parquet`` output), adding the transceiver class of ships from their messages.
See ``docs/stations.md``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.ids import STATION_TYPES, station_type_array

STATIONS_SCHEMA: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(),
    "station_type": pl.String(),
    "reason": pl.String(),
    "positions": pl.Int64(),
    "reports": pl.Int64(),
}
"""Columns of ``stations.parquet`` (:func:`classify_stations`)."""

POSITION_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(),
    "positions": pl.Int64(),
    "class_a": pl.Int64(),
    "class_b": pl.Int64(),
    "station_message": pl.Int64(),
}
"""Columns of :func:`position_summary`."""

CLASS_A_MESSAGES = (1, 2, 3)
CLASS_B_MESSAGES = (18, 19)
"""Position message types of class A and class B transceivers (ITU-R M.1371-5 table 42);
type 27 (long-range) is sent by both and says nothing of the class."""

STATION_MESSAGES: dict[int, str] = {4: "coast_station", 9: "sar_aircraft", 21: "aid_to_navigation"}
"""Message types only stations other than ships send (base station report, SAR aircraft
position, aid-to-navigation report): an MMSI in a ship's format that sends one is that station."""

STATION_REASON_PREFIX = "station:"
"""Removal reason of a non-ship station's positions: ``station:<type>``."""


def _by_message(kind: npt.NDArray[np.str_], msg: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """``kind`` with ships that sent a station message (``msg`` > 0, else 0) made that
    station."""
    by_msg = np.select([msg == t for t in STATION_MESSAGES], list(STATION_MESSAGES.values()),
                       default="")
    return np.where((kind == "ship") & (by_msg != ""), by_msg, kind).astype(np.str_)


def _types_of_unique(mmsi: npt.NDArray[np.int64], station_rows: npt.NDArray[np.int64] | None
                     = None, station_msg_type: npt.NDArray[np.int64] | None = None
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.str_]]:
    """The index of each row's MMSI among the distinct ones, and their types (from the
    format; for ship formats, from the station message ``station_msg_type`` of the rows
    ``station_rows``, the last one of an MMSI deciding)."""
    uniq, inverse = unique_inverse(mmsi)
    kind, _ = station_type_array(uniq)
    if station_rows is not None and station_msg_type is not None and station_rows.size:
        msg = np.zeros(uniq.size, dtype=np.int64)
        msg[inverse[station_rows]] = station_msg_type
        kind = _by_message(kind, msg)
    return inverse, kind


def unique_inverse(values: npt.NDArray[np.int64]
                   ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``np.unique(values, return_inverse=True)`` of integers, by hashing instead of sorting
    every value: the distinct values (MMSIs of a run) are few next to the rows."""
    series = pl.Series(values, dtype=pl.Int64)
    uniq = np.sort(series.unique().to_numpy())
    inverse = series.replace_strict(pl.Series(uniq), pl.Series(np.arange(uniq.size)),
                                    return_dtype=pl.Int64).to_numpy()
    return uniq, inverse


def station_types(df: pl.DataFrame) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.str_]]:
    """For ``df`` (POSITIONS without null MMSIs): the index of each row's MMSI among the
    distinct ones, in MMSI order, and the station type of each (see :func:`split_stations`)."""
    rows = df["msg_type"].is_in(list(STATION_MESSAGES)).arg_true()
    return _types_of_unique(df["mmsi"].to_numpy(), rows.cast(pl.Int64).to_numpy(),
                            df["msg_type"].gather(rows).cast(pl.Int64).to_numpy())


def station_frame(df: pl.DataFrame, other: npt.NDArray[np.bool_],
                  kind_of_row: npt.NDArray[np.str_]) -> pl.DataFrame:
    """The rows ``other`` of ``df`` with ``reason`` ``station:<type>`` (``kind_of_row``: the
    type of each of them)."""
    return df.filter(pl.Series(other)).with_columns(
        pl.Series("reason", np.char.add(STATION_REASON_PREFIX, kind_of_row), dtype=pl.String))


def is_ship_mmsi(mmsi: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Per element: the MMSI has a ship station's format (``station_type_array`` ``ship``)."""
    m = np.asarray(mmsi, dtype=np.int64)
    if m.size == 0:
        return np.zeros(0, dtype=bool)
    inverse, kind = _types_of_unique(m)
    return np.asarray((kind == "ship")[inverse])


def split_stations(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``df`` (POSITIONS) as the rows of ships and the rows of other stations, the latter with
    ``reason`` ``station:<type>`` (``coast_station``, ``aid_to_navigation``,
    ``sar_aircraft``, ``craft_associated``, ``sart_mob_epirb``, ``invalid_identity``). The type
    is the format's, or for a ship's format the station message it sent
    (:data:`STATION_MESSAGES`); every position of the MMSI decides, so an engine holding whole
    MMSIs decides as the others."""
    if df.height == 0 or df["mmsi"].null_count():
        return df, df.clear().with_columns(pl.lit(None, dtype=pl.String).alias("reason"))
    inverse, kind = station_types(df)
    # per distinct MMSI, then spread as booleans: a string per row would cost a copy of the
    # whole column
    other = (kind != "ship")[inverse]
    if not other.any():
        return df, df.clear().with_columns(pl.lit(None, dtype=pl.String).alias("reason"))
    return df.filter(pl.Series(~other)), station_frame(df, other, kind[inverse[other]])


def ship_reports(reports: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``reports`` whose MMSI is a ship's (the frame itself when all are)."""
    if reports.height == 0 or "mmsi" not in reports.columns or reports["mmsi"].null_count():
        return reports
    keep = is_ship_mmsi(reports["mmsi"].to_numpy())
    return reports if keep.all() else reports.filter(pl.Series(keep))


def _class_counts(frame: pl.LazyFrame, msg_type: bool) -> pl.LazyFrame:
    cls = pl.col("ais_class")
    if msg_type:
        m = pl.col("msg_type")
        cls = pl.coalesce(cls, pl.when(m.is_in(CLASS_A_MESSAGES)).then(pl.lit("A"))
                          .when(m.is_in(CLASS_B_MESSAGES)).then(pl.lit("B")))
    return frame.group_by("mmsi").agg(
        pl.len().cast(pl.Int64).alias("n"),
        (cls == "A").sum().cast(pl.Int64).alias("class_a"),
        (cls == "B").sum().cast(pl.Int64).alias("class_b"),
    )


def position_summary(positions: pl.LazyFrame) -> pl.DataFrame:
    """Per MMSI of the raw ``positions`` (POSITIONS columns): ``positions`` and how many of
    them a class A or class B transceiver sent (``ais_class``, else the message type)."""
    frame = positions.select("mmsi", "msg_type", "ais_class")
    out = _class_counts(frame, msg_type=True).join(
        frame.filter(pl.col("msg_type").is_in(list(STATION_MESSAGES))).group_by("mmsi").agg(
            pl.col("msg_type").max().cast(pl.Int64).alias("station_message")),
        on="mmsi", how="left")
    return out.rename({"n": "positions"}).collect().cast(pl.Schema(POSITION_SUMMARY_SCHEMA))


def classify_stations(positions: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    """Every MMSI of a run with its station type (``STATIONS_SCHEMA``), sorted by MMSI.

    ``positions``: :func:`position_summary` of the run's raw positions; ``reports``: its
    vessel reports (VESSEL_REPORTS). The type comes from the MMSI's format
    (:func:`~sanctionwatch.ids.station_type_array`), for a ship's format that sent a station
    message (:data:`STATION_MESSAGES`) that station (reason ``<type>_message``); a ship is
    ``ship_class_a`` when every
    message that says its class says A, ``ship_class_b`` when every one says B, else ``ship``
    (no class known, or both: two transceivers, or two ships, on one MMSI). ``reason`` is the
    format's (e.g. ``coast_station_format``, ``placeholder``), for ships followed by the class
    evidence (``; class_a_messages``, ``; class_b_messages``, ``; class_a_and_b_messages``,
    ``; no_class_information``).
    """
    rep = _class_counts(reports.lazy().select("mmsi", "ais_class"), msg_type=False).collect()
    pos = positions.select("mmsi", "positions", "class_a", "class_b", "station_message")
    both = pos.join(rep.rename({"n": "reports", "class_a": "ra", "class_b": "rb"}), on="mmsi",
                    how="full", coalesce=True).filter(pl.col("mmsi").is_not_null())
    if both.height == 0:
        return pl.DataFrame(schema=STATIONS_SCHEMA)
    both = both.with_columns(pl.col(c).fill_null(0) for c in
                             ("positions", "reports", "class_a", "class_b", "ra", "rb"))
    kind, reason = station_type_array(both["mmsi"].to_numpy())
    by_msg = _by_message(kind, both["station_message"].fill_null(0).to_numpy())
    reason = np.where(by_msg != kind, np.char.add(by_msg, "_message"), reason).astype(np.str_)
    kind = by_msg
    a = (both["class_a"] + both["ra"]).to_numpy() > 0
    b = (both["class_b"] + both["rb"]).to_numpy() > 0
    ship = kind == "ship"
    kind = np.where(ship & a & ~b, "ship_class_a", np.where(ship & b & ~a, "ship_class_b", kind))
    evidence = np.select([a & b, a, b], ["class_a_and_b_messages", "class_a_messages",
                                         "class_b_messages"], default="no_class_information")
    reason = np.where(ship, np.char.add(np.char.add(reason, "; "), evidence), reason)
    return both.select(
        "mmsi",
        pl.Series("station_type", kind, dtype=pl.String),
        pl.Series("reason", reason, dtype=pl.String),
        "positions", "reports",
    ).cast(pl.Schema(STATIONS_SCHEMA)).sort("mmsi")


def station_counts(stations: pl.DataFrame) -> dict[str, int]:
    """MMSIs per station type (types with none left out), in :data:`STATION_TYPES` order."""
    if stations.height == 0:
        return {}
    counts = dict(stations.group_by("station_type").len().iter_rows())
    return {t: int(counts[t]) for t in STATION_TYPES if t in counts}


__all__ = ["POSITION_SUMMARY_SCHEMA", "STATIONS_SCHEMA", "STATION_MESSAGES",
           "STATION_REASON_PREFIX",
           "classify_stations", "is_ship_mmsi", "position_summary", "ship_reports",
           "split_stations", "station_counts", "station_frame", "station_types",
           "unique_inverse"]
