"""Run configuration: everything one ``detect`` run does, in one object and one TOML file.

A run file holds the inputs, the output folder, the engine and its options, the store, how the
inputs are read, track preparation, which detectors run and every detector parameter::

    inputs = ["ais/2019-03/"]
    out = "runs/2019-03"
    engine = "auto"                  # auto, memory, local or dask
    store = "sanctionwatch.duckdb"   # false: no store
    detectors = ["encounter", "loitering"]   # names or event types; empty or absent: all
    zones = ["extra_zones.geojson"]

    [ingest]                         # sanctionwatch.ingest.files.IngestOptions
    strict = false
    [engine_options]                 # sanctionwatch.engines.EngineOptions
    partition_rows = 5000000
    [tracks]                         # sanctionwatch.tracks.PrepareParams
    max_speed_knots = 50.0
    [params.encounter]               # any detector's Params fields
    max_distance_m = 300.0

``sanctionwatch detect --config run.toml`` runs it; command-line flags override the file. The
effective configuration of every run (every value, defaults included) is written to the run's
``run.toml`` and ``summary.json`` and to the store's ``runs`` table, so the run can be
repeated exactly. Keys are checked: an unknown key or a wrong type is an error naming the file
and the key.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from sanctionwatch.detectors import Params, detectors, select
from sanctionwatch.engines.base import EngineOptions
from sanctionwatch.ingest.files import IngestOptions
from sanctionwatch.settings import settings
from sanctionwatch.tracks import PrepareParams


class ConfigError(ValueError):
    """A run configuration that cannot be used; the message names the file and the key."""


def read_toml_table(path: str | Path, table: str, what: str) -> Mapping[str, Any]:
    """The ``[table]`` of the TOML file at ``path`` (empty when the file has none); a
    ``ValueError`` naming the file when it cannot be read, is not TOML, or ``table`` is not a
    table. ``what`` names the settings in the message (``"the risk parameters"``)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{p}: cannot read {what}: {exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: not a TOML file: {exc}") from None
    found = data.get(table, {})
    if not isinstance(found, Mapping):
        raise ValueError(f"{p}: [{table}] must be a table")
    return found


def build_params(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Params]:
    """Parameters for every detector: defaults with ``overrides`` applied (validated)."""
    overrides = overrides or {}
    regs = detectors()
    unknown = set(overrides) - set(regs)
    if unknown:
        raise ConfigError(f"parameters for unknown detector(s): {', '.join(sorted(unknown))}")
    return {name: _build(det.params_type, overrides.get(name, {}), f"params.{name}")
            for name, det in regs.items()}


def parse_overrides(overrides: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Parse ``detector.field=value`` strings (``--param``) into per-detector overrides, each
    value converted to the type of the field's default."""
    regs = detectors()
    out: dict[str, dict[str, Any]] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        name, dot, fname = key.partition(".")
        if not sep or not dot:
            raise ConfigError(f"bad parameter {item!r}: expected DETECTOR.FIELD=VALUE")
        if name not in regs:
            raise ConfigError(f"bad parameter {item!r}: no detector {name!r}")
        ptype = regs[name].params_type
        valid = {f.name: f for f in dataclasses.fields(ptype)}
        if fname not in valid:
            raise ConfigError(f"bad parameter {item!r}: {name} has {', '.join(sorted(valid))}")
        current = getattr(ptype(), fname)
        typed: Any
        try:
            if isinstance(current, bool):
                typed = value.lower() in ("1", "true", "yes", "on")
            elif isinstance(current, int):
                typed = int(value)
            elif isinstance(current, float):
                typed = float(value)
            elif isinstance(current, tuple):
                typed = tuple(v.strip() for v in value.split(",") if v.strip())
            else:
                typed = value
        except ValueError as exc:
            raise ConfigError(f"bad parameter {item!r}: {exc}") from exc
        out.setdefault(name, {})[fname] = typed
    return out


@dataclass(frozen=True)
class RunConfig:
    """One run's configuration (see the module docstring). ``store`` None: no store."""

    inputs: tuple[str, ...] = ()
    out: str | None = None
    engine: str = "auto"
    store: str | None = field(default_factory=lambda: str(settings().store))
    detectors: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    ingest: IngestOptions = field(default_factory=IngestOptions)
    engine_options: EngineOptions = field(
        default_factory=lambda: EngineOptions(scheduler=settings().scheduler))
    tracks: PrepareParams = field(default_factory=PrepareParams)
    params: Mapping[str, Params] = field(default_factory=build_params)

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        """Read a TOML run file; relative paths in it are relative to the file's folder."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{p}: no such run configuration file") from exc
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read the run configuration: {exc}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: not a TOML file: {exc}") from exc
        return cls.from_mapping(data, source=str(p), base=p.parent)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "configuration",
                     base: Path | None = None) -> RunConfig:
        """A configuration from nested mappings (a parsed TOML file, or the ``config`` of a
        ``summary.json``); keys absent keep their defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}; "
                              f"expected {', '.join(sorted(known))}")
        kw: dict[str, Any] = {}
        try:
            for key in ("inputs", "detectors", "zones"):
                if key in data:
                    kw[key] = tuple(_paths(data[key], key, base) if key != "detectors"
                                    else _strings(data[key], key))
            if "out" in data:
                kw["out"] = _path(_string(data["out"], "out"), base)
            if "engine" in data:
                kw["engine"] = _string(data["engine"], "engine")
            if "store" in data:
                store = data["store"]
                if store is False:
                    kw["store"] = None
                else:
                    kw["store"] = _path(_string(store, "store"), base)
            for key, cls_ in (("ingest", IngestOptions), ("engine_options", EngineOptions),
                              ("tracks", PrepareParams)):
                if key in data:
                    kw[key] = _build(cls_, _table(data[key], key), key)
            if "params" in data:
                kw["params"] = build_params(_table(data["params"], "params"))
            config = cls(**kw)
            config.check()
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
        return config

    def check(self) -> None:
        """Validate the engine name and the detector selection."""
        from sanctionwatch.engines import ENGINES

        if self.engine not in ENGINES:
            raise ConfigError(f"engine: {self.engine!r} is not one of {', '.join(ENGINES)}")
        try:
            select(self.detectors)
        except ValueError as exc:
            raise ConfigError(f"detectors: {exc}") from None

    def absolute(self) -> RunConfig:
        """A copy whose paths (inputs, out, store, zones) are absolute, resolved against the
        current directory: what a run records, so that its ``run.toml`` means the same files
        from anywhere."""
        return self.replace(
            inputs=tuple(os.path.abspath(p) for p in self.inputs),
            out=None if self.out is None else os.path.abspath(self.out),
            store=None if self.store is None else os.path.abspath(self.store),
            zones=tuple(os.path.abspath(p) for p in self.zones),
        )

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with ``changes`` (fields of this class)."""
        return dataclasses.replace(self, **changes)

    def with_params(self, overrides: Mapping[str, Mapping[str, Any]]) -> RunConfig:
        """A copy whose detector parameters have ``overrides`` applied on top of its own."""
        merged = {name: {**p.to_dict(), **dict(overrides.get(name, {}))}
                  for name, p in self.params.items()}
        return self.replace(params=build_params(merged))

    def to_dict(self) -> dict[str, Any]:
        """Every value, as nested plain data (JSON- and TOML-ready; None values left out,
        ``store = false`` for no store)."""
        out: dict[str, Any] = {
            "inputs": list(self.inputs),
            "engine": self.engine,
            "store": self.store if self.store is not None else False,
            "detectors": list(self.detectors),
            "zones": list(self.zones),
        }
        if self.out is not None:
            out["out"] = self.out
        out["ingest"] = _plain(self.ingest)
        out["engine_options"] = _plain(self.engine_options)
        out["tracks"] = _plain(self.tracks)
        out["params"] = {name: _plain(p) for name, p in self.params.items()}
        return out

    def to_toml(self) -> str:
        """The configuration as a TOML run file (:meth:`load` reads it back equal)."""
        import tomli_w

        return tomli_w.dumps(self.to_dict())


def _plain(obj: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if v is None:
            continue
        values[f.name] = list(v) if isinstance(v, tuple) else v
    return values


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return [v.strip() for v in value]


def _path(value: str, base: Path | None) -> str:
    p = Path(value).expanduser()
    return str(base / p) if base is not None and not p.is_absolute() else str(p)


def _paths(value: Any, where: str, base: Path | None) -> list[str]:
    return [_path(v, base) for v in _strings(value, where)]


def _build(cls: type[Any], table: Mapping[str, Any], where: str) -> Any:
    """``cls(**table)`` with every key checked against ``cls``'s fields and every value
    against the field's type (TOML gives ints for whole floats, lists for tuples)."""
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = set(table) - names
    if unknown:
        raise ConfigError(f"[{where}]: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"expected {', '.join(sorted(names))}")
    kwargs = {k: _typed(v, hints[k], f"{where}.{k}") for k, v in table.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{where}]: {exc}") from None


def _typed(value: Any, hint: Any, where: str) -> Any:
    """``value`` as the type ``hint`` allows (or a ConfigError naming ``where``)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        for option in options:
            try:
                return _typed(value, option, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {' or '.join(map(_name, options))}, "
                          f"got {value!r}")
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is datetime:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    elif origin is tuple:
        return tuple(_strings(value, where))
    else:
        return value
    raise ConfigError(f"{where}: expected {_name(hint)}, got {value!r}")


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


__all__ = ["ConfigError", "RunConfig", "build_params", "parse_overrides"]
