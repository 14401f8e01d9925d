"""netvet command line (Typer + Rich).

Each module in this package defines ``register(app)`` adding its commands. Exit codes:
0 clean, 1 findings at or above ``--fail-on``, 2 usage or input error.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from .common import EXIT_INPUT, console_err

app = typer.Typer(
    name="netvet",
    help="Vet the vendors, carriers, clouds and routes in a network against a trust policy, by evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Vet the vendors, carriers, clouds and routes in a network against a trust policy, by evidence."""

_registered = False


def _register_all() -> None:
    global _registered
    if _registered:
        return
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name in ("common",) or mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if hasattr(module, "register"):
            module.register(app)
    _registered = True


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every failure into a clean message and exit code."""
    from ..model import InputError
    from ..util.yamlfile import DataValidationError

    _register_all()
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_INPUT)
    except InputError as exc:
        console_err.print(f"[bold red]input error:[/] {exc}", highlight=False)
        return EXIT_INPUT
    except DataValidationError as exc:
        console_err.print("[bold red]invalid data file:[/]")
        for err in exc.errors:
            console_err.print(f"  {err}", markup=False, highlight=False)
        return EXIT_INPUT
    return 0


def run() -> None:
    sys.exit(main())
