"""The local engine: the lake's partitions one after the other in this process.

Peak memory is that of the largest partition (an MMSI range, or one day's encounter view),
whatever the size of the input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from sanctionwatch.detectors import Params
from sanctionwatch.engines import EngineOptions, EngineResult, Lake, MmsiRange, local_map, run_lake
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
    """Run every stage over ``lake`` sequentially."""
    return run_lake(
        lake, params, reference, only=only, prepare=prepare, options=options, mapper=local_map,
        input_spans=input_spans, on_partitions=on_partitions,
    )


__all__ = ["run_local"]
