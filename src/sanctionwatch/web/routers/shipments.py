"""``/api/shipments/flags`` and ``/api/trade/mirror``: the stored shipment flags
(``sanctionwatch shipments --store``) and mirror-statistics findings (``sanctionwatch mirror
--store``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from sanctionwatch.schema import MIRROR_FINDINGS, SHIPMENT_FLAGS
from sanctionwatch.schema.base import Table
from sanctionwatch.store import read_table, table_columns
from sanctionwatch.web.deps import MAX_PAGE, get_state, json_rows
from sanctionwatch.web.models import MirrorFindingPage, ShipmentFlagPage
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["trade"])


def _page(state: AppState, table: Table, clauses: list[tuple[str, Any]], order: str,
          limit: int, offset: int) -> dict[str, Any]:
    where = " AND ".join(c for c, _ in clauses)
    params = [v for _, v in clauses]
    with state.read() as st:
        if not table_columns(st.con, table.name):
            return {"total": 0, "offset": offset, "limit": limit, "items": []}
        total = int(st.con.execute(
            f"SELECT count(*) FROM {table.name}" + (f" WHERE {where}" if where else ""),
            params).fetchall()[0][0])
        df = read_table(st.con, table, f"{order} LIMIT ? OFFSET ?", [*params, limit, offset],
                        where=where)
    return {"total": total, "offset": offset, "limit": limit, "items": json_rows(df)}


@router.get("/api/shipments/flags", response_model=ShipmentFlagPage)
def shipment_flags(
    state: Annotated[AppState, Depends(get_state)],
    imo: Annotated[int | None, Query(description="The carrying vessel's declared IMO.")] = None,
    shipment_id: Annotated[str | None, Query(description="The shipment id.")] = None,
    severity: Annotated[str | None, Query(pattern="^(high|medium|low)$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Stored shipment flags, paged, by input file and line; filtered by the vessel's IMO,
    the shipment id and the severity. ``vessel_known``: whether the store knows the declared
    IMO (AIS identities, list matches or a listed vessel), i.e. whether its vessel page
    exists."""
    clauses: list[tuple[str, Any]] = []
    if imo is not None:
        clauses.append(("vessel_imo = ?", imo))
    if shipment_id:
        clauses.append(("shipment_id = ?", shipment_id))
    if severity:
        clauses.append(("severity = ?", severity))
    page = _page(state, SHIPMENT_FLAGS, clauses, "source_file, line, rule", limit, offset)
    imos = {int(i["vessel_imo"]) for i in page["items"] if i["vessel_imo"] is not None}
    if imos:
        from sanctionwatch.evidence.loaders import SourceStore

        with state.read() as st:
            src = SourceStore(st)
            known = {i for i in imos if src.mmsis_for(i, None) or src.listed_ids(i, [])}
    else:
        known = set()
    for i in page["items"]:
        i["vessel_known"] = i["vessel_imo"] is not None and int(i["vessel_imo"]) in known
    return page


@router.get("/api/trade/mirror", response_model=MirrorFindingPage)
def mirror_findings(
    state: Annotated[AppState, Depends(get_state)],
    kind: Annotated[str | None, Query(
        pattern="^(mirror_asymmetry|banned_trade|petroleum_cap|unit_value|ban_year_jump)$")] = None,
    reporter: Annotated[str | None, Query(description="Reporting country (e.g. CHN).")] = None,
    hs_code: Annotated[str | None, Query(description="HS code prefix (digits).",
                                         pattern=r"^\d{2,10}$")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    severity: Annotated[str | None, Query(pattern="^(high|medium|low)$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Stored mirror-statistics findings, paged, by input file and finding id; filtered by
    kind, reporter, HS code prefix, year and severity."""
    clauses: list[tuple[str, Any]] = []
    if kind:
        clauses.append(("kind = ?", kind))
    if reporter:
        clauses.append(("list_contains(string_split(reporter, ';'), ?)", reporter.upper()))
    if hs_code:
        clauses.append(("starts_with(hs_code, ?)", hs_code))
    if year is not None:
        clauses.append(("year = ?", year))
    if severity:
        clauses.append(("severity = ?", severity))
    return _page(state, MIRROR_FINDINGS, clauses, "source_file, finding_id", limit, offset)
