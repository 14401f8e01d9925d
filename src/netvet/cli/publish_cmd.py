"""`netvet publish`: write verdicts back to a source of truth (netvet's own tags and journal entries only)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from .common import EXIT_INPUT, console, console_err


class Sot(StrEnum):
    nautobot = "nautobot"
    netbox = "netbox"


def publish(
    target: Sot = typer.Argument(..., help="nautobot or netbox."),
    report: Path = typer.Argument(..., help="netvet JSON report of an audit of a bundle holding that SoT's "
                                  "export (`netvet audit evidence/ -f json -o report.json`)."),
    url: str = typer.Option(..., "--url", help="Base URL of the source of truth."),
    token_env: str | None = typer.Option(None, "--token-env", help="Environment variable holding the token."),
    profile: str | None = typer.Option(None, "--profile", help="Credentials-file profile with a token."),
    keyring: str | None = typer.Option(None, "--keyring", help="Keyring service holding the token."),
    credentials: Path | None = typer.Option(None, "--credentials", help="Credentials file (mode 0600)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes; write nothing."),
) -> None:
    """Tag each device and circuit with its worst verdict (netvet-fail ...) and journal the verdicts."""
    from ..collect import CollectError
    from ..collect.credentials import SECRETS, load_profiles, token
    from ..collect.publish import Client, targets_from_report
    from ..collect.publish import publish as do_publish

    kind = str(target)
    try:
        targets = targets_from_report(report, kind)
        tok = token(token_env, load_profiles(credentials), profile, keyring, f"{kind} token")
        client = Client("NetBox" if kind == "netbox" else "Nautobot", url, tok)
        changes = do_publish(client, targets, dry_run)
    except CollectError as exc:
        console_err.print(f"[bold red]error:[/] {SECRETS.redact(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_INPUT) from None
    for c in changes:
        console.print(("would " if dry_run else "") + str(c), markup=False, highlight=False)
    verb = "would change" if dry_run else "changed"
    console.print(f"{kind}: {len(targets)} objects with verdicts; {verb} {len(changes)} "
                  f"({'dry run: nothing written' if dry_run else 'nothing else touched'})", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
