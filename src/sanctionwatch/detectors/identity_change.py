"""Identity changes in the static reports: renames, IMO / call sign / type / flag changes,
one IMO on several MMSIs, and an MMSI whose country (MID) contradicts the stated flag.

DETECTION.md 1.6 (identity spoofing, shared MMSI) and 3 (identity laundering: renamed ships
keeping the IMO hull, IMO numbers of other ships broadcast, fraudulent registries and flag
hopping). Changes are read from ``vessel_reports`` per MMSI in time order. A value that comes
or goes (null <-> value) is not a change, and neither is a difference of case, spacing or
punctuation only. Also home of the MID table (:func:`mid_country`) and of small helpers the
report-based detectors share (:func:`nearest_position`, :func:`evidence_expr`,
:func:`details_expr`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

from sanctionwatch.detectors.base import DetectionInput, register, with_event_ids
from sanctionwatch.detectors.base import Params as BaseParams
from sanctionwatch.geo import haversine_m_expr
from sanctionwatch.ids import imo_valid_array

EVENT_TYPE = "identity_change"
FIELDS = ("name", "imo", "callsign", "ship_type", "flag")
"""Report fields followed in time; each change is an event with ``subtype`` = the field."""

PLACEHOLDER_IMOS = frozenset({1234567})
"""IMO numbers that pass the check digit but are well-known fill-ins (1234567's weighted sum
is 77, so its check digit 7 is right). Not counted as a ``shared_imo``; ``spoofing`` reports
them as ``invalid_imo``."""

MAX_EVIDENCE = 50
"""At most this many ``source:record`` strings per event (the count is in ``n_positions``)."""

# Dependencies compare equal to their sovereign state: a Cayman (KY) flag on a United Kingdom
# MID, or a Hong Kong flag on a Chinese MID, is not a mismatch.
_SOVEREIGN = {
    **dict.fromkeys(
        ("AI", "BM", "VG", "KY", "MS", "TC", "FK", "GI", "SH", "PN", "IO", "GG", "JE", "IM"), "GB"
    ),
    **dict.fromkeys(("PR", "VI", "AS", "MP", "GU", "UM"), "US"),
    **dict.fromkeys(("GP", "MQ", "PM", "PF", "NC", "WF", "RE", "GF", "TF", "YT", "BL", "MF"), "FR"),
    **dict.fromkeys(("AW", "CW", "SX", "BQ"), "NL"),
    **dict.fromkeys(("FO", "GL"), "DK"),
    **dict.fromkeys(("CX", "CC", "NF", "HM"), "AU"),
    **dict.fromkeys(("CK", "NU", "TK"), "NZ"),
    **dict.fromkeys(("HK", "MO"), "CN"),
}


# --------------------------------------------------------------------------- MID table


@cache
def _mid_rows() -> dict[int, tuple[str, str]]:
    text = resources.files("sanctionwatch").joinpath("data", "mid.csv").read_text("utf-8")
    return {
        int(r["mid"]): (r["iso2"], r["country"]) for r in csv.DictReader(text.splitlines())
    }


def allocated_mids() -> frozenset[int]:
    """The MIDs in the ITU table (``sanctionwatch/data/mid.csv``)."""
    return frozenset(_mid_rows())


def mid_table() -> pl.DataFrame:
    """The MID table as a frame: ``mid`` (Int64), ``iso2``, ``country``."""
    rows = _mid_rows()
    return pl.DataFrame(
        {
            "mid": list(rows),
            "iso2": [v[0] for v in rows.values()],
            "country": [v[1] for v in rows.values()],
        },
        schema={"mid": pl.Int64, "iso2": pl.Utf8, "country": pl.Utf8},
    )


def embedded_mid(mmsi: int) -> int | None:
    """The MID inside an MMSI by ITU-R M.585 format, or None when the format has none.

    Ship ``MIDxxxxxx``, group ``0MIDxxxxx``, coast station ``00MIDxxxx``, SAR aircraft
    ``111MIDxxx``, aid to navigation ``99MIDxxxx``, craft associated with a parent ship
    ``98MIDxxxx``. The MID is returned whether or not it is allocated.
    """
    if 200_000_000 <= mmsi <= 799_999_999:
        return mmsi // 1_000_000
    if 20_000_000 <= mmsi <= 79_999_999:
        return mmsi // 100_000
    if 2_000_000 <= mmsi <= 7_999_999:
        return mmsi // 10_000
    if 111_000_000 <= mmsi <= 111_999_999:
        return (mmsi // 1_000) % 1_000
    if 980_000_000 <= mmsi <= 999_999_999:
        return (mmsi // 10_000) % 1_000
    return None


def mid_country(mmsi: int) -> tuple[str, str] | None:
    """``(iso2, country)`` of the MID in ``mmsi`` (ITU table), or None when unallocated/absent.

    >>> mid_country(445123456)
    ('KP', "Democratic People's Republic of Korea")
    """
    mid = embedded_mid(mmsi)
    return _mid_rows().get(mid) if mid is not None else None


def sovereign(iso2: str) -> str:
    """The sovereign state of a dependency's ISO code (the code itself for states)."""
    return _SOVEREIGN.get(iso2, iso2)


