"""`netvet serve`: the local web dashboard over the recorded audit runs."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import typer

from .common import console_err, require_extra, usage_error


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1); every other name or address is not."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8765, "--port", help="TCP port (0: any free port)."),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="NETVET_TOKEN",
        help="Require this token on every request (header, cookie or "
        "?token=); mandatory for a non-loopback --host.",
    ),
    watch_state: Path | None = typer.Option(None, "--watch-state", help="A `netvet watch` state file: the "
                                            "dashboard shows its open events (/events)."),
) -> None:
    """Start the local dashboard: runs, run detail, entities, compare and drift views."""
    if token is not None and len(token) < 8:
        raise usage_error("--token must be at least 8 characters long")
    if not is_loopback(host) and not token:
        raise usage_error(
            f"refusing to listen on {host!r}, which is not a loopback address, without "
            "--token (anyone who can reach it would see your audit results)"
        )
    uvicorn = require_extra("uvicorn", "web")
    require_extra("fastapi", "web")
    require_extra("duckdb", "web")
    from ..history.store import History
    from ..web.app import create_app

    history = History()
    web = create_app(history, token=token, bind_host=host, watch_state=watch_state)
    shown = f"[{host}]" if ":" in host else host
    hint = "?token=<your token>" if token else ""
    console_err.print(
        f"netvet dashboard: http://{shown}:{port}/{hint}  (history: {history.path}; Ctrl-C stops it)",
        highlight=False,
        markup=False,
    )
    uvicorn.run(web, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
