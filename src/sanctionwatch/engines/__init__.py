"""Engines: where the data lives while the detectors run.

``memory`` holds every position in one frame; ``local`` and ``dask`` work through a partitioned
Parquet lake, piece by piece, in this process or on a Dask cluster. Every engine takes a
:class:`~sanctionwatch.engines.base.Job` and returns an
:class:`~sanctionwatch.engines.base.EngineRun`; all give the same events. ``auto`` is
``memory`` up to ``EngineOptions.memory_max_positions`` (estimated before reading), else
``local``. See ``docs/engines.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sanctionwatch.engines.base import (
    Engine,
    EngineOptions,
    EngineRun,
    Job,
    Mapper,
    local_map,
    threaded_map,
)
from sanctionwatch.engines.lake import Lake, LakeWriter, MmsiRange
from sanctionwatch.ingest.files import estimate_positions, expand_inputs

ENGINES = ("auto", "memory", "local", "dask")
"""Engine names accepted by :func:`resolve_engine` and :func:`get_engine` (after ``auto``)."""


def resolve_engine(
    engine: str, inputs: Sequence[str | Path], options: EngineOptions | None = None
) -> str:
    """The engine ``engine`` stands for: ``auto`` becomes ``memory`` up to
    ``options.memory_max_positions`` :func:`~sanctionwatch.ingest.files.estimate_positions`,
    else ``local``; an unknown name is an error."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if engine != "auto":
        return engine
    limit = (options or EngineOptions()).memory_max_positions
    return "memory" if estimate_positions(expand_inputs(inputs)) <= limit else "local"


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (``auto`` resolved first, see :func:`resolve_engine`);
    Dask is imported only when asked for."""
    if name == "memory":
        from sanctionwatch.engines.memory import MemoryEngine

        return MemoryEngine()
    if name == "local":
        from sanctionwatch.engines.local import LocalEngine

        return LocalEngine()
    if name == "dask":
        from sanctionwatch.engines.dask import DaskEngine

        return DaskEngine()
    raise ValueError(f"unknown engine {name!r}: expected one of {', '.join(ENGINES[1:])}")


__all__ = [
    "ENGINES",
    "Engine",
    "EngineOptions",
    "EngineRun",
    "Job",
    "Lake",
    "LakeWriter",
    "Mapper",
    "MmsiRange",
    "get_engine",
    "local_map",
    "resolve_engine",
    "threaded_map",
]
