"""Simulator: determinism, labels consistent with positions, writers round-trip."""

from __future__ import annotations

import polars as pl
import pytest

from sanctionwatch.geo import haversine_m
from sanctionwatch.ids import imo_valid_array
from sanctionwatch.ingest.ais import read_ais
from sanctionwatch.simulate import generate, simulate


@pytest.fixture(scope="module")
def frames():
    return generate("dprk-2019", 1, vessels=40, days=4)


def test_same_seed_same_frames_different_seed_differs(frames):
    again = generate("dprk-2019", 1, vessels=40, days=4)
    assert again.positions.equals(frames.positions)
    assert again.labels.equals(frames.labels)
    other = generate("dprk-2019", 2, vessels=40, days=4)
    assert not other.positions.equals(frames.positions)


def test_planted_encounters_are_close_and_slow(frames):
    enc = frames.labels.filter(pl.col("event_type") == "encounter")
    assert enc.height >= 3
    p = frames.positions
    for e in enc.iter_rows(named=True):
        a = p.filter((pl.col("mmsi") == e["mmsi"])
                     & pl.col("timestamp").is_between(e["start_time"], e["end_time"]))
        b = p.filter((pl.col("mmsi") == e["other_mmsi"])
                     & pl.col("timestamp").is_between(e["start_time"], e["end_time"]))
        assert a.height and b.height
        j = a.sort("timestamp").join_asof(b.sort("timestamp"), on="timestamp",
                                          strategy="nearest", suffix="_b")
        d = haversine_m(j["lat"].to_numpy(), j["lon"].to_numpy(), j["lat_b"].to_numpy(),
                        j["lon_b"].to_numpy())
        assert (d < 500).mean() > 0.9
        assert a["sog_knots"].median() < 2 and b["sog_knots"].median() < 2


def test_labelled_gaps_have_no_positions_inside(frames):
    gaps = frames.labels.filter(pl.col("event_type") == "ais_gap")
    assert gaps.height >= 2
    for g in gaps.iter_rows(named=True):
        inside = frames.positions.filter(
            (pl.col("mmsi") == g["mmsi"]) & (pl.col("timestamp") > g["start_time"])
            & (pl.col("timestamp") < g["end_time"]))
        assert inside.height == 0 or g["behaviour"] == "identity_cloned_mmsi"


def test_port_calls_stop_within_3_km(frames):
    from sanctionwatch.reference import ReferenceData

    ref = ReferenceData.default()
    calls = frames.labels.filter((pl.col("event_type") == "port_call")
                                 & (pl.col("subtype") == "stop"))
    assert calls.height > 10
    cloned = frames.labels.filter(pl.col("subtype") == "simultaneous_positions")["mmsi"]
    calls = calls.filter(~pl.col("mmsi").is_in(cloned.implode()))
    for c in calls.head(20).iter_rows(named=True):
        p = frames.positions.filter((pl.col("mmsi") == c["mmsi"]) & pl.col("timestamp")
                                    .is_between(c["start_time"], c["end_time"]))
        d = ref.distance_to_port_km(p["lat"].to_numpy(), p["lon"].to_numpy())
        # the end is the first position beyond the 4 km exit radius
        assert (d[:-1] <= 4.0).all() or c["behaviour"] == "identity_cloned_mmsi"
        assert (p["sog_knots"] < 0.2).any()


def test_baseline_has_no_planted_labels():
    f = generate("baseline", 3, vessels=20, days=2)
    assert f.labels.height > 0
    assert not f.labels["planted"].any()
    # loitering: the squid jiggers' night drifts and the vessel drifting offshore (ordinary
    # traffic, loitering by the definition)
    assert set(f.labels["event_type"]) <= {"port_call", "zone_entry", "draught_change",
                                           "ais_gap", "fishing", "pair_trawling", "loitering"}
    loit = f.labels.filter(pl.col("event_type") == "loitering")
    assert set(loit["behaviour"]) <= {"background"}


