"""Event ``details``: the declared shape of each event type's JSON object, one builder for it
and one JSON format.

Every event carries type-specific facts in ``details``, a JSON object. A detector declares the
shapes its events' details can take (:class:`Details`: keys, types, meanings, for which
subtype) when it registers; it builds them with :meth:`Details.expr` (vectorised in Polars, so
no Python runs per event), which refuses undeclared or missing keys and casts each value to
its declared type. The documentation of every key is tested against these declarations, and
the events a detector writes against them (``tests/detectors/test_details.py``).

The format is compact JSON with sorted keys and UTF-8 text (``{"a":1,"b":"x"}``), NaN and
infinities as ``null``. :func:`details_text` writes the same format from Python values, for
the few places that add to stored details (the sanctions linkage).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Key:
    """One key of a details object: its type, its meaning, and whether it may be absent."""

    dtype: pl.DataType
    doc: str
    optional: bool = False
    """Omitted from the object where its value is null (instead of written as ``null``)."""

    def json_type(self) -> str:
        """The JSON type of the value, for documentation."""
        return _json_type(self.dtype)


def _json_type(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "number"
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return f"array of {_json_type(inner() if isinstance(inner, type) else inner)}"
    return "string"


@dataclass(frozen=True)
class Details:
    """One shape of an event type's ``details``: its keys, for which events.

    ``subtypes``: the events of these subtypes (empty: of any subtype). ``case``: when one
    subtype has several shapes, the condition in words (e.g. ``kind = "track_jump"``).
    """

    keys: Mapping[str, Key]
    subtypes: tuple[str, ...] = ()
    case: str = ""
    _optional: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_optional",
                           tuple(k for k in sorted(self.keys) if self.keys[k].optional))

    def expr(self, **values: pl.Expr) -> pl.Expr:
        """The details JSON text of each row, from one expression per declared key."""
        missing, extra = set(self.keys) - set(values), set(values) - set(self.keys)
        if missing or extra:
            raise ValueError(f"details of {self.label()}: missing "
                             f"{sorted(missing)}, undeclared {sorted(extra)}")
        encoded = pl.struct(
            [values[k].cast(self.keys[k].dtype).alias(k) for k in sorted(self.keys)]
        ).struct.json_encode()
        for k in self._optional:  # written as "k":null by the encoder: drop the member
            encoded = (encoded.str.replace(f'"{k}":null,', "", literal=True)
                       .str.replace(f',"{k}":null}}', "}", literal=True)
                       .str.replace(f'{{"{k}":null}}', "{}", literal=True))
        return encoded

    def label(self) -> str:
        """Which events have this shape, in words."""
        which = ", ".join(self.subtypes) if self.subtypes else "every subtype"
        return f"{which} ({self.case})" if self.case else which

    def matches(self, subtype: str | None, keys: set[str]) -> bool:
        """Whether a details object with ``keys``, of an event of ``subtype``, has this
        shape (optional keys may be absent)."""
        if self.subtypes and subtype not in self.subtypes:
            return False
        required = {k for k, v in self.keys.items() if not v.optional}
        return required <= keys <= set(self.keys)


def details_text(values: Mapping[str, Any]) -> str:
    """``values`` as details JSON, in the format :meth:`Details.expr` writes."""
    return json.dumps(_finite(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


__all__ = ["Details", "Key", "details_text"]
