"""ais_gap: naive gaps (GFW, 6 h) and the Welch et al. 2022 likely-disabling flag."""

from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctionwatch.detectors import ais_gap, coverage_gap
from sanctionwatch.detectors.base import registry
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, open_sea_reference, positions, reports, track

MMSI = 412_000_001


def _gap_track(gap_h: float, *, before_h: float = 12.0, interval_s: float = 600.0,
               mmsi: int = MMSI, source: str = "test.csv") -> pl.DataFrame:
    """Dense reporting for ``before_h``, silence for ``gap_h``, then 4 h of reporting."""
    a = track(mmsi, 30.0, 125.0, hours=before_h, interval_s=interval_s, speed_knots=8,
              source=source)
    b = track(mmsi, 30.1, 125.3, start=T0 + timedelta(hours=before_h + gap_h), hours=4,
              interval_s=600, speed_knots=8, source=source, first_record=10_000)
    return pl.concat([a, b])


def _run(
    *frames: pl.DataFrame,
    params: ais_gap.Params | None = None,
    reference: ReferenceData | None = None,
    vessel_reports: pl.DataFrame | None = None,
) -> pl.DataFrame:
    data = detection_input(*frames, vessel_reports=vessel_reports, reference=reference)
    return registry()["ais_gap"].run(data, params)


def test_long_offshore_gap_with_dense_reporting_is_likely_intentional() -> None:
    ev = _run(_gap_track(14))
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert row["duration_h"] == pytest.approx(14.0)
    assert row["likely_intentional"] is True
    assert row["start_time"] == T0 + timedelta(hours=12)
    assert row["end_time"] == T0 + timedelta(hours=26)
    assert row["end_lat"] == pytest.approx(30.1)
    assert row["distance_from_shore_km"] == pytest.approx(100.0)
    assert row["implied_speed_knots"] == pytest.approx(
        row["distance_km"] / 1.852 / row["duration_h"], rel=1e-6
    )
    assert row["evidence"] == ["test.csv:73", "test.csv:10000"]
    details = json.loads(row["details"])
    assert details["positions_before_12h"] == 73  # 12 h at 10 min, OFF message included
    assert details["track_id"] == MMSI * 1000


def test_seven_hour_gap_is_a_gap_but_not_intentional() -> None:
    ev = _run(_gap_track(7))
    assert ev.height == 1
    assert ev["duration_h"][0] == pytest.approx(7.0)
    assert ev["likely_intentional"][0] is False


def test_three_hour_coastal_gap_is_no_event() -> None:
    assert _run(_gap_track(3), reference=open_sea_reference(shore_km=5.0)).height == 0


def test_gap_of_exactly_min_gap_h_counts() -> None:
    assert _run(_gap_track(6)).height == 1
    assert _run(_gap_track(5.9)).height == 0


def test_near_shore_or_sparse_reporting_is_not_intentional() -> None:
    near = _run(_gap_track(14), reference=open_sea_reference(shore_km=50.0))  # < 50 nm
    assert near["likely_intentional"].to_list() == [False]
    sparse = _run(_gap_track(14, interval_s=3600))  # 13 positions in the 12 h before
    assert json.loads(sparse["details"][0])["positions_before_12h"] == 13
    assert sparse["likely_intentional"].to_list() == [False]


def test_draught_across_gap() -> None:
    rep = reports([
        {"mmsi": MMSI, "timestamp": T0, "draught_m": 6.0},
        {"mmsi": MMSI, "timestamp": T0 + timedelta(hours=27), "draught_m": 11.5},
    ])
    row = _run(_gap_track(14), vessel_reports=rep).row(0, named=True)
    assert row["draught_before_m"] == pytest.approx(6.0)
    assert row["draught_after_m"] == pytest.approx(11.5)
    assert row["draught_changed"] is True
    same = reports([
        {"mmsi": MMSI, "timestamp": T0, "draught_m": 8.0},
        {"mmsi": MMSI, "timestamp": T0 + timedelta(hours=27), "draught_m": 8.1},
    ])
    assert _run(_gap_track(14), vessel_reports=same)["draught_changed"].to_list() == [False]
    assert _run(_gap_track(14))["draught_changed"].to_list() == [None]


