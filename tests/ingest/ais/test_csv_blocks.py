"""The CSV reader's blocks of lines: every row and reject keeps its true line across block
cuts, with quoted line breaks, quotes left open and bad rows at the cuts, whatever the block
size."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import sanctionwatch.ingest.ais.csv as csv_mod
from sanctionwatch.ingest.ais.csv import read_csv
from tests.ingest.ais.helpers import NOAA_CSV, collect

HEADER, *ROWS = NOAA_CSV.read_text().splitlines()
NAME = HEADER.split(",").index("VesselName")
WIDTH = len(HEADER.split(","))


def _with_name(row: str, name: str) -> str:
    fields = row.split(",")
    fields[NAME] = name
    return ",".join(fields)


def _read(path: Path, block_bytes: int, monkeypatch: pytest.MonkeyPatch
          ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    monkeypatch.setattr(csv_mod, "BLOCK_BYTES", block_bytes)
    pos, rep, rej, _ = collect(read_csv(path, batch_rows=300))
    return pos, rep, rej


def _physical(path: Path) -> list[bytes]:
    """The file's lines as the reader numbers them (line 1 = the header)."""
    return path.read_bytes().splitlines()


@pytest.mark.parametrize("block_bytes", [97, 1_000, 4_096])
def test_line_numbers_across_block_cuts(tmp_path: Path, block_bytes: int,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "plain.csv"
    f.write_text("\n".join([HEADER, *ROWS]) + "\n")
    pos, _, rej = _read(f, block_bytes, monkeypatch)
    assert rej.height == 0
    assert pos["record"].to_list() == list(range(2, len(ROWS) + 2))
    lines = _physical(f)
    for rec, mmsi in pos.select("record", "mmsi").rows():
        assert lines[rec - 1].startswith(f"{mmsi},".encode())


def _cut_lines(text: bytes, block_bytes: int) -> list[int]:
    """0-based indexes (among the data rows) of the first and last row of each block the
    reader cuts ``text`` into (cut after the last line end of each chunk of
    ``block_bytes``)."""
    body_start = text.index(b"\n") + 1
    out = []
    start = body_start
    pos = block_bytes
    while pos < len(text):
        cut = text.rfind(b"\n", 0, pos) + 1
        if cut > start:
            row = text.count(b"\n", body_start, cut)
            out += [row - 1, row]
            start = cut
        pos += block_bytes
    return sorted({r for r in out if 0 <= r < len(ROWS)})


@pytest.mark.parametrize("block_bytes", [1_000, 4_096])
def test_bad_rows_at_block_cuts_keep_their_lines(tmp_path: Path, block_bytes: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    plain = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    at = _cut_lines(plain, block_bytes)
    assert len(at) > 20
    rows = list(ROWS)
    for k, i in enumerate(at):
        rows[i] = rows[i] + ",extra" if k % 2 else ",".join(rows[i].split(",")[:5])
    f = tmp_path / "bad.csv"
    f.write_text("\n".join([HEADER, *rows]) + "\n")
    pos, _, rej = _read(f, block_bytes, monkeypatch)
    assert rej["record"].to_list() == [i + 2 for i in at]
    assert set(rej["reason"]) == {"bad_row"}
    assert rej["detail"].to_list() == [
        f"expected {WIDTH} fields, found {WIDTH + 1 if k % 2 else 5}" for k in range(len(at))]
    assert rej["raw"].to_list() == [rows[i] for i in at]
    good = [i + 2 for i in range(len(rows)) if i not in set(at)]
    assert pos["record"].to_list() == good
    assert pos.height + rej.height == len(rows)


def _messy(tmp_path: Path) -> tuple[Path, dict[int, str], list[int]]:
    """The NOAA sample with quoted line breaks (some spanning a block cut), quotes left open,
    bad rows, undecodable bytes, blank lines and CRLF line ends; the expected rejects
    (line: reason) and the first line of every row kept."""
    rng = random.Random(15)
    out: list[bytes] = [HEADER.encode()]
    rejects: dict[int, str] = {}
    kept: list[int] = []
    last_quote = -100
    for row in ROWS:
        line = len(out) + 1
        kind = rng.randrange(40)
        if kind == 0 and line - last_quote > 30:
            out += _with_name(row, '"TWO\nLINES"').encode().split(b"\n")  # a record, 2 lines
            kept.append(line)
            last_quote = line
        elif kind == 1 and line - last_quote > 30:
            out.append(_with_name(row, '"OPEN').encode())  # never closed: its own reject
            rejects[line] = "bad_quoting"
            last_quote = line
        elif kind == 2:
            out.append((row + ",x").encode())
            rejects[line] = "bad_row"
        elif kind == 3:
            out.append(_with_name(row, "BAD").encode() + b"\xff")
            rejects[line] = "bad_encoding"
        elif kind == 4:
            out += [b"", row.encode()]  # a blank line is a row of empty fields: no MMSI
            rejects[line] = "empty_row"
            kept.append(line + 1)
        elif kind == 5:
            out.append(row.encode() + b"\r")  # a CRLF line end
            kept.append(line)
        elif kind == 6 and line - last_quote > 30:
            out.append(_with_name(row, '"A, B"').encode())  # a quoted delimiter
            kept.append(line)
            last_quote = line
        else:
            out.append(row.encode())
            kept.append(line)
    f = tmp_path / "messy.csv"
    f.write_bytes(b"\n".join(out) + b"\n")
    return f, rejects, kept


@pytest.mark.parametrize("block_bytes", [97, 1_000, 4_096, 1 << 20])
def test_messy_file_in_small_blocks_equals_one_block(
        tmp_path: Path, block_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    f, rejects, kept = _messy(tmp_path)
    assert {"bad_quoting", "bad_row", "bad_encoding"} <= set(rejects.values())
    one = _read(f, 1 << 24, monkeypatch)
    many = _read(f, block_bytes, monkeypatch)
    for a, b in zip(one, many, strict=True):
        assert_frame_equal(a, b)
    pos, rep, rej = many
    assert dict(rej.select("record", "reason").rows()) == rejects
    assert sorted(set(pos["record"].to_list()) | set(rep["record"].to_list())) == kept
    lines = _physical(f)
    for rec, mmsi in pos.select("record", "mmsi").rows():
        assert lines[rec - 1].startswith(f"{mmsi},".encode())


def test_a_quote_open_at_a_block_end_is_read_with_the_next_block(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a record whose quoted name closes only in the next block (the block's lines left over
    # are read again in front of the next one), and one never closed before the file's end
    plain = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    at = _cut_lines(plain, 4_096)[1::2][:5]  # the first row of a block
    rows = list(ROWS)
    for i in at:  # one record on the last line of a block and the first of the next
        rows[i - 1], rows[i] = _with_name(rows[i - 1], '"SPLIT\nNAME"').split("\n")
    rows[-1] = _with_name(rows[-1], '"NEVER CLOSED')
    f = tmp_path / "split.csv"
    f.write_text("\n".join([HEADER, *rows]))  # no line end at the end
    pos, rep, rej = _read(f, 4_096, monkeypatch)
    assert rej.select("record", "reason").rows() == [(len(rows) + 1, "bad_quoting")]
    firsts = [i + 1 for i in at]  # lines of the records spanning two lines
    assert set(firsts) <= set(rep["record"].to_list())
    assert pos["record"].to_list() == [
        i + 2 for i in range(len(rows) - 1) if i not in set(at)]
    names = dict(rep.select("record", "name").rows())
    assert [names[r] for r in firsts] == ["SPLIT\nNAME"] * len(firsts)
