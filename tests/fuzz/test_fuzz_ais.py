"""Fuzzing the AIS readers with mutations of the committed real samples (see ais_property)."""

from __future__ import annotations

import contextlib
import gzip
import sqlite3
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from sanctionwatch.ingest.ais import read_ais
from tests.fuzz.ais_property import check_reader
from tests.fuzz.mutate import DATA, FUZZ, head_lines, mutated

AIS = DATA / "ais"

"""On tests that crash today (see the corpus tests for each crash and who fixes it): not run
by default until the readers' part of issue 14 lands."""


def _nmea_seed() -> bytes:
    """Tag blocks and multi-part groups (aisdb .nm4), trailing receiver fields (.nmea), PGHP
    time lines and comments (gatehouse), multi-part without tag blocks (pyais sample)."""
    nm4 = (AIS / "aisdb-testdata" / "test_data_20211101.nm4").read_bytes().split(b"\n")
    multi = [i for i, ln in enumerate(nm4) if b"g:1-2" in ln][:2]
    parts = [*nm4[:12], *(ln for i in multi for ln in nm4[i:i + 2])]
    sat = (AIS / "aisdb-testdata" / "test_data_201201.nmea").read_bytes().split(b"\n")[:8]
    gh = (AIS / "pyais-nmea" / "gatehouse.nmea").read_bytes().split(b"\n")
    sample = (AIS / "pyais-nmea" / "nmea_data_sample.txt").read_bytes().split(b"\n")
    two = [i for i, ln in enumerate(sample) if b",2,1," in ln][:2]
    parts += [*sat, *gh, *(ln for i in two for ln in sample[i:i + 2])]
    return b"\n".join(parts) + b"\n"


NMEA_SEED = _nmea_seed()

CSV_SEEDS = {
    "marinecadastre": head_lines(AIS / "aisdb-testdata" / "test_data_noaa_20230101.csv", 25),
    "dma_aisdk": head_lines(AIS / "dma-aisdk-header-sample" / "test_aisdk_20180208_sample.csv",
                            12),
    "aisdb_messages": head_lines(AIS / "aisdb-testdata" / "test_data_20210701.csv", 15),
    "solent": head_lines(AIS / "solent-stonesoup" / "SolentAIS_20160112_130211.csv", 30),
}
"""Header and first rows of the real sample of each vendor layout."""


@pytest.fixture(scope="module")
def canonical_seed() -> bytes:
    """The canonical layout: the real NOAA sample's first rows, read and written back with
    sanctionwatch's own column names (positions and static columns in one file)."""
    src = AIS / "aisdb-testdata" / "test_data_noaa_20230101.csv"
    batches = list(read_ais(src, batch_rows=10_000))
    pos = batches[0].positions.head(20).drop("source", "record")
    rep = batches[0].reports.select("mmsi", "timestamp", "imo", "name", "callsign")
    df = pos.join(rep, on=["mmsi", "timestamp"], how="left").with_columns(
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return df.write_csv().encode()


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-ais")


def test_seeds_read_cleanly(work: Path, canonical_seed: bytes) -> None:
    """Unmutated, every seed gives positions: a mutation's failure is the mutation's doing."""
    for name, seed in [("nmea.nmea", NMEA_SEED), ("canonical.csv", canonical_seed),
                       *((f"{k}.csv", v) for k, v in CSV_SEEDS.items())]:
        counts = check_reader(_write(work, name, seed))
        assert counts is not None and counts["positions"] > 0, name


@FUZZ
@given(data=mutated(NMEA_SEED))
def test_nmea_mutations(work: Path, data: bytes) -> None:
    note(repr(data[:2000]))
    check_reader(_write(work, "fuzz.nmea", data), fmt="nmea")


@FUZZ
@given(data=mutated(NMEA_SEED))
def test_nmea_sniffed_mutations(work: Path, data: bytes) -> None:
    """The same edits with the format left to the sniffer (a cut NMEA file may look like CSV)."""
    note(repr(data[:2000]))
    check_reader(_write(work, "fuzz.nm4", data))


@pytest.mark.parametrize("layout", sorted(CSV_SEEDS))
@FUZZ
@given(st.data())
def test_csv_layout_mutations(work: Path, layout: str, data: st.DataObject) -> None:
    blob = data.draw(mutated(CSV_SEEDS[layout], delimiter=b","), label="bytes")
    check_reader(_write(work, f"fuzz-{layout}.csv", blob))


@FUZZ
@given(st.data())
def test_csv_canonical_mutations(work: Path, canonical_seed: bytes, data: st.DataObject
                                 ) -> None:
    blob = data.draw(mutated(canonical_seed, delimiter=b","), label="bytes")
    check_reader(_write(work, "fuzz-canonical.csv", blob))


@FUZZ
@given(data=mutated(CSV_SEEDS["solent"], delimiter=b","), cut=st.floats(0.0, 1.0),
       named_gz=st.booleans())
def test_gzip_mutations(work: Path, data: bytes, cut: float, named_gz: bool) -> None:
    """Gzip recognised by content: mutated CSV compressed, the stream sometimes cut short."""
    packed = gzip.compress(data, mtime=0)
    if cut < 0.5:
        packed = packed[: int(len(packed) * (0.5 + cut))]
    check_reader(_write(work, "fuzz.csv.gz" if named_gz else "fuzz-gz.csv", packed))


MC_PARQUET = AIS / "marinecadastre-20220103" / "AIS_2022_01_03_first99999.parquet"


@pytest.fixture(scope="module")
def parquet_frame() -> pl.DataFrame:
    return pl.read_parquet(MC_PARQUET, n_rows=40)


_PQ_EDITS = ("drop", "to_string", "to_list", "nulls", "extreme", "rename", "garbage")


@FUZZ
@given(st.data())
def test_parquet_frame_mutations(work: Path, parquet_frame: pl.DataFrame, data: st.DataObject
                                 ) -> None:
    """Structural edits of the real MarineCadastre Parquet: dropped, renamed, retyped columns,
    list-typed columns, nulls and extreme values."""
    df = parquet_frame
    for _ in range(data.draw(st.integers(1, 4), label="n_edits")):
        col = data.draw(st.sampled_from(df.columns), label="column") if df.columns else None
        kind = data.draw(st.sampled_from(_PQ_EDITS), label="edit")
        if col is None:
            break
        if kind == "to_string" and isinstance(df.schema[col], pl.List):
            continue
        if kind == "drop" and df.width > 1:
            df = df.drop(col)
        elif kind == "to_string":
            df = df.with_columns(pl.col(col).cast(pl.String))
        elif kind == "to_list":
            df = df.with_columns(pl.concat_list(pl.col(col)).alias(col))
        elif kind == "nulls":
            df = df.with_columns(pl.lit(None, dtype=df.schema[col]).alias(col))
        elif kind == "extreme":
            v = data.draw(st.sampled_from([float("nan"), float("inf"), -1e300, 0.0, 2.0**62]),
                          label="value")
            df = df.with_columns(pl.lit(v).alias(col))
        elif kind == "rename":
            df = df.rename({col: col.lower() + "_x"})
        else:
            df = df.with_columns(pl.lit("\x00\xe9=cmd|' /C calc'!A0").alias(col))
    p = work / "fuzz.parquet"
    df.write_parquet(p)
    check_reader(p)


@FUZZ
@given(cut=st.floats(0.0, 1.0),
       flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 7)), max_size=4))
