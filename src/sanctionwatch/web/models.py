"""Pydantic response (and request) models of the HTTP API: the OpenAPI document at
``/openapi.json`` is generated from them. Times are ISO 8601 UTC text."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str
    store: str
    events: int


class Event(BaseModel):
    """One event of ``events`` with the names of its vessels and whether one is listed."""

    event_id: str
    event_type: str
    subtype: str | None = None
    mmsi: int
    other_mmsi: int | None = None
    start_time: str
    end_time: str
    lat: float | None = None
    lon: float | None = None
    end_lat: float | None = None
    end_lon: float | None = None
    duration_h: float | None = None
    port_name: str | None = None
    zone_id: str | None = None
    zone_name: str | None = None
    is_dprk: bool | None = None
    names: dict[str, str] = Field(description="MMSI → latest broadcast name of each vessel.")
    designated: bool = Field(description="A vessel of the event matched a listed vessel.")
    explanation: str


class EventPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[Event]


class VesselSummary(BaseModel):
    mmsi: int
    imo: int | None = None
    name: str | None = None
    flag: str | None = None
    score: float | None = Field(None, description="Risk score 0-1 (null: not scored).")


class Risk(BaseModel):
    score: float
    confidence: float
    reasons: list[str]
    indicators: list[dict[str, Any]]


class Partner(BaseModel):
    mmsi: int
    name: str | None = None
    score: float | None = None


class VesselDetail(BaseModel):
    mmsi: list[int]
    imo: int | None = None
    name: str | None = None
    identities: list[dict[str, Any]]
    matches: list[dict[str, Any]]
    risk: Risk | None = None
    partners: list[Partner]
    events_total: int


class Review(BaseModel):
    mmsi: int
    status: str
    note: str
    user: str
    at: str


class ReviewIn(BaseModel):
    status: Literal["confirmed", "dismissed", "open"]
    note: str = Field("", max_length=10_000)


class LastReview(BaseModel):
    status: str
    note: str
    user: str
    at: str


class Alert(BaseModel):
    kind: Literal["vessel"] = "vessel"
    mmsi: int
    imo: int | None = None
    name: str | None = None
    flag: str | None = None
    score: float
    confidence: float
    reasons: list[str]
    status: str
    last_review: LastReview | None = None


class FinanceAlertOut(BaseModel):
    """A wallet's or card account's alert (``/api/alerts?kind=wallet|account|all``)."""

    kind: Literal["wallet", "account"]
    subject: str
    key: str
    label: str
    score: float
    reasons: list[str]
    facts: dict[str, Any]
    indicators: list[dict[str, Any]]
    status: str
    last_review: LastReview | None = None


class SubjectReview(BaseModel):
    subject: str
    status: str
    note: str
    user: str
    at: str


class ScreenHit(BaseModel):
    id: str
    name: str
    schema_: str = Field(alias="schema", serialization_alias="schema")
    datasets: list[str]
    score: float
    match: bool
    explanation: str


class GraphNode(BaseModel):
    id: str
    label: str
    kind: str
    designated: bool


class GraphLink(BaseModel):
    source: str
    target: str
    relation: str
    origin: str
    provenance: str = ""


class Graph(BaseModel):
    nodes: list[GraphNode]
    links: list[GraphLink]


class Page(BaseModel):
    """A page of rows (quality findings)."""

    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]


class ShipmentFlag(BaseModel):
    """One ``shipment_flags`` row: a flag of a screened shipment, with its file and line."""

    source_file: str
    line: int
    shipment_id: str
    date: str | None = None
    vessel_name: str
    vessel_imo: int | None = None
    rule: str
    severity: str
    explanation: str
    citation: str
    vessel_known: bool = False
    """Whether the store knows ``vessel_imo`` (its vessel page exists)."""


class ShipmentFlagPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ShipmentFlag]


class MirrorFinding(BaseModel):
    """One ``mirror_findings`` row: a mirror-statistics finding with its figures."""

    source_file: str
    finding_id: str
    kind: str
    reporter: str
    partner: str
    flow: str
    hs_code: str
    year: int
    value_usd: float | None = None
    mirror_value_usd: float | None = None
    quantity: float | None = None
    quantity_unit: str | None = None
    unit_value_usd: float | None = None
    median_unit_value_usd: float | None = None
    ratio: float | None = None
    rule: str
    citation: str
    severity: str
    explanation: str
    lines: list[int]


class MirrorFindingPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[MirrorFinding]


# -- yente-compatible /match -------------------------------------------------------------------

class EntityExample(BaseModel):
    """A yente query: an FtM schema and properties (each a list of values)."""

    schema_: str = Field("Thing", alias="schema")
    properties: dict[str, list[str]] = Field(default_factory=dict)


class MatchRequest(BaseModel):
    queries: dict[str, EntityExample]


class MatchResult(BaseModel):
    id: str
    caption: str
    schema_: str = Field(alias="schema", serialization_alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    score: float
    match: bool
    features: dict[str, float]
    explanation: str = ""


class Total(BaseModel):
    value: int
    relation: str = "eq"


class QueryResponse(BaseModel):
    status: int = 200
    results: list[MatchResult]
    total: Total
    query: dict[str, Any]


class MatchResponse(BaseModel):
    responses: dict[str, QueryResponse]
    limit: int


class PetroleumReport(BaseModel):
    """The stored refined-petroleum deliveries and their yearly totals (docs/petroleum.md)."""

    cap_barrels: float
    cap_citation: str
    deliveries: list[dict[str, Any]]
    """``petroleum_deliveries`` rows, each with ``evidence``: its ``petroleum_evidence``
    rows."""
    years: list[dict[str, Any]]
    """Per arrival year: deliveries, barrels at each load share, share of the cap."""
    note: str
