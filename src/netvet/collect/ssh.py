"""``netvet collect ssh``: read-only CLI commands over SSH, written as device CLI captures.

Inventory (YAML)::

    defaults: {port: 22, profile: ops}          # optional: applies to every device
    devices:
      - {name: core1, host: 10.0.0.1, platform: cisco_ios}
      - {name: olt1, host: 10.0.0.9, port: 2222, profile: olt}   # platform detected

The platform comes from the inventory, else it is detected from the login banner, the prompt and, if they do
not tell, the output of ``show version`` then ``display version`` (read-only commands of the allow-list; nothing
else is sent). Only the commands of that platform in
``data/collect/commands.yaml`` are sent (validated on load: read-only verbs, no metacharacters, no
state-changing words). Each device gives ``ssh/<name>.txt``: header lines starting with ``# netvet-collect:``
(device, host, platform, commands, time; the device-cli reader skips them) and then, per command, the prompt
line ``<prompt><command>`` and its output, as a saved session would show them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from . import COLLECTOR_VERSION, CollectError, need
from .bundle import Bundle, now, safe_name
from .credentials import SECRETS, Profiles, from_env

HEADER = "# netvet-collect:"
READ_VERBS = ("show", "display")
FORBIDDEN_WORDS = {
    "configure", "conf", "config", "write", "copy", "delete", "erase", "reload", "reboot", "reset", "clear",
    "debug", "set", "undo", "save", "request", "test", "system-view", "commit", "rollback", "format", "install",
    "upgrade", "shutdown", "remove", "edit", "import", "export", "run", "start", "stop", "kill", "tclsh",
}
_META = re.compile(r"[;|><&`$\n\r\\]")


class PlatformCommands(BaseModel):
    model_config = ConfigDict(extra="forbid")

    netmiko: str
    enable: bool = False
    commands: list[str]

    @field_validator("commands")
    @classmethod
    def _read_only(cls, commands: list[str]) -> list[str]:
        if not commands:
            raise ValueError("no commands")
        for c in commands:
            check_read_only(c)
        return commands


class CommandsFile(BaseModel):
    schema_: int = 1
    platforms: dict[str, PlatformCommands]

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def check_read_only(command: str) -> None:
    """Raise ValueError unless ``command`` is a read-only show/display (or RouterOS print) command."""
    text = command.strip()
    if not text or _META.search(text):
        raise ValueError(f"{command!r}: empty or holds a shell/CLI metacharacter")
    words = text.lower().split()
    if words[0].startswith("/"):  # RouterOS: /path ... print
        if words[-1] != "print":
            raise ValueError(f"{command!r}: a RouterOS command must end in 'print'")
        words = [w for w in " ".join(words).replace("/", " ").split()]
    elif words[0] == "admin" and len(words) > 1:  # IOS XR admin-mode show
        words = words[1:]
    if words[0] not in READ_VERBS and not command.strip().startswith("/"):
        raise ValueError(f"{command!r}: not a read-only command (must start with {', '.join(READ_VERBS)})")
    bad = FORBIDDEN_WORDS.intersection(words[1:] if words[0] in READ_VERBS else words)
    if bad:
        raise ValueError(f"{command!r}: holds a state-changing word ({', '.join(sorted(bad))})")


def load_commands(path: Path | None = None) -> dict[str, PlatformCommands]:
    if path is None:
        text = resources.files("netvet").joinpath("data/collect/commands.yaml").read_text(encoding="utf-8")
        where = "data/collect/commands.yaml"
    else:
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        raw = yaml.safe_load(text) or {}
        raw["schema_"] = raw.pop("schema", 1)
        return CommandsFile.model_validate(raw).platforms
    except (yaml.YAMLError, ValueError) as exc:
        raise CollectError(f"{where}: invalid command allow-list: {exc}") from None


@dataclass
class Device:
    name: str
    host: str
    port: int = 22
    platform: str | None = None
    profile: str | None = None


def parse_inventory(path: Path) -> list[Device]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CollectError(f"inventory {path}: cannot read: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("devices"), list):
        raise CollectError(f"inventory {path}: expected a 'devices' list")
    defaults = data.get("defaults") or {}
    out, errors = [], []
    for i, d in enumerate(data["devices"]):
        if not isinstance(d, dict) or not d.get("host"):
            errors.append(f"devices[{i}]: needs at least 'host'")
            continue
        unknown = set(d) - {"name", "host", "port", "platform", "profile"}
        if unknown:
            errors.append(f"devices[{i}]: unknown field(s) {', '.join(sorted(unknown))} (credentials belong in "
                          "the credentials file)")
            continue
        merged = {**defaults, **d}
        out.append(Device(str(merged.get("name") or merged["host"]), str(merged["host"]),
                          int(merged.get("port", 22)), merged.get("platform"), merged.get("profile")))
    if errors:
        raise CollectError(f"inventory {path}: " + "; ".join(errors))
    if not out:
        raise CollectError(f"inventory {path}: no devices")
    return out


# what a version output says -> platform (first match wins)
_VERSION_SIGNS = (
    (re.compile(r"Arista", re.I), "arista_eos"),
    (re.compile(r"NX-OS", re.I), "cisco_nxos"),
    (re.compile(r"IOS XR", re.I), "cisco_xr"),
    (re.compile(r"Cisco IOS", re.I), "cisco_ios"),
    (re.compile(r"JUNOS", re.I), "juniper_junos"),
    (re.compile(r"ZXROS|ZTE Corporation", re.I), "zte_zxros"),
    (re.compile(r"Versatile Routing Platform", re.I), "huawei_vrp"),
    (re.compile(r"Comware", re.I), "hp_comware"),
    (re.compile(r"SmartAX|^\s*PRODUCT\s*:\s*MA5\d", re.I | re.M), "huawei_smartax"),
)
DETECT_COMMANDS = ("show version", "display version")  # read-only, and in the allow-list of the platforms tried


def classify(banner: str, prompt: str, outputs: list[str]) -> str | None:
    """The platform told by a login banner, the prompt and version outputs; None when they do not tell."""
    p = prompt.strip()
    if re.fullmatch(r"\[[^\]]*@[^\]]*\]\s*>", p):
        return "mikrotik_routeros"
    if re.fullmatch(r"[\w.-]+@[\w.-]+[>#%]", p):
        return "juniper_junos"
    for text in [banner, *outputs]:
        for rx, platform in _VERSION_SIGNS:
            if rx.search(text or ""):
                return platform
    return None


def _detect(netmiko, params: dict) -> str:
    """Log in as a plain terminal, read banner and prompt, and send at most the two version commands."""
    try:
        conn = netmiko.ConnectHandler(device_type="terminal_server", **params)
    except Exception as exc:  # noqa: BLE001
        raise CollectError(f"{type(exc).__name__}: {_first_line(exc)}") from None
    try:
        banner = conn.read_channel()
        prompt = conn.find_prompt()
        outputs: list[str] = []
        found = classify(banner, prompt, outputs)
        if found is None and not prompt.strip().startswith("<"):
            outputs.append(conn.send_command_timing(DETECT_COMMANDS[0], read_timeout=params["timeout"]))
            found = classify(banner, prompt, outputs)
        if found is None:
            outputs.append(conn.send_command_timing(DETECT_COMMANDS[1], read_timeout=params["timeout"]))
            found = classify(banner, prompt, outputs)
    finally:
        with contextlib.suppress(Exception):
            conn.disconnect()
    if found is None:
        raise CollectError(f"platform not given and not detected from the banner, the prompt {prompt!r} or the "
                           "version output; name it in the inventory")
    return found


def capture(dev: Device, username: str, password: str, commands: dict[str, PlatformCommands],
            timeout: float) -> str:
    netmiko = need("netmiko")
    params = {"host": dev.host, "port": dev.port, "username": username, "password": password,
              "conn_timeout": timeout, "auth_timeout": timeout, "banner_timeout": timeout, "timeout": timeout,
              "fast_cli": True, "allow_agent": False, "use_keys": False}
    platform = dev.platform or _detect(netmiko, params)
    if platform not in commands:
        raise CollectError(f"platform {platform!r} has no command allow-list (known: {', '.join(commands)})")
    spec = commands[platform]
    try:
        conn = netmiko.ConnectHandler(device_type=spec.netmiko, **params)
    except Exception as exc:  # noqa: BLE001 - auth failures, timeouts, refused connections
        raise CollectError(f"{type(exc).__name__}: {_first_line(exc)}") from None
    try:
        if spec.enable:
            with contextlib.suppress(Exception):  # some devices log in privileged already
                conn.enable()
        prompt = conn.find_prompt()
        lines = [f"{HEADER} device={dev.name} host={dev.host}:{dev.port} platform={platform} "
                 f"collected_at={now()} collector=netvet {COLLECTOR_VERSION}",
                 f"{HEADER} commands={'; '.join(spec.commands)}"]
        for command in spec.commands:
            check_read_only(command)  # the allow-list is re-checked before anything is sent
            output = conn.send_command(command, expect_string=None, read_timeout=timeout * 3)
            lines.append(f"{prompt}{command}")
            lines.extend(output.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        return "\n".join(lines) + "\n"
    finally:
        with contextlib.suppress(Exception):
            conn.disconnect()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


def collect_ssh(devices: list[Device], bundle: Bundle, profiles: Profiles, username_env: str | None,
                password_env: str | None, timeout: float = 10.0, concurrency: int = 8,
                commands_file: Path | None = None, on_done: Callable[[str, bool], None] | None = None) -> None:
    commands = load_commands(commands_file)
    creds: dict[str, tuple[str, str]] = {}
    for d in devices:
        if d.profile:
            p = profiles.get(d.profile)
            if not p.get("username") or not p.get("password"):
                raise CollectError(f"profile {d.profile!r} needs username and password")
            creds[d.name] = (p["username"], p["password"])
        elif username_env and password_env:
            creds[d.name] = (from_env(username_env, "SSH username"), from_env(password_env, "SSH password"))
        else:
            raise CollectError(f"device {d.name}: no credentials: give profile: (with --credentials) or "
                               "--username-env and --password-env")
    names: dict[str, str] = {}
    for d in devices:
        base = safe_name(d.name)
        names[d.name] = base if base not in names.values() else f"{base}-{len(names)}"

    def one(d: Device) -> str:
        return capture(d, *creds[d.name], commands, timeout)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {pool.submit(one, d): d for d in devices}
        for fut in as_completed(futures):
            d = futures[fut]
            try:
                text = fut.result()
            except CollectError as exc:
                bundle.failed(d.name, SECRETS.redact(str(exc)))
                ok = False
            except Exception as exc:  # noqa: BLE001 - one device never stops the others
                bundle.failed(d.name, SECRETS.redact(f"{type(exc).__name__}: {_first_line(exc)}"))
                ok = False
            else:
                bundle.add_file(f"ssh/{names[d.name]}.txt", SECRETS.redact(text).encode("utf-8"),
                                f"{d.name} ({d.host}:{d.port})", "cli-capture")
                bundle.ok(d.name)
                ok = True
            if on_done:
                on_done(d.name, ok)
