"""Engines: where the data lives while the detectors run.

``memory`` holds every position in one frame; ``local`` and ``dask`` work through a partitioned
Parquet lake, piece by piece, in this process or on a Dask cluster. Every engine takes a
:class:`~sanctionwatch.engines.base.Job` and returns an
:class:`~sanctionwatch.engines.base.EngineRun`; all give the same events. ``auto`` is
``memory`` when its footprint, estimated before reading, fits the memory available, else
``local`` (:mod:`~sanctionwatch.engines.choice`). See ``docs/engines.md``.
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
from sanctionwatch.engines.choice import ENGINES, EngineChoice, choose_engine
from sanctionwatch.engines.lake import Lake, LakeWriter, MmsiRange


def resolve_engine(
    engine: str, inputs: Sequence[str | Path], options: EngineOptions | None = None
) -> str:
    """The engine ``engine`` stands for (:func:`~sanctionwatch.engines.choice.choose_engine`:
    ``auto`` becomes ``memory`` when its estimated peak fits the memory available, else
    ``local``); an unknown name is an error."""
    return choose_engine(engine, inputs, options).engine


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
    "EngineChoice",
    "EngineOptions",
    "EngineRun",
    "Job",
    "Lake",
    "LakeWriter",
    "Mapper",
    "MmsiRange",
    "choose_engine",
    "get_engine",
    "local_map",
    "resolve_engine",
    "threaded_map",
]
