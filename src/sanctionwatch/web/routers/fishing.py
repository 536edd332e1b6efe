"""``/api/fishing-days``: fishing days in DPRK waters by flag and gear (docs/fishing.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from sanctionwatch.web.deps import get_state, json_rows
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["fishing"])


@router.get("/api/fishing-days")
def fishing_days(
    state: Annotated[AppState, Depends(get_state)],
    year: Annotated[int | None, Query(description="Only this UTC year.")] = None,
) -> dict[str, Any]:
    """The ``sanctionwatch fishing-days`` table (``items``) with its caveat."""
    from sanctionwatch.fishing_days import CAVEAT, FISHING_TYPES, fishing_days
    from sanctionwatch.store import EventFilter

    with state.read() as st:
        events = st.events(EventFilter(event_types=FISHING_TYPES))
    return {"caveat": CAVEAT, "items": json_rows(fishing_days(events, year=year))}
