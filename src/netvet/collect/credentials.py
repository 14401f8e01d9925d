"""Credentials: from environment variables, a file readable only by its owner, or the system keyring.

Never from the command line (options take the *name* of a variable, profile or keyring entry), never written to
logs, bundles or reports: every secret read is remembered by :class:`Secrets` and :func:`Secrets.redact` blanks
it out of any message that leaves a collector (failure reasons included).

Credentials file (YAML, mode 0600 or stricter; group- or world-readable files are refused)::

    profiles:
      campus:   {snmp_version: "2c", community: "s3cret"}
      core-v3:  {snmp_version: "3", user: netvet, auth_protocol: sha, auth_key: "...",
                 priv_protocol: aes, priv_key: "..."}
      ops:      {username: netvet, password: "..."}            # SSH
      sot:      {token: "..."}                                  # NetBox / Nautobot
      vault:    {keyring: "netvet"}                             # every secret of this profile from the keyring

A value may also be ``{env: VAR}`` (read from that variable) or ``{keyring: SERVICE}`` (keyring entry
SERVICE / <field name>).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import CollectError, need

SECRET_FIELDS = ("community", "auth_key", "priv_key", "password", "token", "secret")


@dataclass
class Secrets:
    """Every secret value read during a collection, for redaction."""

    values: set[str] = field(default_factory=set)

    def add(self, value: str | None) -> str | None:
        if value:
            self.values.add(value)
        return value

    def redact(self, text: str) -> str:
        for v in sorted(self.values, key=len, reverse=True):
            if v:
                text = text.replace(v, "***")
        return text


SECRETS = Secrets()


def from_env(var: str, what: str) -> str:
    value = os.environ.get(var)
    if not value:
        raise CollectError(f"{what}: environment variable {var} is not set")
    return SECRETS.add(value)


def from_keyring(service: str, name: str, what: str) -> str:
    keyring = need("keyring")
    try:
        value = keyring.get_password(service, name)
    except Exception as exc:  # noqa: BLE001 - any keyring backend failure
        raise CollectError(f"{what}: keyring {service}/{name}: {type(exc).__name__}") from None
    if not value:
        raise CollectError(f"{what}: no keyring entry {service}/{name}")
    return SECRETS.add(value)


def check_private(path: Path) -> None:
    """Refuse a credentials file that its group or others can read or write."""
    try:
        st = path.stat()
    except OSError as exc:
        raise CollectError(f"credentials file {path}: {exc.strerror or exc}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CollectError(f"credentials file {path} is readable by group or others (mode "
                           f"{stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}")


@dataclass
class Profiles:
    path: Path | None
    profiles: dict[str, dict]

    def get(self, name: str) -> dict:
        if name not in self.profiles:
            where = f" in {self.path}" if self.path else ""
            raise CollectError(f"no credential profile {name!r}{where}")
        raw = self.profiles[name]
        out: dict[str, str] = {}
        ring = raw.get("keyring") if isinstance(raw.get("keyring"), str) else None
        for key, value in raw.items():
            if key == "keyring":
                continue
            what = f"profile {name!r} field {key}"
            if isinstance(value, dict) and "env" in value:
                out[key] = from_env(str(value["env"]), what)
            elif isinstance(value, dict) and "keyring" in value:
                out[key] = from_keyring(str(value["keyring"]), key, what)
            elif value is None and ring and key in SECRET_FIELDS:
                out[key] = from_keyring(ring, key, what)
            else:
                out[key] = str(value)
                if key in SECRET_FIELDS:
                    SECRETS.add(out[key])
        if ring:
            for key in SECRET_FIELDS:
                if key not in out and key in raw:
                    out[key] = from_keyring(ring, key, f"profile {name!r} field {key}")
        return out


def load_profiles(path: Path | None) -> Profiles:
    if path is None:
        return Profiles(None, {})
    path = Path(path)
    check_private(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CollectError(f"credentials file {path}: cannot read: {type(exc).__name__}") from None
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise CollectError(f"credentials file {path}: expected a 'profiles' mapping of name -> fields")
    return Profiles(path, {str(k): v for k, v in profiles.items()})


def token(env: str | None, profiles: Profiles, profile: str | None, keyring_service: str | None,
          what: str) -> str:
    """An API token: from ``--token-env``, a profile's ``token`` or the keyring (service / ``token``)."""
    if env:
        return from_env(env, what)
    if profile:
        tok = profiles.get(profile).get("token")
        if not tok:
            raise CollectError(f"{what}: profile {profile!r} has no token")
        return tok
    if keyring_service:
        return from_keyring(keyring_service, "token", what)
    raise CollectError(f"{what}: give --token-env VAR, --profile NAME (with --credentials FILE) or --keyring "
                       "SERVICE; tokens are never taken from the command line")
