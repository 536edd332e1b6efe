"""The local engine: the lake's partitions one after the other in this process (each on
several threads), the pair batches one per core at a time.

Peak memory is that of the largest partition (an MMSI range, ``partition_rows``) or of one
core's worth of pair batches, whatever the size of the input.
"""

from __future__ import annotations

import os

from sanctionwatch.engines.base import EngineRun, Job, local_map, threaded_map
from sanctionwatch.engines.partitioned import run_lake


class LocalEngine:
    """The partitioned lake, processed in this process."""

    name = "local"

    def run(self, job: Job) -> EngineRun:
        """Run ``job`` (see :class:`~sanctionwatch.engines.base.Engine`)."""
        cores = os.cpu_count() or 1
        return run_lake(job, mapper=local_map, cross_mapper=threaded_map(cores),
                        parallel_tasks=cores)


__all__ = ["LocalEngine"]
