"""``fastdecode`` against pyais, field by field (the reader with and without it:
test_nmea_messages.py)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pyais
from pyais.bit_vector import bit_vector
from pyais.messages import (
    MessageType1,
    MessageType2,
    MessageType3,
    MessageType5,
    MessageType18,
    MessageType19,
    MessageType24,
    MessageType27,
)

from sanctionwatch.ingest.ais.fastdecode import SUPPORTED_TYPES, decode_payloads, payload_bits
from tests.ingest.ais.helpers import NMEA_CORPORA as CORPORA
from tests.ingest.ais.helpers import SIXBIT, random_fields

CLASSES: dict[int, Any] = {1: MessageType1, 2: MessageType2, 3: MessageType3, 5: MessageType5,
                           18: MessageType18, 19: MessageType19, 24: MessageType24,
                           27: MessageType27}


def _compare(oracle: list[dict[str, Any]], payloads: list[bytes], fills: list[int]) -> int:
    """Assert every field equal (value and type); return the number of fields compared."""
    dec = decode_payloads(payloads, fills)
    compared = 0
    for i, expected in enumerate(oracle):
        mine = dec.asdict(i)
        expected = {k: v for k, v in expected.items() if v is not None}  # None: past the end
        assert set(mine) == set(expected), (payloads[i], fills[i])
        for name, want in expected.items():
            got = mine[name]
            if isinstance(want, float):  # pyais' TurnRate codes are float enums
                want = float(want)
            assert type(got) is type(want) and got == want, (name, got, want, payloads[i])
            compared += 1
    return compared


def _sentences_payload(sentences: list[str]) -> tuple[bytes, int]:
    fields = [s.split(",") for s in sentences]
    return "".join(f[5] for f in fields).encode(), int(fields[-1][6][0])


def test_corpora_agree_with_pyais_on_every_field() -> None:
    oracle, payloads, fills = [], [], []
    for path in CORPORA:
        for msg in pyais.FileReaderStream(str(path)):
            try:
                decoded = msg.decode()
            except Exception:  # not decodable by pyais: not part of the comparison
                continue
            if decoded.msg_type in SUPPORTED_TYPES:
                oracle.append(decoded.asdict(enum_as_int=True))
                payloads.append(msg.payload)
                fills.append(msg.fill_bits)
    compared = _compare(oracle, payloads, fills)
    assert len(oracle) == 1769
    assert compared == 26441


def test_generated_messages_agree_with_pyais() -> None:
    rng = random.Random(20240505)
    oracle, payloads, fills = [], [], []
    for t in sorted(SUPPORTED_TYPES):
        for _ in range(400):
            sentences = pyais.encode_dict(random_fields(rng, t), seq_id=1)
            oracle.append(pyais.decode(*sentences).asdict(enum_as_int=True))
            payload, fill = _sentences_payload(sentences)
            payloads.append(payload)
            fills.append(fill)
    assert _compare(oracle, payloads, fills) > 40_000


def test_truncated_and_random_payloads_agree_with_pyais_decoder() -> None:
    # Random bits, any length up to 75 characters, any fill: partial fields, fill bits that
    # must not leak into values, type 24 part numbers 2 and 3 (pyais raises).
    rng = random.Random(7)
    oracle: list[dict[str, Any]] = []
    payloads: list[bytes] = []
    fills: list[int] = []
    errors: list[tuple[int, str]] = []
    for i in range(6000):
        t = sorted(SUPPORTED_TYPES)[i % len(SUPPORTED_TYPES)]
        n = rng.choice([rng.randrange(1, 76), 28, 71, 52, 27])
        payload = (SIXBIT[t] + "".join(rng.choice(SIXBIT) for _ in range(n - 1))).encode()
        fill = rng.randrange(min(6, 6 * n))
        try:
            msg = CLASSES[t].from_vector(bit_vector(payload, fill))
        except Exception as e:
            errors.append((len(payloads), f"{type(e).__name__}: {e}"))
            msg = None
        oracle.append({} if msg is None else msg.asdict(enum_as_int=True))
        payloads.append(payload)
        fills.append(fill)
    dec = decode_payloads(payloads, fills)
    assert errors and [(i, dec.error[i]) for i, _ in errors] == errors
    ok = [i for i in range(len(payloads)) if dec.error[i] is None]
    assert _compare([oracle[i] for i in ok], [payloads[i] for i in ok],
                    [fills[i] for i in ok]) > 50_000


def test_every_rate_of_turn_code() -> None:
    payloads, oracle = [], []
    for raw in range(256):
        # A type 1 payload with the 8 raw turn bits (42-49) set to ``raw``.
        payload = pyais.encode_msg(MessageType1.create(mmsi=1))[0].split(",")[5]
        value = int("".join(f"{SIXBIT.index(c):06b}" for c in payload), 2)
        value = (value & ~(0xFF << (168 - 50))) | (raw << (168 - 50))
        sixes = [(value >> (168 - 6 * (k + 1))) & 63 for k in range(28)]
        payloads.append("".join(SIXBIT[s] for s in sixes).encode())
        oracle.append(pyais.decode(f"!AIVDM,1,1,,A,{payloads[-1].decode()},0*00",
                                   error_if_checksum_invalid=False).asdict(enum_as_int=True))
    assert _compare(oracle, payloads, [0] * 256) == 256 * len(oracle[0])


def test_enum_codes_as_pyais() -> None:
    from pyais.constants import EpfdType, ShipType

    from sanctionwatch.ingest.ais.fastdecode import _EPFD_TYPE, _SHIP_TYPE
    assert _SHIP_TYPE.tolist() == [int(ShipType(v)) for v in range(256)]
    assert _EPFD_TYPE.tolist() == [int(EpfdType(v)) for v in range(16)]


def test_payload_bits_pads_with_zeros() -> None:
    mat, lens = payload_bits([b"1w", b"", b"5"])
    assert lens.tolist() == [2, 0, 1]
    assert mat.tolist() == [[1, 63], [0, 0], [5, 0]]
    empty = decode_payloads([], [])
    assert len(empty) == 0
    # Every byte, invalid ones included, as pyais' armour table.
    from pyais.bit_vector import _PAYLOAD_ARMOR
    mat, _ = payload_bits([bytes(range(i, i + 64)) for i in range(0, 256, 64)])
    assert mat.ravel().tolist() == list(_PAYLOAD_ARMOR)


def test_not_available_and_sign_extremes() -> None:
    sentences = pyais.encode_dict({"msg_type": 1, "mmsi": 1, "lat": -91, "lon": -181,
                                   "speed": 102.3, "heading": 511, "course": 360})
    d = decode_payloads([_sentences_payload(sentences)[0]], [0])
    assert (d.value("lat", 0), d.value("lon", 0)) == (-91.0, -181.0)
    assert (d.value("speed", 0), d.value("heading", 0), d.value("course", 0)) == (102.3, 511, 360.0)
    assert np.isclose(d.fields["lat"][0], -91.0)
