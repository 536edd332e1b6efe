"""The Dask engine: the lake engines' tasks as Dask futures, on a scheduler or a LocalCluster.

Workers read and write the lake through the file system, so with a remote scheduler the work
folder (inside the output directory) must be on storage every worker mounts. The reference data
is scattered once to every worker. Plug-in detectors must be installed on the workers too (they
are found through the same entry points).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from distributed import Client, LocalCluster

from sanctionwatch.engines.base import EngineOptions, EngineRun, Job
from sanctionwatch.engines.partitioned import run_lake
from sanctionwatch.reference import ReferenceData
from sanctionwatch.settings import settings

T = TypeVar("T")


@contextmanager
def dask_client(options: EngineOptions) -> Iterator[Client]:
    """A client of ``options.scheduler`` (else the ``SANCTIONWATCH_SCHEDULER`` setting), or of
    a LocalCluster started (and stopped) here."""
    scheduler = options.scheduler or settings().scheduler
    if scheduler:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
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


class DaskEngine:
    """The partitioned lake, processed on a Dask cluster (``client``, or one made from the
    job's engine options)."""

    name = "dask"

    def __init__(self, client: Client | None = None) -> None:
        self.client = client

    def run(self, job: Job) -> EngineRun:
        """Run ``job`` (see :class:`~sanctionwatch.engines.base.Engine`)."""
        if self.client is None:
            with dask_client(job.options) as own:
                return DaskEngine(own).run(job)
        client = self.client

        def share(reference: ReferenceData) -> Any:
            # sent once; every task gets the future as a keyword and Dask hands it the object
            return client.scatter(reference, broadcast=True,  # type: ignore[no-untyped-call]
                                  hash=False)

        return run_lake(
            job, mapper=dask_mapper(client),
            parallel_tasks=sum(client.nthreads().values()),  # type: ignore[no-untyped-call]
            task_threads=1, share=share,
        )


__all__ = ["DaskEngine", "dask_client", "dask_mapper"]
