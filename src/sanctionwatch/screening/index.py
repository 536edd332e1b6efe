"""In-memory screening index over FtM entities, with blocking on name keys and identifiers."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain
from typing import Any

import numpy as np
from followthemoney import registry
from rapidfuzz import fuzz, process

from sanctionwatch.screening.features import Score
from sanctionwatch.screening.korean import korean_key
from sanctionwatch.screening.matcher import Query, Record, compare_record, normalize_imo
from sanctionwatch.screening.normalize import NameForm, name_forms

SCREENABLE = ("Person", "Organization", "Company", "LegalEntity", "PublicBody", "Vessel")
# Query schema → listed schemata it may match.
COMPATIBLE: dict[str, frozenset[str]] = {
    "Person": frozenset({"Person", "LegalEntity"}),
    "Organization": frozenset({"Organization", "Company", "LegalEntity", "PublicBody"}),
    "Company": frozenset({"Organization", "Company", "LegalEntity", "PublicBody"}),
    "LegalEntity": frozenset({"Person", "Organization", "Company", "LegalEntity", "PublicBody"}),
    "Vessel": frozenset({"Vessel"}),
}
_ID_PROPS = (
    "passportNumber",
    "idNumber",
    "registrationNumber",
    "callSign",
    "taxNumber",
    "innCode",
    "ogrnCode",
    "leiCode",
    "swiftBic",
)


def _block_keys(form: NameForm) -> set[str]:
    """Keys under which a name form is filed: tokens, Korean keys, 3-letter heads and tails
    (so a one-letter typo still shares a key)."""
    keys: set[str] = set()
    for t, w in zip(form.tokens, form.weights, strict=True):
        if w < 0.5 or len(t) < 2:
            continue
        keys.add(t)
        if form.korean:
            keys.add("k:" + korean_key(t))
        if len(t) >= 5:
            keys.add("h:" + t[:3])
            keys.add("t:" + t[-3:])
    return keys


def prescore_key(form: NameForm) -> str:
    """The string the cheap pre-score compares: sorted tokens, Korean ones as their key."""
    toks = (korean_key(t) for t in form.tokens) if form.korean else form.tokens
    return " ".join(sorted(toks))


def record_from_entity(entity: Any, datasets: Iterable[str] | None = None) -> Record | None:
    """A :class:`Record` from a followthemoney entity proxy (None if not screenable)."""
    schema = entity.schema.name
    if not any(entity.schema.is_a(s) for s in SCREENABLE):
        return None
    names = tuple(dict.fromkeys(entity.get_type_values(registry.name)))
    if not names or entity.id is None:
        return None
    imos = {normalize_imo(v) for v in entity.get("imoNumber", quiet=True)}
    if datasets is None:
        datasets = getattr(entity, "datasets", None) or getattr(entity, "context", {}).get(
            "datasets", ()
        )
    ds = tuple(datasets or ())
    forms: list[NameForm] = []
    for n in names:
        forms.extend(name_forms(n, schema))
    idents = {
        "".join(c for c in v.upper() if c.isalnum())
        for p in _ID_PROPS
        for v in entity.get(p, quiet=True)
    }
    return Record(
        id=entity.id,
        schema=schema,
        caption=entity.caption,
        names=names,
        datasets=ds,
        imos=frozenset(i for i in imos if i is not None),
        mmsis=frozenset(entity.get("mmsi", quiet=True)),
        countries=frozenset(v.lower() for v in entity.get_type_values(registry.country)),
        birth_dates=frozenset(entity.get("birthDate", quiet=True)),
        identifiers=frozenset(i for i in idents if i),
        forms=tuple(forms),
    )


class ScreeningIndex:
    """Entities filed under name keys and IMO numbers; candidates are ranked by shared-key
    IDF before the (slower) matcher scores the best ``candidates`` of them."""

    def __init__(
        self, records: Iterable[Record], candidates: int = 40, full_scores: int = 8
    ) -> None:
        self.records: list[Record] = list(records)
        self.candidates = candidates
        self.full_scores = full_scores
        self.keep_top = 4
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._imo: dict[int, list[int]] = defaultdict(list)
        self._mmsi: dict[str, list[int]] = defaultdict(list)
        # every name form of every record, flattened, with its pre-score key (built once)
        self._form_start: list[int] = []
        self._forms: list[NameForm] = []
        self._form_rec: list[int] = []
        self._form_key: list[str] = []
        for i, rec in enumerate(self.records):
            keys: set[str] = set()
            self._form_start.append(len(self._forms))
            for f in rec.forms:
                keys |= _block_keys(f)
                self._forms.append(f)
                self._form_rec.append(i)
                self._form_key.append(prescore_key(f))
            for k in keys:
                self._postings[k].append(i)
            for imo in rec.imos:
                self._imo[imo].append(i)
            for mmsi in rec.mmsis:
                self._mmsi[mmsi].append(i)
        self._form_start.append(len(self._forms))
        n = max(1, len(self.records))
        # vote weight of a key: its IDF, head/tail keys count half
        self._idf = {
            k: math.log(1 + n / len(v)) * (0.5 if k[1:2] == ":" and k[0] in "ht" else 1.0)
            for k, v in self._postings.items()
        }
        self._schema = [r.schema for r in self.records]
        self._rec_fidx = [
            range(self._form_start[i], self._form_start[i + 1]) for i in range(len(self.records))
        ]
        self._rec_keys = [[self._form_key[j] for j in r] for r in self._rec_fidx]

    @classmethod
    def from_entities(cls, entities: Iterable[Any], candidates: int = 40) -> ScreeningIndex:
        """Build from followthemoney entity proxies (non-screenable schemata are skipped)."""
        recs = (record_from_entity(e) for e in entities)
        return cls((r for r in recs if r is not None), candidates=candidates)

    def __len__(self) -> int:
        return len(self.records)

    def candidates_for(self, query: Query, qforms: tuple[NameForm, ...]) -> list[int]:
        """Indices of the records worth scoring for ``query``."""
        allowed = COMPATIBLE.get(query.schema or "")
        keys: set[str] = set()
        for f in qforms:
            keys |= _block_keys(f)
        # a query touches a few hundred postings: a dict beats numpy set-up costs here
        votes: dict[int, float] = defaultdict(float)
        for k in keys:
            post = self._postings.get(k)
            if post is None:
                continue
            w = self._idf[k]
            for i in post:
                votes[i] += w
        if allowed is not None:
            schema = self._schema
            votes = {i: v for i, v in votes.items() if schema[i] in allowed}
        out = heapq.nlargest(self.candidates, votes, key=votes.__getitem__)
        imo = normalize_imo(query.imo)
        if imo is not None:
            out = list(dict.fromkeys(self._imo.get(imo, []) + out))
        return out

    def search(self, query: Query) -> list[tuple[Record, Score]]:
        """Scored candidates for ``query``, best first.

        Blocking picks ``candidates`` records; a vectorised edit-similarity pre-score of their
        name forms (rapidfuzz ``cdist``, one thread) keeps the ``full_scores`` best
        (query form, listed form) pairs, and only those get the full, explained score.
        Records found by IMO or MMSI are always fully scored.
        """
        qforms = name_forms(query.name, query.schema) if query.name else ()
        cands = self.candidates_for(query, qforms)
        imo = normalize_imo(query.imo)
        forced = set(self._imo.get(imo, [])) if imo is not None else set()
        if query.mmsi:
            forced.update(self._mmsi.get(query.mmsi.strip(), []))
        best_pairs: dict[int, list[tuple[NameForm, NameForm]]] = defaultdict(list)
        if qforms and cands:
            fidx = list(chain.from_iterable(self._rec_fidx[i] for i in cands))
            keys = list(chain.from_iterable(self._rec_keys[i] for i in cands))
            qkeys = [prescore_key(f) for f in qforms]
            pre = process.cdist(qkeys, keys, scorer=fuzz.ratio, dtype=np.uint8, workers=1)
            flat = pre.ravel()
            k = min(self.full_scores, flat.size)
            top = np.argpartition(flat, flat.size - k)[flat.size - k :]
            chosen = set(top.tolist())
            # the best-voted records (most shared rare tokens) keep their best form even when
            # its edit similarity is low (a partial or reordered name)
            col = 0
            for i in cands[: self.keep_top]:
                width = self._form_start[i + 1] - self._form_start[i]
                block = pre[:, col : col + width]
                qi, fj = divmod(int(block.argmax()), width)
                chosen.add(qi * len(fidx) + col + fj)
                col += width
            for t in chosen:
                qi, fj = divmod(t, len(fidx))
                j = fidx[fj]
                best_pairs[self._form_rec[j]].append((qforms[qi], self._forms[j]))
        for i in forced:
            if i not in best_pairs:
                best_pairs[i] = [(qf, rf) for qf in qforms for rf in self.records[i].forms]
        scored = [
            (self.records[i], compare_record(query, qforms, self.records[i], pairs))
            for i, pairs in best_pairs.items()
        ]
        scored.sort(key=lambda rs: rs[1].score, reverse=True)
        return scored

    def search_exhaustive(self, query: Query) -> list[tuple[Record, Score]]:
        """Every blocked candidate fully scored on every name form (a reference for tests)."""
        qforms = name_forms(query.name, query.schema) if query.name else ()
        scored = [
            (self.records[i], compare_record(query, qforms, self.records[i]))
            for i in self.candidates_for(query, qforms)
        ]
        scored.sort(key=lambda rs: rs[1].score, reverse=True)
        return scored
