"""The risk model's data: parameters, one indicator's result, one vessel's risk, and how the
indicators combine.

Combination (:func:`combine`): a vessel's score is the noisy-OR of its weighted indicators,
``score = 1 - prod(1 - weight_i * score_i)``. Each indicator is read as independent evidence
that the vessel is evading sanctions with probability ``weight_i * score_i``; the score is the
probability that at least one of them is right. It is monotone (raising any indicator never
lowers the score), stays in 0..1 without a cap, lets one strong indicator decide alone (a
designated ship with weight 1 scores 1) while several weak ones add up without ever reaching
certainty, and each indicator's share can be stated (``weight * score``). A capped weighted
sum was rejected: it lets a pile of weak, correlated indicators (every port call, every
draught change) reach the cap and tie with a designated ship.

Confidence (beside the score, never mixed into it) starts at 1 and is multiplied down by the
vessel's data-quality findings and by signs that the receivers could not hear it
(:mod:`sanctionwatch.risk.score`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

FLAGS_OF_CONVENIENCE = (
    "AG", "BS", "BB", "BZ", "BM", "BO", "KH", "CM", "KY", "KM", "CK", "CW", "CY", "GQ", "SZ",
    "FO", "GA", "GE", "GI", "HN", "JM", "LB", "LR", "MT", "MH", "MD", "MN", "MM", "KP", "PA",
    "PW", "ST", "VC", "SL", "LK", "TZ", "TG", "TO", "TV", "VU",
)
"""ISO 3166-1 alpha-2 codes of the flags the International Transport Workers' Federation lists
as flags of convenience (ITF FOC list; its national second registers, such as the French and
German international registers and Madeira, cannot be told from an ISO code and are left out).
The Panel's identity-laundering cases (S/2019/171, S/2020/151) used several of them: Sierra
Leone, Togo, Mongolia, Tanzania."""


@dataclass(frozen=True)
class RiskParams:
    """Weights (unitless, 0..1) and thresholds (units in the names) of the risk model.

    Every default says where it comes from: the Panel of Experts reports (S/2019/171 and
    others), ``DETECTION.md`` (the published detection definitions) or "chosen by us" with the
    reason. ``RiskParams.from_toml(path)`` reads the ``[risk]`` table of a TOML file.
    """

    # -- weights: how much an indicator at full score counts (noisy-OR, see the module) -----
    weight_designated: float = 1.0
    """Chosen by us: a ship on a sanctions list is the finding an analyst wants first."""
    weight_ownership: float = 0.8
    """Chosen by us: the Panel's ownership chains (S/2019/171 annexes) are strong evidence, but
    registry facts are often stale, so below a listing of the ship itself."""
    weight_sts_partner: float = 0.8
    """Chosen by us: STS with a designated DPRK tanker is the Panel's core case (S/2019/171
    paras 1-20); it is weighted below the partner's own listing."""
    weight_sts_area_loitering: float = 0.45
    """Chosen by us: waiting in a Panel STS area is what the foreign tanker of a transfer with
    a dark DPRK partner shows (S/2019/171: the DPRK tanker's AIS is off), but ships also wait
    for orders there."""
    weight_dark_near_dprk: float = 0.7
    """Chosen by us: switching AIS off on approach to the DPRK is the coal-export pattern of
    S/2019/171 and S/2020/151; receiver gaps make a silence weaker evidence than a listing."""
    weight_dprk_port_call: float = 0.7
    """Chosen by us: a call at a DPRK port breaks resolutions 2371/2375/2397 for most cargoes,
    but a call made with AIS on may be exempt trade (resolution 2371 para 8: Russian coal
    through Rajin; humanitarian cargo), while the Panel's evasion cases hide the call (scored
    by ``dark_near_dprk``); so below a listing and equal to fishing in DPRK waters."""
    weight_identity_changes: float = 0.6
    """Chosen by us: renames and flag hops are the Panel's identity laundering (S/2019/171,
    S/2020/151), but ships are also renamed and reflagged on legitimate sales."""
    weight_spoofing: float = 0.7
    """Chosen by us: sustained false positions or a cloned identity are deliberate; a single
    position jump is usually a GNSS or receiver glitch (scored low by the indicator)."""
    weight_draught_dark: float = 0.5
    """Chosen by us: a draught change across a silence means cargo moved unseen (S/2019/171);
    crews often do not update the draught (DETECTION.md 1.6), so it is moderate."""
    weight_fishing_dprk: float = 0.7
    """Chosen by us: foreign fishing in DPRK waters is prohibited by resolution 2397 para 6 and
    documented at scale by Park et al. 2020 (DETECTION.md 1.5)."""
    weight_shipment_flags: float = 0.6
    """Chosen by us: a bill of lading or customs record putting the vessel on a banned or
    misdeclared DPRK shipment is the documentary evidence of the Panel's coal and petroleum
    cases (S/2019/171), but a shipment flag is a screen for a human to clear (HS mappings are
    inferred, exemptions are not modelled; docs/trade.md), so below a DPRK port call."""
    weight_petroleum_delivery: float = 0.8
    """Chosen by us: a ship-to-ship transfer followed by the receiving tanker's call at a DPRK
    port is the Panel's refined-petroleum case (S/2019/171 paras 9-13; resolution 2375 para 11
    bans such transfers, 2397 para 5 caps the supply); as strong as STS with a designated
    tanker, below a listing (docs/petroleum.md)."""

    # -- thresholds ----------------------------------------------------------------------------
    imo_match_score: float = 1.0
    """Score of a list match on the IMO number: the hull's permanent identity."""
    mmsi_match_score: float = 0.9
    """Score of a match on a listed MMSI. Chosen by us: an MMSI is reassigned on reflagging
    and cloned (S/2019/171), so a little below the IMO."""
    name_match_factor: float = 0.6
    """A name-only match scores this times the match score. Chosen by us: DPRK ship names are
    reused across hulls (KUM UN SAN / KUM UN SAN 3)."""
    unconfirmed_name_factor: float = 0.5
    """A name-only match of a vessel broadcasting no valid IMO counts this much more. Chosen
    by us: on the real MarineCadastre sample the name-only matches are pleasure craft without
    IMO named FREEDOM, DESTINY, BELLA (former names of OFAC-listed tankers) or SWAN (in SAND
    SWAN); an IMO would have confirmed a real one."""
    conflicting_imo_factor: float = 0.1
    """A name-only match of a vessel broadcasting a valid IMO other than the listed vessel's
    counts this much more. Chosen by us: the IMO is the hull's permanent number, so another
    IMO is most likely another ship (a false IMO is not excluded, hence not 0)."""
    max_hops: int = 3
    """Ownership paths longer than this are not followed. Chosen by us: vessel, registered
    owner, its parent or manager, and one more (the Panel's annex chains are 2-3 links)."""
    ownership_decay_per_hop: float = 0.6
    """An owner one hop away scores 1, each hop further multiplies by this. Chosen by us."""
    sts_partner_min_score: float = 0.3
    """Partners whose own risk (first pass) is below this do not count. Chosen by us: above
    the score of a single weak indicator, below any designated or DPRK-port partner."""
    dark_partner_factor: float = 0.8
    """A vessel loitering while a designated or high-risk vessel nearby was silent gets this
    times that vessel's risk. Chosen by us: the dark transfer of S/2019/171 (the DPRK
    tanker's AIS off), weaker than an encounter because no position shows the two together."""
    dark_partner_max_distance_km: float = 50.0
    """The silent vessel went dark or reappeared within this distance of the loitering.
    Chosen by us: about 2.5 h of steaming at 10 kn, the approach of S/2019/171's cases."""
    sts_area_loitering_full_h: float = 8.0
    """Loitering of this many hours in a Panel STS area scores 1 (less scores pro rata). From
    Miller et al. 2018, who used loitering of at least 8 h (DETECTION.md 1.2)."""
    min_gap_h: float = 6.0
    """Silences shorter than this are not scored: the naive gap threshold of GFW
    (DETECTION.md 1.3, 1.7)."""
    dark_full_h: float = 24.0
    """A silence of this many hours scores 1 (shorter pro rata). Chosen by us: a day covers a
    loading call at a DPRK port, the coal cases of S/2019/171 lasted 1-3 days."""
    dark_near_dprk_max_distance_km: float = 100.0
    """A silence starting or ending within this distance of DPRK waters counts as near the
    DPRK. Chosen by us: ships in S/2019/171 and S/2020/151 went dark one day's steaming short
    of the DPRK ports; 100 km (54 nm) is about half a day at 10 kn, and twice the uncertainty
    of the approximate West Sea polygon (zones.geojson)."""
    dprk_port_call_full_count: int = 1
    """DPRK port calls needed for the full score. Chosen by us: a single call is the
    violation."""
    flag_hop_score: float = 0.6
    """Score of a change of flag (or of MMSI keeping the IMO, with a different flag). Chosen by
    us, after S/2019/171 (flag hopping)."""
    flag_of_convenience_hop_score: float = 0.9
    """Score of a hop to a flag of convenience (:data:`FLAGS_OF_CONVENIENCE`), the false
    registrations of S/2019/171 and S/2020/151. Chosen by us."""
    rename_score: float = 0.5
    """Score of a change of name. Chosen by us: renames are also legitimate on a sale."""
    imo_change_score: float = 0.8
    """Score of a change of broadcast IMO: the hull number should never change. Chosen by us."""
    callsign_change_score: float = 0.3
    """Score of a change of call sign alone (it changes with the flag). Chosen by us."""
    shared_imo_score: float = 0.6
    """Score of an IMO broadcast under another MMSI too (reflagged or cloned). Chosen by us."""
    mid_flag_mismatch_score: float = 0.5
    """Score of a stated flag that is not the MMSI's country (a false flag, S/2019/171).
    Chosen by us."""
    sustained_spoofing_min_events: int = 3
    """Spoofing events needed for the full score when none lasts long. Chosen by us: one or
    two jumps are glitches; three in one week are a pattern."""
    sustained_spoofing_min_h: float = 1.0
    """A spoofing event lasting this many hours scores 1 on its own. Chosen by us: glitches
    last one or two fixes (under a minute); a spoofed track lasts hours."""
    draught_change_full_m: float = 2.0
    """A draught change of this many metres across a silence scores 1 (less pro rata). Chosen
    by us: four times the 0.5 m change the draught detector reports (docs/detectors)."""
    fishing_dprk_full_h: float = 24.0
    """Hours of a fishing vessel in DPRK waters for the full score. Chosen by us: a day of
    fishing, not a transit."""
    approximate_zone_factor: float = 0.5
    """Hours in a zone whose own source calls it APPROXIMATE (the West Sea DPRK polygon, 10-20
    km uncertainty, ``zones.geojson``) count this much. Chosen by us: such a stay may be
    outside DPRK waters."""
    shipment_flag_medium_score: float = 0.5
    """Score of a vessel whose worst shipment flag is ``medium`` (a ``high`` flag scores 1).
    Chosen by us: a misdeclaration without a declared DPRK link, or AIS behaviour around a
    voyage, is half the evidence of a banned code in a DPRK direction."""
    shipment_flag_low_score: float = 0.2
    """Score of a vessel whose worst shipment flag is ``low`` (a routing through a usual
    transshipment point). Chosen by us: most of those ports' trade is lawful."""
    fishing_ship_types: tuple[int, ...] = (30,)
    """AIS ship type codes of fishing vessels (ITU-R M.1371 table 53: 30 fishing)."""
    flags_of_convenience: tuple[str, ...] = FLAGS_OF_CONVENIENCE
    """Flags of convenience (ITF list, :data:`FLAGS_OF_CONVENIENCE`)."""

    # -- confidence ----------------------------------------------------------------------------
    quality_confidence_factor: float = 0.85
    """Confidence is multiplied by this for each kind of data-quality finding on the vessel.
    Chosen by us: one kind of defect (say an invalid IMO) leaves most facts usable."""
    coverage_confidence_factor: float = 0.7
    """Confidence is multiplied by this for each scored silence the receivers could hardly
    hear around (other ships heard nearby less than ``min_nearby_heard_share`` of it), and
    once for coverage gaps on the vessel's track. Chosen by us."""
    min_nearby_heard_share: float = 0.5
    """Share of a silence in which other ships were heard nearby, below which the silence may
    be the receivers' (DETECTION.md 6). Chosen by us."""
    min_confidence: float = 0.1
    """Confidence never goes below this: the facts are still the store's. Chosen by us."""

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.startswith("weight_") or f.name in _UNIT_INTERVAL:
                if not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
                    raise ValueError(f"{f.name} must be between 0 and 1, got {v!r}")
            elif isinstance(v, float) and (not math.isfinite(v) or v <= 0.0):
                raise ValueError(f"{f.name} must be a positive number, got {v!r}")
            elif isinstance(v, int) and not isinstance(v, bool) and v < 1:
                raise ValueError(f"{f.name} must be at least 1, got {v!r}")

    def weight(self, indicator: str) -> float:
        """The weight of ``indicator`` (``weight_<name>``)."""
        return float(getattr(self, f"weight_{indicator}"))

    def to_dict(self) -> dict[str, Any]:
        """Every parameter, as plain data (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], where: str = "risk") -> RiskParams:
        """Parameters from a mapping (a TOML ``[risk]`` table); absent keys keep defaults.
        An unknown key or a wrong type is a ``ValueError`` naming it."""
        from sanctionwatch.config import ConfigError, _build

        rest = {k: v for k, v in table.items() if k != "fishing_ship_types"}
        try:
            params: RiskParams = _build(cls, rest, where)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if "fishing_ship_types" in table:  # the config reader reads tuples as strings
            value = table["fishing_ship_types"]
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(t, int) and not isinstance(t, bool) for t in value):
                raise ValueError(f"[{where}]: fishing_ship_types: expected a list of integers, "
                                 f"got {value!r}")
            params = cls(**{**asdict(params), "fishing_ship_types": tuple(value)})
        return params

    @classmethod
    def from_toml(cls, path: str | Path) -> RiskParams:
        """The ``[risk]`` table of a TOML file (defaults when the file has none)."""
        from sanctionwatch.config import read_toml_table

        table = read_toml_table(path, "risk", "the risk parameters")
        try:
            return cls.from_mapping(table)
        except ValueError as exc:
            raise ValueError(f"{Path(path)}: {exc}") from None


_UNIT_INTERVAL = frozenset({
    "imo_match_score", "mmsi_match_score", "name_match_factor", "ownership_decay_per_hop",
    "unconfirmed_name_factor", "conflicting_imo_factor",
    "sts_partner_min_score", "flag_hop_score", "flag_of_convenience_hop_score",
    "rename_score", "imo_change_score", "callsign_change_score", "shared_imo_score",
    "mid_flag_mismatch_score", "dark_partner_factor", "approximate_zone_factor",
    "shipment_flag_medium_score", "shipment_flag_low_score",
    "quality_confidence_factor", "coverage_confidence_factor",
    "min_nearby_heard_share", "min_confidence",
})


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's finding on one vessel.

    ``score`` 0..1 (0: nothing found), ``weight`` from :class:`RiskParams`, ``explanation``
    one sentence with the figures, dates and places, ``evidence`` the store rows behind it:
    event ids, ``vessel_matches:<match id> (<datasets>)``, identity periods as
    ``source:record``, ownership paths.
    """

    name: str
    score: float
    weight: float
    explanation: str
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"indicator {self.name}: score {self.score} is not in 0..1")

    @property
    def contribution(self) -> float:
        """``weight * score``: this indicator's term in the noisy-OR."""
        return self.weight * self.score

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {"name": self.name, "score": round(self.score, 4), "weight": self.weight,
                "contribution": round(self.contribution, 4), "explanation": self.explanation,
                "evidence": list(self.evidence)}


def combine(results: Sequence[IndicatorResult]) -> float:
    """The noisy-OR of the weighted indicators, ``1 - prod(1 - weight * score)``."""
    miss = 1.0
    for r in results:
        miss *= 1.0 - r.contribution
    return 1.0 - miss


@dataclass(frozen=True)
class VesselRisk:
    """One vessel's risk: identity (latest broadcast), score, confidence and why."""

    mmsi: int
    imo: int | None
    name: str | None
    flag: str | None
    score: float
    confidence: float
    indicators: list[IndicatorResult] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    """Explanations of the indicators that scored, largest contribution first."""
    confidence_notes: list[str] = field(default_factory=list)
    """Why the confidence is below 1, one sentence each."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {"mmsi": self.mmsi, "imo": self.imo, "name": self.name, "flag": self.flag,
                "score": round(self.score, 4), "confidence": round(self.confidence, 4),
                "reasons": list(self.reasons), "confidence_notes": list(self.confidence_notes),
                "indicators": [i.to_dict() for i in self.indicators]}


__all__ = ["FLAGS_OF_CONVENIENCE", "IndicatorResult", "RiskParams", "VesselRisk", "combine"]
