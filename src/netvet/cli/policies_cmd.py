"""`netvet policies`: list, show and check policy packs."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from .common import OutFormat, console

pol_app = typer.Typer(rich_markup_mode=None, help="List, show and check policy packs.", no_args_is_help=True)


@pol_app.command("list")
def list_(fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f")) -> None:
    """The bundled policy packs."""
    from ..attribution.registry import Registry
    from ..policies import bundled_pack_paths, load_pack

    registry = Registry.load()
    packs = [load_pack(p, registry) for p in bundled_pack_paths().values()]
    if fmt == OutFormat.json:
        typer.echo(json.dumps([{"id": p.id, "title": p.meta.title, "version": p.meta.version,
                                "approach": p.meta.approach, "vendor_neutral": p.meta.vendor_neutral,
                                "rules": len(p.rules)} for p in packs], indent=2))
        return
    t = Table(title="Policy packs", title_justify="left")
    for col in ("id", "title", "approach", "vendor-neutral", "rules", "version"):
        t.add_column(col)
    for p in packs:
        t.add_row(p.id, p.meta.title, p.meta.approach, "yes" if p.meta.vendor_neutral else "no",
                  str(len(p.rules)), p.meta.version)
    console.print(t)


@pol_app.command("show")
def show(name: str = typer.Argument(..., help="Pack id or .yaml file."),
         fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f")) -> None:
    """A pack's rules: condition, verdict, severity, rationale, citations."""
    from ..attribution.registry import Registry
    from ..policies import resolve_pack

    pack = resolve_pack(name, Registry.load())
    if fmt == OutFormat.json:
        typer.echo(json.dumps({"pack": pack.meta.model_dump(by_alias=True, mode="json"),
                               "rules": [r.rule.model_dump(mode="json") for r in pack.rules]}, indent=2))
        return
    console.print(f"[bold]{pack.meta.title}[/] ({pack.id} {pack.meta.version}, {pack.meta.approach})")
    console.print(pack.meta.description.strip(), highlight=False)
    t = Table(show_lines=True)
    for col in ("rule", "verdict", "severity", "when", "rationale"):
        t.add_column(col, overflow="fold")
    for cr in pack.rules:
        r = cr.rule
        t.add_row(f"{r.id}\n{r.title}", str(r.verdict), r.severity, " ".join(r.when.split()), r.rationale)
    console.print(t)


@pol_app.command("check")
def check(path: Path = typer.Argument(..., help="A policy pack file to validate."),
          registry_dir: Path | None = typer.Option(None, "--registry", help="Resolve designation lists and "
                                                   "sources against this registry.")) -> None:
    """Validate a user's pack: errors name file, line and the problem; exit 2 when invalid."""
    from ..attribution.registry import Registry
    from ..policies import load_pack

    pack = load_pack(path, Registry.load(registry_dir))
    console.print(f"{path}: valid pack {pack.id} with {len(pack.rules)} rules", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(pol_app, name="policies")
