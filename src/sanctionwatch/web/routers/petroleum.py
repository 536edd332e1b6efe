"""``/api/petroleum``: the stored refined-petroleum deliveries and the yearly totals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from sanctionwatch.web.deps import get_state, json_rows
from sanctionwatch.web.models import PetroleumReport
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["petroleum"])


@router.get("/api/petroleum", response_model=PetroleumReport)
def petroleum(
    state: Annotated[AppState, Depends(get_state)],
    year: Annotated[int | None, Query(ge=1900, le=2200, description="Arrival year.")] = None,
) -> dict[str, Any]:
    """The deliveries ``sanctionwatch petroleum --store`` stored, by arrival time, with their
    evidence events, and per year the totals at the Panel's load assumptions against the
    cap."""
    import polars as pl

    from sanctionwatch.schema import PETROLEUM_DELIVERIES, PETROLEUM_EVIDENCE
    from sanctionwatch.store import read_table
    from sanctionwatch.trade.petroleum import LOAD_SHARES, refined_petroleum_cap

    cap, citation = refined_petroleum_cap()
    with state.read() as st:
        rows = read_table(st.con, PETROLEUM_DELIVERIES, "arrival_time, mmsi")
        evidence = read_table(st.con, PETROLEUM_EVIDENCE, "delivery_id, start_time, role")
    if year is not None:
        rows = rows.filter(pl.col("arrival_time").dt.year() == year)
    by_id: dict[str, list[dict[str, Any]]] = {}
    for e in json_rows(evidence.drop("method")):
        by_id.setdefault(str(e.pop("delivery_id")), []).append(e)
    items = json_rows(rows.drop("method"))
    for r in items:
        r["evidence"] = by_id.get(str(r["delivery_id"]), [])
    years = []
    for (y,), g in sorted(rows.group_by(pl.col("arrival_time").dt.year().alias("y")),
                          key=lambda t: int(t[0][0])):
        tot = {k: float(g[f"barrels_{k}"].sum()) for k, _ in LOAD_SHARES}
        years.append({"year": int(y), "deliveries": g.height,
                      "by_mechanism": dict(g.group_by("mechanism").len().iter_rows()),
                      "barrels": tot,
                      "share_of_cap": {k: round(v / cap, 4) for k, v in tot.items()},
                      "draught_barrels": float(g["draught_barrels"].fill_null(0).sum())})
    note = ("Estimates by the UN Panel's method, not proof of a transfer (docs/petroleum.md)."
            if rows.height or year is not None else
            "No stored estimate: run `sanctionwatch petroleum --store STORE`.")
    return {"cap_barrels": cap, "cap_citation": citation, "deliveries": items,
            "years": years, "note": note}
