"""The shipped reference geography: ports, shore distance, land, zones, and the user loaders."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from shapely.geometry import Polygon

from sanctionwatch.geo import METRES_PER_NM, haversine_m
from sanctionwatch.reference import Port, ReferenceData
from sanctionwatch.reference.core import ConstantShoreDistance
from sanctionwatch.reference.shipped import (
    ReferenceDataError,
    load_default,
    load_ports_csv,
    load_zones_geojson,
)
from sanctionwatch.reference.shore import RasterShoreDistance, is_land

NAMPO = (38.716667, 125.4)
NM20_KM = 20 * METRES_PER_NM / 1000


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return ReferenceData.default()


def zone(ref: ReferenceData, zone_id: str) -> int:
    return [z.zone_id for z in ref.zones].index(zone_id)


def test_default_is_loaded_once_and_cached():
    load_default.cache_clear()
    r = load_default()
    assert np.isfinite(r.distance_from_shore_km(0.0, 0.0))  # the lazy raster read works
    assert load_default() is r is ReferenceData.default()


# --- ports -----------------------------------------------------------------------------------

def test_nampo_is_a_dprk_port_and_nearest_to_a_point_2km_off(ref):
    lat, lon = NAMPO[0], NAMPO[1] - 2.0 / (111.195 * np.cos(np.radians(NAMPO[0])))
    d, i = ref.nearest_port(lat, lon)
    port = ref.ports[int(i[0])]
    assert (port.name, port.country_iso3, port.kind) == ("NAMPO", "PRK", "port")
    assert port.is_dprk
    assert d[0] == pytest.approx(2.0, abs=0.05)
    assert int(i[0]) in ref.ports_within(lat, lon, 10.0)


def test_dprk_ports_include_wpi_and_hand_added(ref):
    prk = {p.name for p in ref.ports if p.is_dprk}
    wpi = {"NAMPO", "HAEJU HANG", "WONSAN", "HUNGNAM", "CH'ONGJIN", "NAJIN", "SENBONG",
           "KIMCH'AEK", "CH'AHO", "KYOMIP'O"}
    assert wpi | {"SONGNIM", "TAEAN"} == prk


def test_ports_are_clean(ref):
    frame = ref.ports_frame()
    assert frame.height > 60_000
    assert set(frame["kind"].unique()) == {"port", "anchorage"}
    assert frame["country_iso3"].str.contains(r"^[A-Z]{3}$").all()
    assert frame["lat"].is_between(-90, 90).all() and frame["lon"].is_between(-180, 180).all()
    assert frame.filter(frame["name"] == "REMOVE").is_empty()


def test_distance_to_port_near_shanghai_is_small(ref):
    assert ref.distance_to_port_km(31.35, 121.75)[0] < 5.0
    assert ref.distance_to_port_km(31.0, 124.5)[0] > 100.0


# --- shore distance and land -----------------------------------------------------------------

@pytest.mark.parametrize(("lat", "lon"), [(37.0, 124.0), (31.0, 124.5)])
def test_open_sea_is_more_than_20nm_from_shore(ref, lat, lon):
    assert ref.distance_from_shore_km(lat, lon) > NM20_KM


def test_solent_harbour_is_near_shore(ref):
    # Portsmouth Harbour is narrower than the 1 km mask: the value is slightly negative (land).
    assert abs(float(ref.distance_from_shore_km(50.80, -1.10))) < 5.0


def test_central_mongolia_is_far_inland(ref):
    assert ref.distance_from_shore_km(46.8, 103.0) < -1000.0


def test_shore_distance_is_vectorised_and_handles_nan_and_antimeridian(ref):
    shore = ref.shore
    d = shore.distance_km([np.nan, 0.0, 0.0, 10.0], [0.0, 180.0, -180.0, np.nan])
    assert np.isnan(d[0]) and np.isnan(d[3]) and d[1] == d[2]
    east, west = shore.distance_km([-20.0, -20.0], [179.999, -179.999])
    assert east == pytest.approx(west, abs=0.2)  # 0.002 deg apart: continuous, no seam
    assert shore.distance_km(np.zeros((2, 3)), np.zeros((2, 3))).shape == (2, 3)
    assert np.ndim(shore.distance_km(37.0, 124.0)) == 0
    # one call answers a million points at once (speed is measured in benchmarks, not here)
    n = 1_000_000
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-90, 90, n), rng.uniform(-180, 180, n)
    d = shore.distance_km(lat, lon)
    assert d.shape == (n,) and np.isfinite(d).all()


def test_raster_pickles_as_a_path(ref):
    blob = pickle.dumps(ref.shore)
    assert len(blob) < 1000
    assert pickle.loads(blob).distance_km(37.0, 124.0) == ref.shore.distance_km(37.0, 124.0)


def test_bad_raster_file_is_reported(tmp_path):
    bad = tmp_path / "x.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"x\.npz"):
        RasterShoreDistance(bad).distance_km(0.0, 0.0)


def test_is_land_at_1km():
    # The WPI coordinate of Nampo is land at 1 km (the harbour basin is ~1 km south):
    # port logic must use distance to port, not the land test.
    got = is_land([NAMPO[0], 37.0, 46.8, np.nan], [NAMPO[1], 124.0, 103.0, 0.0])
    assert got.tolist() == [True, False, True, False]
    assert is_land(0.0, 190.0).shape == ()  # longitudes are wrapped, not rejected


# --- zones -----------------------------------------------------------------------------------

def test_dprk_east_sea_eez(ref):
    j = zone(ref, "prk_eez_east_sea")
    inside = ref.zone_membership([40.0, 39.5, 37.5], [131.0, 130.0, 129.0])[:, j]
    assert inside.tolist() == [True, True, False]
    assert ref.zones[j].is_dprk and ref.zones[j].kind == "eez"


def test_dprk_west_sea_zone_is_approximate_but_sane(ref):
    j = zone(ref, "prk_waters_west_sea_approx")
    z = ref.zones[j]
    assert z.is_dprk and "APPROXIMATE" in z.source
    pts = {  # (lat, lon): inside?
        (38.70, 124.90): True,  # west of Nampo
        (38.00, 125.70): True,  # Haeju
        (37.96, 124.68): False,  # Paengnyong-do (ROK)
        (37.665, 125.70): False,  # Yonpyong-do (ROK)
        (40.12, 124.38): False,  # Dandong (PRC)
        (37.0, 124.0): False,  # Yellow Sea, south
    }
    lat, lon = zip(*pts, strict=True)
    assert ref.zone_membership(lat, lon)[:, j].tolist() == list(pts.values())


def test_sts_areas(ref):
    j = zone(ref, "sts_east_china_sea_shanghai_zhoushan")
    assert ref.zone_membership(31.0, 124.5)[0, j]
    sts = [z for z in ref.zones if z.kind == "sts_area"]
    assert len(sts) == 3
    assert all("S/2019/171" in z.source and "APPROXIMATE" in z.source for z in sts)


def test_every_zone_has_a_source_and_valid_geometry(ref):
    assert len({z.zone_id for z in ref.zones}) == len(ref.zones) >= 6
    for z in ref.zones:
        assert len(z.source) > 50, z.zone_id
        assert z.geometry.is_valid and not z.geometry.is_empty, z.zone_id
        assert z.kind in {"eez", "military_zone", "sts_area"}


# --- user files ------------------------------------------------------------------------------

def write_zones(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def feat(geometry=None, **props):
    base = {"zone_id": "z1", "name": "Z", "kind": "sts_area", "is_dprk": False,
            "source": "me, 2024"}
    base.update(props)
    geometry = geometry or {"type": "Polygon",
                            "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    return {"type": "Feature", "properties": {k: v for k, v in base.items() if v != "DROP"},
            "geometry": geometry}


def test_user_zones_round_trip(tmp_path):
    zones = load_zones_geojson(write_zones(tmp_path / "z.geojson", [feat()]))
    assert [(z.zone_id, z.kind, z.is_dprk) for z in zones] == [("z1", "sts_area", False)]
    assert zones[0].geometry.equals(Polygon([(0, 0), (1, 0), (1, 1), (0, 1)]))


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([feat(source="DROP")], r"feature 0 \(z1\): missing property source"),
        ([feat(is_dprk="yes")], "is_dprk must be true or false"),
        ([feat(), feat()], "feature 1: duplicate zone_id 'z1'"),
        ([feat(geometry={"type": "Polygon",
                         "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})],
         r"feature 0 \(z1\): invalid geometry \(Self-intersection"),
        ([feat(geometry={"type": "Point", "coordinates": [0, 0]})], "not Polygon"),
        ([feat(geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]})],
         "malformed geometry"),
        ([feat(geometry={"type": "Polygon",
                         "coordinates": [[[0, 0], [0, 200], [1, 200], [0, 0]]]})],
         "outside"),
    ],
)
def test_user_zone_errors_name_file_and_feature(tmp_path, features, message):
    path = write_zones(tmp_path / "bad.geojson", features)
    with pytest.raises(ReferenceDataError, match=message) as e:
        load_zones_geojson(path)
    assert "bad.geojson" in str(e.value)


def test_user_zones_not_json(tmp_path):
    p = tmp_path / "z.geojson"
    p.write_text("{")
    with pytest.raises(ReferenceDataError, match="not valid JSON"):
        load_zones_geojson(p)


def test_user_ports_csv(tmp_path):
    p = tmp_path / "ports.csv"
    p.write_text("name,country_iso3,lat,lon\nNAMPO OUTER ANCHORAGE,prk,38.70,125.20\n"
                 "Dalian,CHN,38.92,121.67\n")
    ports = load_ports_csv(p)
    assert [(x.name, x.country_iso3, x.kind, x.is_dprk) for x in ports] == [
        ("NAMPO OUTER ANCHORAGE", "PRK", "port", True), ("Dalian", "CHN", "port", False)]
    base = load_default()
    r = ReferenceData(ports=[*base.ports, *ports], shore=base.shore, zones=base.zones)
    d, i = r.nearest_port(38.70, 125.21)
    assert r.ports[int(i[0])].name == "NAMPO OUTER ANCHORAGE"
    assert float(haversine_m(38.70, 125.21, 38.70, 125.20)) / 1000 == pytest.approx(d[0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,lat,lon\nX,1,2\n", "missing column"),
        ("name,country_iso3,lat,lon\nX,PRK,95,2\n", "line 2: lat 95.0 outside"),
        ("name,country_iso3,lat,lon\nX,PRK,1,2\nY,KP,1,2\n", "line 3: country_iso3 'KP'"),
        ("name,country_iso3,lat,lon,kind\nX,PRK,1,2,berth\n", "kind 'berth'"),
        ("name,country_iso3,lat,lon\nX,PRK,north,2\n", "lat 'north' is not a number"),
    ],
)
def test_user_ports_csv_errors(tmp_path, text, message):
    p = tmp_path / "ports.csv"
    p.write_text(text)
    with pytest.raises(ReferenceDataError, match=message) as e:
        load_ports_csv(p)
    assert "ports.csv" in str(e.value)


def test_nearest_port_tolerates_missing_coordinates():
    import numpy as np

    from sanctionwatch.reference import ReferenceData

    ref = ReferenceData.default()
    dist, idx = ref.nearest_port([38.70, np.nan], [125.38, 125.0])
    assert np.isfinite(dist[0]) and idx[0] >= 0
    assert np.isinf(dist[1]) and idx[1] == -1


# --- bounded nearest-port queries (port-proximity cell mask) ---------------------------------

def _ports_near_tricky_places() -> list[Port]:
    rng = np.random.default_rng(7)
    places = [(0.0, 179.99), (0.0, -179.99), (89.99, 0.0), (-89.95, 120.0), (78.2, 15.6),
              (38.7167, 125.4), (0.05, 0.05), (-33.9, 18.4)]
    lat = np.r_[[p[0] for p in places], rng.uniform(-80, 80, 200)]
    lon = np.r_[[p[1] for p in places], rng.uniform(-180, 180, 200)]
    return [Port(f"P{i}", "XXX", float(a), float(b))
            for i, (a, b) in enumerate(zip(lat, lon, strict=True))]


@pytest.mark.parametrize("within_km", [0.5, 3.0, 4.0, 10.0, 20.0])
def test_masked_bounded_query_equals_plain_tree_query(within_km, monkeypatch):
    import sanctionwatch.reference.core as core

    ports = _ports_near_tricky_places()
    rng = np.random.default_rng(int(within_km * 10))
    k = rng.integers(0, len(ports), 20_000)
    reach = within_km / 111.0 * 1.3  # degrees: about half the points fall inside the radius
    lat = np.clip(np.array([ports[i].lat for i in k]) + rng.uniform(-reach, reach, k.size),
                  -90, 90)
    lon = np.array([ports[i].lon for i in k]) + rng.uniform(-reach, reach, k.size) / np.maximum(
        np.cos(np.radians(lat)), 0.01)
    lon = (lon + 180.0) % 360.0 - 180.0
    lat = np.r_[lat, rng.uniform(-90, 90, 5000), np.nan, 10.0]
    lon = np.r_[lon, rng.uniform(-180, 180, 5000), 10.0, np.inf]
    shore = ConstantShoreDistance(100.0)
    masked = ReferenceData(ports=ports, shore=shore)
    assert lat.size > len(ports)  # the mask is used
    d, i = masked.nearest_port(lat, lon, within_km=within_km)
    monkeypatch.setattr(core, "MASK_MAX_RADIUS_KM", -1.0)  # the plain tree query
    d0, i0 = ReferenceData(ports=ports, shore=shore).nearest_port(lat, lon, within_km=within_km)
    assert 0.2 < np.isfinite(d0).mean() < 0.8
    np.testing.assert_array_equal(d, d0)
    np.testing.assert_array_equal(i, i0)
    unbounded = masked.nearest_port(lat, lon)[0]
    inside = np.isfinite(d0)
    np.testing.assert_array_equal(d0[inside], unbounded[inside])
    assert (unbounded[~inside & np.isfinite(unbounded)] > within_km).all()


def test_mask_marks_every_cell_within_the_radius_of_a_port():
    from sanctionwatch.reference.core import MASK_CELL_DEG, _mask_cell

    ports = _ports_near_tricky_places()
    ref = ReferenceData(ports=ports, shore=ConstantShoreDistance(100.0))
    mask = ref._near_port_cells(4.0)
    # points on a 4 km circle around every port all fall in marked cells
    bearing = np.radians(np.arange(0, 360, 2.0))
    for p in ports:
        dlat = np.degrees(4.0 / 6371.0088) * np.cos(bearing)
        lat = np.clip(p.lat + dlat, -90, 90)
        dlon = np.degrees(4.0 / 6371.0088) * np.sin(bearing) / max(np.cos(np.radians(p.lat)), 1e-3)
        near = haversine_m(p.lat, p.lon, lat, p.lon + dlon) <= 4000.0
        assert mask[_mask_cell(lat[near], p.lon + dlon[near])].all(), p
    assert mask.mean() < 0.01 and MASK_CELL_DEG > 0


def test_reference_data_pickles_without_its_caches():
    ports = _ports_near_tricky_places()
    ref = ReferenceData(ports=ports, shore=ConstantShoreDistance(100.0))
    ref.nearest_port(np.zeros(1000), np.zeros(1000), within_km=4.0)
    ref.port_groups()
    copy = pickle.loads(pickle.dumps(ref))
    assert copy._near_cells == {} and copy._groups is None
    np.testing.assert_array_equal(
        copy.nearest_port([0.0, 1.0], [179.99, 2.0], within_km=4.0)[1],
        ref.nearest_port([0.0, 1.0], [179.99, 2.0], within_km=4.0)[1],
    )


def test_port_groups_join_points_of_one_port_in_order_of_first_appearance():
    ports = [Port("A", "X", 0, 0), Port("B", "X", 1, 1), Port("A", "X", 0, 0.01, "anchorage"),
             Port("A", "Y", 2, 2)]
    group, keys = ReferenceData(ports=ports, shore=ConstantShoreDistance(1.0)).port_groups()
    assert group.tolist() == [0, 1, 0, 2]
    assert keys == [("A", "X"), ("B", "X"), ("A", "Y")]


def test_shore_distance_wraps_longitudes_like_modulo(ref):
    lat = np.array([10.0, 10.0, 45.5, -60.1, 0.0, 0.0])
    lon = np.array([180.0, -180.0, 190.0, -400.0, 359.99999999999994, -1e-300])
    d = ref.distance_from_shore_km(lat, lon)
    np.testing.assert_allclose(d, ref.distance_from_shore_km(lat, (lon + 180.0) % 360.0 - 180.0),
                               atol=1e-9)
    assert d[0] == d[1]
