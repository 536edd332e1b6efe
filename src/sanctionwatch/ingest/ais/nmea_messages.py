"""Complete AIS messages -> position and vessel-report rows (the NMEA reader's decoding).

A complete message (one sentence, or the joined payloads of a multi-sentence one) is sorted
by its type, read from the first payload character: types 1, 2, 3, 18, 19, 27 give a
position, 5, 19 and 24 a vessel report, 4, 9 and 21 (base station, SAR aircraft, aid to
navigation) a position row with their ``msg_type`` (decoded by pyais; the run lists these
stations and keeps them out of the tracks), every other type is only counted. A message with
enough bits for the fields read is queued, and its row holds a placeholder; at the next batch
all queued messages are decoded in one :func:`~sanctionwatch.ingest.ais.fastdecode.decode_payloads`
call (NumPy, vectorised over messages), and the positions are built as columns. A message
that fails the cheap check goes through pyais, one message at a time, which gives its
``decode_error`` with pyais' detail (or decodes it, e.g. a 160-bit type 24 part A). Row order,
reject order and batch boundaries are those of decoding every message in turn.

With ``fast=False`` every message takes the pyais path: the tests and the benchmark compare
both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl
from pyais.bit_vector import bit_vector
from pyais.messages import (
    MessageType1,
    MessageType2,
    MessageType3,
    MessageType4,
    MessageType5,
    MessageType9,
    MessageType18,
    MessageType19,
    MessageType21,
    MessageType24,
    MessageType27,
)

from sanctionwatch.ingest.ais.base import RowBuffer
from sanctionwatch.ingest.ais.fastdecode import decode_packed, decode_payloads
from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS

if TYPE_CHECKING:
    from sanctionwatch.ingest.ais.nmea import NmeaStats

_POS_A, _POS_B, _POS_19, _POS_27, _STATIC_5, _STATIC_24 = range(6)
_KIND: Final[dict[int, tuple[int, Any, str]]] = {
    1: (_POS_A, MessageType1, "A"),
    2: (_POS_A, MessageType2, "A"),
    3: (_POS_A, MessageType3, "A"),
    5: (_STATIC_5, MessageType5, "A"),
    18: (_POS_B, MessageType18, "B"),
    19: (_POS_19, MessageType19, "B"),
    24: (_STATIC_24, MessageType24, "B"),
    27: (_POS_27, MessageType27, "A"),
}
# Bits needed to reach the end of the last field we read. Shorter payloads would give
# silently truncated values, so they are a decode_error. Type 5 is often sent with 420
# instead of 424 bits; the missing bits are padding of the destination.
_MIN_BITS: Final[dict[int, int]] = {1: 137, 2: 137, 3: 137, 18: 133, 19: 301, 27: 94, 5: 420}
_MIN_BITS_24: Final = (160, 162)  # part A (name), part B (dimensions)
# Stations other than ships: base station (4), SAR aircraft (9), aid to navigation (21). Their
# position is kept (msg_type says which) so that the run can list them; track preparation takes
# them out of the tracks (sanctionwatch.stations). Bits to the end of the latitude.
_STATIONS: Final[dict[int, tuple[Any, int]]] = {
    4: (MessageType4, 134), 9: (MessageType9, 116), 21: (MessageType21, 219)}
TYPE_OF: Final = tuple((c - 56 if c > 87 else c - 48) for c in range(256))
"""The 6-bit value of a payload character (the message type, for the first one)."""

# Column order of the row tuples built below (matched to the tables by name at flush).
_POS_FIELDS: Final = ("mmsi", "timestamp", "lat", "lon", "sog_knots", "cog_deg", "heading_deg",
                      "nav_status", "msg_type", "ais_class", "receiver", "source", "record")
_REP_FIELDS: Final = ("mmsi", "timestamp", "imo", "name", "callsign", "ship_type", "draught_m",
                      "destination", "length_m", "width_m", "ais_class", "source", "record")

_DECODED: Final = frozenset({
    "mmsi", "lat", "lon", "speed", "course", "heading", "status", "imo", "shipname", "callsign",
    "ship_type", "draught", "destination", "to_bow", "to_stern", "to_port", "to_starboard",
    "partno"})

Reject = Callable[[int, str, str, bytes], None]
"""Records a reject: record, reason, detail, raw text."""


class MessageRows:
    """The position and report rows of one NMEA file's messages, until :meth:`take`.

    ``stats``: the reader's counts (``messages`` and ``ignored_types`` are updated here);
    ``assume_us``: the time of messages that carry none (None: they are rejected).
    """

    def __init__(self, source: str, reject: Reject, stats: NmeaStats,
                 assume_us: int | None, *, fast: bool = True) -> None:
        self.source = source
        self.fast = fast
        self.pos_rows: list[tuple[Any, ...]] = []
        self.rep_rows: list[tuple[Any, ...]] = []
        self._reject = reject
        self._stats = stats
        self._assume_us = assume_us
        # Messages waiting for the bulk decode at the next batch: payloads and fill bits. Their
        # rows hold (job, msg_type, what, t_us, receiver, record) until then.
        self._jobs: list[bytes] = []
        self._job_fills: list[int] = []
        self.reports_only = 0
        """Messages so far that gave a vessel report and no position (types 5 and 24)."""

    def message(self, record: int, raws: tuple[bytes, ...], payload: bytes, fill: int,
                t_us: int | None, receiver: str | None) -> None:
        """Decode one complete AIS message into position and/or report rows."""
        self._stats.messages += 1
        self._stats.fragments += len(raws) - 1
        if not payload:
            self._reject(record, "empty_payload", "sentence has no AIS payload", b"\n".join(raws))
            return
        msg_type = TYPE_OF[payload[0]]
        kind = _KIND.get(msg_type)
        if msg_type in _STATIONS and (t_us is not None or self._assume_us is not None):
            self._station(msg_type, payload, fill, t_us if t_us is not None else self._assume_us,
                          receiver, record, raws)
            return
        if kind is None:
            ignored = self._stats.ignored_types
            ignored[msg_type] = ignored.get(msg_type, 0) + 1
            return
        if t_us is None:
            t_us = self._assume_us
            if t_us is None:
                self._reject(record, "no_timestamp", "no time in tag block, header, prefix or "
                             "trailer", b"\n".join(raws))
                return
        what, cls, ais_class = kind
        if self.fast:
            nbits = len(payload) * 6 - fill
            # Only messages that decode without error are deferred; the rest take the pyais
            # path below, which gives their decode_error with its usual detail.
            if what == _STATIC_24:
                ok = nbits >= 162 and TYPE_OF[payload[6]] & 8 == 0  # part number 0 or 1
            else:
                ok = nbits >= _MIN_BITS[msg_type]
            if ok:
                job = len(self._jobs)
                self._jobs.append(payload)
                self._job_fills.append(fill)
                pending = (job, msg_type, what, t_us, receiver, record)
                if what <= _POS_27:
                    self.pos_rows.append(pending)
                if what == _POS_19 or what >= _STATIC_5:
                    self.rep_rows.append(pending)
                self.reports_only += what >= _STATIC_5
                return
        try:
            self._pyais(msg_type, what, cls, ais_class, payload, fill, t_us, receiver, record)
        except Exception as e:  # any decoder failure is a reject, not a crash
            self._reject(record, "decode_error", f"{type(e).__name__}: {e}", b"\n".join(raws))
            return
        self.reports_only += what >= _STATIC_5

    def _station(self, msg_type: int, payload: bytes, fill: int, t_us: int | None,
                 receiver: str | None, record: int, raws: tuple[bytes, ...]) -> None:
        """A base station, SAR aircraft or aid-to-navigation report as a position row."""
        cls, need = _STATIONS[msg_type]
        try:
            bv = bit_vector(payload, fill)
            if len(bv) < need:
                raise ValueError(f"payload of {len(bv)} bits, type {msg_type} needs {need}")
            msg: Any = cls.from_vector(bv)
        except Exception as e:  # any decoder failure is a reject, not a crash
            self._reject(record, "decode_error", f"{type(e).__name__}: {e}", b"\n".join(raws))
            return
        sog = cog = None
        if msg_type == 9:  # speed 1023 and course 3600 are "not available"
            sog = None if msg.speed >= 1023 else float(msg.speed)
            cog = None if msg.course >= 360 else float(msg.course)
        self.pos_rows.append((msg.mmsi, t_us, msg.lat, msg.lon, sog, cog, None, None, msg_type,
                              None, receiver, self.source, record))

    def _pyais(self, msg_type: int, what: int, cls: Any, ais_class: str, payload: bytes,
               fill: int, t_us: int, receiver: str | None, record: int) -> None:
        """One message decoded by pyais into its rows (raises when it cannot be)."""
        bv = bit_vector(payload, fill)
        nbits = len(bv)
        need = _MIN_BITS_24[bv.get(38, 2) & 1] if what == _STATIC_24 else _MIN_BITS[msg_type]
        if nbits < need:
            raise ValueError(f"payload of {nbits} bits, type {msg_type} needs {need}")
        msg: Any = cls.from_vector(bv)
        source = self.source
        if what == _POS_A:
            self.pos_rows.append((
                msg.mmsi, t_us, msg.lat, msg.lon, msg.speed, msg.course, msg.heading,
                int(msg.status), msg_type, ais_class, receiver, source, record))
        elif what == _POS_B:
            self.pos_rows.append((
                msg.mmsi, t_us, msg.lat, msg.lon, msg.speed, msg.course, msg.heading,
                None, msg_type, ais_class, receiver, source, record))
        elif what == _POS_27:
            # Type 27 codes 'not available' as speed 63 and course 511; use the Class A
            # codes (102.3, 360) so that one cleaning rule fits every message type.
            sog = 102.3 if msg.speed == 63 else msg.speed
            cog = 360.0 if msg.course == 511 else msg.course
            self.pos_rows.append((
                msg.mmsi, t_us, msg.lat, msg.lon, sog, cog, None, int(msg.status),
                msg_type, ais_class, receiver, source, record))
        elif what == _STATIC_5:
            self.rep_rows.append((
                msg.mmsi, t_us, msg.imo or None, _text(msg.shipname), _text(msg.callsign),
                int(msg.ship_type), msg.draught or None, _text(msg.destination),
                (msg.to_bow + msg.to_stern) or None, (msg.to_port + msg.to_starboard) or None,
                ais_class, source, record))
        elif what == _POS_19:
            self.pos_rows.append((
                msg.mmsi, t_us, msg.lat, msg.lon, msg.speed, msg.course, msg.heading,
                None, msg_type, ais_class, receiver, source, record))
            self.rep_rows.append((
                msg.mmsi, t_us, None, _text(msg.shipname), None, int(msg.ship_type), None,
                None, (msg.to_bow + msg.to_stern) or None,
                (msg.to_port + msg.to_starboard) or None, ais_class, source, record))
        elif msg.partno == 0:
            self.rep_rows.append((
                msg.mmsi, t_us, None, _text(msg.shipname), None, None, None, None, None,
                None, ais_class, source, record))
        else:
            # Auxiliary craft (MMSI 98xxxxxxx) send the mothership MMSI instead of sizes.
            dims = hasattr(msg, "to_bow")
            self.rep_rows.append((
                msg.mmsi, t_us, None, None, _text(msg.callsign), int(msg.ship_type), None,
                None, ((msg.to_bow + msg.to_stern) or None) if dims else None,
                ((msg.to_port + msg.to_starboard) or None) if dims else None,
                ais_class, source, record))

    def take(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The positions and vessel reports so far, as frames (the rows are cleared)."""
        pos_columns = self._decode_jobs() if self._jobs else None
        if pos_columns is not None:
            self.pos_rows.clear()
            positions = _frame_columns(RowBuffer(POSITIONS), pos_columns)
        else:
            positions = _frame(RowBuffer(POSITIONS), _POS_FIELDS, self.pos_rows)
        return positions, _frame(RowBuffer(VESSEL_REPORTS), _REP_FIELDS, self.rep_rows)

    def _decode_jobs(self) -> dict[str, list[Any]] | None:
        """Decode the deferred messages in bulk: report placeholders become rows, and the
        positions are returned as columns."""
        dec = decode_payloads(self._jobs, self._job_fills, _DECODED)
        self._jobs, self._job_fills = [], []
        fields = dec.fields
        # Positions of types 1-3, 18, 19 and 27 are never made by the pyais path while
        # deferring (they take it only to be rejected), so they are placeholders; station
        # positions (types 4, 9, 21) are whole rows.
        pos_columns = self._position_columns(fields) if self.pos_rows else None

        def col(name: str) -> list[Any]:
            return fields[name].tolist() if name in fields else []

        source = self.source
        if self.rep_rows:
            mmsi = col("mmsi")
            names, callsign, ship_type = col("shipname"), col("callsign"), col("ship_type")
            imo, draught, destination = col("imo"), col("draught"), col("destination")
            partno = col("partno")
            length: list[int] = []
            width: list[int] = []
            if "to_bow" in fields:
                dims = dec.present["to_bow"]  # auxiliary craft send no dimensions
                length = np.where(dims, fields["to_bow"] + fields["to_stern"], 0).tolist()
                width = np.where(dims, fields["to_port"] + fields["to_starboard"], 0).tolist()
            rows = self.rep_rows
            for i, row in enumerate(rows):
                if len(row) != 6:
                    continue
                j, _, what, t_us, _, record = row
                if what == _STATIC_5:
                    rows[i] = (mmsi[j], t_us, imo[j] or None, _text(names[j]),
                               _text(callsign[j]), ship_type[j], draught[j] or None,
                               _text(destination[j]), length[j] or None, width[j] or None,
                               "A", source, record)
                elif what == _POS_19:
                    rows[i] = (mmsi[j], t_us, None, _text(names[j]), None, ship_type[j], None,
                               None, length[j] or None, width[j] or None, "B", source, record)
                elif partno[j] == 0:
                    rows[i] = (mmsi[j], t_us, None, _text(names[j]), None, None, None, None,
                               None, None, "B", source, record)
                else:
                    rows[i] = (mmsi[j], t_us, None, None, _text(callsign[j]), ship_type[j],
                               None, None, length[j] or None, width[j] or None, "B", source,
                               record)
        return pos_columns

    def _position_columns(self, fields: dict[str, Any]) -> dict[str, list[Any]]:
        """The positions as columns, the values the per-row path gives: deferred ones from
        ``fields``, station rows (:meth:`_station`, already whole) as they are, in row order."""
        whole = [i for i, row in enumerate(self.pos_rows) if len(row) != 6]
        if not whole:
            return self._deferred_columns(self.pos_rows, fields)
        deferred = [row for row in self.pos_rows if len(row) == 6]
        part = self._deferred_columns(deferred, fields) if deferred else None
        out: dict[str, list[Any]] = {name: [] for name in _POS_FIELDS}
        k = 0
        for row in self.pos_rows:
            if len(row) == 6:
                assert part is not None
                for name in _POS_FIELDS:
                    out[name].append(part[name][k])
                k += 1
            else:
                for name, value in zip(_POS_FIELDS, row, strict=True):
                    out[name].append(value)
        return out

    def _deferred_columns(self, pos_rows: list[tuple[Any, ...]], fields: dict[str, Any]
                          ) -> dict[str, list[Any]]:
        """Deferred positions (placeholder rows) as columns."""
        job, msg_type, what, t_us, receiver, record = zip(*pos_rows, strict=True)
        rows = np.array(job, dtype=np.int64)
        kind = np.array(what, dtype=np.int64)
        is_27 = kind == _POS_27
        class_b = (kind == _POS_B) | (kind == _POS_19)
        sog = fields["speed"][rows]
        cog = fields["course"][rows]
        heading = fields["heading"][rows].tolist() if "heading" in fields else [None] * len(rows)
        status = fields["status"][rows].tolist() if "status" in fields else [None] * len(rows)
        for i in np.flatnonzero(is_27).tolist():
            heading[i] = None
        for i in np.flatnonzero(class_b).tolist():
            status[i] = None
        return {
            "mmsi": fields["mmsi"][rows].tolist(), "timestamp": list(t_us),
            "lat": fields["lat"][rows].tolist(), "lon": fields["lon"][rows].tolist(),
            # Type 27 'not available' as the Class A codes, see _pyais.
            "sog_knots": np.where(is_27 & (sog == 63), 102.3, sog).tolist(),
            "cog_deg": np.where(is_27 & (cog == 511), 360.0, cog).tolist(),
            "heading_deg": heading, "nav_status": status, "msg_type": list(msg_type),
            "ais_class": np.where(class_b, "B", "A").tolist(), "receiver": list(receiver),
            "source": [self.source] * len(rows), "record": list(record),
        }


