"""Run detectors in dependency order, independent ones concurrently.

Detectors are pure functions of their inputs, so two that do not read each other's events can
run at the same time; most of their work is in Polars, NumPy and SciPy, which release the GIL,
so threads use the machine's cores without copying the (large) input frames to processes.
The result does not depend on the number of workers or on completion order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import polars as pl

from sanctionwatch.detectors.base import DetectionInput, Detector, Params
from sanctionwatch.schema import EVENTS
from sanctionwatch.settings import settings


def prerequisites(order: Sequence[str], dets: Mapping[str, Detector]) -> dict[str, list[str]]:
    """For each detector in ``order``: the earlier detectors whose events it reads, in order."""
    out: dict[str, list[str]] = {}
    for i, name in enumerate(order):
        before = list(order[:i])
        reads = dets[name].reads
        out[name] = before if reads is None else [b for b in before if b in reads]
    return out


def run_scheduled(
    dets: Mapping[str, Detector],
    data: DetectionInput,
    params: Mapping[str, Params | None],
    *,
    run: Sequence[str],
    given: Mapping[str, pl.DataFrame] | None = None,
    workers: int | None = None,
    on_done: Callable[[str], None] | None = None,
    unlinked: Collection[str] = (),
) -> dict[str, pl.DataFrame]:
    """Run the detectors named in ``run`` (``dets`` gives the run order and may hold more).

    ``given``: events of detectors computed elsewhere (an engine's pair and fleet stage, or
    another partition's): they count as done and reach the detectors that read them; a
    detector cannot be both given and run. Each detector gets as ``prior_events`` the events
    of its :func:`prerequisites`, concatenated in run order — for a detector with
    ``reads=None`` exactly the events of every detector before it, as in a sequential run.
    ``workers``: threads (default: the ``SANCTIONWATCH_THREADS`` setting, whose default is
    twice the cores: a detector spends part of its time holding the GIL or waiting for a view
    another is building, and meanwhile another thread uses the core). Returns events by
    detector name (the ``run`` ones), in run order.

    ``unlinked``: detectors with a ``link`` step whose linked events come later (an engine's
    cross-vessel stage): their ``detect`` result is returned as it is, for the caller to
    :meth:`~sanctionwatch.detectors.base.Detector.finish` once those events exist; no
    detector in ``run`` may read them.
    """
    given = dict(given or {})
    both = set(given) & set(run)
    if both:
        raise ValueError(f"detectors both given and run: {', '.join(sorted(both))}")
    order = [n for n in dets if n in run or n in given]
    needs = prerequisites(order, dets)
    todo = [n for n in order if n in run]
    done: dict[str, pl.DataFrame] = dict(given)
    results: dict[str, pl.DataFrame] = {}
    n_workers = max(1, workers if workers is not None else settings().threads)

    def prior(name: str) -> pl.DataFrame:
        frames = [done[d] for d in needs[name]]
        return pl.concat(frames, how="vertical") if frames else EVENTS.empty()

    def step(name: str) -> pl.DataFrame:
        det = dets[name]
        if det.link is not None:  # detect now, link once the events it reads are done
            return det.detect(data, det.params_or_default(params.get(name)))
        return det.run(_with_prior(data, prior(name)), params.get(name))

    for name in unlinked:
        if dets[name].link is None:
            raise ValueError(f"{name}: only a detector with a link step can be left unlinked")
        if any(name in needs[n] for n in todo if n not in unlinked):
            raise ValueError(f"{name}: unlinked, but read by a detector of this run")

    def finish(name: str, events: pl.DataFrame) -> None:
        if name in unlinked:
            results[name] = events
            done[name] = EVENTS.empty()
            if on_done:
                on_done(name)
            return
        if dets[name].link is not None:
            events = dets[name].finish(events, prior(name), params.get(name))
        results[name] = events
        done[name] = events
        if on_done:
            on_done(name)

    def ready(name: str) -> bool:
        return all(d in done for d in needs[name])

    if n_workers == 1:
        for name in todo:
            finish(name, step(name))
        return {n: results[n] for n in todo}
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="detector") as pool:
        running: dict[Future[pl.DataFrame], str] = {}
        waiting = list(todo)
        found: dict[str, pl.DataFrame] = {}  # detected, waiting to be linked
        try:
            while waiting or running or found:
                for name in [n for n in found if ready(n)]:
                    finish(name, found.pop(name))
                for name in [n for n in waiting if dets[n].link is not None or ready(n)]:
                    waiting.remove(name)
                    running[pool.submit(step, name)] = name
                if not running:
                    continue
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    name = running.pop(fut)
                    if dets[name].link is not None and name not in unlinked and not ready(name):
                        found[name] = fut.result()
                    else:
                        finish(name, fut.result())
        finally:
            for fut in running:
                fut.cancel()
    return {n: results[n] for n in todo}


def _with_prior(data: DetectionInput, prior: pl.DataFrame) -> DetectionInput:
    return dataclasses.replace(data, prior_events=prior)


__all__ = ["prerequisites", "run_scheduled"]
