"""Screening: ranked, explained matches of a name (and facts) against the loaded lists."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sanctionwatch.export.inert import write_csv
from sanctionwatch.screening.features import DEFAULT_THRESHOLD, Score
from sanctionwatch.screening.index import ScreeningIndex
from sanctionwatch.screening.matcher import Query, score_pair
from sanctionwatch.screening.table_input import read_pairs_input
from sanctionwatch.store.duck import default_store_path

MIN_SCORE = 0.5  # below this a candidate is not reported (yente's cutoff)


class NoListsLoaded(RuntimeError):
    """No sanctions lists in the store."""

    def __init__(self) -> None:
        super().__init__("no sanctions lists are loaded: run `sanctionwatch lists load` first")


@dataclass(frozen=True, slots=True)
class Match:
    """One screening hit."""

    entity_id: str
    schema: str
    name: str
    datasets: tuple[str, ...]
    score: float
    is_match: bool
    explanation: Score

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "schema": self.schema,
            "name": self.name,
            "datasets": list(self.datasets),
            "score": round(self.score, 4),
            "is_match": self.is_match,
            "explanation": self.explanation.explain(),
            "features": [f.to_dict() for f in self.explanation.features],
        }


class Screener:
    """Screens queries against a :class:`ScreeningIndex`."""

    def __init__(self, index: ScreeningIndex, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.index = index
        self.threshold = threshold

    def screen(
        self,
        query: str,
        schema: str | None = None,
        imo: int | str | None = None,
        country: str | None = None,
        birth_date: str | None = None,
        limit: int = 10,
        mmsi: str | None = None,
    ) -> list[Match]:
        """Ranked matches (score ≥ 0.5) for a name and optional facts, best first."""
        q = Query(
            name=query,
            schema=schema or None,
            imo=int(imo) if imo not in (None, "") and str(imo).strip().isdigit() else None,
            mmsi=mmsi or None,
            country=country or None,
            birth_date=birth_date or None,
        )
        out = []
        for rec, score in self.index.search(q)[:limit]:
            if score.score < MIN_SCORE:
                break
            out.append(
                Match(
                    entity_id=rec.id,
                    schema=rec.schema,
                    name=rec.caption,
                    datasets=rec.datasets,
                    score=score.score,
                    is_match=score.score >= self.threshold,
                    explanation=score,
                )
            )
        return out

    def screen_rows(self, rows: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
        """One output row per input row, in order (empty match fields when nothing scores)."""
        for row in rows:
            name = (row.get("name") or "").strip()
            matches = (
                self.screen(
                    name,
                    schema=(row.get("schema") or "").strip() or None,
                    imo=(row.get("imo") or "").strip() or None,
                    country=(row.get("country") or "").strip() or None,
                    birth_date=(row.get("birth_date") or "").strip() or None,
                    limit=1,
                )
                if name
                else []
            )
            out = {
                "name": name,
                "match_id": "",
                "match_name": "",
                "match_schema": "",
                "datasets": "",
                "score": "",
                "is_match": "",
                "explanation": "",
            }
            if matches:
                m = matches[0]
                out.update(
                    match_id=m.entity_id,
                    match_name=m.name,
                    match_schema=m.schema,
                    datasets=";".join(m.datasets),
                    score=f"{m.score:.4f}",
                    is_match=str(m.is_match).lower(),
                    explanation=m.explanation.explain(),
                )
            yield out


def load_screener(store: Path | None = None, threshold: float = DEFAULT_THRESHOLD) -> Screener:
    """A screener over every entity in the list store; :class:`NoListsLoaded` if empty."""
    path = store or default_store_path()
    try:
        from sanctionwatch.sanctions import ListStore  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:
        raise NoListsLoaded() from exc
    if not Path(path).exists():
        raise NoListsLoaded()
    from sanctionwatch.sanctions.store import VERSIONS_TABLE
    from sanctionwatch.store import table_columns

    # Read-only, and only while reading: other screens, `events` and runs share the store.
    with ListStore(path, read_only=True) as lists:
        if not table_columns(lists.con, VERSIONS_TABLE):
            raise NoListsLoaded()
        entities = lists.entities()
    index = ScreeningIndex.from_entities(entities)
    if len(index) == 0:
        raise NoListsLoaded()
    return Screener(index, threshold)


_SCREENER: dict[str, Screener] = {}


def screen(
    query: str,
    schema: str | None = None,
    imo: int | str | None = None,
    country: str | None = None,
    birth_date: str | None = None,
    limit: int = 10,
    store: Path | None = None,
) -> list[Match]:
    """Screen ``query`` against the lists in the store (index built once per store)."""
    key = str(store or default_store_path())
    if key not in _SCREENER:
        _SCREENER[key] = load_screener(store)
    return _SCREENER[key].screen(query, schema, imo, country, birth_date, limit)


def score_pairs_file(
    pairs: Path, out: Path, threshold: float = DEFAULT_THRESHOLD, encoding: str | None = None
) -> int:
    """Score ``name1,name2[,schema]`` rows; write them back with score, is_match, explanation.

    The columns are found as :func:`.table_input.read_pairs_input` says (a file without them is
    a :class:`.table_input.ScreeningInputError`, never a file of zero scores); the output's
    cells are made spreadsheet-safe.
    """
    table = read_pairs_input(pairs, encoding)
    extra = [c for c in ("score", "is_match", "explanation") if c not in table.header]
    header = [*table.header, *extra]

    def scored() -> Iterator[list[str]]:
        for row, fields in zip(table.rows, table.raw, strict=True):
            s = score_pair(row["name1"], row["name2"], row.get("schema") or None)
            values = dict(zip(table.header, fields, strict=True))
            values.update(
                score=f"{s.score:.4f}",
                is_match=str(s.score >= threshold).lower(),
                explanation=s.explain(),
            )
            yield [values[h] for h in header]

    return write_csv(out, header, scored())