# --------------------------------------------------------------------------- shared helpers


def evidence_expr(source: str = "source", record: str = "record") -> pl.Expr:
    """``source:record`` string of a row (the EVENTS ``evidence`` format)."""
    return pl.concat_str([pl.col(source), pl.lit(":"), pl.col(record).cast(pl.Utf8)])


def details_expr(**fields: pl.Expr) -> pl.Expr:
    """A JSON object with sorted keys, built in Polars (vectorised form of ``details_json``)."""
    return pl.struct([fields[k].alias(k) for k in sorted(fields)]).struct.json_encode()


def iso_expr(col: str) -> pl.Expr:
    """A UTC timestamp column as ISO 8601 text (for ``details``)."""
    return pl.col(col).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def nearest_position(
    frame: pl.DataFrame,
    tracks: pl.DataFrame,
    *,
    time_col: str,
    mmsi_col: str = "mmsi",
    lat_col: str = "lat",
    lon_col: str = "lon",
    offset_col: str | None = None,
    nan_when_unknown: bool = True,
) -> pl.DataFrame:
    """Add the position of ``mmsi_col`` nearest in time to ``time_col`` (row order kept).

    Report-based events have no position of their own; this places them where the vessel was
    heard closest to the moment. When the MMSI has no position at all the coordinates are NaN
    (``nan_when_unknown``, for the non-nullable EVENTS ``lat``/``lon``) or null.
    ``offset_col`` receives the absolute time offset in hours.
    """
    # Only the frame's MMSIs can match: filter before sorting (events concern few vessels,
    # tracks hold them all). The stable sort keeps each MMSI's equal-time rows in track order.
    pos = (
        tracks.lazy()
        .filter(pl.col("mmsi").is_in(frame.get_column(mmsi_col).unique().implode()))
        .select(
            pl.col("mmsi").alias("__pos_mmsi"),
            pl.col("timestamp").alias("__pos_ts"),
            pl.col("lat").alias(lat_col),
            pl.col("lon").alias(lon_col),
        )
        .sort("__pos_ts", maintain_order=True)
        .collect()
    )
    left = frame.with_row_index("__row").sort(time_col)
    out = left.join_asof(
        pos,
        left_on=time_col,
        right_on="__pos_ts",
        by_left=mmsi_col,
        by_right="__pos_mmsi",
        strategy="nearest",
        check_sortedness=False,
    )
    extra: list[pl.Expr] = []
    if nan_when_unknown:
        extra += [pl.col(lat_col).fill_null(float("nan")), pl.col(lon_col).fill_null(float("nan"))]
    if offset_col is not None:
        extra.append(
            ((pl.col(time_col) - pl.col("__pos_ts")).dt.total_seconds(fractional=True).abs() / 3600)
            .alias(offset_col)
        )
    out = (out.with_columns(extra) if extra else out).sort("__row")
    return out.drop([c for c in ("__row", "__pos_ts", "__pos_mmsi") if c in out.columns])


# --------------------------------------------------------------------------- detector


@dataclass(frozen=True)
class Params(BaseParams):
    """Identity change parameters (DETECTION.md 1.6 and 3).

    fields: report fields whose changes are events (``name``, ``imo``, ``callsign``,
        ``ship_type``, ``flag``; flag only where the source states it).
    shared_imo: emit ``shared_imo`` events (one valid IMO broadcast by several MMSIs).
    max_imo_mmsi_count: an IMO broadcast by more MMSIs than this is treated as a default or
        junk value and gives no ``shared_imo`` events (pairs grow as n^2; a ship renamed,
        reflagged and re-registered a few times over the data uses a handful of MMSIs).
    mid_flag_mismatch: emit ``mid_flag_mismatch`` events (MMSI country vs stated flag).
    """

    fields: tuple[str, ...] = FIELDS
    shared_imo: bool = True
    max_imo_mmsi_count: int = 10
    mid_flag_mismatch: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.fields, str):  # "name,imo" from a command-line override
            object.__setattr__(self, "fields", _split(self.fields))
        unknown = set(self.fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"identity_change.Params.fields: unknown {sorted(unknown)}")


def _split(text: str) -> tuple[str, ...]:
    """A comma-separated list as a tuple (for tuple parameters given as text)."""
    return tuple(x.strip() for x in text.split(",") if x.strip())


