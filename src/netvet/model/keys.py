"""Stable subject keys: how a finding of one run is matched with the same finding of another run.

A finding's key is ``policy | source file basename | identity`` where the identity is the first of these
the observation has: ``hostname=``, ``name=``, ``prefix=``, ``mac=``, ``serial=``, ``ip=``, then the first
identifier (``kind=value``), then the observation id. Hostnames are compared in lower case and MAC addresses
in upper case with colons. Line numbers are never part of the key, so re-ordering an inventory changes
nothing; two observations of one file with the same identity get ``#2``, ``#3`` ... in the order they appear.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePath, PureWindowsPath

_ATTR_ORDER = ("hostname", "name", "prefix", "mac", "serial", "ip")
_HEX = re.compile(r"[^0-9A-Fa-f]")


def basename(path: str) -> str:
    """The file name of ``path`` written with / or \\ separators."""
    return PureWindowsPath(path).name if "\\" in path else PurePath(path).name


def _normal(kind: str, value: str) -> str:
    value = " ".join(str(value).split())
    if kind == "hostname":
        return value.lower()
    if kind == "mac":
        digits = _HEX.sub("", value).upper()
        if len(digits) == 12:
            return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
        return value.upper()
    return value


def identity(obs: dict) -> str:
    """The identity of an observation dictionary (``Observation.to_dict()``), without the file name."""
    attrs = obs.get("attributes") or {}
    for key in _ATTR_ORDER:
        if attrs.get(key):
            return f"{key}={_normal(key, attrs[key])}"
    for ident in obs.get("identifiers") or []:
        if ident.get("value"):
            kind = ident.get("kind") or "id"
            return f"{kind}={_normal(kind, ident['value'])}"
    return f"id={obs.get('id', '')}"


def observation_keys(observations: list[dict]) -> dict[str, str]:
    """Observation id -> ``basename|identity`` (disambiguated by order of appearance)."""
    seen: Counter = Counter()
    out: dict[str, str] = {}
    for obs in observations:
        base = f"{basename((obs.get('source') or {}).get('file') or '')}|{identity(obs)}"
        seen[base] += 1
        out[obs.get("id", "")] = base if seen[base] == 1 else f"{base}#{seen[base]}"
    return out


def finding_key(policy: str, subject_key: str) -> str:
    return f"{policy}|{subject_key}"


def finding_keys(data: dict) -> list[str]:
    """The key of every finding of a report dictionary, in order."""
    keys = observation_keys(data.get("observations") or [])
    out = []
    for f in data.get("findings") or []:
        subj = keys.get(f.get("subject", ""))
        if subj is None:  # a finding whose observation is not in the report: fall back on its label
            subj = f"{basename((f.get('source') or {}).get('file') or '')}|label={f.get('label', '')}"
        out.append(finding_key(f.get("policy", ""), subj))
    return out
