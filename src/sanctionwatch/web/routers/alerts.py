"""``/api/alerts``: the risk-ranked alert queue (vessels; with ``kind``, traced crypto wallets
and cash-out card accounts too) and the analysts' reviews (an audit trail)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from sanctionwatch.web.deps import get_state, iso
from sanctionwatch.web.models import Alert, FinanceAlertOut, Review, ReviewIn, SubjectReview
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["alerts"])


def _review(r: dict[str, Any]) -> dict[str, Any]:
    return {"mmsi": int(r["mmsi"]), "status": r["status"], "note": r["note"],
            "user": r["user"], "at": iso(r["at"])}


@router.get("/api/alerts", response_model=list[Alert | FinanceAlertOut])
def alerts(
    state: Annotated[AppState, Depends(get_state)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    status: Annotated[Literal["open", "confirmed", "dismissed", "all"], Query(
        description="The latest review's status (`open`: never reviewed or reopened).")] = "open",
    kind: Annotated[Literal["vessel", "wallet", "account", "all"], Query(
        description="Vessels (default), traced crypto wallets, cash-out card accounts, or "
                    "all of them in one ranking.")] = "vessel",
) -> list[dict[str, Any]]:
    """Vessels (or wallets, accounts) with a score above 0, highest first, with their review
    status."""
    if kind != "vessel":
        return _finance(state, limit, status, kind)
    return _vessels(state, limit, status)


def _finance(state: AppState, limit: int, status: str, kind: str) -> list[dict[str, Any]]:
    items: list[tuple[float, dict[str, Any]]] = []
    with state.read() as st:
        latest = st.latest_subject_reviews()
    for a in state.finance_alerts():
        if a.score <= 0 or (kind != "all" and a.kind != kind):
            continue
        last = latest.get(a.subject)
        current = last["status"] if last else "open"
        if status != "all" and current != status:
            continue
        items.append((a.score, {**a.to_dict(), "score": a.score, "status": current,
                                "last_review": None if last is None else _last(last)}))
    if kind == "all":
        items += [(v["score"], v) for v in _vessels(state, limit, status)]
        items.sort(key=lambda t: -t[0])
    return [d for _, d in items[:limit]]


def _last(r: dict[str, Any]) -> dict[str, Any]:
    return {"status": r["status"], "note": r["note"], "user": r["user"], "at": iso(r["at"])}


def _vessels(state: AppState, limit: int, status: str) -> list[dict[str, Any]]:
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


def _subject(state: AppState, kind: str, key: str) -> str:
    """The graph node id of a wallet (address, any case) or card account (``<bin>:<account>``)
    that has an alert; 404 otherwise."""
    want = key.casefold() if kind == "wallet" else key
    for a in state.finance_alerts():
        if a.kind == kind and (a.key.casefold() if kind == "wallet" else a.key) == want:
            return a.subject
    raise HTTPException(404, f"no {kind} alert for {key!r} in the store")


def _subject_review(r: dict[str, Any]) -> dict[str, Any]:
    return {"subject": r["subject"], **_last(r)}


@router.post("/api/alerts/{kind}/{key}/reviews", response_model=SubjectReview, status_code=201)
def add_subject_review(kind: Literal["wallet", "account"], key: str, body: ReviewIn,
                       state: Annotated[AppState, Depends(get_state)]) -> dict[str, Any]:
    """Record a review of a wallet's (``key``: its address) or card account's (``key``:
    ``<bin>:<account>``) alert, kept beside every earlier one."""
    subject = _subject(state, kind, key)
    with state.write() as st:
        row = st.add_subject_review(subject, body.status, body.note, state.user)
    return _subject_review(row)


@router.get("/api/alerts/{kind}/{key}/reviews", response_model=list[SubjectReview])
def subject_reviews(kind: Literal["wallet", "account"], key: str,
                    state: Annotated[AppState, Depends(get_state)]) -> list[dict[str, Any]]:
    """Every review of a wallet's or card account's alert, oldest first."""
    subject = _subject(state, kind, key)
    with state.read() as st:
        return [_subject_review(r) for r in st.subject_reviews(subject).iter_rows(named=True)]
