"""``sanctionwatch lists``: load sanctions lists into the store, show entities, diff versions.

Holds no logic: it calls :mod:`sanctionwatch.sanctions` and prints.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sanctionwatch.cli.consoles import (
    StoreOpt,
    data_markup,
    data_text,
    err_console,
    fail,
    out_console,
)

if TYPE_CHECKING:
    from followthemoney.proxy import EntityProxy

    from sanctionwatch.sanctions import ListDiff

# sanctionwatch.sanctions (and followthemoney under it) is imported inside the commands: it
# is slow to import, which every other command would pay.

lists_app = typer.Typer(
    name="lists",
    help="Sanctions lists (UN, UN 1718 vessels, OFAC SDN, UK DPRK, EU PRK, FtM/OpenSanctions): "
    "load, show, diff, resolve across lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text verbatim, as in cli/app.py
)
console = err_console

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output.")]




def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"not a date (YYYY-MM-DD): {value!r}") from None


@lists_app.command("load")
def load(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="List files (UN XML, UN 1718 CSV, UK DPRK JSON, EU PRK JSON, FtM JSON lines) "
            "or OFAC CSV folders."
        ),
    ],
    store: StoreOpt = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Dataset name instead of the default.")
    ] = None,
    list_date: Annotated[
        str | None,
        typer.Option("--list-date", help="List date YYYY-MM-DD when the file does not say."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load list files into the store, all in one transaction (all or nothing)."""
    from sanctionwatch.sanctions import ListFormatError, ListStore

    day = _date(list_date)
    try:
        with ListStore(store) as s:
            results = s.load_many(paths, dataset, day)
    except (ListFormatError, FileNotFoundError) as exc:
        raise fail(f"{exc} (nothing was loaded)") from None
    if as_json:
        for r in results:
            out_console.print_json(json.dumps({**r.__dict__, "list_date": str(r.list_date)}))
        return
    table = Table("dataset", "list date", "status", "entities", "statements", "new facts",
                  "by schema", "s")
    for r in results:
        table.add_row(*map(data_text, (
            r.dataset, str(r.list_date), r.status, str(r.entities), str(r.statements),
            str(r.new_facts), ", ".join(f"{k} {v}" for k, v in r.counts.items()),
            f"{r.seconds:.1f}")))
    out_console.print(table)
    for r in results:
        console.print(data_text(f"{r.path}: list date {r.list_date} from {r.list_date_source}"),
                      highlight=False)


def _entity_dict(e: EntityProxy) -> dict[str, Any]:
    return e.to_dict()


