"""`netvet fingerprints`: list the fingerprint database, test fingerprint files, show what claims a text."""

from __future__ import annotations

import json
from collections import Counter
from enum import StrEnum
from pathlib import Path

import typer

from .common import EXIT_INPUT, console, console_err, usage_error


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def _load(registry_dir: Path | None, extra: list[Path] = ()):
    """The registry and the fingerprint DB (bundled plus ``extra`` files) validated against it."""
    from ..attribution.fingerprints import FingerprintDB
    from ..attribution.registry import Registry

    registry = Registry.load(registry_dir)
    db = FingerprintDB.load(set(registry.entities), registry.sources, extra=list(extra))
    return registry, db


def _contexts() -> list[str]:
    from ..model import TextContext

    return [c.value for c in TextContext]


def _row(fp, matched: str | None = None) -> dict:
    s = fp.spec
    row = {"id": s.id, "entity": s.entity, "contexts": list(s.contexts), "strength": str(s.strength),
           "product": s.product, "device_class": s.device_class,
           "pattern": s.pattern, "oid_prefix": s.oid_prefix, "source": s.source, "as_of": s.as_of.isoformat(),
           "defined_in": f"{fp.file}:{fp.line}"}
    if matched is not None:
        row["matched"] = matched
    return row


fp_app = typer.Typer(
    rich_markup_mode=None,
    help="The fingerprint database: device texts and sysObjectID subtrees that name a maker.",
    no_args_is_help=True,
)


@fp_app.command("list")
def list_(
    context: str | None = typer.Option(None, "--context", "-c", help="Only fingerprints of this context."),
    entity: str | None = typer.Option(None, "--entity", "-e", help="Only fingerprints naming this entity id."),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", "-f"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """List fingerprints (optionally of one context or one entity)."""
    if context is not None and context not in _contexts():
        raise usage_error(f"unknown context {context!r} (known: {', '.join(_contexts())})")
    registry, db = _load(registry_dir)
    if entity is not None and entity not in registry.entities:
        raise usage_error(f"no entity {entity!r} in the registry (try `netvet registry list`)")
    rows = [fp for fp in db.fingerprints
            if (context is None or context in fp.spec.contexts) and (entity is None or fp.spec.entity == entity)]
    if fmt == ListFormat.json:
        typer.echo(json.dumps([_row(fp) for fp in rows], indent=2))
        return
    from rich.table import Table

    t = Table(title=f"{len(rows)} fingerprints (of {len(db.fingerprints)}, version {db.version})",
              title_justify="left")
    for col in ("id", "entity", "strength", "contexts", "pattern / OID subtree", "product"):
        t.add_column(col, overflow="fold")
    for fp in rows:
        s = fp.spec
        t.add_row(s.id, s.entity, str(s.strength), ", ".join(s.contexts), s.pattern or f"{s.oid_prefix}.*",
                  s.product or "")
    console.print(t)


@fp_app.command("test")
def test(
    files: list[Path] = typer.Argument(..., help="Fingerprint YAML files to check with the bundled database."),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """Validate fingerprint files against the registry and the bundled database; run every example check."""
    from ..util.yamlfile import DataValidationError

    for f in files:
        if not f.is_file():
            raise usage_error(f"{f}: no such file")
    try:
        _, db = _load(registry_dir, files)
    except DataValidationError as exc:
        for err in exc.errors:
            console_err.print(str(err), markup=False, highlight=False)
        console_err.print(f"{len(exc.errors)} error(s)", style="bold red", highlight=False)
        raise typer.Exit(EXIT_INPUT) from None
    mine = {str(f) for f in files} | {str(f.resolve()) for f in files}
    own = [fp for fp in db.fingerprints if fp.file in mine]
    examples = sum(len(fp.spec.examples) + len(fp.spec.not_examples) for fp in own)
    console.print(f"OK: {len(own)} fingerprint(s) in {len(files)} file(s), {examples} example(s) and "
                  f"not-example(s) checked against {len(db.fingerprints)} fingerprints in all", highlight=False)


@fp_app.command("match")
def match(
    context: str = typer.Argument(..., help="Where the text was read: sys-descr, lldp-sys-descr, "
                                 "cli-version, model, ... (an unknown context lists them all)."),
    text: str = typer.Argument(..., help="The text (or, for sys-object-id, the OID)."),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", "-f"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """Which fingerprints claim a text, most specific first."""
    if context not in _contexts():
        raise usage_error(f"unknown context {context!r} (known: {', '.join(_contexts())})")
    _, db = _load(registry_dir)
    found = db.matches(context, text)
    generic = None
    if context == "sys-object-id":
        parts = text.strip().removeprefix(".").split(".")
        if len(parts) > 6 and parts[:6] == ["1", "3", "6", "1", "4", "1"] and parts[6].isdigit():
            g = db.agent_pen(int(parts[6]))
            if g is not None:
                generic = {"pen": g.pen, "name": g.name, "what": g.what}
    if fmt == ListFormat.json:
        typer.echo(json.dumps({"context": context, "text": text, "generic_pen": generic,
                               "matches": [_row(m.fingerprint, m.text) for m in found]}, indent=2))
        return
    if generic is not None:
        console.print(f"enterprise {generic['pen']} ({generic['name']}) never names a maker: {generic['what']}",
                      highlight=False)
    if not found:
        console.print("no fingerprint claims this text", highlight=False)
        return
    entities = Counter(m.entity for m in found)
    from rich.table import Table

    t = Table(title=f"{len(found)} fingerprint(s), entities: {', '.join(entities)}", title_justify="left")
    for col in ("id", "entity", "strength", "matched", "product", "defined in"):
        t.add_column(col, overflow="fold")
    for m in found:
        s = m.fingerprint.spec
        t.add_row(s.id, s.entity, str(s.strength), m.text, s.product or "",
                  f"{m.fingerprint.file}:{m.fingerprint.line}")
    console.print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(fp_app, name="fingerprints")