def _text(value: str | None) -> str | None:
    """AIS text: '@' padding and blanks removed, upper case, empty -> None."""
    if not value:
        return None
    return value.rstrip("@ ").strip().upper() or None


def _frame(buf: RowBuffer, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Move row tuples into ``buf``'s column lists (one transpose in C) and take the frame."""
    if rows:
        columns = buf.columns
        for name in columns:
            columns[name] = [None] * len(rows)  # columns NMEA never fills (e.g. flag)
        for name, col in zip(names, zip(*rows, strict=True), strict=True):
            columns[name] = list(col)
        rows.clear()
    return buf.take()


def _frame_columns(buf: RowBuffer, columns: dict[str, list[Any]]) -> pl.DataFrame:
    """Like :func:`_frame`, from columns."""
    n = len(next(iter(columns.values())))
    for name in buf.columns:
        buf.columns[name] = columns[name] if name in columns else [None] * n
    return buf.take()




POS_TYPES: Final = np.array([t in (1, 2, 3, 18, 19, 27) for t in range(64)])
"""By message type: whether a message gives a position row."""
REP_TYPES: Final = np.array([t in (5, 19, 24) for t in range(64)])
"""By message type: whether a message gives a vessel report."""
ONLY_REP_TYPES: Final = np.array([t in (5, 24) for t in range(64)])
"""By message type: a vessel report and no position."""


def plain_frames(source: str, data: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64],
                 lens: npt.NDArray[np.int64], fills: npt.NDArray[np.int64],
                 msg_type: npt.NDArray[np.int64], t_us: npt.NDArray[np.int64],
                 receiver: pl.Series, record: npt.NDArray[np.int64]
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The positions and vessel reports of complete messages that :meth:`MessageRows.message`
    would queue for the bulk decode (payloads ``data[starts:starts + lens]``, of the types
    1, 2, 3, 5, 18, 19, 24, 27 with the bits they need, a time each, in ``record`` order):
    the same rows, built column by column."""
    dec = decode_packed(data, starts, lens, fills, _DECODED)
    fields = dec.fields
    n = len(record)
    ts = pl.Series("timestamp", t_us, dtype=pl.Int64)
    src = pl.repeat(source, n, eager=True, dtype=pl.String)
    pos = np.flatnonzero(POS_TYPES[msg_type])
    kind = msg_type[pos]
    is_27 = kind == 27
    class_b = (kind == 18) | (kind == 19)

    def get(name: str, rows: npt.NDArray[np.int64], default: Any = 0) -> Any:
        return fields[name][rows] if name in fields else np.full(len(rows), default)

    sog = get("speed", pos, 0.0)
    cog = get("course", pos, 0.0)
    positions = pl.DataFrame({
        "mmsi": get("mmsi", pos), "timestamp": ts.gather(pos),
        "lat": get("lat", pos, 0.0), "lon": get("lon", pos, 0.0),
        "sog_knots": np.where(is_27 & (sog == 63), 102.3, sog),
        "cog_deg": np.where(is_27 & (cog == 511), 360.0, cog),
        "heading_deg": pl.Series(get("heading", pos)).set(pl.Series(is_27), None),
        "nav_status": pl.Series(get("status", pos)).set(pl.Series(class_b), None),
        "msg_type": kind,
        "ais_class": np.where(class_b, "B", "A"), "receiver": receiver.gather(pos),
        "source": src.gather(pos), "record": record[pos],
    })
    rep = np.flatnonzero(REP_TYPES[msg_type])
    kind = msg_type[rep]
    t5, t19 = kind == 5, kind == 19
    part_a = (kind == 24) & (get("partno", rep) == 0)
    part_b = (kind == 24) & ~part_a
    if "to_bow" in fields:
        dims = dec.present["to_bow"][rep]  # auxiliary craft send no dimensions
        length = np.where(dims, fields["to_bow"][rep] + fields["to_stern"][rep], 0)
        width = np.where(dims, fields["to_port"][rep] + fields["to_starboard"][rep], 0)
    else:
        length = width = np.zeros(len(rep), dtype=np.int64)

    def text(name: str, where: npt.NDArray[np.bool_]) -> pl.Series:
        values = pl.Series(get(name, rep, None).tolist(), dtype=pl.String)
        values = values.str.strip_chars_end("@ ").str.strip_chars_start(" ").replace("", None)
        return values.set(pl.Series(~where), None)

    def nonzero(values: Any, where: npt.NDArray[np.bool_]) -> pl.Series:
        out = pl.Series(values)
        return out.set(pl.Series(~where | (values == 0)), None)

    dims_ok = t5 | t19 | part_b
    reports = pl.DataFrame({
        "mmsi": get("mmsi", rep), "timestamp": ts.gather(rep),
        "imo": nonzero(get("imo", rep), t5),
        "name": text("shipname", t5 | t19 | part_a),
        "callsign": text("callsign", t5 | part_b),
        "ship_type": pl.Series(get("ship_type", rep)).set(pl.Series(part_a), None),
        "draught_m": nonzero(get("draught", rep, 0.0), t5),
        "destination": text("destination", t5),
        "length_m": nonzero(length, dims_ok), "width_m": nonzero(width, dims_ok),
        "ais_class": np.where(t5, "A", "B"), "source": src.gather(rep), "record": record[rep],
    })
    return (_typed(positions, POSITIONS.polars_schema()),
            _typed(reports, VESSEL_REPORTS.polars_schema()))


def _typed(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``df`` with the columns and types of ``schema`` (the absent ones null)."""
    return df.select(
        (pl.col(name) if name in df.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in schema.items())


__all__ = ["ONLY_REP_TYPES", "POS_TYPES", "REP_TYPES", "TYPE_OF", "MessageRows", "plain_frames"]
