"""What ``--engine auto`` runs: the memory engine when its estimated peak fits the memory the
machine has free, else the partitioned ``local`` engine.

The estimate is the input's position count (:func:`~sanctionwatch.ingest.files.estimate_positions`:
exact for Parquet, from the file size for text) times the memory engine's measured peak per
position (``EngineOptions.memory_engine_bytes_per_position``). The memory available is what the
operating system reports as available (``MemAvailable``: free memory plus caches it can drop),
lowered to the container's limit when a cgroup sets one, since a container's processes are
killed at that limit whatever the host has free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sanctionwatch.engines.base import EngineOptions

ENGINES = ("auto", "memory", "local", "dask")
"""Engine names accepted by :func:`choose_engine` (``auto`` resolves to one of the others)."""

CGROUP_V2 = Path("/sys/fs/cgroup")
"""Root of the unified (v2) cgroup hierarchy: ``memory.max`` and ``memory.current``."""
CGROUP_V1 = Path("/sys/fs/cgroup/memory")
"""The v1 memory controller: ``memory.limit_in_bytes`` and ``memory.usage_in_bytes``."""


@dataclass(frozen=True)
class EngineChoice:
    """The engine a run uses and, for ``auto``, the figures it was chosen from.

    engine: ``memory``, ``local`` or ``dask``. requested: what the user asked for.
    estimated_positions: input records estimated before reading (``auto`` only).
    estimated_peak_bytes: the memory engine's estimated peak on them.
    available_bytes: memory available when the run started (OS and cgroup).
    budget_bytes: what the memory engine may use (``memory_budget_gb``, or
    ``memory_available_share`` of the available memory).
    """

    engine: str
    requested: str
    estimated_positions: int | None = None
    estimated_peak_bytes: int | None = None
    available_bytes: int | None = None
    budget_bytes: int | None = None
    max_positions: int | None = None

    @property
    def reason(self) -> str:
        """One sentence saying why this engine runs."""
        if self.requested != "auto":
            return f"{self.engine}: asked for"
        gb = 1e9
        est = f"{(self.estimated_peak_bytes or 0) / gb:.1f} GB estimated for " \
              f"{self.estimated_positions or 0:,} positions"
        if self.max_positions is not None and (self.estimated_positions or 0) > self.max_positions:
            return f"{self.engine}: more than memory_max_positions ({self.max_positions:,})"
        fits = "fits within" if self.engine == "memory" else "exceeds"
        return f"{self.engine}: {est} {fits} the {(self.budget_bytes or 0) / gb:.1f} GB budget " \
               f"({(self.available_bytes or 0) / gb:.1f} GB available)"

    def to_dict(self) -> dict[str, Any]:
        """Plain values for ``summary.json`` (with :attr:`reason`)."""
        return {**asdict(self), "reason": self.reason}


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max" (no limit) is not a number


def cgroup_free_bytes(v2: Path = CGROUP_V2, v1: Path = CGROUP_V1) -> int | None:
    """Memory this process's cgroup may still allocate before its limit (None: no limit, or
    not in a cgroup with a memory controller)."""
    for limit_file, usage_file in ((v2 / "memory.max", v2 / "memory.current"),
                                   (v1 / "memory.limit_in_bytes", v1 / "memory.usage_in_bytes")):
        limit = _read_int(limit_file)
        if limit is None:
            continue
        # v1 reports "no limit" as a huge page-rounded number rather than "max"
        if limit >= 1 << 60:
            return None
        usage = _read_int(usage_file) or 0
        return max(0, limit - usage)
    return None


def available_memory_bytes() -> int:
    """Memory a new allocation can use now: the OS's available memory, lowered to the cgroup's
    remaining allowance when there is a limit."""
    import psutil

    available = int(psutil.virtual_memory().available)
    cgroup = cgroup_free_bytes()
    return available if cgroup is None else min(available, cgroup)


def choose_engine(
    engine: str,
    inputs: Sequence[str | Path],
    options: EngineOptions | None = None,
    available_bytes: int | None = None,
) -> EngineChoice:
    """The engine ``engine`` stands for (see the module docstring); an unknown name is an
    error. ``available_bytes``: the memory available (default: measured now)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if engine != "auto":
        return EngineChoice(engine=engine, requested=engine)
    from sanctionwatch.ingest.files import estimate_positions, expand_inputs

    opts = options or EngineOptions()
    positions = estimate_positions(expand_inputs(inputs))
    peak = positions * opts.memory_engine_bytes_per_position
    available = available_memory_bytes() if available_bytes is None else available_bytes
    budget = (int(opts.memory_budget_gb * 1e9) if opts.memory_budget_gb is not None
              else int(available * opts.memory_available_share))
    fits = peak <= budget and (opts.memory_max_positions is None
                               or positions <= opts.memory_max_positions)
    return EngineChoice(
        engine="memory" if fits else "local", requested="auto", estimated_positions=positions,
        estimated_peak_bytes=peak, available_bytes=available, budget_bytes=budget,
        max_positions=opts.memory_max_positions)


__all__ = ["ENGINES", "EngineChoice", "available_memory_bytes", "cgroup_free_bytes",
           "choose_engine"]
