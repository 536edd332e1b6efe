"""Compare two versions of a list: entities added, removed and changed (property by property).

Entities are matched by id, which every loader derives from the list's own stable key (UN
reference number, OFAC ``ent_num``, IMO), so a renamed vessel is a change, not a removal.
``Sanction`` entities are skipped by default: their facts (programme, listing date) are
mirrored on the designated entity or are bookkeeping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from followthemoney.proxy import EntityProxy


@dataclass(frozen=True)
class PropChange:
    """Values of one property that disappeared (``old``) or appeared (``new``)."""

    prop: str
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class EntityChange:
    """One entity present in both versions whose properties differ."""

    entity_id: str
    schema: str
    caption: str
    changes: tuple[PropChange, ...]
    old_schema: str | None = None  # set when the schema itself changed

    def props(self) -> list[str]:
        """Names of the changed properties."""
        return [c.prop for c in self.changes]


@dataclass
class ListDiff:
    """Result of :func:`diff_entities`."""

    added: list[EntityProxy] = field(default_factory=list)
    removed: list[EntityProxy] = field(default_factory=list)
    changed: list[EntityChange] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        """``added``, ``removed``, ``changed``, ``unchanged``."""
        return {"added": len(self.added), "removed": len(self.removed),
                "changed": len(self.changed), "unchanged": self.unchanged}

    def prop_counts(self) -> dict[str, int]:
        """How many changed entities changed each property, most frequent first."""
        out: dict[str, int] = {}
        for ch in self.changed:
            for p in ch.props():
                out[p] = out.get(p, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        def brief(e: EntityProxy) -> dict[str, Any]:
            return {"id": e.id, "schema": e.schema.name, "caption": e.caption}

        return {
            "counts": self.counts(),
            "added": [brief(e) for e in self.added],
            "removed": [brief(e) for e in self.removed],
            "changed": [
                {"id": c.entity_id, "schema": c.schema, "old_schema": c.old_schema,
                 "caption": c.caption,
                 "changes": {p.prop: {"old": list(p.old), "new": list(p.new)}
                             for p in c.changes}}
                for c in self.changed
            ],
        }


def _values(e: EntityProxy, ignore: frozenset[str]) -> dict[str, set[str]]:
    return {p: set(vs) for p, vs in e.properties.items() if p not in ignore and vs}


def diff_entities(
    old: Iterable[EntityProxy],
    new: Iterable[EntityProxy],
    skip_schemata: Sequence[str] = ("Sanction",),
    ignore_props: Sequence[str] = (),
) -> ListDiff:
    """Compare two versions of one list by entity id."""
    skip = set(skip_schemata)
    ignore = frozenset(ignore_props)
    before = {e.id: e for e in old if e.schema.name not in skip and e.id}
    after = {e.id: e for e in new if e.schema.name not in skip and e.id}
    out = ListDiff()
    out.added = [e for i, e in after.items() if i not in before]
    out.removed = [e for i, e in before.items() if i not in after]
    for eid, e_new in after.items():
        e_old = before.get(eid)
        if e_old is None:
            continue
        v_old, v_new = _values(e_old, ignore), _values(e_new, ignore)
        changes = []
        for prop in sorted(set(v_old) | set(v_new)):
            a, b = v_old.get(prop, set()), v_new.get(prop, set())
            if a != b:
                changes.append(PropChange(prop, tuple(sorted(a - b)), tuple(sorted(b - a))))
        schema_changed = e_old.schema.name != e_new.schema.name
        if changes or schema_changed:
            out.changed.append(EntityChange(
                eid, e_new.schema.name, e_new.caption, tuple(changes),
                e_old.schema.name if schema_changed else None,
            ))
        else:
            out.unchanged += 1
    return out
