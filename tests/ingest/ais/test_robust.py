"""Bad input never loses rows silently, never aborts a file for one row, never tracebacks
(issue 14): quoting, encodings, compression by content, unknown files, corrupt Parquet,
impossible times, and the row account on every shared real file."""

from __future__ import annotations

import codecs
import gzip
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sanctionwatch.ingest.ais.csv as csv_mod
from sanctionwatch.ingest.ais import FormatError, UnknownInput, detect_format, read_ais
from sanctionwatch.ingest.ais.base import EARLIEST_TIME, latest_time
from sanctionwatch.ingest.ais.csv import MAX_RECORD_LINES, read_csv
from sanctionwatch.ingest.ais.nmea import read_nmea
from sanctionwatch.ingest.files import IngestOptions, ingest, unaccounted
from tests.ingest.ais.helpers import DATA, MC_PARQUET, NM4, NOAA_CSV, SOLENT, collect

SOLENT_LINES = SOLENT.read_text().splitlines()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _stray_quotes(tmp_path: Path) -> Path:
    """3,000 Solent rows, every 50th opened by a stray quote (the issue's file)."""
    rows = [('"' + r if i % 50 == 49 else r) for i, r in enumerate(SOLENT_LINES[1:3001])]
    return _write(tmp_path / "stray.csv", [SOLENT_LINES[0], *rows])


def _line_of(path: Path, record: int) -> str:
    return path.read_bytes().splitlines()[record - 1].decode("utf-8", "replace")


# --- the row account ------------------------------------------------------------------------

REAL = sorted(p for p in DATA.glob("*/*") if p.suffix != ".md")


def _independent_rows(path: Path) -> int:
    """Rows of a real file counted without the readers."""
    if path.suffix == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    if path.suffix == ".gpkg":
        con = sqlite3.connect(path)
        (table,) = con.execute("SELECT table_name FROM gpkg_contents").fetchone()
        (n,) = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        return int(n)
    lines = len(path.read_bytes().splitlines())
    return lines - 1 if path.suffix == ".csv" else lines  # a CSV's header is no row


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_every_row_of_every_real_file_is_accounted_for(path: Path) -> None:
    batches = list(read_ais(path))
    collect(batches)  # checks the account balances
    assert sum(b.rows for b in batches) == _independent_rows(path)


def test_summary_inputs_carry_the_account(tmp_path: Path) -> None:
    res = ingest([DATA], tmp_path / "spool", in_memory=True)
    assert len(res.inputs) == len(REAL) and not res.warnings
    for record in res.inputs:
        assert unaccounted(record) == 0
        assert record["rows"] == _independent_rows(Path(record["path"]))
    nm4 = next(r for r in res.inputs if r["path"].endswith(".nm4"))
    # 1,000 lines: 3 blank, 18 earlier sentences of multi-sentence messages, 4 of other types
    assert nm4["ignored"]["blank_or_comment"] == 3
    assert nm4["ignored"]["multipart_fragment"] == 18
    assert nm4["reports_only"] > 0


def test_accounting_survives_random_damage(tmp_path: Path) -> None:
    # quotes, bad bytes, lost and doubled delimiters, line breaks: every row still counted
    rng = random.Random(14)
    base = NOAA_CSV.read_bytes().splitlines(keepends=True)
    junk = [b'"', b"\xe9", b"\xff\xfe", b",", b"\n", b"\r", b'""', b"\x00"]
    for k in range(60):
        lines = list(base)
        for _ in range(rng.randint(1, 25)):
            i = rng.randrange(1, len(lines))
            j = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:j] + rng.choice(junk) + lines[i][j:]
        f = tmp_path / f"fuzz{k}.csv"
        f.write_bytes(b"".join(lines))
        small = list(read_csv(f, batch_rows=50))
        whole = list(read_csv(f, batch_rows=10**6))
        collect(small)
        assert sum(b.rows for b in small) == sum(b.rows for b in whole) >= len(base) - 1
        assert collect(small)[2].equals(collect(whole)[2])


