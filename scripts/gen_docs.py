"""Regenerate docs/schema.md from the canonical table declarations.

Run: .venv/bin/python scripts/gen_docs.py   (tests/test_docs.py fails when it is stale)
"""

from __future__ import annotations

from pathlib import Path

from sanctionwatch.schema import TABLES

HEADER = """# Canonical tables

Generated from `src/sanctionwatch/schema/tables.py` by `python scripts/gen_docs.py`; do not edit
by hand. Every timestamp is UTC; units are in column names.

"""


def schema_markdown() -> str:
    """The full text of docs/schema.md."""
    return HEADER + "\n".join(t.markdown() for t in TABLES.values())


def main() -> None:
    """Write docs/schema.md."""
    out = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    out.write_text(schema_markdown())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