def test_gap_straddling_midnight_across_two_files_is_found_once() -> None:
    day1 = track(MMSI, 30.0, 125.0, start=T0 + timedelta(hours=8), hours=12,
                 speed_knots=8, source="2019-03-01.csv")
    # the second file repeats the last position of the first (heard by two receivers)
    last = day1.tail(1).with_columns(pl.lit("2019-03-02.csv").alias("source"),
                                     pl.lit(1).cast(pl.Int64).alias("record"))
    day2 = track(MMSI, 30.2, 125.1, start=T0 + timedelta(hours=34), hours=6, speed_knots=8,
                 source="2019-03-02.csv", first_record=2)
    # daily files cover their whole day: other ships report throughout both of them
    others = [
        track(412999999, 20.0, 120.0, start=T0 + timedelta(days=d), hours=23.9,
              interval_s=1800, source=f"2019-03-0{d + 1}.csv", first_record=1000)
        for d in (0, 1)
    ]
    ev = _run(day1, last, day2, *others)
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert row["start_time"] == T0 + timedelta(hours=20)
    assert row["end_time"] == T0 + timedelta(hours=34)
    assert row["evidence"] == ["2019-03-01.csv:73", "2019-03-02.csv:2"]


def test_gaps_are_per_track_not_per_mmsi() -> None:
    """Another ship sharing the MMSI does not hide the gap nor inflate the count before.

    The other ship is further away than 50 kn x 14 h, so track preparation keeps the two
    apart for the whole silence (nearer, it would hand the second ship's positions to the
    silent track, see the ais_gap docs' limitations).
    """
    a = _gap_track(14)
    b = track(MMSI, 45.0, 125.0, hours=30, interval_s=3600, speed_knots=5, source="b.csv")
    ev = _run(a, b)
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert row["duration_h"] == pytest.approx(14.0)
    assert json.loads(row["details"])["positions_before_12h"] == 73


def test_no_gap_at_the_edges_of_the_data_unless_open_gaps() -> None:
    early = track(MMSI, 30.0, 125.0, hours=4, speed_knots=8)
    later = track(MMSI + 1, 31.0, 125.0, hours=24, speed_knots=8, source="other.csv")
    assert _run(early, later).height == 0
    ev = _run(early, later, params=ais_gap.Params(open_gaps=True))
    assert ev["subtype"].to_list() == ["open"]
    row = ev.row(0, named=True)
    assert row["mmsi"] == MMSI
    assert row["end_time"] == T0 + timedelta(hours=24)
    assert row["end_lat"] is None and row["distance_km"] is None
    assert row["n_positions"] == 1


def test_output_conforms_and_ids_are_stable() -> None:
    data = detection_input(_gap_track(14), _gap_track(8, mmsi=MMSI + 5, source="x.csv"))
    first = ais_gap.detect(data, ais_gap.Params())
    again = ais_gap.detect(data, ais_gap.Params())
    assert set(first.columns) <= set(EVENTS.names)
    assert first["event_id"].to_list() == again["event_id"].to_list()
    assert first["event_id"].n_unique() == 2
    assert (first["duration_h"] >= ais_gap.Params().min_gap_h).all()


def test_params_validation() -> None:
    with pytest.raises(ValueError):
        ais_gap.Params(min_gap_h=0)
    with pytest.raises(ValueError):
        ais_gap.Params(intentional_min_gap_h=-1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0.05, max_value=20.0), min_size=1, max_size=30),
       st.floats(min_value=1.0, max_value=12.0))
