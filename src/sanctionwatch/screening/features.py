"""The explanation vocabulary: a feature, what it scored and what it contributed.

Same pattern as nomenklatura's ``Feature(func, weight)`` → ``FtResult(score, detail)``: the
final score is the best *main* feature plus the sum of the *qualifiers* (penalties), clipped to
[0, 1], and every feature that fired is kept with its contribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Default decision threshold: yente's 0.7 (held-out choice is 0.65; docs/screening.md).
DEFAULT_THRESHOLD = 0.7

# Main features (score = max of weight·value) and qualifiers (added), with their weights.
MAIN_WEIGHTS: dict[str, float] = {
    "name_literal": 1.0,  # same letters and digits after transliteration
    "name_tokens": 1.0,  # weighted token alignment (fuzzy, Korean key, initials, order-free)
    "name_joined": 0.95,  # edit similarity of the names without spaces (JanDaniel, SiemensAG)
    "name_acronym": 0.8,  # KOMID ~ Korea Mining Development Trading Corporation
    "imo_match": 0.95,
    "mmsi_match": 0.85,
    "identifier_match": 0.9,  # passport / registration / call sign
}
QUALIFIER_WEIGHTS: dict[str, float] = {
    "number_mismatch": -0.5,  # KUM SONG 3 vs KUM SONG 7: sister ships
    "number_missing": -0.15,  # a number on one side only
    # a vessel's number on one side only: KUM UN SAN 3 vs KUM UN SAN are different ships
    # (0.5 below a full name match would pass the 0.7 threshold: kept below it, as mismatch)
    "number_missing_vessel": -0.4,
    "imo_mismatch": -0.6,  # both valid IMO numbers, different ships
    "country_mismatch": -0.1,
    "dob_year_mismatch": -0.2,
    "dob_day_mismatch": -0.1,
}


@dataclass(frozen=True, slots=True)
class FeatureResult:
    """One feature that fired: ``value`` in [0, 1], ``contribution = weight·value``."""

    name: str
    weight: float
    value: float
    detail: str

    @property
    def contribution(self) -> float:
        return self.weight * self.value

    def to_dict(self) -> dict[str, object]:
        return {
            "feature": self.name,
            "weight": self.weight,
            "value": round(self.value, 4),
            "contribution": round(self.contribution, 4),
            "detail": self.detail,
        }


def main(name: str, value: float, detail: str) -> FeatureResult:
    return FeatureResult(name, MAIN_WEIGHTS[name], value, detail)


def qualifier(name: str, detail: str, value: float = 1.0) -> FeatureResult:
    return FeatureResult(name, QUALIFIER_WEIGHTS[name], value, detail)


@dataclass(frozen=True, slots=True)
class Score:
    """A score in [0, 1] with the features behind it (``best`` is the main feature used)."""

    score: float
    best: FeatureResult | None
    features: tuple[FeatureResult, ...] = field(default_factory=tuple)

    def explain(self) -> str:
        """One line: ``name_tokens 0.93 (kim=kim, jong=jong …); number_mismatch -0.50 (3≠7)``."""
        parts = []
        if self.best is not None:
            parts.append(f"{self.best.name} {self.best.contribution:+.2f} ({self.best.detail})")
        for f in self.features:
            if f.weight < 0:
                parts.append(f"{f.name} {f.contribution:+.2f} ({f.detail})")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 4),
            "features": [f.to_dict() for f in self.features],
        }


def combine(mains: list[FeatureResult], qualifiers: list[FeatureResult]) -> Score:
    """Best main feature plus the qualifiers, clipped to [0, 1]."""
    best = max(mains, key=lambda f: f.contribution, default=None)
    base = best.contribution if best is not None else 0.0
    total = base + sum(q.contribution for q in qualifiers)
    feats = ([best] if best is not None else []) + list(qualifiers)
    return Score(max(0.0, min(1.0, total)), best, tuple(feats))
