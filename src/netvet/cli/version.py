"""`netvet version`: netvet's version, the registry version, the compiled engines built and the extras installed."""

from __future__ import annotations

import importlib.util

import typer

from .common import EXTRAS, compiled_cache

EXTRA_ORDER = ("flows", "history", "web", "cli-parsers", "dask", "watch", "collect", "apps")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def extras_status() -> dict[str, bool]:
    """Per extra: whether every optional package it installs is importable."""
    return {extra: all(_installed(m) for m, e in EXTRAS.items() if e == extra) for extra in EXTRA_ORDER}


def engines_status() -> dict[str, bool]:
    """Whether the optional C engines are built: the MRT reader's and the flow aggregation's."""
    from ..flows import kernel
    from ..readers.mrt import fast as mrt_fast

    return {"mrt (readers/_mrtfast)": bool(mrt_fast.HAVE_C), "flows (flows/_flowagg)": bool(kernel.HAVE_C)}


def version() -> None:
    """Print netvet's version, the bundled registry version, the C engines built and the extras installed."""
    from .. import __version__
    from ..attribution.registry import Registry

    typer.echo(f"netvet {__version__}, registry {Registry.load(cache=compiled_cache()).version}")
    try:
        engines = engines_status()
    except ImportError as exc:  # the flow engine needs the flows extra
        engines = {"flows (flows/_flowagg)": False}
        typer.echo(f"compiled engines: unknown ({exc})")
    else:
        typer.echo("compiled engines: " + ", ".join(f"{k} {'built' if v else 'not built'}"
                                                    for k, v in engines.items()))
    ext = extras_status()
    typer.echo("extras installed: " + (", ".join(k for k, v in ext.items() if v) or "none")
               + "; missing: " + (", ".join(k for k, v in ext.items() if not v) or "none"))


def register(app: typer.Typer) -> None:
    app.command("version")(version)