def test_property_gaps_are_exactly_the_long_intervals(steps_h: list[float], min_gap: float
                                                      ) -> None:
    """Every interval >= min_gap_h is one gap or one coverage gap (a silence too long for the
    ship's own reporting rate to notice), and none is shorter than the threshold."""
    times = [T0]
    for s in steps_h:
        times.append(times[-1] + timedelta(hours=s))
    rows = [{"mmsi": MMSI, "timestamp": t, "lat": 30.0, "lon": 125.0, "source": "p.csv",
             "record": i + 1} for i, t in enumerate(times)]
    data = detection_input(positions(rows))
    ev = pl.concat([registry()[name].run(data, cls(min_gap_h=min_gap)) for name, cls in
                    (("ais_gap", ais_gap.Params), ("coverage_gap", coverage_gap.Params))])
    long = [s for s in steps_h if round(s * 3600e6) >= round(min_gap * 3600e6)]
    assert ev.height == len(long)
    assert (ev["duration_h"] >= min_gap - 1e-9).all()
    assert ev["event_id"].n_unique() == ev.height


def test_silence_between_two_input_files_years_apart_is_not_a_gap():
    from datetime import timedelta

    import polars as pl

    from sanctionwatch.detectors.ais_gap import Params, detect
    from tests.factory import T0, detection_input, track

    old = track(355920000, 31.0, 124.0, hours=2, source="2016.csv")
    new = track(355920000, 31.0, 124.0, hours=2, start=T0 + timedelta(days=400), source="2022.csv")
    assert detect(detection_input(old, new), Params()).height == 0
    # the same silence inside one continuous input is a gap
    same = pl.concat([old, new.with_columns(pl.lit("2016.csv").alias("source"))])
    other = track(412000001, 35.0, 124.0, hours=24 * 401, interval_s=3600, source="2016.csv")
    assert detect(detection_input(same, other), Params()).height == 1


@pytest.mark.parametrize("repeat_times", [False, True])
def test_positions_before_bisection_equals_the_as_of_join(repeat_times: bool) -> None:
    import numpy as np

    from sanctionwatch.detectors.common import tracks_in_record_order

    rng = np.random.default_rng(3)
    n = 3000
    tid = np.sort(rng.integers(0, 40, n))
    repeat = 0.05 if repeat_times else 0.0
    step_s = rng.choice([0, 60, 600, 3600, 8 * 3600], n, p=[repeat, 0.5, 0.3, 0.1, 0.1 - repeat])
    us = np.cumsum(step_s + (0 if repeat_times else 1)) * 1_000_000
    t = pl.DataFrame({
        "track_id": tid,
        "timestamp": pl.Series(us).cast(pl.Datetime("us", "UTC")),
        "source": "s.csv",
        "record": np.arange(n),
    })
    t = tracks_in_record_order(t.sort("track_id", "timestamp"))
    gaps = t.with_row_index("_row").with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.int_range(pl.len()).over("track_id").alias("_i"),
    ).filter(pl.col("record") % 7 == 0)
    fast = ais_gap._positions_before(gaps, t, 12.0).sort("_row")
    slow = ais_gap._positions_before_asof(gaps, t, 12 * 3_600_000_000).sort("_row")
    assert fast["positions_before"].to_list() == slow["positions_before"].to_list()
    assert (fast["positions_before"] >= 1).all()


def test_tracks_in_record_order_equals_the_sort() -> None:
    from sanctionwatch.detectors.common import tracks_in_record_order

    t = pl.DataFrame({
        "track_id": [1, 1, 1, 2, 2],
        "timestamp": pl.Series([1, 2, 3, 1, 5]).cast(pl.Datetime("us", "UTC")),
        "source": ["b", "a", "a", "a", "a"],
        "record": [5, 4, 3, 2, 1],
    })
    keys = ["track_id", "timestamp", "source", "record"]
    assert tracks_in_record_order(t) is t  # already in order: no sort
    tied = t.with_columns(pl.Series("timestamp", [1, 1, 3, 1, 5]).cast(pl.Datetime("us", "UTC")))
    assert tracks_in_record_order(tied).equals(tied.sort(keys))
    shuffled = t.reverse()
    assert tracks_in_record_order(shuffled).equals(t.sort(keys))
