"""Alert reviews (append-only audit trail) and paged, filtered events in the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from sanctionwatch.store import DuckDBStore, EventFilter
from tests.risk.builders import EAST_CHINA_SEA_STS, event, events_frame


def test_reviews_are_appended_never_replaced(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        first = st.add_review(412000001, "confirmed", "STS at night", "maria")
        second = st.add_review(412000001, "dismissed", "=cmd|' /C calc'!A0", "li")
        st.add_review(413000002, "open", "", "local")
        history = st.reviews(412000001).to_dicts()
        assert [r["review_id"] for r in history] == [first["review_id"], second["review_id"]]
        assert history[0]["status"] == "confirmed" and history[0]["note"] == "STS at night"
        assert history[1]["note"] == "=cmd|' /C calc'!A0"  # stored as typed
        latest = st.latest_reviews()
        assert latest[412000001]["status"] == "dismissed" and latest[413000002]["user"] == "local"
        assert st.reviews().height == 3
        with pytest.raises(ValueError, match="confirmed"):
            st.add_review(412000001, "deleted", "", "x")
    with DuckDBStore(tmp_path / "s.duckdb", read_only=True) as st:
        assert st.reviews().height == 3


def test_pages_of_events_are_slices_of_the_whole_list(tmp_path: Path) -> None:
    rows = [event("loitering" if i % 3 else "ais_gap", 412000000 + i % 7, hours=1.0,
                  at=EAST_CHINA_SEA_STS, start=event("x", 1)["start_time"]
                  + timedelta(minutes=10 * (i // 2)), n_positions=i)
            for i in range(60)]
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        st.add_events(events_frame(rows))
        for f in (EventFilter(), EventFilter(event_types=("loitering",)),
                  EventFilter(mmsi=412000003)):
            whole = st.events(f)["event_id"].to_list()
            assert st.count_matching(f) == len(whole)
            pages = [st.events(replace(f, limit=7, offset=k))["event_id"].to_list()
                     for k in range(0, len(whole), 7)]
            assert [x for p in pages for x in p] == whole
        assert st.events(EventFilter(designated_only=True)).height == 0
        assert st.count_matching(EventFilter(zone_id="nowhere")) == 0
