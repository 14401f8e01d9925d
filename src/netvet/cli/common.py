"""Shared CLI pieces: consoles, exit codes, output helpers."""

from __future__ import annotations

import contextlib
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2

console = Console(width=None if os.environ.get("COLUMNS") or sys.stdout.isatty() else 140)
console_err = Console(stderr=True, soft_wrap=True)  # messages are never wrapped mid-path


class OutFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"
    oscal = "oscal"


class FailOn(StrEnum):
    """``--fail-on``: the lowest verdict that makes a command exit 1. The one definition every command uses."""

    fail = "fail"
    review = "review"
    unknown = "unknown"
    never = "never"

    @property
    def verdicts(self) -> frozenset[str]:
        """The verdicts at or above this level (FAIL > REVIEW > UNKNOWN; WAIVED and PASS never fail)."""
        return _FAIL_LEVELS[self]


_FAIL_LEVELS = {
    FailOn.fail: frozenset({"FAIL"}),
    FailOn.review: frozenset({"FAIL", "REVIEW"}),
    FailOn.unknown: frozenset({"FAIL", "REVIEW", "UNKNOWN"}),
    FailOn.never: frozenset(),
}
FAIL_ON_HELP = "Exit 1 when a finding is at or above this verdict (fail, review, unknown; never: always 0)."


@contextlib.contextmanager
def output_file(output: Path, binary: bool = False, announce: bool = True):
    """A file to write ``output`` through (text, or bytes with ``binary``): a temporary file beside it, renamed
    over it when the block ends without an error (removed otherwise); a device or pipe (``/dev/null``, a FIFO) is
    written directly, never replaced."""
    kwargs = {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8", "newline": ""}
    if output.exists() and not output.is_file():
        with open(output, **kwargs) as fh:
            yield fh
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        with open(tmp, **kwargs) as fh:
            yield fh
        tmp.replace(output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if announce:
        console_err.print(f"wrote {output}")


def write_output(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` (see :func:`output_file`) or to stdout."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    with output_file(output) as fh:
        fh.write(text)


def usage_error(message: str) -> typer.Exit:
    console_err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(EXIT_INPUT)


def exit_code_for(result, fail_on: FailOn) -> int:
    """1 when any finding of ``result`` is at or above ``fail_on``, else 0.

    ``result`` is a Report (its findings), a result with a ``verdicts`` list (a RoutesAudit: one verdict per
    prefix) or an iterable of verdict names."""
    if hasattr(result, "findings") and not hasattr(result, "verdicts"):
        verdicts = (str(f.verdict) for f in result.findings)
    else:
        verdicts = (str(v) for v in getattr(result, "verdicts", result))
    levels = FailOn(fail_on).verdicts
    return EXIT_FINDINGS if any(v in levels for v in verdicts) else EXIT_OK


def emit(result, fmt: str, output: Path | None) -> None:
    """Write ``result`` (any command's typed result) in format ``fmt`` through its registered reporter; the table
    format goes to the terminal, with colour, when not written to a file."""
    from ..reporters import render, renderables

    if str(fmt) == "table" and output is None:
        for part in renderables(result):
            console.print(part)
        return
    write_output(render(result, str(fmt)), output)


# optional package (import name) -> the extra that installs it
EXTRAS = {
    "polars": "flows", "pyarrow": "flows", "duckdb": "history", "fastapi": "web", "uvicorn": "web",
    "ntc_templates": "cli-parsers", "dask": "dask", "distributed": "dask", "exabgp": "watch",
    "websockets": "watch", "androguard": "apps", "pysnmp": "collect", "netmiko": "collect",
    "pynetbox": "collect", "keyring": "collect", "requests": "collect",
}


class MissingExtra(Exception):
    """An optional package a command needs is not installed."""

    def __init__(self, module: str, extra: str):
        self.module, self.extra = module, extra
        super().__init__(f"this command needs the optional package {module!r}: install netvet's {extra!r} extra "
                         f"(python3 -m pip install 'netvet[{extra}]')")


def input_exit_code(report, strict: bool) -> int:
    """2 when an input of the batch could not be read at all (the others were), or, with ``strict``, when any
    record was malformed or damaged; else 0. Tells the user on stderr either way."""
    failed = [s for s in report.inputs if s.failed]
    for s in failed:
        console_err.print(f"[bold red]input error:[/] {s.file}: {s.failed}", highlight=False)
    problems = [i for s in report.inputs for i in s.issues if i.severity == "error"]
    errors = sum(s.errors for s in report.inputs)
    if errors:
        console_err.print(f"[yellow]{errors} input problem(s)[/]; first: {problems[0] if problems else '?'}",
                          highlight=False)
        if strict:
            for p in problems[1:20]:
                console_err.print(f"  {p}", highlight=False, markup=False)
    return EXIT_INPUT if failed or (strict and errors) else EXIT_OK




def cache_dir() -> Path:
    """Where the compiled forms of reference data live (``datasets.store.netvet_cache``)."""
    from ..datasets.store import netvet_cache

    return netvet_cache()


def mac_index_cache():
    """The on-disk index of parsed MAC registries (``attribution/oui_cache.py``)."""
    from ..attribution.oui_cache import MacIndexCache

    return MacIndexCache(cache_dir())


def compiled_cache():
    """The compiled, validated registry and fingerprints (``attribution/data_cache.py``)."""
    from ..attribution.data_cache import CompiledCache

    return CompiledCache(cache_dir())


def load_id_registries(mac_db: list[Path] | None, pen_db: list[Path] | None):
    """MAC and PEN registries and the datasets used (``attribution.identifier_sources``), the MAC registry read
    from its on-disk index (``attribution/oui_cache.py``) when its files are unchanged."""
    from ..attribution.identifier_sources import identifier_registries

    return identifier_registries(mac_db or (), pen_db or (), mac_index_cache())


def warn_stale(datasets: list[dict]) -> None:
    for d in datasets:
        if d.get("stale"):
            console_err.print(f"[yellow]warning:[/] dataset {d['name']} ({d.get('version')}) is {d.get('age_days')} "
                              f"days old (refresh every {d.get('cadence_days')} days: `netvet data fetch "
                              f"{d['name']}`)", highlight=False)


def progress_reader():
    """A Rich progress bar (on stderr) and a callback (file, done, total) for readers."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    prog = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=console_err, transient=True)
    tasks: dict[str, int] = {}

    def cb(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = prog.add_task(Path(name).name, total=total or None)
        prog.update(tasks[name], completed=done, total=total or None)

    return prog, cb


def check_asn_db(path: Path | None) -> Path | None:
    """``--asn-db``, the IP -> ASN database of the readers that need one (traceroutes, flows), once it is known
    to exist; the command hands it to ``pipeline.read_inputs`` / ``run_audit`` (``asn_db=``)."""
    if path is not None and not path.exists():
        from ..model import InputError

        raise InputError(str(path), "--asn-db: file not found")
    return path


def require_extra(module: str, extra: str | None = None):
    """Import ``module`` (an optional dependency, or a netvet module that needs one) and return it. When the
    optional package is missing, say which extra installs it and exit 2: a clean message, never a traceback."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = (getattr(exc, "name", None) or module).split(".")[0]
        if missing not in EXTRAS and missing != module.split(".")[0]:
            raise  # not a missing optional package: a real error
        err = MissingExtra(missing, extra or EXTRAS.get(missing, "all"))
        console_err.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        raise typer.Exit(EXIT_INPUT) from None
