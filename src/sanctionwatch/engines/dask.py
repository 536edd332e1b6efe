"""The Dask engine: the same partition tasks as Dask futures, on a scheduler or a LocalCluster.

Workers read and write the lake through the file system, so with a remote scheduler the
output directory (where the lake lives during a run) must be on storage every worker mounts.
The reference data is scattered once to every worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import polars as pl
from distributed import Client, LocalCluster

from sanctionwatch.detectors import Params
from sanctionwatch.engines import EngineOptions, EngineResult, Lake, MmsiRange, run_lake
from sanctionwatch.reference import ReferenceData
from sanctionwatch.tracks import PrepareParams

T = TypeVar("T")


@contextmanager
def dask_client(options: EngineOptions) -> Iterator[Client]:
    """A client of ``options.scheduler``, or of a LocalCluster started (and stopped) here."""
    if options.scheduler:
        with Client(options.scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    kwargs: dict[str, Any] = {"processes": options.processes, "dashboard_address": ":0"}
    if options.n_workers is not None:
        kwargs["n_workers"] = options.n_workers
        kwargs["threads_per_worker"] = 1
    with (
        LocalCluster(**kwargs) as cluster,  # type: ignore[no-untyped-call]
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def dask_mapper(
    client: Client,
) -> Callable[[Callable[..., T], Sequence[Any], dict[str, Any]], list[T]]:
    """A mapper submitting one future per item and gathering the results in order."""

    def mapper(fn: Callable[..., T], items: Sequence[Any], kwargs: dict[str, Any]) -> list[T]:
        if not items:
            return []
        futures = client.map(fn, list(items), pure=False, **kwargs)
        return list(client.gather(futures))  # type: ignore[no-untyped-call]

    return mapper


def run_dask(
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    *,
    only: Sequence[str] | None = None,
    prepare: PrepareParams | None = None,
    options: EngineOptions | None = None,
    input_spans: pl.DataFrame | None = None,
    on_partitions: Callable[[list[MmsiRange]], None] | None = None,
    client: Client | None = None,
) -> EngineResult:
    """Run every stage over ``lake`` on Dask (``client``, or one made from ``options``)."""
    opts = options or EngineOptions()
    if client is None:
        with dask_client(opts) as own:
            return run_dask(lake, params, reference, only=only, prepare=prepare,
                            options=opts, input_spans=input_spans,
                            on_partitions=on_partitions, client=own)
    # sent once; every task gets the future as a keyword and Dask hands it the object
    ref = client.scatter(reference, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
    return run_lake(
        lake, params, ref, only=only, prepare=prepare, options=opts, mapper=dask_mapper(client),
        parallel_tasks=sum(client.nthreads().values()),  # type: ignore[no-untyped-call]
        task_threads=1, input_spans=input_spans, on_partitions=on_partitions,
    )


__all__ = ["dask_client", "dask_mapper", "run_dask"]