@pytest.mark.parametrize("fmt", ["marinecadastre", "nmea", "parquet"])
def test_writers_round_trip_through_readers(tmp_path, fmt):
    res = simulate("baseline", 5, tmp_path, vessels=10, days=1, fmt=fmt)
    batches = list(read_ais(res.files[0]))
    n_pos = sum(b.positions.height for b in batches)
    n_rej = sum(b.rejects.height for b in batches)
    assert n_pos == res.n_positions
    assert n_rej == res.n_corrupt
    labels = pl.read_parquet(res.labels_path)
    assert {"event_type", "mmsi", "other_mmsi", "start_time", "end_time", "subtype", "lat",
            "lon", "details"} <= set(labels.columns)
    again = tmp_path / "again"
    simulate("baseline", 5, again, vessels=10, days=1, fmt=fmt)
    assert (again / res.files[0].name).read_bytes() == res.files[0].read_bytes()
    assert (again / "labels.parquet").read_bytes() == res.labels_path.read_bytes()


def test_nmea_round_trips_and_matches_pyais(tmp_path):
    from pyais import encode_dict

    from sanctionwatch.ingest.ais.nmea import NmeaReader

    res = simulate("baseline", 5, tmp_path, vessels=10, days=1, fmt="nmea")
    text = res.files[0].read_text().splitlines()
    assert all(line.startswith("\\c:") and ",s:sim*" in line for line in text)
    reader = NmeaReader(res.files[0])
    batches = list(reader.batches())
    assert sum(b.positions.height for b in batches) == res.n_positions
    assert reader.stats.rejects == {"bad_checksum": res.n_corrupt}
    # class A: one type 5 row per report; class B: type 24 parts A and B
    f = generate("baseline", 5, vessels=10, days=1, fmt="nmea")
    n_b = f.reports.filter(pl.col("ais_class") == "B").height
    assert sum(b.reports.height for b in batches) == f.reports.height + n_b
    assert any(",2,1," in line for line in text) and any(",2,2," in line for line in text)
    # the vectorised type 1/18 encoder gives pyais' bytes
    pos = f.positions.head(200)
    for r, line in zip(pos.sort(["timestamp", "mmsi", "lat"]).iter_rows(named=True),
                       [x for x in text if ",1,1,," in x and "!AIVDM,1,1,,A,H" not in x],
                       strict=False):
        d = {"mmsi": r["mmsi"], "lat": round(r["lat"] * 600000) / 600000,
             "lon": round(r["lon"] * 600000) / 600000,
             "speed": round(float(r["sog_knots"]) * 10) / 10,
             "course": round(float(r["cog_deg"]) * 10) / 10, "heading": int(r["heading_deg"]),
             "second": r["timestamp"].second}
        d.update({"type": 1, "status": r["nav_status"], "turn": -128, "maneuver": 0}
                 if r["msg_type"] == 1 else {"type": 18, "cs": 1})
        assert line.split("\\")[2] == encode_dict(d, talker_id="AI", sentence_type="VDM")[0]
    again = tmp_path / "again"
    simulate("baseline", 5, again, vessels=10, days=1, fmt="nmea")
    assert (again / "ais.nmea").read_bytes() == res.files[0].read_bytes()


@pytest.mark.slow
def test_detect_finds_same_events_on_nmea_and_marinecadastre(tmp_path):
    from sanctionwatch.pipeline import detect

    counts = {}
    for fmt in ("marinecadastre", "nmea"):
        res = simulate("dprk-2019", 4, tmp_path / fmt, vessels=30, days=3, fmt=fmt)
        detect([res.files[0]], tmp_path / fmt / "det", engine="memory")
        ev = pl.read_parquet(tmp_path / fmt / "det" / "events.parquet")
        counts[fmt] = dict(ev.group_by("event_type").len().iter_rows())
    for t in ("encounter", "loitering", "ais_gap", "spoofing", "port_call"):
        assert counts["nmea"].get(t, 0) == counts["marinecadastre"].get(t, 0), t


