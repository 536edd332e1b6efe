"""``/api/alerts``: the risk-ranked alert queue and the analysts' reviews (an audit trail)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from sanctionwatch.web.deps import get_state, iso
from sanctionwatch.web.models import Alert, Review, ReviewIn
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["alerts"])


def _review(r: dict[str, Any]) -> dict[str, Any]:
    return {"mmsi": int(r["mmsi"]), "status": r["status"], "note": r["note"],
            "user": r["user"], "at": iso(r["at"])}


@router.get("/api/alerts", response_model=list[Alert])
def alerts(
    state: Annotated[AppState, Depends(get_state)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    status: Annotated[Literal["open", "confirmed", "dismissed", "all"], Query(
        description="The latest review's status (`open`: never reviewed or reopened).")] = "open",
) -> list[dict[str, Any]]:
    """Vessels with a risk score above 0, riskiest first, with their review status."""
    risks = state.risks()
    with state.read() as st:
        latest = st.latest_reviews()
    out = []
    for r in risks:
        if r.score <= 0:
            continue
        last = latest.get(r.mmsi)
        current = last["status"] if last else "open"
        if status != "all" and current != status:
            continue
        out.append({"mmsi": r.mmsi, "imo": r.imo, "name": r.name, "flag": r.flag,
                    "score": r.score, "confidence": r.confidence, "reasons": r.reasons,
                    "status": current,
                    "last_review": None if last is None else {
                        k: v for k, v in _review(last).items() if k != "mmsi"}})
        if len(out) >= limit:
            break
    return out


@router.post("/api/alerts/{mmsi}/reviews", response_model=Review, status_code=201)
def add_review(mmsi: int, body: ReviewIn,
               state: Annotated[AppState, Depends(get_state)]) -> dict[str, Any]:
    """Record a review of the vessel's alert (kept beside every earlier one)."""
    if not 100_000_000 <= mmsi <= 999_999_999:
        raise HTTPException(400, f"not an MMSI (nine digits): {mmsi}")
    if mmsi not in state.risk_by_mmsi():
        raise HTTPException(404, f"no vessel with MMSI {mmsi} in the store")
    with state.write() as st:
        row = st.add_review(mmsi, body.status, body.note, state.user)
    return _review(row)


@router.get("/api/alerts/{mmsi}/reviews", response_model=list[Review])
def reviews(mmsi: int, state: Annotated[AppState, Depends(get_state)]) -> list[dict[str, Any]]:
    """Every review of the vessel's alert, oldest first."""
    with state.read() as st:
        return [_review(r) for r in st.reviews(mmsi).iter_rows(named=True)]
