"""The local engine: the lake's partitions one after the other in this process (each on
several threads), the cross-vessel tasks one per core at a time.

Peak memory is that of the largest partition (an MMSI range, ``partition_rows``) or of one
core's worth of cross-vessel tasks, whatever the size of the input.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import polars as pl

from sanctionwatch.detectors import Params
from sanctionwatch.engines import (
    EngineOptions,
    EngineResult,
    Lake,
    MmsiRange,
    local_map,
    run_lake,
    threaded_map,
)
from sanctionwatch.reference import ReferenceData
from sanctionwatch.tracks import PrepareParams


def run_local(
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    *,
    only: Sequence[str] | None = None,
    prepare: PrepareParams | None = None,
    options: EngineOptions | None = None,
    input_spans: pl.DataFrame | None = None,
    on_partitions: Callable[[list[MmsiRange]], None] | None = None,
) -> EngineResult:
    """Run every stage over ``lake`` in this process."""
    cores = os.cpu_count() or 1
    return run_lake(
        lake, params, reference, only=only, prepare=prepare, options=options, mapper=local_map,
        cross_mapper=threaded_map(cores), parallel_tasks=cores, input_spans=input_spans,
        on_partitions=on_partitions,
    )


__all__ = ["run_local"]
