"""Options whose values come from a fixed or registered set: an unknown value is a usage
error (exit code 2) that lists the valid choices, never an empty answer."""

from __future__ import annotations

from collections.abc import Iterable

import typer


def _pick(value: str, valid: Iterable[str], option: str) -> str:
    """``value`` as spelled in ``valid`` (case-insensitive), else a usage error."""
    choices = sorted(set(valid))
    by_lower = {c.lower(): c for c in choices}
    found = by_lower.get(value.strip().lower())
    if found is None:
        raise typer.BadParameter(
            f"{value!r} is not one of: {', '.join(choices)}", param_hint=option
        )
    return found


def screen_schema(value: str | None) -> str | None:
    """Callback of ``screen --schema``: one of the schemata a query can name."""
    if value is None:
        return None
    from sanctionwatch.screening.index import COMPATIBLE

    return _pick(value, COMPATIBLE, "--schema")


def behaviour_event_types() -> set[str]:
    """The event types the installed behaviour detectors write."""
    from sanctionwatch.detectors import detectors

    return {d.event_type for d in detectors().values() if d.category == "behaviour"}


def event_types(values: list[str] | None, stored: Iterable[str] = ()) -> tuple[str, ...]:
    """``events --type`` values, each a behaviour event type of an installed detector or one
    found in the store (a plug-in's, say); else a usage error listing the valid types."""
    valid = behaviour_event_types() | set(stored)
    return tuple(_pick(v, valid, "--type") for v in values or ())


__all__ = ["behaviour_event_types", "event_types", "screen_schema"]