def test_rejects_of_every_batch_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    # a short row every 7th line, read in many small blocks and batches: every one a reject
    monkeypatch.setattr(csv_mod, "BLOCK_BYTES", 10_000)
    rows = [(r if i % 7 else "1,2") for i, r in enumerate(SOLENT_LINES[1:5001])]
    f = _write(tmp_path / "short.csv", [SOLENT_LINES[0], *rows])
    want = [i + 2 for i in range(0, 5000, 7)]
    for batch_rows in (100, 1_000, 10_000):
        batches = list(read_csv(f, batch_rows=batch_rows))
        _, _, rej, _ = collect(batches)
        assert rej["record"].to_list() == want
        assert sum(b.rows for b in batches) == 5_000


# --- quoting --------------------------------------------------------------------------------

def test_a_stray_quote_loses_only_its_own_row(tmp_path: Path) -> None:
    f = _stray_quotes(tmp_path)
    batches = list(read_csv(f))
    pos, _, rej, _ = collect(batches)
    assert pos.height == 2_940 and rej.height == 60
    assert set(rej["reason"]) == {"bad_quoting"}
    assert rej["record"].to_list() == list(range(51, 3_002, 50))
    # every position is the data of the line its record names
    for rec, mmsi in pos.select("record", "mmsi").rows()[::97]:
        assert _line_of(f, rec).split(",")[1] == str(mmsi)


def test_a_quoted_line_break_keeps_every_record_true(tmp_path: Path) -> None:
    lines = NOAA_CSV.read_text().splitlines()
    col = lines[0].split(",").index("CallSign")
    fields = lines[11].split(",")
    fields[col] = '"AB\nCD"'
    lines[11] = ",".join(fields)
    f = _write(tmp_path / "nl.csv", lines)
    pos, rep, rej, _ = collect(read_csv(f))
    assert rej.height == 0 and pos.height == 1_000
    physical = f.read_text().splitlines()
    for rec, mmsi in pos.select("record", "mmsi").rows():
        assert physical[rec - 1].startswith(f"{mmsi},")
    assert rep.filter(pl.col("record") == 12)["callsign"].to_list() == ["AB\nCD"]


def test_a_quoted_line_break_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    lines = NOAA_CSV.read_text().splitlines()
    col = lines[0].split(",").index("VesselName")
    for i in (5, 300, 301, 777):
        fields = lines[i].split(",")
        fields[col] = '"TWO\nLINES"'
        lines[i] = ",".join(fields)
    f = _write(tmp_path / "nl.csv", lines)
    whole = collect(read_csv(f))
    for size in (97, 1_000, 4_096):
        monkeypatch.setattr(csv_mod, "BLOCK_BYTES", size)
        small = collect(read_csv(f))
        for a, b in zip(whole[:3], small[:3], strict=True):
            assert a.equals(b)
    assert whole[2].height == 0 and whole[0].height == 1_000


def test_an_unclosed_quote_at_the_end_is_its_own_reject(tmp_path: Path) -> None:
    f = _write(tmp_path / "end.csv", [*SOLENT_LINES[:4], '"' + SOLENT_LINES[4]])
    pos, _, rej, _ = collect(read_csv(f))
    assert pos["record"].to_list() == [2, 3, 4]
    assert rej.select("record", "reason").rows() == [(5, "bad_quoting")]


def test_a_quote_spanning_too_many_lines_is_a_stray(tmp_path: Path) -> None:
    rows = SOLENT_LINES[1:40]
    rows[3] = '"' + rows[3]
    end = 3 + MAX_RECORD_LINES + 5
    rows[end] = rows[end][:20] + '"' + rows[end][20:]  # a "closing" quote too far away
    f = _write(tmp_path / "long.csv", [SOLENT_LINES[0], *rows])
    pos, _, rej, _ = collect(read_csv(f))
    # the far quote is a literal inside an unquoted time: that row's own bad time
    assert rej.select("record", "reason").rows() == [(5, "bad_quoting"),
                                                      (end + 2, "bad_timestamp")]
    assert pos.height == 37


