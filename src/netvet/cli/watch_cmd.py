"""`netvet watch`: watch routes live (BGP, BMP, RIS Live) or replay MRT update files, with alerts (docs/watch.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import EXIT_INPUT, console_err


def watch(
    files: list[Path] = typer.Argument(None, help="With --replay: MRT update files (or recorded RIS Live JSON "
                                       "lines), applied in the order given."),
    config: Path = typer.Option(..., "--config", "-c", help="watch.yaml (see docs/watch.md)."),
    replay: bool = typer.Option(False, "--replay", help="Apply the rules over FILES and exit (deterministic: "
                                "the same files give the same events byte for byte)."),
    fmt: str = typer.Option("json", "--format", help="Replay output and the stdout channel: json (one event "
                            "per line) or text."),
    state: Path = typer.Option(None, "--state", help="Replay: start from and save to this state file (live "
                               "runs use state: from the config)."),
    channels: bool = typer.Option(False, "--channels", help="Replay: also send the events to the config's "
                                  "channels (default: stdout only)."),
) -> None:
    """Watch routes live (runs until Ctrl-C) or, with --replay, over MRT update files."""
    from ..model import InputError
    from ..watch.config import Channel, load_config

    if fmt not in ("json", "text"):
        console_err.print(f"error: --format must be json or text, not {fmt!r}", markup=False)
        raise typer.Exit(EXIT_INPUT)
    cfg = load_config(config)
    if replay:
        from ..watch.channels import Dispatcher, StreamChannel, build
        from ..watch.runner import replay as run_replay

        if not files:
            console_err.print("error: --replay needs at least one file", markup=False)
            raise typer.Exit(EXIT_INPUT)
        for f in files:
            if not f.exists():
                raise InputError(f"{f}: file not found")
        chans = [StreamChannel(None, fmt)]
        if channels:
            chans += build([c for c in cfg.channels if c.type != "stdout"], fmt)
        disp = Dispatcher(chans)
        try:
            summary = run_replay(cfg, files, disp, str(state) if state else None)
        finally:
            disp.close()
        console_err.print(f"replayed {len(files)} file(s): {summary['events']} event(s), {summary['open']} open",
                          markup=False, highlight=False)
        return
    if files:
        console_err.print("error: files are replayed with --replay; a live watch reads the config's feeds",
                          markup=False)
        raise typer.Exit(EXIT_INPUT)
    if not [f for f in cfg.feeds if f.type != "mrt"]:
        console_err.print(f"error: {config}: no live feed (bgp, bmp or rislive) in feeds:", markup=False)
        raise typer.Exit(EXIT_INPUT)
    from ..watch.runner import channels_for, run_live

    if not cfg.channels:
        cfg.channels = [Channel(type="stdout")]
    disp = channels_for(cfg, fmt)
    try:
        run_live(cfg, disp)
    except ImportError as exc:
        console_err.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_INPUT) from None
    finally:
        disp.close()
    console_err.print(f"stopped: {disp.count} event(s) sent", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)
