"""Reject rules (``rules.py``): one reason per row with its detail and raw text, line numbers,
strict mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctionwatch.ingest.ais.base import IngestError
from sanctionwatch.ingest.ais.csv import read_csv
from sanctionwatch.ingest.ais.layouts import CANONICAL
from sanctionwatch.ingest.ais.plan import ReadPlan
from sanctionwatch.ingest.ais.rules import REASONS, RejectRules
from tests.ingest.ais.helpers import collect, utc


def test_malformed_csv_rejects_with_line_numbers(malformed: Path) -> None:
    pos, rep, rej, _ = collect(read_csv(malformed))
    assert pos["record"].to_list() == [2, 3, 11]
    assert pos["timestamp"].to_list() == [
        utc(2024, 1, 1), utc(2024, 1, 1, 0, 10), utc(2023, 12, 31, 23, 20)]
    assert rep["record"].to_list() == [2, 10, 11]  # first, static-only, changed name
    assert rep["name"].to_list() == ["ALPHA", "BRAVO", "ALPHA II"]
    assert dict(zip(rej["record"].to_list(), rej["reason"].to_list(), strict=True)) == {
        4: "bad_timestamp", 5: "missing_field", 6: "empty_row", 7: "bad_row", 8: "bad_mmsi",
        9: "bad_coordinate", 12: "missing_field", 13: "missing_field", 14: "missing_field"}
    by_line = {r["record"]: r for r in rej.iter_rows(named=True)}
    assert by_line[4]["detail"] == "timestamp='not-a-time'"
    assert by_line[4]["raw"] == "211000001,not-a-time,54.2,10.2,5.0,ALPHA"
    assert by_line[5]["detail"] == "lat is empty"
    assert by_line[7]["detail"] == "expected 6 fields, found 3"
    assert by_line[7]["raw"] == "211000003,2024-01-01T00:00:00,54.0"
    assert by_line[9]["detail"] == "lat='north'"
    assert by_line[12]["detail"] == "mmsi is empty"
    assert by_line[13]["detail"] == "timestamp is empty"
    assert "no static data" in by_line[14]["detail"]
    assert rej["source"].unique().to_list() == [str(malformed)]


def test_strict_raises_with_file_and_line(malformed: Path) -> None:
    with pytest.raises(IngestError) as exc:
        list(read_csv(malformed, strict=True))
    assert str(exc.value).startswith(f"{malformed}:4: bad_timestamp")
    assert (exc.value.record, exc.value.reason) == (4, "bad_timestamp")


def test_strict_raises_on_bad_row_first_when_it_comes_first(tmp_path: Path) -> None:
    f = tmp_path / "short.csv"
    f.write_text("Time,MMSI,Latitude_degrees,Longitude_degrees,COG_degrees,SOG_knots\n"
                 "2016-01-12 13:02:11.218,235070762,50.77,-1.09,157.8,5.9\n"
                 "2016-01-12 13:02:11.218,235070762\n"
                 "bad,235070762,50.77,-1.09,157.8,5.9\n")
    with pytest.raises(IngestError, match=r"short.csv:3: bad_row"):
        list(read_csv(f, strict=True))


def test_every_rule_reason_is_documented() -> None:
    for gpkg in (False, True):
        provided = ("lat", "lon") if gpkg else ()
        columns = ["mmsi", "timestamp", "lat", "lon"]
        plan = ReadPlan(CANONICAL, columns, provided)
        reasons = {reason for _, reason, _ in RejectRules(plan).rules}
        assert reasons <= set(REASONS)
        assert ("bad_coordinate" in reasons) != gpkg
