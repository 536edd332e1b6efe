"""Detectors run concurrently in dependency order, with the same events as one by one."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
import pytest

from sanctionwatch.detectors.base import DetectionInput, Detector, Params
from sanctionwatch.detectors.schedule import prerequisites, run_scheduled
from sanctionwatch.engines.memory import run_detectors
from sanctionwatch.reference import ReferenceData
from sanctionwatch.reference.core import ConstantShoreDistance
from sanctionwatch.schema import EVENTS
from tests.factory import detection_input, track


@dataclass(frozen=True)
class NoParams(Params):
    pass


def _event(kind: str, mmsi: int, details: str = "{}") -> pl.DataFrame:
    return EVENTS.conform(
        pl.DataFrame(
            {
                "event_id": [f"{kind}-{mmsi}"],
                "event_type": [kind],
                "mmsi": [mmsi],
                "start_time": [datetime(2020, 1, 1, tzinfo=UTC)],
                "end_time": [datetime(2020, 1, 1, tzinfo=UTC)],
                "details": [details],
            }
        )
    )


def _toy(seen: dict[str, list[str]], started: dict[str, float]) -> dict[str, Detector]:
    """a, b independent and slow; c reads a; d reads everything before it (a plug-in)."""

    def make(name: str, delay_s: float) -> Detector:
        def fn(data: DetectionInput, p: NoParams) -> pl.DataFrame:
            started[name] = time.perf_counter()
            prior = data.prior_events if data.prior_events is not None else EVENTS.empty()
            seen[name] = sorted(prior["event_type"].to_list())
            time.sleep(delay_s)
            return _event(name, len(seen[name]), threading.current_thread().name)

        return Detector(name, NoParams, fn, name, reads={"a": (), "b": (), "c": ("a",)}.get(name))

    return {"a": make("a", 0.3), "b": make("b", 0.3), "c": make("c", 0.0), "d": make("d", 0.0)}


def _with_prior(data: DetectionInput, prior: pl.DataFrame) -> DetectionInput:
    import dataclasses

    return dataclasses.replace(data, prior_events=prior)


def _data() -> DetectionInput:
    ref = ReferenceData(ports=[], shore=ConstantShoreDistance(100.0))
    return DetectionInput(tracks=pl.DataFrame(), reports=pl.DataFrame(), reference=ref)


def test_prerequisites_follow_declared_reads():
    dets = _toy({}, {})
    assert prerequisites(list(dets), dets) == {
        "a": [], "b": [], "c": ["a"], "d": ["a", "b", "c"]
    }


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_each_detector_sees_exactly_what_it_reads(workers):
    seen: dict[str, list[str]] = {}
    started: dict[str, float] = {}
    out = run_scheduled(_toy(seen, started), _data(), {}, run=["a", "b", "c", "d"],
                        workers=workers)
    assert list(out) == ["a", "b", "c", "d"]
    assert seen == {"a": [], "b": [], "c": ["a"], "d": ["a", "b", "c"]}
    assert [out[k]["mmsi"][0] for k in "abcd"] == [0, 0, 1, 3]


def test_independent_detectors_overlap_and_dependants_wait():
    seen: dict[str, list[str]] = {}
    started: dict[str, float] = {}
    out = run_scheduled(_toy(seen, started), _data(), {}, run=["a", "b", "c", "d"], workers=2)
    # a and b started together (each sleeps 0.3 s), on two different threads
    assert abs(started["a"] - started["b"]) < 0.25
    assert out["a"]["details"][0] != out["b"]["details"][0]
    # d reads everything: it starts only after a and b finished
    assert started["d"] - min(started["a"], started["b"]) >= 0.3


def test_given_events_reach_readers_and_are_not_rerun():
    seen: dict[str, list[str]] = {}
    out = run_scheduled(_toy(seen, {}), _data(), {}, run=["c", "d"],
                        given={"a": _event("a", 7), "b": _event("b", 8)}, workers=2)
    assert list(out) == ["c", "d"] and "a" not in seen
    assert seen["c"] == ["a"] and seen["d"] == ["a", "b", "c"]


def test_a_detector_is_either_given_or_run():
    with pytest.raises(ValueError, match="both given and run: a"):
        run_scheduled(_toy({}, {}), _data(), {}, run=["a", "c"],
                      given={"a": _event("a", 99)}, workers=2)


def test_a_linking_detector_detects_at_once_and_links_when_its_inputs_are_done():
    seen: dict[str, list[str]] = {}
    started: dict[str, float] = {}
    dets = _toy(seen, started)
    linked: dict[str, list[str]] = {}

    def detect_e(data: DetectionInput, p: NoParams) -> pl.DataFrame:
        started["e"] = time.perf_counter()
        return _event("e", 1)

    def link_e(found: pl.DataFrame, prior: pl.DataFrame, p: NoParams) -> pl.DataFrame:
        linked["e"] = sorted(prior["event_type"].to_list())
        return found.with_columns(pl.lit("linked").alias("details"))

    dets["e"] = Detector("e", NoParams, detect_e, "e", reads=("a",), link=link_e)
    out = run_scheduled(dets, _data(), {}, run=["a", "e"], workers=2)
    assert started["e"] - started["a"] < 0.25  # did not wait for a's 0.3 s
    assert linked["e"] == ["a"]
    assert out["e"]["details"].to_list() == ["linked"]
    sequential = run_scheduled(dets, _data(), {}, run=["a", "e"], workers=1)
    assert sequential["e"].equals(out["e"])
    # Detector.run (the engines' and tests' entry point) links too
    assert dets["e"].run(_with_prior(_data(), out["a"]))["details"].to_list() == ["linked"]


def test_a_failure_propagates():
    def boom(data: DetectionInput, p: NoParams) -> pl.DataFrame:
        raise RuntimeError("detector failed")

    dets = _toy({}, {})
    dets["b"] = Detector("b", NoParams, boom, "b", reads=())
    with pytest.raises(RuntimeError, match="detector failed"):
        run_scheduled(dets, _data(), {}, run=list(dets), workers=2)


def test_builtin_detectors_give_the_same_events_on_any_number_of_threads():
    data = detection_input(
        track(412000001, 30.0, 125.0, hours=8, speed_knots=0.3),
        track(412000002, 30.0, 125.002, hours=8, speed_knots=0.3),
        track(412000003, 31.0, 126.0, hours=8, speed_knots=11.0),
    )
    one = run_detectors(data, workers=1)
    many = run_detectors(data, workers=4)
    assert {"encounter", "loitering"} <= set(one["event_type"])
    assert one.equals(many)
    # loitering links the encounter it overlaps, found concurrently or not
    loiter = many.filter(pl.col("event_type") == "loitering")
    enc_id = many.filter(pl.col("event_type") == "encounter")["event_id"][0]
    assert all(enc_id in ids for ids in loiter["related_event_ids"].to_list())