def test_fully_quoted_files_stay_on_the_fast_path(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    quoted = ['"' + '","'.join(line.split(",")) + '"' for line in SOLENT_LINES]
    f = _write(tmp_path / "quoted.csv", quoted)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("line-by-line path used on a clean file")

    monkeypatch.setattr(csv_mod, "parse_lines", refuse)
    pos, _, rej, _ = collect(read_csv(f))
    assert pos.height == 18_623 and rej.height == 0


def test_both_paths_read_a_clean_block_alike() -> None:
    data = "\n".join(SOLENT_LINES[1:500]).encode() + b"\n1,2\n\n"
    names = SOLENT_LINES[0].split(",")
    fast = csv_mod._arrow_block(data, 2, names, ",")
    slow = csv_mod.parse_lines(data, 2, names, ",", True)
    assert fast is not None
    assert fast.table.equals(slow.table) and fast.records.tolist() == slow.records.tolist()
    assert fast.rejects == slow.rejects


# --- encodings ------------------------------------------------------------------------------

def _latin1(tmp_path: Path) -> Path:
    lines = NOAA_CSV.read_text().splitlines()
    lines[100] = lines[100].replace(",A", ",A", 1)
    col = lines[0].split(",").index("VesselName")
    fields = lines[100].split(",")
    fields[col] = "SJÖFARTEN"
    lines[100] = ",".join(fields)
    f = tmp_path / "latin1.csv"
    f.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return f


def test_one_latin1_byte_rejects_its_row_not_the_file(tmp_path: Path) -> None:
    f = _latin1(tmp_path)
    pos, _, rej, _ = collect(read_csv(f))
    assert pos.height == 999
    assert rej.select("record", "reason").rows() == [(101, "bad_encoding")]
    assert "0xD6" in rej["detail"][0] and "--encoding" in rej["detail"][0]


def test_a_declared_encoding_reads_every_row(tmp_path: Path) -> None:
    f = _latin1(tmp_path)
    _, rep, rej, _ = collect(read_csv(f, encoding="latin-1"))
    assert rej.height == 0 and "SJÖFARTEN" in rep["name"].to_list()
    res = ingest([f], tmp_path / "spool", IngestOptions(encoding="latin-1"), in_memory=True)
    assert res.n_positions == 1_000 and res.inputs[0]["rejects"] == 0


def test_a_ragged_row_with_a_bad_byte(tmp_path: Path) -> None:
    f = tmp_path / "ragged.csv"
    f.write_bytes(SOLENT.read_bytes()[:2000] + b"\n1,2\xe9\n" + b"\n".join(
        x.encode() for x in SOLENT_LINES[40:60]) + b"\n")
    pos, _, rej, _ = collect(read_csv(f))
    assert set(rej["reason"]) <= {"bad_encoding", "bad_row"} and "bad_encoding" in set(
        rej["reason"])
    assert pos.height >= 40


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_boms_and_utf16_are_detected(tmp_path: Path, codec: str) -> None:
    text = "\n".join(SOLENT_LINES[:200]) + "\n"
    f = tmp_path / "enc.csv"
    f.write_bytes(text.encode(codec))
    plain = tmp_path / "plain.csv"
    plain.write_text(text)
    assert detect_format(f) == "csv"
    got = collect(read_ais(f))
    want = collect(read_ais(plain))
    assert got[0].drop("source").equals(want[0].drop("source")) and got[2].height == 0


def test_an_unknown_encoding_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="unknown text encoding"):
        read_csv(SOLENT, encoding="klingon")


def test_a_header_that_does_not_decode_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "h.csv"
    f.write_bytes(b"MMSI,BaseDateTime,LAT,LON,Vessel\xd6\n")
    with pytest.raises(FormatError, match=r"h.csv:1: the header"):
        read_csv(f)


# --- compression by content -----------------------------------------------------------------

def test_gzip_without_gz_and_text_named_gz(tmp_path: Path) -> None:
    noname = tmp_path / "feed.csv"
    noname.write_bytes(gzip.compress(NOAA_CSV.read_bytes()))
    named = tmp_path / "plain.csv.gz"
    named.write_bytes(NOAA_CSV.read_bytes())
    nmea = tmp_path / "feed.txt"
    nmea.write_bytes(gzip.compress(NM4.read_bytes()))
    plain_nmea = tmp_path / "feed.nm4.gz"
    plain_nmea.write_bytes(NM4.read_bytes())
    assert collect(read_ais(noname))[0].height == 1_000
    assert collect(read_ais(named))[0].height == 1_000
    want = collect(read_ais(NM4))[0].height
    assert collect(read_ais(nmea))[0].height == want
    assert collect(read_ais(plain_nmea))[0].height == want


