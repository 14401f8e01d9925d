"""watch.yaml: what to watch, under which policy and rules, from which feeds, alerting where.

Validated with pydantic (unknown fields are errors) through :mod:`netvet.util.yamlfile`, so every error names
the file and line. See docs/watch.md for the reference.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def _duration(v):
    if isinstance(v, bool):
        raise ValueError("a duration: seconds, or a number with ms, s, m, h or d")
    if isinstance(v, int | float):
        return float(v)
    m = _DURATION.match(str(v))
    if not m:
        raise ValueError(f"{v!r} is not a duration (e.g. 30s, 5m, 1h)")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _asn(v):
    if isinstance(v, bool):
        raise ValueError("an AS number")
    if isinstance(v, int):
        n = v
    else:
        s = str(v).strip().upper()
        s = s[2:] if s.startswith("AS") else s
        if "." in s:  # asdot
            hi, _, lo = s.partition(".")
            n = int(hi) * 65536 + int(lo) if hi.isdigit() and lo.isdigit() else -1
        else:
            n = int(s) if s.isdigit() else -1
    if not 0 < n < 2**32:
        raise ValueError(f"{v!r} is not an AS number (1 .. 4294967295, AS64500 or 64500)")
    return n


Duration = Annotated[float, BeforeValidator(_duration)]
Asn = Annotated[int, BeforeValidator(_asn)]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntitySet(_M):
    """Named set of carriers: entity ids (an AS counts when its entity or any owner is listed) and ASNs."""

    entities: list[str] = Field(default_factory=list)
    asns: list[Asn] = Field(default_factory=list)


RULE_KINDS = ("excluded_carrier", "excluded_origin", "must_transit", "never_transit", "no_jurisdiction",
              "required_upstream", "withdrawn")


class Rule(_M):
    id: str
    kind: Literal["excluded_carrier", "excluded_origin", "must_transit", "never_transit", "no_jurisdiction",
                  "required_upstream", "withdrawn"]
    paths: Literal["any", "best", "all"] = "any"
    asns: list[Asn] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    sets: list[str] = Field(default_factory=list)
    jurisdictions: list[str] = Field(default_factory=list)
    include_review: bool = False  # excluded_carrier / excluded_origin: REVIEW ASes count too
    prefixes: list[str] = Field(default_factory=list)  # restrict the rule to these watched prefixes (and within)
    severity: Literal["critical", "high", "medium", "low", "info"] = "high"

    @field_validator("jurisdictions")
    @classmethod
    def _cc(cls, v: list[str]) -> list[str]:
        out = []
        for c in v:
            if not re.fullmatch(r"[A-Za-z]{2}", c):
                raise ValueError(f"{c!r} is not an ISO 3166 two-letter country code")
            out.append(c.upper())
        return out

    @field_validator("prefixes")
    @classmethod
    def _pfx(cls, v: list[str]) -> list[str]:
        return [_norm_prefix(p) for p in v]

    @model_validator(mode="after")
    def _needs(self):
        sets_kinds = ("must_transit", "never_transit", "required_upstream")
        if self.kind in sets_kinds and not (self.asns or self.entities or self.sets):
            raise ValueError(f"a {self.kind} rule needs asns, entities or sets")
        if self.kind == "no_jurisdiction" and not self.jurisdictions:
            raise ValueError("a no_jurisdiction rule needs jurisdictions")
        return self


def _norm_prefix(p: str) -> str:
    try:
        return str(ipaddress.ip_network(str(p).strip(), strict=False))
    except ValueError:
        raise ValueError(f"{p!r} is not an IP prefix") from None


class Watch(_M):
    prefixes: list[str] = Field(default_factory=list)
    prefix_files: list[str] = Field(default_factory=list)  # a prefix list (one per line) or a RIB/update file
    origins: list[Asn] = Field(default_factory=list)  # every prefix these ASes originate
    more_specifics: bool = True  # a watched prefix covers its more-specifics (hijacks, de-aggregation)

    @field_validator("prefixes")
    @classmethod
    def _pfx(cls, v: list[str]) -> list[str]:
        return [_norm_prefix(p) for p in v]


class Feed(_M):
    name: str
    type: Literal["bgp", "bmp", "rislive", "mrt"]
    # bgp (ExaBGP): netvet listens on listen:port, the router connects (or netvet connects when not passive)
    listen: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535)
    local_as: Asn | None = None
    peer_as: Asn | None = None
    peer: str | None = None  # the router's address
    router_id: str | None = None
    passive: bool = True
    # rislive: a websocket URL or a file of recorded messages (one JSON per line)
    url: str | None = None
    file: str | None = None
    subscribe: dict | None = None  # the ris_subscribe data sent after connecting
    # mrt: update files (replay)
    files: list[str] = Field(default_factory=list)
    expected_interval: Duration = 300.0  # silence longer than this raises feed_silent

    @model_validator(mode="after")
    def _needs(self):
        if self.type == "bgp" and (self.local_as is None or self.peer_as is None or not self.peer):
            raise ValueError("a bgp feed needs local_as, peer_as and peer (the router's address)")
        if self.type == "rislive" and not (self.url or self.file):
            raise ValueError("a rislive feed needs url (ws:// or wss://) or file")
        if self.type == "bmp" and not self.port:
            raise ValueError("a bmp feed needs port (netvet listens, the router connects)")
        return self


class Channel(_M):
    type: Literal["stdout", "file", "syslog", "webhook", "dashboard"]
    path: str | None = None  # file
    host: str = "127.0.0.1"  # syslog
    port: int = Field(514, ge=1, le=65535)
    facility: str = "daemon"
    url: str | None = None  # webhook
    retries: int = Field(5, ge=0, le=50)
    backoff: Duration = 0.5  # first retry delay; doubles each time
    max_backoff: Duration = 30.0
    queue: int = Field(1000, ge=1)  # bounded: the oldest pending alert is dropped (and counted) when full
    timeout: Duration = 5.0
    headers: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _needs(self):
        if self.type == "file" and not self.path:
            raise ValueError("a file channel needs path")
        if self.type == "webhook" and not (self.url and self.url.startswith(("http://", "https://"))):
            raise ValueError("a webhook channel needs url (http:// or https://)")
        return self


class Health(_M):
    rate_window: Duration = 60.0  # message counts are compared per window of this length
    rate_history: int = Field(10, ge=2)  # windows that make the recent level
    rate_factor: float = Field(5.0, gt=1.0)  # alert when a window is above factor x or below 1/factor x the level
    rate_min: int = Field(100, ge=0)  # ... and the level is at least this many messages per window


class WatchConfig(_M):
    policy: list[str] | str = "clean-network"
    evaluated_on: date | None = None  # evaluation date of the policy (default: today)
    watch: Watch = Field(default_factory=Watch)
    entity_sets: dict[str, EntitySet] = Field(default_factory=dict)
    rules: list[Rule] | None = None  # default: excluded_carrier (any), excluded_origin, withdrawn
    feeds: list[Feed] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=lambda: [Channel(type="stdout")])
    state: str | None = None  # SQLite file
    health: Health = Field(default_factory=Health)
    _doc: object = PrivateAttr(None)

    @property
    def policies(self) -> list[str]:
        return [self.policy] if isinstance(self.policy, str) else list(self.policy)

    def effective_rules(self) -> list[Rule]:
        if self.rules is not None:
            return self.rules
        return [Rule(id="excluded-carrier", kind="excluded_carrier"),
                Rule(id="excluded-origin", kind="excluded_origin"),
                Rule(id="withdrawn", kind="withdrawn")]


def load_config(path: str | Path) -> WatchConfig:
    """Read and validate watch.yaml; relative file paths in it are taken from the file's directory."""
    doc = read_yaml(path)
    if not isinstance(doc.data, dict):
        raise DataValidationError([DataFileError(str(path), 1, "watch config: expected a mapping")])
    cfg = validate(doc, WatchConfig)
    errors: list[DataFileError] = []
    rules = cfg.effective_rules()
    seen: set[str] = set()
    for i, r in enumerate(rules):
        if r.id in seen:
            errors.append(DataFileError(doc.file, doc.line_of(("rules", i, "id")),
                                        f"rules[{i}].id: duplicate {r.id!r}"))
        seen.add(r.id)
        for j, s in enumerate(r.sets):
            if s not in cfg.entity_sets:
                errors.append(DataFileError(doc.file, doc.line_of(("rules", i, "sets", j)),
                                            f"rules[{i}].sets[{j}]: no entity set {s!r} (entity_sets: "
                                            f"{', '.join(sorted(cfg.entity_sets)) or 'none'})"))
    names = set()
    for i, f in enumerate(cfg.feeds):
        if f.name in names:
            errors.append(DataFileError(doc.file, doc.line_of(("feeds", i, "name")),
                                        f"feeds[{i}].name: duplicate {f.name!r}"))
        names.add(f.name)
    base = Path(path).resolve().parent
    cfg.watch.prefix_files = [str(_rel(base, p)) for p in cfg.watch.prefix_files]
    for i, p in enumerate(cfg.watch.prefix_files):
        if not Path(p).exists():
            errors.append(DataFileError(doc.file, doc.line_of(("watch", "prefix_files", i)),
                                        f"watch.prefix_files[{i}]: file not found: {p}"))
    for f in cfg.feeds:
        f.files = [str(_rel(base, p)) for p in f.files]
        if f.file:
            f.file = str(_rel(base, f.file))
    for c in cfg.channels:
        if c.path:
            c.path = str(_rel(base, c.path))
    if cfg.state:
        cfg.state = str(_rel(base, cfg.state))
    pol = []
    for p in cfg.policies:
        pol.append(str(_rel(base, p)) if p.endswith((".yaml", ".yml")) else p)
    cfg.policy = pol
    if errors:
        raise DataValidationError(errors)
    cfg._doc = doc
    return cfg


def _rel(base: Path, p: str) -> Path:
    q = Path(p).expanduser()
    return q if q.is_absolute() else base / q