_BASE_COLS = ["mmsi", "timestamp", "source", "record"]


def _value_and_key(field: str) -> tuple[pl.Expr, pl.Expr]:
    """Display value and comparison key of a field; null when 'not available'."""
    if field in ("imo", "ship_type"):
        # 0 is the AIS 'not available' value for both
        v = pl.when(pl.col(field) > 0).then(pl.col(field).cast(pl.Utf8)).otherwise(None)
        return v, v
    v = pl.col(field).str.strip_chars().str.replace_all(r"\s+", " ")
    key = v.str.to_uppercase().str.replace_all(r"[^\p{L}\p{N}]", "")
    return v, pl.when(key != "").then(key).otherwise(None)


def _field_changes(rep: pl.LazyFrame, field: str) -> pl.LazyFrame:
    """Changes of one field; ``rep`` must be sorted by MMSI (then time)."""
    value, key = _value_and_key(field)
    f = rep.select(*_BASE_COLS, value.alias("new_value"), key.alias("key")).filter(
        pl.col("key").is_not_null()
    )
    prev = {
        "old_value": pl.col("new_value"),
        "prev_key": pl.col("key"),
        "prev_ts": pl.col("timestamp"),
        "prev_ev": evidence_expr(),
    }
    # the previous row of the same MMSI: rows are sorted by MMSI, so a plain shift within the
    # MMSI's run (much cheaper than a window over thousands of MMSIs)
    same = pl.col("mmsi").eq_missing(pl.col("mmsi").shift(1))
    f = f.with_columns([pl.when(same).then(e.shift(1)).alias(k) for k, e in prev.items()])
    ch = f.filter(pl.col("prev_key").is_not_null() & (pl.col("key") != pl.col("prev_key")))
    return ch.select(
        "mmsi",
        pl.col("timestamp").alias("start_time"),
        pl.col("timestamp").alias("end_time"),
        pl.lit(field).alias("subtype"),
        "old_value",
        "new_value",
        pl.concat_list([pl.col("prev_ev"), evidence_expr()]).alias("evidence"),
        details_expr(
            old_value_last_reported=iso_expr("prev_ts"),
            hours_since_old_report=(pl.col("timestamp") - pl.col("prev_ts")).dt.total_seconds(
                fractional=True
            )
            / 3600,
        ).alias("details"),
    )


def _shared_imo(rep: pl.DataFrame, tracks: pl.DataFrame, max_mmsis: int) -> pl.DataFrame:
    valid = pl.Series(imo_valid_array(rep["imo"].cast(pl.Float64).to_numpy()))
    per = (
        rep.filter(valid & ~rep["imo"].is_in(list(PLACEHOLDER_IMOS)).fill_null(False))
        .sort(["mmsi", "timestamp", "source", "record"])
        .group_by(["imo", "mmsi"])
        .agg(
            pl.col("timestamp").min().alias("first_ts"),
            pl.col("timestamp").max().alias("last_ts"),
            pl.len().alias("n"),
            evidence_expr().first().alias("ev"),
        )
        .filter(pl.len().over("imo") <= max_mmsis)
    )
    pairs = per.join(per, on="imo", suffix="_o").filter(pl.col("mmsi") < pl.col("mmsi_o"))
    if pairs.height == 0:
        return pl.DataFrame()
    pairs = pairs.select(
        "mmsi",
        pl.col("mmsi_o").alias("other_mmsi"),
        pl.max_horizontal("first_ts", "first_ts_o").alias("start_time"),
        pl.max_horizontal("last_ts", "last_ts_o").alias("end_time"),
        pl.lit("shared_imo").alias("subtype"),
        pl.lit(None, dtype=pl.Utf8).alias("old_value"),
        pl.col("imo").cast(pl.Utf8).alias("new_value"),
        pl.concat_list(["ev", "ev_o"]).alias("evidence"),
        ((pl.col("first_ts") <= pl.col("last_ts_o")) & (pl.col("first_ts_o") <= pl.col("last_ts")))
        .alias("overlapping"),
        "imo", "first_ts", "last_ts", "first_ts_o", "last_ts_o", "n", "n_o",
    )
    pairs = nearest_position(pairs, tracks, time_col="start_time")
    pairs = nearest_position(
        pairs, tracks, time_col="start_time", mmsi_col="other_mmsi", lat_col="end_lat",
        lon_col="end_lon", nan_when_unknown=False,
    )
    return pairs.with_columns(
        (haversine_m_expr(pl.col("lat"), pl.col("lon"), pl.col("end_lat"), pl.col("end_lon"))
         / 1000).alias("distance_km"),
        details_expr(
            imo=pl.col("imo"),
            overlapping=pl.col("overlapping"),
            mmsi_first_reported=iso_expr("first_ts"),
            mmsi_last_reported=iso_expr("last_ts"),
            other_first_reported=iso_expr("first_ts_o"),
            other_last_reported=iso_expr("last_ts_o"),
            mmsi_reports=pl.col("n"),
            other_reports=pl.col("n_o"),
        ).alias("details"),
    ).drop(["overlapping", "imo", "first_ts", "last_ts", "first_ts_o", "last_ts_o", "n", "n_o"])


