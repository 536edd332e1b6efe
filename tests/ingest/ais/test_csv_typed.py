"""The typed CSV fast path (``csv.cast_typed``: numbers and ISO times cast by Arrow) gives
exactly what parsing every column as text gives: values, rejects (line numbers, raw text,
details), strict mode."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.ingest.ais.base import Batch, IngestError
from sanctionwatch.ingest.ais.convert import RowConverter
from sanctionwatch.ingest.ais.csv import cast_typed, read_csv
from sanctionwatch.ingest.ais.sniff import resolve_layout
from tests.ingest.ais.helpers import DATA

MC_HEADER = ("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,"
             "Status,Length,Width,Draft,Cargo,TransceiverClass")
MC_ROWS = [
    "445268114,2019-03-01T00:00:00,38.71717,125.40087,0.0,0.0,0,GRACE DONG 94,IMO9340348,"
    "HMRLO,80,5,134,21,4.2,80,A",
    "445268114,2019-03-01 00:00:20, 38.7 ,+125.4,1e1,1E-1,511, grace@dong ,imo 9340348,hmrlo,"
    "80.0,5.0,1.34e2,21,4.2,80,Class B",
    "445268114,2019-03-01T00:00:30.123,nan,125.4,NaN,inf,-inf,X,0,,0,16,0,-1,0,,A",
    "445268114,2019/03/01 00:00:40,38.7,125.4,0,0,0,,,,,,,,,,",
    "445268114,2019-03-01T00:00:50,,125.4,0,0,0,,,,,,,,,,",
    "445268114,2019-03-01T00:01:10,none,NULL,0,0,0,,,,,,,,,,",
    "445268114,2019-03-01T00:01:10,abc,125,0,0,0,,,,,,,,,,",
    "445268114,2019-03-01T00:01:20,38.7,125.4,0,0",
    ",,,,,,,,,,,,,,,,",
    "",
    "   ,  , , ,,,,,,,,,,,,,",
    "-5,2019-03-01T00:01:40,38.7,125.4,0,0,0,,-7,,,,,,,,",
    "12.0,2019-03-01T00:01:50,38.7,125.4,0,0,0,,,,,,,,,,",
    "12.5,2019-03-01T00:01:50,38.7,125.4,0,0,0,,,,,,,,,,",
    "1073741824,2019-03-01T00:01:50,38.7,125.4,0,0,0,,,,,,,,,,",
    "+13,2019-03-01T00:02:00+09:00,38.7,125.4, 1 ,0x10,1_0,,,,,,,,,,",
    "14,2019-03-01T00:02:00Z,38.7,125.4,.5,5.,1e400,,,,,,,,,,",
    "15,2019-02-30T00:02:00,38.7,125.4,0,0,0,,,,,,,,,,",
    "16,2019-03-01T24:00:00,38.7,125.4,0,0,0,,,,,,,,,,",
    "16,2019-03-01T23:59:60,38.7,125.4,0,0,0,,,,,,,,,,",
    "18,2019-03-01T00:02,38.7,125.4,0,0,0,,,,,,,,,,",
    "19,2019-03-01,38.7,125.4,0,0,0,,,,,,,,,,",
    "20,  2019-03-01T00:02:00  ,38.7,125.4,0,0,0,,,,,,,,,,",
    "21,2019-03-01T00:02:00,\"38.7\",\"125,4\",0,0,0,\"a,b\",,,,,,,,,",
    "22,2019-03-01T00:02:00,-0,-0.0,+0,-nan,+inf,,,,,,,,,,",
    "23,2019-03-01T00:02:00,38.7,125.4,1.5e+2,nan(1),Infinity,,,,,,,,,,",
    "24,2019-03-01T00:02:00,-nan,-nan,1,1,1,NAME,,,,,,,,,",
    "25,2019-03-01T00:02:00,\t38.7\t,125.4,1,1,1,,,,,,,,,,",
    "9007199254740993,2019-03-01T00:02:00,38.7,125.4,1,1,1,,9007199254740993,,,,,,,,",
    "28,2019-03-01T00:02:00,N/A,na,1,1,1,,,,,,,,,,",
    "29,2019-03-01T00:02:00,38.7,125.4,1,1,1,NAME,-12,CS,70,5,10,2,3,,A",
    "30,0000-01-01T00:00:00,38.7,125.4,1,1,1,,,,,,,,,,",
    "31,2019-03-01T00:02:00,38.7,125.4,1,1,1,,,,,,,,,,,,,",
]


def _read(path: Path, *, typed: bool, batch_rows: int, strict: bool = False,
          layout: str | None = None) -> list[Batch] | str:
    mp = pytest.MonkeyPatch()
    if not typed:
        mp.setattr(RowConverter, "csv_typed_candidates", lambda self: ([], []))
    try:
        return list(read_csv(path, batch_rows=batch_rows, strict=strict, layout=layout))
    except IngestError as exc:
        return repr((exc.args, str(exc)))
    finally:
        mp.undo()


def _assert_same(path: Path, batch_rows: int, strict: bool = False) -> None:
    fast = _read(path, typed=True, batch_rows=batch_rows, strict=strict)
    slow = _read(path, typed=False, batch_rows=batch_rows, strict=strict)
    if isinstance(fast, str) or isinstance(slow, str):
        assert fast == slow
        return
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert_frame_equal(a.positions, b.positions)
        assert_frame_equal(a.reports, b.reports)
        assert_frame_equal(a.rejects, b.rejects)


@pytest.mark.parametrize("batch_rows", [1, 3, 1000])
@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_malformed_marinecadastre(tmp_path: Path, batch_rows: int, strict: bool,
                                  eol: str) -> None:
    path = tmp_path / "mc.csv"
    path.write_bytes(b"\xef\xbb\xbf" + eol.join([MC_HEADER, *MC_ROWS, ""]).encode())
    _assert_same(path, batch_rows, strict)


def test_clean_batches_take_the_typed_path(tmp_path: Path) -> None:
    path = tmp_path / "mc.csv"
    path.write_text("\n".join([MC_HEADER, MC_ROWS[0], MC_ROWS[11], ""]))
    lay = resolve_layout(str(path), MC_HEADER.split(","), None)
    conv = RowConverter(lay, MC_HEADER.split(","), str(path), strict=False)
    numeric, times = conv.csv_typed_candidates()
    assert {"MMSI", "LAT", "LON", "SOG", "IMO", "Status"} <= set(numeric)
    assert times == ["BaseDateTime"]
    table = pa.table({n: pa.array(["1"], pa.string()) for n in MC_HEADER.split(",")})
    table = table.set_column(1, "BaseDateTime", pa.array(["2019-03-01T00:00:00"]))
    _, typed = cast_typed(table, numeric, times)
    assert set(typed) == {*numeric, "BaseDateTime"}
    for batch_rows in (1, 2):
        _assert_same(path, batch_rows)


def _fuzz_value(rng: random.Random) -> str:
    parts = ["", "+", "-", " ", "0", "1", "9", ".", "e", "E", "5", "nan", "inf", "x", "Infinity",
             "1e400", "00", "-0", "(1)", ":", "IMO", "\t"]
    return "".join(rng.choice(parts) for _ in range(rng.randint(0, 4)))


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_numbers_and_times(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    lines = [MC_HEADER]
    times = ["2019-03-01T00:00:00", "2019-03-01 23:59:59", "2019-13-01T00:00:00",
             "2019-03-01T00:00:00.5", "2020-02-29T12:00:00", "2019-02-29T12:00:00",
             "2019-03-01T00:00:61", " 2019-03-01T00:00:00", ""]
    for _ in range(400):
        good = rng.random() < 0.9
        num: Callable[[], str] = (
            (lambda: str(round(rng.uniform(-200, 200), rng.randint(0, 6)))) if good else (
                lambda: _fuzz_value(rng)))
        fields = [str(rng.randint(1, 10)) if good else num(),
                  times[0] if good else rng.choice(times),
                  *[num() for _ in range(5)], "N", num(), "C", num(), num(), num(), num(),
                  num(), "", "A"]
        lines.append(",".join(fields))
    path = tmp_path / "fuzz.csv"
    path.write_text("\n".join(lines) + "\n")
    for batch_rows in (5, 50, 400):
        _assert_same(path, batch_rows)


@pytest.mark.parametrize("path", sorted(DATA.glob("*/*.csv")), ids=lambda p: p.name)
def test_real_csv_files(path: Path) -> None:
    # many batch boundaries (small files: dozens of batches) and one whole-file batch; tiny
    # batches are covered on the malformed files above, where they are cheap
    for batch_rows in (997, 200_000):
        _assert_same(path, batch_rows)
