"""`netvet data`: fetch, verify, version and select the public datasets attribution uses."""

from __future__ import annotations

import fnmatch
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .common import EXIT_INPUT, console, console_err


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


def _err(message: str) -> None:
    console_err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)


def _note(message: str) -> None:
    console_err.print(escape(message), soft_wrap=True, highlight=False)


def _expand(patterns: list[str], known: list[str]) -> list[str]:
    """Dataset names from names or shell patterns (``rir-*``), in catalogue order; unknown ones are errors."""
    chosen: set[str] = set()
    for pattern in patterns:
        matched = fnmatch.filter(known, pattern)
        if not matched:
            _err(f"unknown dataset {pattern!r} (known: {', '.join(known)})")
            raise typer.Exit(EXIT_INPUT)
        chosen.update(matched)
    return [n for n in known if n in chosen]


def _fallback(name: str) -> str:
    """What netvet uses for ``name`` after a failed fetch."""
    from ..datasets import dataset_info

    info = dataset_info(name)
    if info is None:
        return f"{name}: no version is available; netvet works without this dataset"
    if info.origin == "bundled":
        return f"{name}: netvet goes on with the bundled copy ({info.version})"
    return f"{name}: version {info.version} stays active"


def _age(days: int | None) -> str:
    return "-" if days is None else f"{days} d"


data_app = typer.Typer(rich_markup_mode=None,
    name="data",
    help="Fetch, verify, version and select the public datasets attribution uses.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")


@data_app.command("fetch")
def fetch_cmd(
    names: Annotated[list[str] | None,
                     typer.Argument(help="Dataset names or shell patterns ('rir-*').")] = None,
    url: Annotated[str | None,
                   typer.Option("--url", help="Fetch from this URL (a mirror); one dataset.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Fetch every dataset of the catalogue.")] = False,
    no_checksum: Annotated[bool, typer.Option(
        "--no-checksum", help="Skip the publisher's checksum file (format checks still run).")] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Network timeout, seconds.")] = 60.0,
) -> None:
    """Download datasets, verify them and make them active (older versions are kept)."""
    from ..datasets import DatasetError, NetworkError, TransferInterrupted, fetch, load_catalogue
    from ._dataset_readers import use_check

    catalogue = load_catalogue()
    if all_ and names:
        _err("name datasets or use --all, not both")
        raise typer.Exit(EXIT_INPUT)
    if not all_ and not names:
        _err("name the datasets to fetch (see `netvet data status`), or use --all")
        raise typer.Exit(EXIT_INPUT)
    chosen = catalogue.names() if all_ else _expand(names or [], catalogue.names())
    if url and len(chosen) != 1:
        _err(f"--url names one file, but {len(chosen)} datasets were selected")
        raise typer.Exit(EXIT_INPUT)

    failed = 0
    progress = _progress()
    with progress if progress is not None else _Null():
        for name in chosen:
            task = progress.add_task(name, total=None) if progress is not None else None

            def on_progress(done: int, total: int | None, _task=task) -> None:
                if progress is not None:
                    progress.update(_task, completed=done, total=total)

            try:
                result = fetch(name, url=url, catalogue=catalogue, verify_checksum=not no_checksum,
                               timeout=timeout, progress=on_progress,
                               note=lambda msg, _n=name: _note(f"{_n}: {msg}"), check=use_check(name))
            except DatasetError as exc:
                failed += 1
                if progress is not None and task is not None:
                    progress.remove_task(task)
                _err(str(exc))
                hint = _fallback(name)
                if isinstance(exc, NetworkError):
                    hint += (f". Offline? Download the file by other means and run "
                             f"`netvet data import {name} FILE`.")
                elif not isinstance(exc, TransferInterrupted):
                    hint += "."
                else:
                    hint += " meanwhile."
                _note(f"  {hint}")
                continue
            m = result.manifest
            checked = f", {m.checksum['algorithm']} checksum verified" if m.checksum else ""
            if result.new:
                typer.echo(f"{name}: fetched version {m.version} ({m.size:,} bytes, "
                           f"{result.report.records:,} records{checked}); now active")
            else:
                typer.echo(f"{name}: unchanged, same content as version {m.version}; now active")
    if failed:
        raise typer.Exit(EXIT_INPUT)


@data_app.command("status")
def status_cmd(
    fmt: Annotated[StatusFormat,
                   typer.Option("--format", "-f", help="Output format.")] = StatusFormat.table,
) -> None:
    """Each dataset: active version, age, whether it is stale, or bundled / not fetched."""
    from ..datasets import Store, status

    rows = status()
    if fmt is StatusFormat.json:
        typer.echo(json.dumps({"home": str(Store().home), "datasets": rows}, indent=2))
        return
    from rich.table import Table

    table = Table(title="netvet datasets", title_justify="left")
    for column in ("dataset", "state", "version", "age", "stale", "stored"):
        table.add_column(column, no_wrap=column != "version")
    for row in rows:
        table.add_row(row["name"], row["state"], row["version"] or "-", _age(row["age_days"]),
                      "STALE" if row["stale"] else "", str(len(row["versions"])))
    console.print(table, soft_wrap=True)
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in ("active", "bundled", "not fetched")}
    stale = sum(1 for r in rows if r["stale"])
    typer.echo(f"{len(rows)} datasets: {counts['active']} active, {counts['bundled']} bundled, "
               f"{counts['not fetched']} not fetched, {stale} stale; data directory {Store().root}")