def test_parquet_byte_mutations(work: Path, parquet_frame: pl.DataFrame, cut: float,
                                flips: list[tuple[float, int]]) -> None:
    """Byte edits of a small Parquet file: flipped bits (footer, pages, metadata), truncation."""
    p = work / "seed.parquet"
    parquet_frame.write_parquet(p)
    blob = bytearray(p.read_bytes())
    for frac, bit in flips:
        i = min(int(len(blob) * frac), len(blob) - 1)
        blob[i] ^= 1 << bit
    if cut < 0.3:
        blob = blob[: int(len(blob) * cut / 0.3)]
    check_reader(_write(work, "fuzz-bytes.parquet", bytes(blob)))


GPKGS = {"dma": AIS / "dma-gothenburg-cpa" / "ais_dk_cpa.gpkg",
         "marinecadastre": AIS / "marinecadastre-boston-2014" / "ais.gpkg"}


def _gpkg_table(con: sqlite3.Connection) -> tuple[str, str]:
    table, geom = con.execute(
        "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchone()
    return str(table), str(geom)


_GPKG_SQL = (
    "UPDATE {t} SET {c} = NULL WHERE rowid % 3 = 0",
    "UPDATE {t} SET {c} = 'x\xe9' WHERE rowid % 2 = 0",
    "UPDATE {t} SET {c} = X'00FF10' WHERE rowid % 5 = 0",
    "UPDATE {t} SET {c} = 1e308 WHERE rowid % 4 = 0",
    "UPDATE {t} SET {g} = substr({g}, 1, 12) WHERE rowid % 2 = 1",
    "UPDATE {t} SET {g} = NULL",
    "ALTER TABLE {t} DROP COLUMN {c}",
    "DELETE FROM gpkg_geometry_columns",
    "UPDATE gpkg_geometry_columns SET srs_id = 3857",
    "DELETE FROM {t} WHERE rowid % 2 = 0",
    "DROP TABLE {t}",
)


@pytest.mark.parametrize("which", sorted(GPKGS))
@FUZZ
@given(st.data())
def test_gpkg_mutations(work: Path, which: str, data: st.DataObject) -> None:
    """Real GeoPackages edited through SQLite: values of the wrong type, cut or missing
    geometries, dropped columns or tables, foreign SRS, metadata removed."""
    p = work / f"fuzz-{which}.gpkg"
    p.write_bytes(GPKGS[which].read_bytes())
    with sqlite3.connect(p) as con:
        t, g = _gpkg_table(con)
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")') if r[1] != g]
        for sql in data.draw(st.lists(st.sampled_from(_GPKG_SQL), min_size=1, max_size=3),
                             label="sql"):
            c = data.draw(st.sampled_from(cols), label="column")
            # an edit that no longer applies (its table already dropped...) is skipped
            with contextlib.suppress(sqlite3.Error):
                con.execute(sql.format(t=f'"{t}"', c=f'"{c}"', g=f'"{g}"'))
    check_reader(p)


@pytest.mark.parametrize("which", sorted(GPKGS))
@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), min_size=1,
                      max_size=6), cut=st.floats(0.0, 1.0))
def test_gpkg_byte_mutations(work: Path, which: str, flips: list[tuple[float, int]],
                             cut: float) -> None:
    blob = bytearray(GPKGS[which].read_bytes())
    for frac, byte in flips:
        blob[min(int(len(blob) * frac), len(blob) - 1)] = byte
    if cut < 0.2:
        blob = blob[: int(len(blob) * (0.2 + cut))]
    check_reader(_write(work, f"fuzz-bytes-{which}.gpkg", bytes(blob)))
