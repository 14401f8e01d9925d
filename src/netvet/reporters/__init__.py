"""Reporters: render a Report as text in a format, dispatched by name."""

from __future__ import annotations

from collections.abc import Callable

from ..model import Report

# name -> function(report) -> str
REPORTERS: dict[str, Callable[[Report], str]] = {}


def reporter(name: str):
    def deco(fn: Callable[[Report], str]) -> Callable[[Report], str]:
        REPORTERS[name] = fn
        return fn

    return deco


def render(report: Report, fmt: str) -> str:
    from . import csv_report, html, json_report, oscal, table  # noqa: F401  (register)

    if fmt not in REPORTERS:
        raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(sorted(REPORTERS))})")
    return REPORTERS[fmt](report)
