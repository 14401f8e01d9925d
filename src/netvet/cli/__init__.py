"""netvet command line (Typer + Rich).

Each module in this package defines ``register(app)`` adding its commands. Exit codes:
0 clean, 1 findings at or above ``--fail-on``, 2 usage or input error (and, as a last resort, an internal
error), 130 interrupted (Ctrl-C), 141 output pipe closed early (``netvet ... | head``).

``main`` never lets a Python traceback out: an unexpected exception becomes one line naming its type and
message; the global ``--debug`` option (or ``NETVET_DEBUG=1``) shows the full trace instead.
"""

from __future__ import annotations

import errno
import importlib
import os
import pkgutil
import sys

import typer
from rich.markup import escape

from .common import EXIT_INPUT, console_err

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader went away
_MAX_MESSAGE = 500  # characters of an unexpected exception's message shown without --debug
_debug = False

app = typer.Typer(rich_markup_mode=None,
    name="netvet",
    help="Vet the vendors, carriers, clouds and routes in a network against a trust policy, by evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(
        False, "--debug", envvar="NETVET_DEBUG",
        help="On an internal error, show the full Python trace instead of a one-line message (accepted "
        "anywhere on the command line).",
    ),
) -> None:
    """Vet the vendors, carriers, clouds and routes in a network against a trust policy, by evidence."""
    global _debug
    _debug = debug or _debug

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


def _take_debug(argv: list[str] | None) -> tuple[list[str], bool]:
    """``argv`` without ``--debug`` (accepted anywhere before ``--``), and whether debugging is on."""
    args = list(sys.argv[1:] if argv is None else argv)
    end = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:end]
    args = [a for a in args[:end] if a != "--debug"] + args[end:]
    env = os.environ.get("NETVET_DEBUG", "").strip().lower()
    return args, debug or env in ("1", "true", "yes", "on")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's final flush stays silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests capture it)
        pass


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``exc`` was raised while handling (or from) an exception of ``kind`` (Typer's conversions)."""
    seen = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, kind) and (kind is not OSError or getattr(cur, "errno", None) == errno.EPIPE):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _missing_extra(exc: ModuleNotFoundError):
    """The MissingExtra of an optional package's import failing deep inside a command (None: not an extra)."""
    from .common import EXTRAS, MissingExtra

    top = (exc.name or "").split(".")[0]
    return MissingExtra(top, EXTRAS[top]) if top in EXTRAS else None


def _internal_error(exc: BaseException) -> int:
    if _debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
        console_err.print(f"[bold red]internal error[/] (exit {EXIT_INPUT}): please report it with the "
                          "command you ran and the trace above", highlight=False)
        return EXIT_INPUT
    console_err.print(
        f"internal error: {type(exc).__name__}: {_short(exc)}; please report it with the command you ran; "
        "rerun with --debug for the trace",
        style="bold red", markup=False, highlight=False,
    )
    return EXIT_INPUT


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every failure into a clean message and exit code."""
    global _debug
    argv, _debug = _take_debug(argv)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        console_err.print("interrupted", style="bold red", markup=False, highlight=False)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except RecursionError as exc:
        if _debug:
            return _internal_error(exc)
        console_err.print("error: the input is nested too deeply to process (Python's recursion limit was "
                          "reached); rerun with --debug for the trace", style="bold red", markup=False,
                          highlight=False)
        return EXIT_INPUT
    except ModuleNotFoundError as exc:
        missing = _missing_extra(exc)
        if missing is None or _debug:
            return _internal_error(exc)
        console_err.print(f"[bold red]error:[/] {escape(str(missing))}", highlight=False)
        return EXIT_INPUT
    except MemoryError:
        console_err.print("error: out of memory: the input is too large for this machine's memory (split it, "
                          "or use a machine with more)", style="bold red", markup=False, highlight=False)
        return EXIT_INPUT
    except Exception as exc:  # noqa: BLE001 - the last resort: never a traceback
        return _internal_error(exc)
    except BaseException as exc:  # a Rust library's panic (pyo3's PanicException is not an Exception)
        if isinstance(exc, SystemExit | GeneratorExit):
            raise
        return _internal_error(exc)


def _main(argv: list[str] | None) -> int:
    _register_all()
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code == EXIT_INTERRUPTED and _caused_by(exc, KeyboardInterrupt):  # Typer turns Ctrl-C into exit 130
            console_err.print("interrupted", style="bold red", markup=False, highlight=False)
        elif code == 1 and _caused_by(exc, OSError):  # Typer's quiet exit on EPIPE
            _quiet_stdout()
            return EXIT_BROKEN_PIPE
        return code if isinstance(code, int) else (0 if code is None else EXIT_INPUT)
    except Exception as exc:
        # the model and the YAML loader are imported only by the commands that need them (start-up time):
        # when they were never imported, nothing could raise their errors
        model = sys.modules.get("netvet.model")
        yamlfile = sys.modules.get("netvet.util.yamlfile")
        if model is not None and isinstance(exc, model.InputError):
            console_err.print(f"[bold red]input error:[/] {exc}", highlight=False)
            return EXIT_INPUT
        if yamlfile is not None and isinstance(exc, yamlfile.DataValidationError):
            console_err.print("[bold red]invalid data file:[/]")
            for err in exc.errors:
                console_err.print(f"  {err}", markup=False, highlight=False)
            return EXIT_INPUT
        raise
    return 0


def run() -> None:
    sys.exit(main())
