"""Pair trawling: two vessels towing one net, at trawling speed, on parallel courses, a few
hundred metres apart, for hours.

Chinese pair trawlers were most of the foreign fleet fishing DPRK waters (Park et al. 2020,
*Sci. Adv.* 6:eabb1197), who counted pairs in radar imagery as vessels within 535 m of one
another (DETECTION.md §1.5, §1.7). This detector applies that distance to AIS tracks with the
encounter detector's pair search (:mod:`sanctionwatch.detectors.encounter`: the absolute
10-minute grid, no bridging of dark gaps, the k-d tree search on a sample of grid times, runs
of close grid times merged per pair of tracks), and keeps only the grid times at which both
vessels move at trawling speed on parallel courses.

It is disjoint from ``encounter`` by definition: an encounter needs both vessels' median
speed below 2 kn, a pair trawl both at or above it (``min_median_speed_knots``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, PairSearch, Params, register
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.detectors.encounter import (
    TRACK_COLUMNS,
    EncounterParams,
    _candidate_pairs,
    _runs,
    candidate_pairs,
    encounter_sample,
    pair_event_rows,
    placed_pair_events,
)
from sanctionwatch.detectors.fishing import course_deg
from sanctionwatch.detectors.loitering import hourly_speed_knots
from sanctionwatch.geo import EARTH_RADIUS_M
from sanctionwatch.tracks.resample import (
    interval_us,
)
from sanctionwatch.units import US_PER_H

EVENT_TYPE = "pair_trawling"

DETAILS = Details(
    {
        "together_steps": Key(pl.Int64(), "grid times at which the two trawled together"),
        "merged_runs": Key(pl.Int64(), "runs of consecutive such grid times merged into it"),
        "min_distance_m": Key(pl.Float64(), "smallest distance between the two, metres"),
        "median_course_difference_deg": Key(pl.Float64(),
                                            "median difference of the two courses, degrees"),
        "median_speed_knots": Key(pl.Float64(), "`mmsi`'s median grid speed"),
        "other_median_speed_knots": Key(pl.Float64(), "`other_mmsi`'s median grid speed"),
        "real_share": Key(pl.Float64(), "share of grid times with a real position of `mmsi`"),
        "other_real_share": Key(pl.Float64(), "the same for `other_mmsi`"),
        "track_id": Key(pl.Int64(), "`mmsi`'s track"),
        "other_track_id": Key(pl.Int64(), "`other_mmsi`'s track"),
        "gear": Key(pl.Utf8(), "always pair_trawler"),
        "resample_interval_min": Key(pl.Float64(), "the grid step"),
    }
)


@dataclass(frozen=True)
class PairTrawlingParams(Params):
    """Pair-trawling parameters.

    max_distance_m: the two are *together* at a grid time when their median distance over
        ``distance_window_h`` around it is within this. 535 m, Park et al. 2020 (pairs
        counted in SAR imagery as vessels within 535 m). A median, because one SAR image is
        one instant while AIS fixes of two boats carry GNSS and interpolation error of tens
        of metres each: a pair towing 500 m apart crosses 535 m at single grid times.
    distance_window_h: the window of that median. 1 h, chosen by us (six grid times).
    search_distance_m: pairs are searched within this distance at single grid times, before
        the median is taken. 1000 m, chosen by us: twice the pair distance, wide enough for
        the per-fix error above, still far below the distance of two unrelated boats.
    min_trawl_speed_knots, max_trawl_speed_knots: each vessel's hourly mean implied speed at
        a together grid time lies in this band. 1.5-5.5 kn, as the ``fishing`` detector
        (towing at 2-5 kn, Park et al. 2020 and Kroodsma et al. 2018, ±0.5 kn).
    min_median_speed_knots: each vessel's median grid speed over the event must be at least
        this. 2 kn: the encounter detector's maximum (GFW, DETECTION.md §1.1), so no event is
        both an encounter and a pair trawl.
    max_course_difference_deg: the two courses at a together grid time differ by at most this.
        30 degrees, chosen by us: two boats towing one net hold the same course; two ships
        crossing or one overtaking the other do not stay within it for hours.
    min_duration_h: minimum duration of a merged event. 2 h, chosen by us ("for hours"; a tow
        lasts 1-4 h), GFW's encounter minimum.
    min_run_duration_h: minimum run of consecutive together grid times before merging. 1 h,
        as the encounter detector (GFW).
    merge_gap_h: runs of one pair less than this apart are one event. 4 h, as the encounter
        detector (GFW ``min_hours_between_encounters``): the same pair search, and a pair
        hauling and shooting the net again between tows is still one operation. Unlike
        encounters, together runs shorter than ``min_run_duration_h`` count when measuring
        this gap (they never start or end an event): a pair trawling team does not part
        between tows, and sparse fixes of two meandering boats, interpolated across the
        meander, confirm their distance and course only in short runs.
    min_distance_to_port_km: grid times where either is nearer than this to a port or
        anchorage are not together times. 10 km, GFW's encounter port distance.
    resample_interval_min: the grid step. 10 min, as the encounter detector (GFW).
    max_interpolation_gap_h: positions further apart are not interpolated. 1.5 h, as the
        encounter detector.
    min_real_share: each vessel has a real position at this share of the event's grid times
        at least. 0.1, as the encounter detector.
    """

    max_distance_m: float = 535.0
    distance_window_h: float = 1.0
    search_distance_m: float = 1000.0
    min_trawl_speed_knots: float = 1.5
    max_trawl_speed_knots: float = 5.5
    min_median_speed_knots: float = 2.0
    max_course_difference_deg: float = 30.0
    min_duration_h: float = 2.0
    min_run_duration_h: float = 1.0
    merge_gap_h: float = 4.0
    min_distance_to_port_km: float = 10.0
    resample_interval_min: float = 10.0
    max_interpolation_gap_h: float = 1.5
    min_real_share: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        self.search()  # the encounter search's own checks
        if self.min_trawl_speed_knots >= self.max_trawl_speed_knots:
            raise ValueError("min_trawl_speed_knots must be below max_trawl_speed_knots")
        if self.search_distance_m < self.max_distance_m:
            raise ValueError("search_distance_m must be at least max_distance_m")
        if self.max_course_difference_deg > 180:
            raise ValueError("max_course_difference_deg must be <= 180")

    def search(self) -> EncounterParams:
        """The encounter parameters of the same pair search."""
        return EncounterParams(
            max_distance_m=self.search_distance_m, min_duration_h=self.min_duration_h,
            min_run_duration_h=self.min_run_duration_h, max_median_speed_knots=np.inf,
            min_distance_to_port_km=self.min_distance_to_port_km, merge_gap_h=self.merge_gap_h,
            resample_interval_min=self.resample_interval_min,
            max_interpolation_gap_h=self.max_interpolation_gap_h,
            min_real_share=self.min_real_share,
        )


def _features(grid: pl.DataFrame, p: PairTrawlingParams) -> pl.DataFrame:
    """Per grid row: ``track_id, k``, hourly mean implied speed and course."""
    return grid.select("track_id", "k").with_columns(
        pl.Series("hourly_speed", hourly_speed_knots(grid, 1.0, p.resample_interval_min)),
        pl.Series("course", course_deg(grid)),
    )


def _median_distance(grid: pl.DataFrame, unit: npt.NDArray[np.float64], a: npt.NDArray[np.int64],
                     b: npt.NDArray[np.int64], p: PairTrawlingParams) -> npt.NDArray[np.float64]:
    """Per close pair (rows ``a``, ``b`` of ``grid``): the median distance of the same two
    tracks over the grid times within ``distance_window_h`` / 2 either side at which they are
    within ``search_distance_m``."""
    chord = np.sqrt(((unit[a] - unit[b]) ** 2).sum(axis=1))
    dist = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(chord / 2, 1.0))
    half = max(0, round(p.distance_window_h * 60 / 2 / p.resample_interval_min))
    tid = grid["track_id"].to_numpy()
    frame = pl.DataFrame({"i": np.arange(a.size), "ta": tid[a], "tb": tid[b],
                          "k": grid["k"].to_numpy()[a], "d": dist}).sort("ta", "tb", "k")
    # over the pair's close rows in time order (a window of rows, not of times: a row beyond
    # the search distance is missing from it rather than counted as far)
    med = frame.with_columns(
        pl.col("d").rolling_median(2 * half + 1, center=True, min_samples=1)
        .over("ta", "tb").alias("m"))
    out = np.empty(a.size)
    out[med["i"].to_numpy()] = med["m"].to_numpy()
    return out


def _sample_hook(data: DetectionInput, p: PairTrawlingParams) -> pl.DataFrame:
    ep = p.search()
    return encounter_sample(data.grid(ep.resample_interval_min, ep.max_interpolation_gap_h),
                            data.ports_and_places(), ep)


def _pairs_hook(samples: pl.DataFrame, p: PairTrawlingParams) -> pl.DataFrame:
    if samples.height < 2:
        return pl.DataFrame(schema={"track_a": pl.Int64, "track_b": pl.Int64})
    a, b = candidate_pairs(samples, p.search())
    tid = samples["track_id"]
    return pl.DataFrame({"track_a": tid.gather(a), "track_b": tid.gather(b)}).unique()


PAIR_SEARCH = PairSearch(sample=_sample_hook, pairs=_pairs_hook, columns=TRACK_COLUMNS)


@register(EVENT_TYPE, PairTrawlingParams, reads=(), scope="pair", pair_search=PAIR_SEARCH,
          details=(DETAILS,))
def detect(data: DetectionInput, params: PairTrawlingParams) -> pl.DataFrame:
    """Pair-trawling events between tracks of different MMSIs (module docstring).

    One event per pair of tracks and merged run, ``mmsi`` the lower MMSI; the position is the
    mean of the pair's midpoints at together grid times; ``median_speed_knots`` the lower of
    the two vessels' median grid speeds; evidence the first and last real position of each.
    """
    p = params
    ep = p.search()
    iv = interval_us(p.resample_interval_min)
    grid = data.grid(p.resample_interval_min, p.max_interpolation_gap_h)
    ref = data.ports_and_places()
    pairs_grid, unit, a, b = _candidate_pairs(grid, ref, ep)
    if a.size == 0:
        return pl.DataFrame()
    feats = pairs_grid.select("track_id", "k").join(
        _features(grid, p), on=["track_id", "k"], how="left", maintain_order="left")
    speed = feats["hourly_speed"].fill_null(np.nan).to_numpy()
    course = feats["course"].fill_null(np.nan).to_numpy()
    in_band = (speed >= p.min_trawl_speed_knots) & (speed <= p.max_trawl_speed_knots)
    diff = np.abs((course[a] - course[b] + 180.0) % 360.0 - 180.0)
    near = _median_distance(pairs_grid, unit, a, b, p) <= p.max_distance_m
    keep = near & in_band[a] & in_band[b] & (diff <= p.max_course_difference_deg)
    a, b = a[keep], b[keep]
    if a.size == 0:
        return pl.DataFrame()
    close = _runs(pairs_grid, unit, a, b, ep, iv, ref, short_runs_bridge=True)
    if close.height == 0:
        return pl.DataFrame()
    course_of = feats.select("track_id", "k", "course")
    close = close.join(course_of.rename({"track_id": "track_a", "course": "course_a"}),
                       on=["track_a", "k"], how="left", maintain_order="left").join(
        course_of.rename({"track_id": "track_b", "course": "course_b"}),
        on=["track_b", "k"], how="left", maintain_order="left").with_columns(
        ((pl.col("course_a") - pl.col("course_b") + 180.0) % 360.0 - 180.0).abs()
        .alias("course_diff"))
    events = (
        close.group_by("event")
        .agg(
            pl.col("track_a", "track_b", "mmsi_a", "mmsi_b").first(),
            pl.col("k").min().alias("k0"),
            pl.col("k").max().alias("k1"),
            pl.col("distance_m").median().alias("median_distance_m"),
            pl.col("distance_m").min().alias("min_distance_m"),
            pl.col("course_diff").median().alias("median_course_diff"),
            pl.len().alias("together_steps"),
            pl.col("run").n_unique().alias("runs"),
        )
        .filter((pl.col("k1") - pl.col("k0")) * iv >= round(p.min_duration_h * US_PER_H))
        .sort("event")
    )
    events = placed_pair_events(events, close, grid, ref, p.min_distance_to_port_km)
    if events.height == 0:
        return pl.DataFrame()
    events = events.filter(
        (pl.min_horizontal(pl.col("median_speed_a").fill_null(0.0),
                           pl.col("median_speed_b").fill_null(0.0)) >= p.min_median_speed_knots)
        & (pl.min_horizontal("real_share_a", "real_share_b") >= p.min_real_share)
    )
    if events.height == 0:
        return pl.DataFrame()
    details = DETAILS.expr(
        together_steps=pl.col("together_steps"),
        merged_runs=pl.col("runs"),
        min_distance_m=pl.col("min_distance_m").round(1),
        median_course_difference_deg=pl.col("median_course_diff").round(1),
        median_speed_knots=pl.col("median_speed_a").round(3),
        other_median_speed_knots=pl.col("median_speed_b").round(3),
        real_share=pl.col("real_share_a").round(3),
        other_real_share=pl.col("real_share_b").round(3),
        track_id=pl.col("track_a"),
        other_track_id=pl.col("track_b"),
        gear=pl.lit("pair_trawler"),
        resample_interval_min=pl.lit(p.resample_interval_min),
    )
    return pair_event_rows(events, data.tracks, EVENT_TYPE, p.resample_interval_min, details,
                           pl.min_horizontal("median_speed_a", "median_speed_b"))
