"""`netvet collect`: gather evidence from where the network already lives into a bundle (see docs/collect.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from .common import EXIT_INPUT, console, console_err

collect_app = typer.Typer(
    rich_markup_mode=None,
    help="Collect evidence from a source of truth, SNMP agents or devices over SSH into a "
    "bundle folder that `netvet audit` reads.",
    no_args_is_help=True,
)

_OUT = typer.Option(Path("evidence"), "--output", "-o", help="Bundle folder (created; several collectors may "
                    "write into one).")
_CREDS = typer.Option(None, "--credentials", help="Credentials file (YAML, mode 0600) with named profiles.")
# the API token of a source of truth (NetBox, Nautobot): where to find it
_TOKEN_ENV = typer.Option(None, "--token-env", help="Environment variable holding the API token.")
_PROFILE = typer.Option(None, "--profile", help="Credentials-file profile with a token.")
_KEYRING = typer.Option(None, "--keyring", help="Keyring service holding the token (entry 'token').")


@contextmanager
def _progress(what: str, total: int) -> Iterator[Callable[[str, bool], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    counts = {"ok": 0, "failed": 0}
    prog = Progress(TextColumn(f"[bold]{what}[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("[green]{task.fields[ok]} done[/] [red]{task.fields[failed]} failed[/]"),
                    TimeElapsedColumn(), console=console_err, transient=False)
    with prog:
        task = prog.add_task(what, total=total, ok=0, failed=0)

        def done(_target: str, ok: bool) -> None:
            counts["ok" if ok else "failed"] += 1
            prog.update(task, advance=1, ok=counts["ok"], failed=counts["failed"])

        yield done


def _run(bundle, body: Callable[[], None]) -> None:
    """Run a collection; the manifest is finished on success, on failure and on Ctrl-C."""
    try:
        body()
    except KeyboardInterrupt:
        bundle.finish("interrupted")
        console_err.print(f"interrupted: {bundle.directory} holds what was collected so far "
                          f"({len(bundle.run['targets_ok'])} targets); its manifest says so")
        raise
    except BaseException:
        bundle.finish("interrupted")
        raise
    run = bundle.finish()
    _summary(bundle, run)


def _summary(bundle, run: dict) -> None:
    ok, failed = run["targets_ok"], run["targets_failed"]
    console.print(f"{run['collector']}: {len(ok)} collected, {len(failed)} failed -> {bundle.directory} "
                  f"(manifest run {run['run']}, {run['status']})", highlight=False)
    for f in failed:
        console.print(f"  failed {f['target']}: {f['reason']}", markup=False, highlight=False)
    if failed and not ok:
        raise typer.Exit(EXIT_INPUT)


def _fail(exc: Exception) -> typer.Exit:
    console_err.print(f"[bold red]error:[/] {exc}", highlight=False)
    return typer.Exit(EXIT_INPUT)


def _sot(kind: str, url: str, token_env: str | None, profile: str | None, keyring: str | None,
         credentials: Path | None, output: Path) -> None:
    from ..collect import CollectError
    from ..collect.bundle import Bundle
    from ..collect.credentials import load_profiles, token
    from ..collect.sot import collect_sot

    try:
        tok = token(token_env, load_profiles(credentials), profile, keyring, f"{kind} token")
        bundle = Bundle(output, kind, url, {"url": url, "token_env": token_env, "profile": profile,
                                            "keyring": keyring})
    except CollectError as exc:
        raise _fail(exc) from None

    def body() -> None:
        with _progress(kind, 1) as done:
            try:
                exp = collect_sot(kind, url, tok, bundle)
            except CollectError as exc:
                bundle.failed(url, str(exc))
                done(url, False)
                return
            done(url, True)
            console_err.print(f"{kind}: {len(exp.devices)} devices, {len(exp.circuits)} circuits "
                              f"(version {exp.version or 'unknown'})", highlight=False)

    _run(bundle, body)


@collect_app.command("netbox")
def netbox(
    url: str = typer.Argument(..., help="NetBox base URL, e.g. https://netbox.example.net"),
    token_env: str | None = _TOKEN_ENV,
    profile: str | None = _PROFILE,
    keyring: str | None = _KEYRING,
    credentials: Path | None = _CREDS,
    output: Path = _OUT,
) -> None:
    """Export devices, interfaces, IPs, sites, roles, circuits and providers from NetBox (read-only)."""
    _sot("netbox", url, token_env, profile, keyring, credentials, output)


@collect_app.command("nautobot")
def nautobot(
    url: str = typer.Argument(..., help="Nautobot base URL, e.g. https://sot.example.net"),
    token_env: str | None = _TOKEN_ENV,
    profile: str | None = _PROFILE,
    keyring: str | None = _KEYRING,
    credentials: Path | None = _CREDS,
    output: Path = _OUT,
) -> None:
    """Export devices, interfaces, IPs, locations, roles, circuits and providers from Nautobot (read-only)."""
    _sot("nautobot", url, token_env, profile, keyring, credentials, output)


@collect_app.command("snmp")
def snmp(
    targets: Path = typer.Argument(..., help="Targets file: HOST[:PORT] [community=NAME|profile=NAME] [name=LABEL]."),
    community_env: str | None = typer.Option(None, "--community-env", help="Environment variable holding the "
                                             "SNMPv2c community for targets that name none."),
    community_keyring: str | None = typer.Option(None, "--community-keyring", help="Keyring service holding the "
                                                 "community (entry 'community')."),
    v3_user: str | None = typer.Option(None, "--v3-user", help="SNMPv3 user for targets that name none."),
    v3_auth_env: str | None = typer.Option(None, "--v3-auth-env", help="Environment variable: SNMPv3 auth key."),
    v3_priv_env: str | None = typer.Option(None, "--v3-priv-env", help="Environment variable: SNMPv3 privacy key."),
    v3_auth_protocol: str = typer.Option("sha", "--v3-auth-protocol", help="md5, sha, sha256, sha512."),
    v3_priv_protocol: str = typer.Option("aes", "--v3-priv-protocol", help="des, aes, aes256."),
    credentials: Path | None = _CREDS,
    output: Path = _OUT,
    concurrency: int = typer.Option(32, "--concurrency", min=1, max=1024, help="Targets walked at once."),
    timeout: float = typer.Option(2.0, "--timeout", min=0.1, help="Seconds per SNMP request."),
    retries: int = typer.Option(1, "--retries", min=0, max=10, help="Retries per SNMP request."),
    target_timeout: float = typer.Option(120.0, "--target-timeout", min=1, help="Seconds for one target's walk."),
) -> None:
    """Walk the SNMP subtrees netvet reads (system, ENTITY-MIB, ifPhysAddress, LLDP, private MIB)."""
    from ..collect import CollectError
    from ..collect.bundle import Bundle
    from ..collect.credentials import load_profiles
    from ..collect.snmp import SnmpOptions, collect_snmp, default_auth, parse_targets

    try:
        tlist = parse_targets(targets)
        profiles = load_profiles(credentials)
        default = default_auth(community_env, community_keyring, v3_user, v3_auth_env, v3_priv_env,
                               v3_auth_protocol, v3_priv_protocol)
        opts = SnmpOptions(timeout=timeout, retries=retries, concurrency=concurrency, target_timeout=target_timeout)
        bundle = Bundle(output, "snmp", str(targets), {
            "targets": len(tlist), "community_env": community_env, "community_keyring": community_keyring,
            "v3_user": v3_user, "v3_auth_env": v3_auth_env, "v3_priv_env": v3_priv_env,
            "credentials": str(credentials) if credentials else None, "concurrency": concurrency,
            "timeout": timeout, "retries": retries})
    except CollectError as exc:
        raise _fail(exc) from None

    def body() -> None:
        with _progress("snmp", len(tlist)) as done:
            try:
                collect_snmp(tlist, bundle, default, profiles, opts, done)
            except CollectError as exc:
                raise _fail(exc) from None

    _run(bundle, body)


@collect_app.command("ssh")
def ssh(
    inventory: Path = typer.Argument(..., help="Inventory YAML: devices with name, host, port, platform, profile."),
    username_env: str | None = typer.Option(None, "--username-env", help="Environment variable: SSH username."),
    password_env: str | None = typer.Option(None, "--password-env", help="Environment variable: SSH password."),
    credentials: Path | None = _CREDS,
    output: Path = _OUT,
    concurrency: int = typer.Option(8, "--concurrency", min=1, max=256, help="Devices read at once."),
    timeout: float = typer.Option(10.0, "--timeout", min=1, help="Seconds to connect and per command."),
    commands: Path | None = typer.Option(None, "--commands", help="Own command allow-list (same format as "
                                         "data/collect/commands.yaml; validated: read-only commands only)."),
) -> None:
    """Run the read-only commands of each device's platform over SSH and save their output."""
    from ..collect import CollectError
    from ..collect.bundle import Bundle
    from ..collect.credentials import load_profiles
    from ..collect.ssh import collect_ssh, load_commands, parse_inventory

    try:
        devices = parse_inventory(inventory)
        profiles = load_profiles(credentials)
        load_commands(commands)
        bundle = Bundle(output, "ssh", str(inventory), {
            "devices": len(devices), "username_env": username_env, "password_env": password_env,
            "credentials": str(credentials) if credentials else None, "commands": str(commands) if commands else
            "data/collect/commands.yaml"})
    except CollectError as exc:
        raise _fail(exc) from None

    def body() -> None:
        with _progress("ssh", len(devices)) as done:
            try:
                collect_ssh(devices, bundle, profiles, username_env, password_env, timeout, concurrency, commands,
                            done)
            except CollectError as exc:
                raise _fail(exc) from None

    _run(bundle, body)


@collect_app.command("verify")
def verify(bundle: Path = typer.Argument(..., help="Bundle folder.")) -> None:
    """Check every file of a bundle against the sha256 in its manifest."""
    from ..collect.bundle import verify as verify_bundle

    res = verify_bundle(bundle)
    for run in res.runs:
        console.print(f"run {run.get('run')}: {run.get('collector')} {run.get('collector_version')} from "
                      f"{run.get('source')} at {run.get('started_at')}: {run.get('status')}, "
                      f"{len(run.get('targets_ok', []))} collected, {len(run.get('targets_failed', []))} failed",
                      markup=False, highlight=False)
    for p in res.problems:
        console.print(f"  problem: {p}", markup=False, highlight=False)
    if res.ok:
        console.print(f"{bundle}: {res.checked} files, every sha256 matches the manifest", highlight=False)
    else:
        console.print(f"{bundle}: {len(res.problems)} problem(s) in {res.checked} listed files", highlight=False)
        raise typer.Exit(EXIT_INPUT)


def register(app: typer.Typer) -> None:
    app.add_typer(collect_app, name="collect")
