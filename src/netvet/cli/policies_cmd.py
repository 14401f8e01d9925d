"""`netvet policies`: list, show and check policy packs."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from .common import OutFormat, compiled_cache, console, emit

pol_app = typer.Typer(rich_markup_mode=None, help="List, show and check policy packs.", no_args_is_help=True)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


@pol_app.command("list")
def list_(fmt: ListFormat = typer.Option(ListFormat.table, "--format", "-f")) -> None:
    """The bundled policy packs."""
    from ..attribution.registry import Registry
    from ..policies import bundled_pack_paths, load_pack
    from ..reporters.policies import PackList

    registry = Registry.load(cache=compiled_cache())
    emit(PackList.of([load_pack(p, registry) for p in bundled_pack_paths().values()]), str(fmt), None)


@pol_app.command("show")
def show(name: str = typer.Argument(..., help="Pack id or .yaml file."),
         fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f")) -> None:
    """A pack's rules: condition, verdict, severity, rationale, citations."""
    from ..attribution.registry import Registry
    from ..policies import resolve_pack

    pack = resolve_pack(name, Registry.load(cache=compiled_cache()))
    if fmt == OutFormat.json:
        typer.echo(json.dumps({"pack": pack.meta.model_dump(by_alias=True, mode="json"),
                               "rules": [r.rule.model_dump(mode="json") for r in pack.rules]}, indent=2))
        return
    console.print(f"[bold]{pack.meta.title}[/] ({pack.id} {pack.meta.version}, {pack.meta.approach})")
    console.print(pack.meta.description.strip(), highlight=False)
    from rich.table import Table

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
