"""Wallet and card-account alert reviews in ``alert_reviews`` (the ``subject`` column), also in
a store written before they existed (its ``mmsi`` column NOT NULL)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sanctionwatch.store import DuckDBStore


def test_an_older_store_takes_wallet_reviews(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE alert_reviews (review_id VARCHAR NOT NULL PRIMARY KEY, mmsi BIGINT '
                'NOT NULL, status VARCHAR NOT NULL, note VARCHAR NOT NULL, "user" VARCHAR NOT '
                'NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL)')
    con.execute("INSERT INTO alert_reviews VALUES ('r0', 412345678, 'confirmed', 'old', 'ana', "
                "TIMESTAMPTZ '2026-01-01 00:00:00+00')")
    con.close()
    with DuckDBStore(path) as st:
        st.add_subject_review("account:411111:A1", "dismissed", "travel card", "bo")
        with pytest.raises(ValueError, match="review status"):
            st.add_subject_review("account:411111:A1", "maybe", "", "bo")
        assert st.latest_subject_reviews()["account:411111:A1"]["note"] == "travel card"
        assert st.subject_reviews("account:411111:A1")["mmsi"].to_list() == [None]
        assert list(st.latest_reviews()) == [412345678]
    with DuckDBStore(path, read_only=True) as st:
        assert st.reviews()["review_id"].to_list() == ["r0"]
