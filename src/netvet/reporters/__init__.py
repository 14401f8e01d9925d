"""Reporters: render a command's result as text in a format, dispatched by the result's kind and the format name.

Every command returns a typed result — a :class:`~netvet.model.Report` (``audit``), a ``RoutesAudit`` or
``Dependency`` (``routes audit``/``dependency``, ``reporters/routes.py``), a ``Comparison`` (``compare``), a
``FlowAudit`` (``flows audit``), a ``Timeline`` (``timeline``), a ``CableAudit`` or ``CableExposure`` (``cables``),
a ``Drift`` (``diff``), a ``PackList`` (``policies list``) or an ``IdentifierResult`` (``attribute``) — and each
format of a kind is a function registered with ``@reporter("name", kind=...)``. A streamed audit
(``pipeline.AuditRun``) is written by the functions registered with ``@writer("name")`` as its findings are
evaluated (:func:`stream_writer`). ``@terminal(kind)`` registers the
Rich renderables printed (with colour) when the ``table`` format goes to a terminal. The command line never
chooses a format itself: it calls :func:`render` or :func:`renderables`.

The modules that register the reporters of a kind are imported on the first use of that kind (``_PROVIDERS``),
so rendering a Report never imports the flow engine, and importing this package imports nothing heavy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TextIO

REPORT = "Report"
AUDIT_RUN = "AuditRun"  # a streamed audit (pipeline.AuditRun): its findings are evaluated as they are written
# kind -> format name -> function(result) -> str
RENDERERS: dict[str, dict[str, Callable[[Any], str]]] = {}
# kind -> function(result) -> list of Rich renderables (the table format on a terminal)
TERMINAL: dict[str, Callable[[Any], list]] = {}
# kind -> format name -> function(result, out): formats written to ``out`` while the result is produced (memory
# independent of the number of findings)
WRITERS: dict[str, dict[str, Callable[[Any, TextIO], None]]] = {}
# name -> function(report) -> str: the reporters of a Report (kept: the historical registry)
REPORTERS: dict[str, Callable[[Any], str]] = RENDERERS.setdefault(REPORT, {})

# kind -> modules (under netvet.reporters) registering its reporters, imported on first use
_PROVIDERS: dict[str, tuple[str, ...]] = {
    REPORT: ("csv_report", "html", "json_report", "oscal", "table"),
    AUDIT_RUN: ("csv_report", "html", "json_report", "oscal", "table"),
    "RoutesAudit": ("routes",),
    "Dependency": ("routes",),
    "Comparison": ("compare",),
    "FlowAudit": ("flows",),
    "Timeline": ("timeline",),
    "CableAudit": ("cables",),
    "CableExposure": ("cables",),
    "Drift": ("drift",),
    "PackList": ("policies",),
    "IdentifierResult": ("identifier",),
}
_loaded: set[str] = set()


def _kind_name(kind: type | str | None) -> str:
    if kind is None:
        return REPORT
    return kind if isinstance(kind, str) else kind.__name__


def reporter(name: str, kind: type | str | None = None):
    """Register a function rendering a result of ``kind`` (default: Report) in format ``name``."""

    def deco(fn: Callable[[Any], str]) -> Callable[[Any], str]:
        RENDERERS.setdefault(_kind_name(kind), {})[name] = fn
        return fn

    return deco


def writer(name: str, kind: type | str = AUDIT_RUN):
    """Register a function writing a result of ``kind`` (default: a streamed audit) in format ``name`` to a text
    stream as the result is produced."""

    def deco(fn: Callable[[Any, TextIO], None]) -> Callable[[Any, TextIO], None]:
        WRITERS.setdefault(_kind_name(kind), {})[name] = fn
        return fn

    return deco


def stream_writer(result: Any, fmt: str) -> Callable[[Any, TextIO], None] | None:
    """The function writing ``result`` in ``fmt`` as it is produced, or None when the format is rendered whole
    (:func:`render`, :func:`renderables`)."""
    kind = kind_of(result)
    _load(kind)
    return WRITERS.get(kind, {}).get(fmt)


def terminal(kind: type | str | None = None):
    """Register the Rich renderables of a result of ``kind`` shown on a terminal (the table format)."""

    def deco(fn: Callable[[Any], list]) -> Callable[[Any], list]:
        TERMINAL[_kind_name(kind)] = fn
        return fn

    return deco


def _load(kind: str) -> None:
    if kind in _loaded:
        return
    for mod in _PROVIDERS.get(kind, ()):
        importlib.import_module(f"{__name__}.{mod}")
    _loaded.add(kind)


def kind_of(result: Any) -> str:
    for cls in type(result).__mro__:
        if cls.__name__ in _PROVIDERS or cls.__name__ in RENDERERS or cls.__name__ in WRITERS:
            return cls.__name__
    return type(result).__name__


def formats(kind: type | str | None = None) -> list[str]:
    """The format names registered for ``kind`` (default: Report)."""
    name = _kind_name(kind)
    _load(name)
    return sorted(RENDERERS.get(name, {}))


def render(result: Any, fmt: str) -> str:
    """``result`` (a Report or another command's result) as text in format ``fmt``."""
    kind = kind_of(result)
    _load(kind)
    fns = RENDERERS.get(kind, {})
    if fmt not in fns:
        raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(sorted(fns))})")
    return fns[fmt](result)


def renderables(result: Any) -> list:
    """The Rich renderables of ``result`` for a terminal (the table format with colour)."""
    kind = kind_of(result)
    _load(kind)
    if kind not in TERMINAL:
        raise ValueError(f"no terminal rendering for {kind}")
    return TERMINAL[kind](result)
