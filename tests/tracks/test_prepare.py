from datetime import timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctionwatch.tracks import PrepareParams, prepare_tracks
from sanctionwatch.tracks.prepare import TRACKS_PER_MMSI
from tests.factory import T0, positions, track


def test_two_ships_sharing_an_mmsi_become_two_tracks_not_a_zigzag():
    # Two ships 300 km apart both broadcasting MMSI 412000001, interleaved in time.
    a = track(412000001, 31.0, 123.0, speed_knots=10, course_deg=90, hours=4)
    b = track(412000001, 33.7, 123.0, speed_knots=10, course_deg=270, hours=4,
              start=T0 + timedelta(minutes=5), first_record=1000)
    prepared = prepare_tracks(pl.concat([a, b]))
    tracks = prepared.tracks.group_by("track_id").agg(pl.len(), pl.col("lat").mean())
    assert tracks.height == 2
    assert sorted(tracks["len"].to_list()) == [a.height, b.height]
    # each track stays on its own ship: latitudes never mix
    for lat_mean in tracks["lat"].to_list():
        assert abs(lat_mean - 31.0) < 0.1 or abs(lat_mean - 33.7) < 0.1


def test_single_corrupt_position_is_split_off():
    t = track(235000001, 50.8, -1.1, speed_knots=3, hours=1, interval_s=60)
    bad_row = t[30].with_columns(pl.lit(54.83).alias("lon"))
    t = pl.concat([t[:30], bad_row, t[31:]])
    prepared = prepare_tracks(t)
    sizes = sorted(prepared.tracks.group_by("track_id").len()["len"].to_list())
    assert sizes == [1, t.height - 1]


def test_sentinels_and_duplicates_removed_with_reason():
    t = track(235000001, 50.8, -1.1, hours=1, interval_s=600)
    sentinel = t[0].with_columns(pl.lit(91.0).alias("lat"), pl.lit(181.0).alias("lon"),
                                 pl.lit(99, dtype=pl.Int64).alias("record"))
    dup = t[1].with_columns(pl.lit("other.csv").alias("source"))
    speed_na = t[2].with_columns(pl.lit(102.3).alias("sog_knots"),
                                 pl.lit(360.0).alias("cog_deg"),
                                 pl.lit(511.0).alias("heading_deg"),
                                 pl.lit(T0 + timedelta(minutes=25)).alias("timestamp"))
    prepared = prepare_tracks(pl.concat([t, sentinel, dup, positions(speed_na.to_dicts())]))
    assert prepared.removed_counts() == {"duplicate": 1, "position_not_available": 1}
    row = prepared.tracks.filter(pl.col("timestamp") == T0 + timedelta(minutes=25))
    assert row["sog_knots"].to_list() == [None]
    assert row["cog_deg"].to_list() == [None]
    assert row["heading_deg"].to_list() == [None]
    assert prepared.tracks.height == t.height + 1


def test_a_long_gap_does_not_split_a_plausible_track():
    a = track(412000002, 31.0, 123.0, speed_knots=10, hours=2)
    b = track(412000002, 31.5, 123.0, speed_knots=10, hours=2, start=T0 + timedelta(hours=14))
    prepared = prepare_tracks(pl.concat([a, b]))
    assert prepared.tracks["track_id"].n_unique() == 1


def test_track_ids_encode_mmsi():
    prepared = prepare_tracks(track(412000003, 31.0, 123.0, hours=1))
    assert (prepared.tracks["track_id"] // TRACKS_PER_MMSI == 412000003).all()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 48 * 60), st.floats(30, 35), st.floats(120, 125)),
        min_size=1, max_size=60,
    )
)
def test_every_position_lands_in_exactly_one_plausible_track(points):
    rows = [
        {"mmsi": 412000009, "timestamp": T0 + timedelta(minutes=m), "lat": la, "lon": lo,
         "source": "h.csv", "record": i + 1}
        for i, (m, la, lo) in enumerate(points)
    ]
    prepared = prepare_tracks(positions(rows))
    assert prepared.tracks.height + prepared.removed.height == len(rows)
    p = PrepareParams()
    # within each track, consecutive positions are physically possible
    from sanctionwatch.geo import KNOT_M_PER_S, haversine_m

    for _, g in prepared.tracks.group_by("track_id"):
        g = g.sort("timestamp")
        if g.height < 2:
            continue
        d = haversine_m(g["lat"][:-1], g["lon"][:-1], g["lat"][1:], g["lon"][1:])
        dt = g["timestamp"].diff().dt.total_seconds().to_numpy()[1:]
        assert (d <= p.noise_m + p.max_speed_knots * KNOT_M_PER_S * dt + 1e-6).all()


def test_a_ship_sharing_an_mmsi_is_not_absorbed_by_the_other_ships_silence():
    # Ship A reports for 4 h, goes dark, and reappears at 14 h; ship B (same MMSI, 150 km
    # north) reports throughout. After A's silence, B's positions are within A's reach
    # (50 kn x hours) but must stay on B's fresh track.
    a1 = track(412000010, 31.0, 123.0, speed_knots=5, hours=4, interval_s=60)
    a2 = track(412000010, 31.05, 123.0, speed_knots=5, hours=4, interval_s=60,
               start=T0 + timedelta(hours=14), first_record=500)
    b = track(412000010, 32.35, 123.0, speed_knots=5, course_deg=90, hours=20,
              start=T0 + timedelta(minutes=3), first_record=1000)
    prepared = prepare_tracks(pl.concat([a1, a2, b]))
    by_track = prepared.tracks.group_by("track_id").agg(pl.len())
    assert by_track.height == 2
    assert sorted(by_track["len"].to_list()) == sorted([a1.height + a2.height, b.height])
