"""Ship identifiers: the MID table, MMSI formats, IMO check digits."""

from __future__ import annotations

from sanctionwatch import ids


def test_mid_table() -> None:
    expected = {
        445: "KP", 412: "CN", 413: "CN", 414: "CN", 440: "KR", 441: "KR", 477: "HK",
        416: "TW", 667: "SL", 671: "TG", 457: "MN", 677: "TZ", 511: "PW", 372: "PA",
        373: "PA", 374: "PA", 351: "PA", 357: "PA", 636: "LR", 538: "MH", 563: "SG",
        566: "SG", 273: "RU", 431: "JP", 432: "JP", 574: "VN", 533: "MY", 525: "ID",
        548: "PH", 219: "DK", 220: "DK", 265: "SE", 266: "SE", 232: "GB", 235: "GB",
        366: "US", 369: "US", 338: "US",
    }
    for mid, iso2 in expected.items():
        got = ids.mid_country(mid * 1_000_000 + 123)
        assert got is not None and got[0] == iso2, mid
    table = ids.mid_table()
    assert table["mid"].is_unique().all()
    assert table["iso2"].str.contains(r"^[A-Z]{2}$").all()
    assert len(ids.allocated_mids()) == table.height > 280
    assert ids.mid_country(123_456_789) is None
    assert ids.mid_country(0) is None
    assert ids.mid_country(992_351_234) == ("GB", "United Kingdom")  # AtoN 99 + MID 235
    assert ids.mid_country(111_111_111) is None  # SAR format, MID 111 unallocated
    assert ids.embedded_mid(2_573_000) == 257  # coast station 00MIDxxxx


def test_imo_check_digit() -> None:
    assert ids.imo_is_valid(9074729)  # a real IMO number
    assert not ids.imo_is_valid(9074728)
    assert ids.imo_is_valid(1234567) and 1234567 in ids.PLACEHOLDER_IMOS
    assert ids.imo_valid_array([9074729, 9074728, float("nan"), -1, 0]).tolist() == [
        True, False, False, False, False]


def test_sovereign_of_dependencies() -> None:
    assert ids.sovereign("HK") == "CN"
    assert ids.sovereign("KY") == "GB"
    assert ids.sovereign("KP") == "KP"
