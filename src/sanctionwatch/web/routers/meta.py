"""``/api/health``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from sanctionwatch.store import table_columns
from sanctionwatch.web.deps import get_state
from sanctionwatch.web.models import Health
from sanctionwatch.web.state import AppState

router = APIRouter(tags=["meta"])


@router.get("/api/health", response_model=Health)
def health(state: Annotated[AppState, Depends(get_state)]) -> dict[str, Any]:
    """The store served and how many events it holds."""
    with state.read() as st:
        n = st.count_events() if table_columns(st.con, "events") else 0
    return {"status": "ok", "store": str(state.store_path), "events": n}
