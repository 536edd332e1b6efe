"""How well a risk ranking puts the planted evasion vessels of a simulated scenario first.

The planted evasion vessels (:func:`evasion_vessels`) are the MMSIs of the scenario labels
(``labels.parquet``) that are ``planted`` with a behaviour other than:

- ``background``: ordinary traffic;
- the hard-negative behaviours (:data:`sanctionwatch.simulate.labels.HARD_NEGATIVE_BEHAVIOURS`:
  pilot boat, coastal gap, bunkering), whose labels are never planted anyway;
- ``spoof_jump``: one or two position fixes 300-500 km off the track of an ordinary ship
  (``scenarios._spoof_jumps`` picks background ships), planted to test the spoofing detector.
  A single jump is what a GNSS or receiver glitch looks like; the issue asks for *sustained*
  spoofing, and the ship's own behaviour stays ``background``. :data:`NOT_EVASION` is a
  parameter, so the literal reading (spoof jumps counted as evasion) can be measured too.

Everything else planted (STS pairs visible or dark, coal exports and their STS receivers,
identity laundering, MMSI cloning, on-land spoofing, fishing in DPRK waters) is evasion.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.risk.model import VesselRisk

NOT_EVASION = frozenset({"background", "pilot_boat", "coastal_gap", "bunkering", "spoof_jump"})
"""Behaviours whose planted labels do not make a vessel an evasion vessel (see the module)."""


def evasion_vessels(labels: pl.DataFrame | str | Path,
                    not_evasion: Collection[str] = NOT_EVASION) -> set[int]:
    """MMSIs (either party of a pair label) planted with an evasion behaviour."""
    df = pl.read_parquet(labels) if isinstance(labels, (str, Path)) else labels
    p = df.filter(pl.col("planted") & ~pl.col("behaviour").is_in(sorted(not_evasion)))
    return {int(m) for m in p["mmsi"].to_list() + p["other_mmsi"].drop_nulls().to_list()}


def quality_only_vessels(store_path: str | Path) -> set[int]:
    """MMSIs with data-quality findings and no behaviour event in the store."""
    from sanctionwatch.store import DuckDBStore
    from sanctionwatch.store.duck import table_columns

    with DuckDBStore(store_path, read_only=True) as st:
        if not table_columns(st.con, "quality_findings"):
            return set()
        rows = st.con.execute(
            "SELECT DISTINCT mmsi FROM quality_findings q WHERE NOT EXISTS (SELECT 1 FROM "
            "events e WHERE e.mmsi = q.mmsi OR e.other_mmsi = q.mmsi)").fetchall()
    return {int(r[0]) for r in rows}


def scenario_store(seed: int, work_dir: str | Path, lists: Sequence[str | Path], *,
                   scenario: str = "dprk-2019", engine: str = "memory") -> tuple[Path, Path]:
    """What ``make demo`` does, through the Python API: simulate ``scenario`` with ``seed``
    into ``work_dir/scenario``, load ``lists`` into a fresh store ``work_dir/store.duckdb``,
    detect into it (outputs in ``work_dir/detect``). Returns the store and the labels file."""
    from sanctionwatch.pipeline import detect
    from sanctionwatch.sanctions import ListStore
    from sanctionwatch.simulate import simulate

    work = Path(work_dir)
    store = work / "store.duckdb"
    if store.exists():
        raise FileExistsError(f"{store}: a store is already there (use an empty folder)")
    sim = simulate(scenario, seed, work / "scenario")
    with ListStore(store) as ls:
        ls.load_many(list(lists))
    detect([str(f) for f in sim.files], work / "detect", store_path=store, engine=engine)
    return store, sim.labels_path


@dataclass(frozen=True)
class RankingScore:
    """Precision of the top of a ranking against the planted evasion vessels."""

    n_vessels: int
    n_evasion: int
    precision_at_10: float
    precision_at_20: float
    first_ordinary_rank: int | None
    """1-based rank of the first vessel that is not an evasion vessel (None: none ranked)."""
    quality_only_in_top_20: tuple[int, ...]
    """Ordinary vessels with only data-quality findings among the top 20."""
    top: tuple[tuple[int, int, float, bool], ...]
    """(rank, mmsi, score, is evasion) of the first 20."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"n_vessels": self.n_vessels, "n_evasion": self.n_evasion,
                "precision_at_10": self.precision_at_10, "precision_at_20": self.precision_at_20,
                "first_ordinary_rank": self.first_ordinary_rank,
                "quality_only_in_top_20": list(self.quality_only_in_top_20)}


def rank_against(risks: Sequence[VesselRisk], evasion: Collection[int],
                 quality_only: Collection[int] = ()) -> RankingScore:
    """Score the ranking ``risks`` (highest first) against the evasion MMSIs."""
    ev = set(evasion)

    def precision(k: int) -> float:
        head = risks[:k]
        return sum(1 for r in head if r.mmsi in ev) / k

    first = next((i + 1 for i, r in enumerate(risks) if r.mmsi not in ev), None)
    top20 = risks[:20]
    q = tuple(r.mmsi for r in top20 if r.mmsi in set(quality_only) and r.mmsi not in ev)
    return RankingScore(
        n_vessels=len(risks), n_evasion=len(ev), precision_at_10=precision(10),
        precision_at_20=precision(20), first_ordinary_rank=first, quality_only_in_top_20=q,
        top=tuple((i + 1, r.mmsi, r.score, r.mmsi in ev) for i, r in enumerate(top20)))


__all__ = ["NOT_EVASION", "RankingScore", "evasion_vessels", "quality_only_vessels",
           "rank_against", "scenario_store"]