@lists_app.command("show")
def show(
    entity_id: Annotated[
        str | None, typer.Argument(help="An entity id, e.g. un-sc-KPi.033.")
    ] = None,
    store: StoreOpt = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this list.")] = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="Only this FtM schema (and its children).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows in the table.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show one entity with the provenance of each fact, or the loaded lists and their entities."""
    from sanctionwatch.sanctions import ListStore

    try:
        s = ListStore(store, read_only=True)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    with s:
        if entity_id is not None:
            e = s.entity(entity_id, dataset)
            if e is None:
                raise fail(f"no entity {entity_id!r} in the store")
            prov = s.statements(entity_id=entity_id, dataset=dataset)
            if as_json:
                out = _entity_dict(e)
                out["statements"] = [
                    {k: str(v) if isinstance(v, date) else v for k, v in row.items()}
                    for row in prov.to_dicts()
                ]
                out_console.print_json(json.dumps(out, ensure_ascii=False))
                return
            t = Table("prop", "value", "dataset", "list date", "first seen", "source record",
                      title=data_markup(f"{e.schema.name} {e.id}: {e.caption}"))
            for row in prov.filter(prov["prop"] != "id").iter_rows(named=True):
                t.add_row(*map(data_text, (
                    row["prop"], row["value"][:120], row["dataset"], str(row["list_date"]),
                    str(row["first_seen"]), row["source_record"])))
            out_console.print(t)
            return
        if dataset is None and schema is None:
            versions = s.versions()
            if as_json:
                out_console.print_json(versions.write_json())
                return
            t = Table("dataset", "list date", "date from", "format", "entities", "statements",
                      "path")
            for row in versions.iter_rows(named=True):
                t.add_row(*map(data_text, (
                    row["dataset"], str(row["list_date"]), row["list_date_source"],
                    row["format"], str(row["entities"]), str(row["statements"]), row["path"])))
            out_console.print(t)
            return
        ents = s.entities(schema=schema, dataset=dataset)
    if as_json:
        for e in ents:
            print(json.dumps(_entity_dict(e), ensure_ascii=False))
        return
    t = Table("id", "schema", "name", "program", "identifiers", title=f"{len(ents)} entities")
    for e in ents[:limit]:
        ids = e.get("imoNumber", quiet=True) + e.get("mmsi", quiet=True) + \
            e.get("passportNumber", quiet=True)
        t.add_row(*map(data_text, (str(e.id), e.schema.name, e.caption,
                                   ", ".join(e.get("program", quiet=True)), ", ".join(ids))))
    out_console.print(t)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@lists_app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help="Older list file/folder, or a stored list date.")],
    new: Annotated[str, typer.Argument(help="Newer list file/folder, or a stored list date.")],
    store: StoreOpt = None,
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", help="With dates for OLD/NEW: the stored list to compare."),
    ] = None,
    list_date: Annotated[
        str | None, typer.Option("--list-date", help="List date for files that carry none.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows per table.")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Entities added, removed and changed between two versions of the same list."""
    from sanctionwatch.sanctions import ListFormatError, ListStore, diff_entities, read_list

    try:
        if _DATE_RE.match(old) and _DATE_RE.match(new) and not Path(old).exists():
            if dataset is None:
                raise fail("comparing stored versions needs --dataset")
            with ListStore(store, read_only=True) as s:
                result = s.diff(dataset, date.fromisoformat(old), date.fromisoformat(new))
        else:
            day = _date(list_date)
            a, b = read_list(old, dataset, day), read_list(new, dataset, day)
            if a.meta.format != b.meta.format:
                raise fail(f"different list formats: {a.meta.format} vs {b.meta.format}")
            result = diff_entities(a.entities(), b.entities())
    except (ListFormatError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        out_console.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    _print_diff(result, limit)


def _print_diff(d: ListDiff, limit: int) -> None:
    c = d.counts()
    out_console.print(
        f"added {c['added']}, removed {c['removed']}, changed {c['changed']}, "
        f"unchanged {c['unchanged']}", highlight=False,
    )
    for title, ents in (("added", d.added), ("removed", d.removed)):
        if ents:
            t = Table("id", "schema", "name", "program", title=f"{title} ({len(ents)})")
            for e in ents[:limit]:
                t.add_row(*map(data_text, (str(e.id), e.schema.name, e.caption,
                                           ", ".join(e.get("program", quiet=True)))))
            out_console.print(t)
    if d.changed:
        out_console.print("changed properties: " + ", ".join(
            f"{p} {n}" for p, n in d.prop_counts().items()), highlight=False)
        t = Table("id", "name", "property", "old", "new", title=f"changed ({len(d.changed)})")
        for ch in d.changed[:limit]:
            for pc in ch.changes:
                t.add_row(*map(data_text, (
                    ch.entity_id, ch.caption, pc.prop,
                    "; ".join(v[:60] for v in pc.old), "; ".join(v[:60] for v in pc.new))))
        out_console.print(t)


@lists_app.command("resolve")
def resolve(
    store: StoreOpt = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="Score (0-1) from which a pair is merged "
                     "automatically (default 0.9, see docs/resolution.md)."),
    ] = 0.9,
    unsure_threshold: Annotated[
        float,
        typer.Option("--unsure-threshold", help="Score (0-1) from which a pair below "
                     "--threshold is recorded as unsure (default 0.7, the screening threshold)."),
    ] = 0.7,
    limit: Annotated[int, typer.Option("--limit", help="Merges shown.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Resolve entities across the loaded lists: record xref decisions and show the merges."""
    from sanctionwatch.linking.resolve import resolve_store

    if not 0 < unsure_threshold <= threshold <= 1:
        raise fail("need 0 < --unsure-threshold <= --threshold <= 1")
    try:
        run = resolve_store(_store_path(store), threshold, unsure_threshold)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    if as_json:
        out_console.print_json(json.dumps({
            "entities": run.entities, "new_decisions": run.counts(),
            "merges": [m.to_dict() for m in run.merges],
        }, ensure_ascii=False))
        return
    c = run.counts()
    out_console.print(
        f"{run.entities} entities; new decisions: {c['positive']} positive, {c['unsure']} "
        f"unsure, {c['negative']} negative; {len(run.merges)} clusters changed",
        highlight=False)
    _print_merges(list(run.merges), limit)


def _store_path(store: Path | None) -> Path:
    from sanctionwatch.store.duck import default_store_path

    path = store or default_store_path()
    if not Path(path).exists():
        raise fail(f"{path}: no store here (run `sanctionwatch lists load`)")
    return Path(path)


def _print_merges(merges: list[Any], limit: int) -> None:
    t = Table("cluster", "names", "lists", "score", "explanation",
              title=f"merges ({len(merges)})")
    for m in merges[:limit]:
        scores = [d.score for d in m.decisions if d.score is not None]
        t.add_row(*map(data_text, (
            m.id,
            "\n".join(f"{x.name} ({x.id})" for x in m.members),
            ", ".join(sorted({x.dataset for x in m.members})),
            f"{min(scores):.2f}" if scores else "user",
            "\n".join(f"{d.left_id} ~ {d.right_id} [{d.decided_by}]: {d.explanation}"[:200]
                      for d in m.decisions),
        )))
    out_console.print(t)


@lists_app.command("merges")
def merges(
    store: StoreOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="Merges shown.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show the clusters of entities resolved across lists, with the decisions behind them."""
    from sanctionwatch.linking.resolve import store_merges

    found = store_merges(_store_path(store))
    if as_json:
        out_console.print_json(json.dumps([m.to_dict() for m in found], ensure_ascii=False))
        return
    _print_merges(found, limit)


@lists_app.command("decide")
def decide(
    left: Annotated[str, typer.Argument(help="An entity id, e.g. un1718-9312834.")],
    right: Annotated[str, typer.Argument(help="The other entity id.")],
    positive: Annotated[bool, typer.Option("--positive", help="They are the same.")] = False,
    negative: Annotated[bool, typer.Option("--negative", help="They are different.")] = False,
    unsure: Annotated[bool, typer.Option("--unsure", help="Cannot tell.")] = False,
    by: Annotated[str, typer.Option("--by", help="Who decides (recorded).")] = "user",
    note: Annotated[str | None, typer.Option("--note", help="Why (recorded).")] = None,
    store: StoreOpt = None,
) -> None:
    """Record a decision on two entities; it overrides earlier ones (which are kept)."""
    from sanctionwatch.linking.resolve import (
        NEGATIVE,
        POSITIVE,
        UNSURE,
        UnknownEntity,
        decide_in_store,
    )

    chosen = [j for j, flag in ((POSITIVE, positive), (NEGATIVE, negative), (UNSURE, unsure))
              if flag]
    if len(chosen) != 1:
        raise fail("give exactly one of --positive, --negative, --unsure")
    if not by.strip():
        raise fail("--by is empty")
    try:
        d, cluster = decide_in_store(_store_path(store), left, right, chosen[0], by.strip(),
                                     note or "")
    except UnknownEntity as exc:
        raise fail(f"no entity {exc.args[0]!r} in the loaded lists") from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    out_console.print(data_text(
        f"{d.judgement}: {d.left_id} ~ {d.right_id} by {d.decided_by} at "
        f"{d.decided_at:%Y-%m-%d %H:%M:%S} UTC; {left} is now in a cluster of {len(cluster)}: "
        + ", ".join(sorted(cluster))), highlight=False)