def _mid_flag_mismatch(rep: pl.DataFrame) -> pl.DataFrame:
    flag = pl.col("flag").str.strip_chars().str.to_uppercase()
    f = rep.select(*_BASE_COLS, flag.alias("flag")).filter(
        pl.col("flag").str.contains(r"^[A-Z]{2}$")
        & pl.col("mmsi").is_between(200_000_000, 799_999_999)
    )
    f = f.with_columns((pl.col("mmsi") // 1_000_000).alias("mid")).join(
        mid_table(), on="mid", how="inner"
    )
    f = f.filter(pl.col("flag").replace(_SOVEREIGN) != pl.col("iso2").replace(_SOVEREIGN))
    per = (
        f.sort(["mmsi", "timestamp", "source", "record"])
        .group_by(["mmsi", "flag"])
        .agg(
            pl.col("timestamp").min().alias("start_time"),
            pl.col("timestamp").max().alias("end_time"),
            pl.len().alias("n"),
            pl.col("mid").first(),
            pl.col("iso2").first(),
            pl.col("country").first(),
            evidence_expr().head(MAX_EVIDENCE).alias("evidence"),
        )
    )
    return per.select(
        "mmsi",
        "start_time",
        "end_time",
        pl.lit("mid_flag_mismatch").alias("subtype"),
        pl.col("iso2").alias("old_value"),
        pl.col("flag").alias("new_value"),
        "evidence",
        details_expr(
            mid=pl.col("mid"),
            mid_country=pl.col("country"),
            mid_iso2=pl.col("iso2"),
            flag=pl.col("flag"),
            n_reports=pl.col("n"),
        ).alias("details"),
    )


@register(EVENT_TYPE, Params, reads=())
def detect(data: DetectionInput, params: Params) -> pl.DataFrame:
    """Identity changes per MMSI from ``vessel_reports`` (DETECTION.md 1.6, 3).

    Subtypes: one per changed field (``name``, ``imo``, ``callsign``, ``ship_type``,
    ``flag``; ``old_value`` -> ``new_value`` at the first report with the new value),
    ``shared_imo`` (a check-digit-valid IMO broadcast by two MMSIs; one event per IMO and MMSI
    pair, ``mmsi`` < ``other_mmsi``) and ``mid_flag_mismatch`` (the MMSI's MID country is not
    the stated flag; ``old_value`` = MID country, ``new_value`` = flag; one event per MMSI and
    flag). Positions come from the vessel's position nearest in time.
    """
    rep = data.reports
    if rep.height == 0:
        return pl.DataFrame()
    rep = rep.sort(["mmsi", "timestamp", "source", "record"])
    out: list[pl.DataFrame] = []
    # one small frame per field: a loop over (at most five) columns, not over rows
    parts = [_field_changes(rep.lazy(), f) for f in params.fields]
    if parts:
        changes = pl.concat(parts, how="vertical_relaxed").collect()
        out.append(nearest_position(changes, data.tracks, time_col="start_time"))
    if params.mid_flag_mismatch:
        mm = _mid_flag_mismatch(rep)
        out.append(nearest_position(mm, data.tracks, time_col="start_time"))
    if params.shared_imo:
        out.append(_shared_imo(rep, data.tracks, params.max_imo_mmsi_count))
    out = [o for o in out if o.height]
    if not out:
        return pl.DataFrame()
    events = pl.concat(out, how="diagonal_relaxed")
    events = events.with_columns(
        pl.lit(EVENT_TYPE).alias("event_type"),
        ((pl.col("end_time") - pl.col("start_time")).dt.total_seconds(fractional=True) / 3600)
        .alias("duration_h"),
    )
    events = with_event_ids(events, ["subtype", "old_value", "new_value"])
    return events.sort(["mmsi", "start_time", "subtype", "event_id"])


__all__ = [
    "EVENT_TYPE",
    "FIELDS",
    "MAX_EVIDENCE",
    "PLACEHOLDER_IMOS",
    "Params",
    "allocated_mids",
    "details_expr",
    "detect",
    "embedded_mid",
    "evidence_expr",
    "iso_expr",
    "mid_country",
    "mid_table",
    "nearest_position",
    "sovereign",
]