def test_hard_negatives_are_not_labelled_as_events(frames):
    kinds = {h["kind"] for h in frames.hard_negatives}
    assert {"pilot_boat", "coastal_gap", "bunkering", "pair_trawl"} <= kinds
    lab = frames.labels
    for h in frames.hard_negatives:
        ids = [h["mmsi"]] + ([h["other_mmsi"]] if h["other_mmsi"] else [])
        hit = lab.filter((pl.col("event_type") == h["not"])
                         & (pl.col("mmsi").is_in(ids) | pl.col("other_mmsi").is_in(ids))
                         & (pl.col("start_time") <= h["end_time"])
                         & (pl.col("end_time") >= h["start_time"]))
        assert hit.height == 0, h
    # a pilot boat runs alongside (< 100 m) at speed
    pilot = next(h for h in frames.hard_negatives if h["kind"] == "pilot_boat")
    p = frames.positions.filter((pl.col("mmsi") == pilot["mmsi"])
                                & pl.col("timestamp").is_between(pilot["start_time"],
                                                                 pilot["end_time"]))
    assert p.height > 3 and p["sog_knots"].median() > 5
    ctx = lab.filter(pl.col("behaviour").is_in(["pilot_boat", "coastal_gap", "bunkering"]))
    assert not ctx["planted"].any()
    assert ctx["details"].str.contains("hard_negative").all()


def test_coastal_gap_is_short(frames):
    h = next(h for h in frames.hard_negatives if h["kind"] == "coastal_gap")
    hours = (h["end_time"] - h["start_time"]).total_seconds() / 3600
    assert 1 <= hours <= 3


def test_scale_streams_parquet_blocks(tmp_path):
    import json

    from sanctionwatch.simulate import scale

    res = simulate("scale", 2, tmp_path, vessels=2 * scale.BLOCK + 10, days=1, fmt="parquet")
    assert len(res.files) == 3
    n = sum(pl.scan_parquet(f).select(pl.len()).collect().item() for f in res.files)
    assert n == res.n_positions > 100_000
    batches = list(read_ais(res.files[0]))
    assert sum(b.rejects.height for b in batches) == 0
    assert sum(b.positions.height for b in batches) == pl.read_parquet(res.files[0]).height
    meta = json.loads((tmp_path / "simulation.json").read_text())
    assert meta["labels_complete"] is False and meta["positions"] == n
    # Background ships broadcast real-looking identities: every IMO passes its check digit
    # and each ship has its own, so the spoofing detector has nothing to report on them.
    imo = pl.scan_parquet(res.files).select("mmsi", "imo").drop_nulls().unique().collect()
    assert imo.height > 3_000 and imo_valid_array(imo["imo"].to_numpy()).all()
    assert imo["imo"].n_unique() == imo["mmsi"].n_unique() == imo.height
    again = tmp_path / "again"
    simulate("scale", 2, again, vessels=2 * scale.BLOCK + 10, days=1, fmt="parquet")
    assert (again / "ais-00002.parquet").read_bytes() == res.files[2].read_bytes()
    with pytest.raises(ValueError):
        simulate("scale", 2, tmp_path / "x", vessels=10, days=1, fmt="nmea")


def test_planted_dprk_tankers_broadcast_un_designated_identities(frames):
    from sanctionwatch.ids import imo_is_valid
    from sanctionwatch.simulate.behaviours import DESIGNATED_DPRK_TANKERS

    designated = dict(DESIGNATED_DPRK_TANKERS)
    assert all(imo_is_valid(i) for i in designated.values())
    sts = frames.labels.filter(pl.col("event_type") == "encounter")
    dprk = [m for pair in sts.select("mmsi", "other_mmsi").rows() for m in pair
            if m // 1_000_000 == 445]
    assert dprk
    broadcast = frames.reports.filter(pl.col("mmsi").is_in(dprk))
    assert set(broadcast["imo"].drop_nulls().to_list()) <= set(designated.values())
    assert set(broadcast["name"].drop_nulls().to_list()) <= set(designated)