@data_app.command("use")
def use_cmd(
    spec: Annotated[str, typer.Argument(
        metavar="NAME@VERSION", help="Dataset and stored version ('@bundled': the bundled copy).")],
) -> None:
    """Make a stored version of a dataset the active one."""
    from ..datasets import DatasetError, Store, load_catalogue

    name, sep, version = spec.partition("@")
    if not sep or not name or not version:
        _err(f"expected NAME@VERSION, got {spec!r}")
        raise typer.Exit(EXIT_INPUT)
    store = Store()
    try:
        ds = load_catalogue().get(name)
        if version == "bundled":
            if ds.bundled is None:
                raise DatasetError(f"{name}: no bundled copy ships with netvet")
            store.clear_active(name)
            typer.echo(f"{name}: now using the bundled copy")
            return
        manifest = store.set_active(name, version, verify=True)
    except DatasetError as exc:
        _err(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    typer.echo(f"{name}: version {manifest.version} is now active")


@data_app.command("import")
def import_cmd(
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    file: Annotated[Path, typer.Argument(help="A file obtained by other means.")],
) -> None:
    """Store a file downloaded by other means, validated like a download, and make it active.

    The file must pass the dataset's format rules and load with the very reader netvet uses for the dataset;
    otherwise it is refused and the version in use stays active."""
    from ..datasets import DatasetError, UnknownDataset, import_file
    from ._dataset_readers import use_check

    try:
        result = import_file(name, file, check=use_check(name))
    except UnknownDataset as exc:
        _err(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    except DatasetError as exc:
        _err(str(exc))
        _note(f"  {_fallback(name)}.")
        raise typer.Exit(EXIT_INPUT) from None
    m = result.manifest
    if result.new:
        typer.echo(f"{name}: imported {file} as version {m.version} ({m.size:,} bytes, "
                   f"{result.report.records:,} records); now active")
    else:
        typer.echo(f"{name}: unchanged, same content as version {m.version}; now active")


@data_app.command("prune")
def prune_cmd(
    names: Annotated[list[str] | None, typer.Argument(help="Datasets (default: all).")] = None,
    keep: Annotated[int, typer.Option("--keep", min=0, help="Versions to keep per dataset.")] = 2,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be deleted.")] = False,
) -> None:
    """Delete old versions, keeping the newest N and always the active one."""
    from ..datasets import Store, load_catalogue

    known = load_catalogue().names()
    chosen = _expand(names, known) if names else known
    store = Store()
    removed_any = False
    for name in chosen:
        try:
            removed = store.prune(name, keep, dry_run=dry_run)
        except OSError as exc:
            _err(f"{name}: cannot delete old versions under {store.root}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_INPUT) from None
        if removed:
            removed_any = True
            verb = "would remove" if dry_run else "removed"
            typer.echo(f"{name}: {verb} {', '.join(removed)}")
    if not removed_any:
        typer.echo("nothing to prune")


@data_app.command("info")
def info_cmd(name: Annotated[str, typer.Argument(help="Dataset name.")]) -> None:
    """Show a dataset's catalogue entry (source, licence, cadence, use) and its stored versions."""
    from ..datasets import DatasetError, Store, load_catalogue

    try:
        ds = load_catalogue().get(name)
    except DatasetError as exc:
        _err(str(exc))
        raise typer.Exit(EXIT_INPUT) from None
    store = Store()
    active = store.active_version(name)
    lines = [f"{ds.name}: {ds.title}", f"  publisher: {ds.publisher}"]
    lines += [f"  url: {u}" for u in ds.urls]
    if ds.discover:
        lines.append(f"  url: newest match of {ds.discover.pattern!r} in {ds.discover.index}")
    if ds.checksum:
        lines.append(f"  checksum: {ds.checksum.algorithm} from {ds.checksum.url}")
    lines += [f"  format: {ds.format}", f"  licence: {ds.licence}",
              f"  cadence: {ds.cadence_days} d (stale after {ds.stale_after} d)",
              f"  used by: {'; '.join(ds.used_by)}"]
    if ds.docs:
        lines.append(f"  docs: {ds.docs}")
    if ds.bundled:
        lines.append(f"  bundled: {ds.bundled.package}/{ds.bundled.resource} ({ds.bundled.format})")
    if ds.notes:
        lines.append(f"  notes: {ds.notes}")
    for m in store.versions(name):
        mark = " (active)" if m.version == active else ""
        lines.append(f"  version {m.version}{mark}: {m.size:,} bytes, sha256 {m.sha256[:16]}..., "
                     f"retrieved {m.retrieved_at.isoformat()}")
    typer.echo("\n".join(lines))


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def _progress():
    """Rich progress bars on an interactive stderr; None otherwise (logs and tests stay clean)."""
    if not console_err.is_terminal:
        return None
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    TimeRemainingColumn(), console=console_err)