@pytest.mark.parametrize("src", [NOAA_CSV, NM4], ids=["csv", "nmea"])
def test_a_truncated_gzip_keeps_what_came_before_and_names_the_break(tmp_path: Path,
                                                                     src: Path) -> None:
    packed = gzip.compress(src.read_bytes())
    f = tmp_path / ("cut" + src.suffix + ".gz")
    f.write_bytes(packed[: len(packed) // 2])
    assert detect_format(f) in ("csv", "nmea")
    batches = list(read_ais(f))
    pos, _, rej, _ = collect(batches)
    assert pos.height > 100
    cut = rej.filter(pl.col("reason") == "truncated_file")
    assert cut.height == 1 and "truncated" in cut["detail"][0]
    assert cut["record"][0] == sum(b.rows for b in batches) + (src.suffix == ".csv")


def test_corrupt_gzip_data(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(NOAA_CSV.read_bytes()))
    packed[len(packed) // 2: len(packed) // 2 + 40] = b"\xff" * 40
    f = tmp_path / "bad.csv.gz"
    f.write_bytes(bytes(packed))
    pos, _, rej, _ = collect(read_ais(f))
    assert rej["reason"].to_list()[-1] == "truncated_file" and pos.height > 100
    assert "corrupt gzip data" in rej["detail"].to_list()[-1]
    head = tmp_path / "head.csv.gz"
    head.write_bytes(gzip.compress(b"x" * 10)[:10] + b"\xff" * 30)
    with pytest.raises(FormatError, match=r"head\.csv\.gz: corrupt gzip"):
        detect_format(head)


# --- unknown and corrupt files --------------------------------------------------------------

def test_unknown_files_in_a_folder_are_skipped_with_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.txt").write_text("remember: call the insurer, then the flag state\n")
    (folder / "empty.csv").write_bytes(b"")
    (folder / "blank.csv").write_text("\n\n")
    (folder / "ais.csv").write_bytes(SOLENT.read_bytes())
    (folder / "locked.csv").write_bytes(SOLENT.read_bytes())
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "locked.csv":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", deny)
    monkeypatch.setattr("sanctionwatch.ingest.files.file_sha256", lambda p: "x")
    res = ingest([folder], tmp_path / "spool", in_memory=True)
    assert res.n_positions == 18_623
    skipped = {Path(r["path"]).name: r["skipped"] for r in res.inputs if "skipped" in r}
    assert set(skipped) == {"notes.txt", "empty.csv", "blank.csv", "locked.csv"}
    assert "Permission denied" in skipped["locked.csv"]
    assert len(res.warnings) == 4 and all(w.startswith("skipped ") for w in res.warnings)


def test_nothing_readable_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("nothing, here\n")
    with pytest.raises(UnknownInput, match="no AIS input could be read"):
        ingest([f], tmp_path / "spool", in_memory=True)


def test_a_corrupt_parquet_footer_names_the_file(tmp_path: Path) -> None:
    data = MC_PARQUET.read_bytes()
    f = tmp_path / "broken.parquet"
    f.write_bytes(data[:-100] + b"\x00" * 92 + data[-8:])
    with pytest.raises(FormatError, match=r"broken\.parquet: not a readable Parquet file"):
        list(read_ais(f))


def test_a_list_typed_column_names_the_file_and_column(tmp_path: Path) -> None:
    t = pq.read_table(MC_PARQUET).slice(0, 50)
    i = t.schema.get_field_index("MMSI")
    t = t.set_column(i, "MMSI", pa.array([[v] for v in t["MMSI"].to_pylist()]))
    f = tmp_path / "nested.parquet"
    pq.write_table(t, f)
    with pytest.raises(FormatError, match=r"nested.parquet: column\(s\) MMSI hold lists"):
        list(read_ais(f))


def test_a_corrupt_geopackage_names_the_file(tmp_path: Path) -> None:
    data = bytearray((DATA / "marinecadastre-boston-2014" / "ais.gpkg").read_bytes())
    for page in (10, 30, 50):
        data[4096 * page: 4096 * (page + 1)] = b"\xa5" * 4096
    f = tmp_path / "bad.gpkg"
    f.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"bad\.gpkg: .*malformed"):
        list(read_ais(f))


# --- impossible times -----------------------------------------------------------------------

def test_times_before_ais_or_in_the_future_are_rejected(tmp_path: Path) -> None:
    soon = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    rows = SOLENT_LINES[1:8]
    times = ["0001-01-01 00:00:00", "1970-01-01 00:00:00", "9999-12-31 23:59:59", soon,
             "1997-12-31 23:59:59"]
    for i, t in enumerate(times):
        rows[i] = t + rows[i][rows[i].index(","):]
    f = _write(tmp_path / "times.csv", [SOLENT_LINES[0], *rows])
    pos, _, rej, _ = collect(read_csv(f))
    assert rej.select("record", "reason").rows() == [(k, "impossible_time") for k in range(2, 7)]
    assert "before 1998-01-01" in rej["detail"][0] and "after the time" in rej["detail"][2]
    assert pos["record"].to_list() == [7, 8]
    assert EARLIEST_TIME.year == 1998


def test_the_future_cutoff_is_the_hour_of_reading_plus_a_day() -> None:
    now = datetime(2026, 3, 1, 12, 34, tzinfo=UTC)
    assert latest_time(now) == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_nmea_times_in_the_future_are_rejected(tmp_path: Path) -> None:
    from tests.ingest.ais.helpers import sentence, tag

    body = "AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0"
    future = int((datetime.now(UTC) + timedelta(days=2)).timestamp())
    f = tmp_path / "f.nmea"
    f.write_text(f"{tag(f'c:{future}')}{sentence(body)}\n{tag('c:1635731887')}{sentence(body)}\n")
    pos, _, rej, _ = collect(read_nmea(f))
    assert rej.select("record", "reason").rows() == [(1, "impossible_time")]
    assert pos["record"].to_list() == [2]


def test_utf16_is_recognised_without_a_bom() -> None:
    from sanctionwatch.ingest.ais.source import text_encoding

    assert text_encoding("MMSI,LAT".encode("utf-16-le")) == ("utf-16-le", 0)
    assert text_encoding("MMSI,LAT".encode("utf-16-be")) == ("utf-16-be", 0)
    assert text_encoding(codecs.BOM_UTF8 + b"MMSI") == ("utf-8", 3)
    assert text_encoding(b"MMSI,LAT") == ("utf-8", 0)


def test_detect_writes_the_account_and_the_skips_to_summary_json(tmp_path: Path) -> None:
    import json

    from sanctionwatch.pipeline import detect

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.txt").write_text("call the flag state, then the insurer\n")
    _stray_quotes(folder)
    detect([folder], tmp_path / "out", only=["ais_gap"])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    stray = next(i for i in summary["inputs"] if i["path"].endswith("stray.csv"))
    assert (stray["rows"], stray["positions"], stray["rejects"]) == (3_000, 2_940, 60)
    assert unaccounted(stray) == 0
    assert any(w.startswith("skipped") and "notes.txt" in w for w in summary["warnings"])
    assert summary["counts"]["rejects"] == {"bad_quoting": 60}


def test_the_messy_block_path_equals_reading_every_line_in_python() -> None:
    rng = random.Random(7)
    names = SOLENT_LINES[0].split(",")
    base = [line.encode() + b"\n" for line in SOLENT_LINES[1:400]]
    junk = [b'"', b"\xe9", b'""', b",", b"\n", b'"X\nY"', b"\r"]
    for _ in range(40):
        lines = list(base)
        for _ in range(rng.randint(1, 12)):
            i = rng.randrange(len(lines))
            j = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:j] + rng.choice(junk) + lines[i][j:]
        data = b"".join(lines)
        for final in (True, False):
            a = csv_mod.parse_lines(data, 2, names, ",", final)
            b = csv_mod.python_lines(data, 2, names, ",", final)
            assert a.table.equals(b.table) and a.records.tolist() == b.records.tolist()
            assert sorted(a.rejects) == sorted(b.rejects)
            assert (a.lines, a.carry) == (b.lines, b.carry)
