"""`netvet version`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("version")
    def version() -> None:
        """Print netvet's version and the bundled registry version."""
        from .. import __version__
        from ..attribution.registry import Registry

        typer.echo(f"netvet {__version__}, registry {Registry.load().version}")
