"""Parsing text columns once per distinct value (``distinct.py``)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from sanctionwatch.ingest.ais.distinct import DistinctValues, decode, dictionary, spell
from sanctionwatch.ingest.ais.exprs import PRE
from sanctionwatch.ingest.ais.layouts import field
from sanctionwatch.ingest.ais.parsers import AIS_CLASS, UPPER, int_in


def test_dictionary_of_plain_chunked_and_encoded_columns() -> None:
    for arr in (pa.array(["b", "a", None, "b"]),
                pa.chunked_array([pa.array(["b", "a"]), pa.array([None, "b"])]),
                pa.chunked_array([pa.array(["b", "a"]).dictionary_encode(),
                                  pa.array([None, "b"]).dictionary_encode()])):
        codes, values = dictionary(arr)
        assert spell(pl.Series(values), codes).to_list() == ["b", "a", None, "b"]


def test_parse_gives_what_parsing_every_row_gives() -> None:
    names = ["alpha", " ALPHA", None, "beta", "alpha", "@@"]
    classes = ["Class A", "B", "b", None, "x", "A"]
    status = ["5", "5.0", "16", None, "1", "x"]
    batch = pa.table({"name": names, "class": classes, "status": status})
    fields = {"name": [field("name", "name", UPPER, "")],
              "class": [field("ais_class", "class", AIS_CLASS, "")],
              "status": [field("nav_status", "status", int_in(0, 15), "")]}
    distinct = DistinctValues(fields)
    for _ in range(2):  # the second time from the kept parse of each dictionary
        series, coded = distinct.parse(batch, ["class", "name", "status"])
        df = decode(pl.DataFrame(series), {PRE + t: v for t, v in coded.items()})
        assert df[PRE + "name"].to_list() == ["ALPHA", "ALPHA", None, "BETA", "ALPHA", None]
        assert df[PRE + "ais_class"].to_list() == ["A", "B", "B", None, None, "A"]
        assert df[PRE + "nav_status"].to_list() == [5, 5, None, None, 1, None]
        assert set(coded) == {"name", "ais_class"}  # text fields come as codes
