"""Blocklists from a policy's excluded set (or one audit report's findings), one writer per format.

The excluded set is decided by the policy engine, never here:

* **AS numbers** (nftables, ipset): every AS the registry attributes is classified through the pack
  (``enforce.classify.classify_registry``, the set `netvet routes filter` rejects); the IPv4 and IPv6 prefixes
  they originate come from IP -> AS data (a pyasn IPASN file, a CAIDA pfx2as file or a RIB: ``--asn-db``, else
  the active ``caida-pfx2as-v4``/``-v6`` datasets). A prefix is blocked only when **every** origin AS of it is
  excluded (a multi-origin prefix shared with an AS the policy does not exclude is left out and counted).
  Prefixes are collapsed (covered and adjacent prefixes merged) before writing.
* **Domains** (rpz, unbound, dnsmasq): each registry ``domains`` fact is an observation with a domain identifier,
  attributed and evaluated like any other; FAIL excludes the domain and its subdomains.
* **Android packages** (mdm-csv): each curated package rule (``data/apps/package-prefixes.yaml``) is evaluated
  for the entity it names; without that file, the packages of app findings in ``--from-report``.
* **Devices** (device-csv): the failing devices of ``--from-report``.

With ``--from-report`` the set is the report's own findings (FAIL, plus REVIEW with ``include_review``) of the
chosen policy: AS observations give ASNs, domain identifiers give domains, app observations packages, the rest
devices.

Every writer is a function ``(BlockSet) -> str`` registered in :data:`WRITERS` with the parts it needs.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .bgp_filters import ascii_text

_LEVELS = {False: {"FAIL"}, True: {"FAIL", "REVIEW"}}


@dataclass(frozen=True)
class Blocked:
    """One excluded item (AS, prefix, domain, package or device) with why."""

    value: str
    entity_id: str | None = None
    entity_name: str | None = None
    verdict: str = "FAIL"
    rule_ids: tuple[str, ...] = ()
    note: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    def comment(self) -> str:
        who = self.entity_name or self.entity_id or "unattributed"
        rules = f" {', '.join(self.rule_ids)}" if self.rule_ids else ""
        return ascii_text(f"{self.value}: {who}: {self.verdict}{rules}" + (f" ({self.note})" if self.note else ""))


@dataclass
class BlockSet:
    policy_id: str
    policy_title: str
    policy_version: str
    registry_version: str
    evaluated_on: str
    origin: str  # "policy" or the report file
    include_review: bool = False
    asns: list[Blocked] = field(default_factory=list)
    v4: list[str] = field(default_factory=list)  # collapsed prefixes
    v6: list[str] = field(default_factory=list)
    domains: list[Blocked] = field(default_factory=list)
    packages: list[Blocked] = field(default_factory=list)
    devices: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.policy_id.lower()).strip("-") or "policy"

    def header(self, prefix: str) -> list[str]:
        levels = "FAIL and REVIEW" if self.include_review else "FAIL"
        lines = [f"netvet enforce: policy {self.policy_id} ({self.policy_title}, version {self.policy_version})",
                 f"registry {self.registry_version}, evaluated on {self.evaluated_on}; blocks {levels}; "
                 f"from {self.origin}"]
        lines += self.notes
        return [ascii_text(f"{prefix} {line}".rstrip()) for line in lines]


# ----------------------------------------------------------------------------- writers
def write_nftables(bs: BlockSet) -> str:
    """An nft script: table ``inet netvet_<policy>`` (re-created on each load) with interval sets of the
    blocked IPv4/IPv6 prefixes and output/forward chains dropping traffic to them."""
    table = "netvet_" + bs.slug.replace("-", "_")
    out = ["#!/usr/sbin/nft -f", *bs.header("#"), f"# {len(bs.v4)} IPv4 and {len(bs.v6)} IPv6 prefixes of "
           f"{len(bs.asns)} excluded AS numbers"]
    out += [f"#   AS{b.comment()}" for b in bs.asns]
    out += [f"table inet {table}", f"delete table inet {table}", f"table inet {table} {{"]
    for name, typ, items in (("blocked_v4", "ipv4_addr", bs.v4), ("blocked_v6", "ipv6_addr", bs.v6)):
        out.append(f"\tset {name} {{")
        out.append(f"\t\ttype {typ}")
        out.append("\t\tflags interval")
        if items:
            out.append("\t\telements = {")
            out += [f"\t\t\t{p}," for p in items]
            out.append("\t\t}")
        out.append("\t}")
    for chain, hook in (("output", "output"), ("forward", "forward")):
        out += [f"\tchain {chain} {{", f"\t\ttype filter hook {hook} priority filter; policy accept;",
                "\t\tip daddr @blocked_v4 counter reject", "\t\tip6 daddr @blocked_v6 counter reject",
                "\t}"]
    out.append("}")
    return "\n".join(out) + "\n"


def write_ipset(bs: BlockSet) -> str:
    """``ipset restore`` input: two hash:net sets (``netvet-<policy>-v4`` / ``-v6``), created if missing,
    flushed, then filled."""
    base = ("netvet-" + bs.slug)[:27]
    out = [*bs.header("#")]
    for suffix, family, items in (("-v4", "inet", bs.v4), ("-v6", "inet6", bs.v6)):
        name = base + suffix
        out.append(f"create {name} hash:net family {family} maxelem {max(65536, 2 * len(items))} -exist")
        out.append(f"flush {name}")
        out += [f"add {name} {p} -exist" for p in items]
    return "\n".join(out) + "\n"


def _rpz_owner(domain: str) -> str:
    return domain.rstrip(".")


def write_rpz(bs: BlockSet) -> str:
    """A DNS response-policy zone (BIND, Knot, PowerDNS, Unbound's rpz module): NXDOMAIN (``CNAME .``) for each
    excluded domain and its subdomains. Names are relative to the zone's origin (load it as e.g. rpz.netvet)."""
    out = [*bs.header(";"), "$TTL 300",
           "@\tIN\tSOA\tlocalhost. hostmaster.localhost. ( 1 3600 600 86400 300 )",
           "@\tIN\tNS\tlocalhost."]
    for b in bs.domains:
        name = _rpz_owner(b.value)
        out.append(f"; {b.comment()}")
        out.append(f"{name}\tCNAME\t.")
        out.append(f"*.{name}\tCNAME\t.")
    return "\n".join(out) + "\n"


def write_unbound(bs: BlockSet) -> str:
    """An Unbound ``server:`` clause (include it from unbound.conf): ``local-zone: "d." always_nxdomain``."""
    out = [*bs.header("#"), "server:"]
    for b in bs.domains:
        out.append(f"\t# {b.comment()}")
        out.append(f'\tlocal-zone: "{b.value.rstrip(".")}." always_nxdomain')
    return "\n".join(out) + "\n"


def write_dnsmasq(bs: BlockSet) -> str:
    """dnsmasq configuration lines: ``address=/d/`` answers NXDOMAIN for the domain and its subdomains."""
    out = [*bs.header("#")]
    for b in bs.domains:
        out.append(f"# {b.comment()}")
        out.append(f"address=/{b.value.rstrip('.')}/")
    return "\n".join(out) + "\n"


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_mdm_csv(bs: BlockSet) -> str:
    """Android/MDM app block list: one row per package or package prefix (``match`` exact or prefix)."""
    rows = [[b.value, dict(b.extra).get("match", "exact"), b.entity_id or "", b.entity_name or "", b.verdict,
             " ".join(b.rule_ids), b.note] for b in bs.packages]
    return _csv(["package", "match", "entity_id", "entity", "verdict", "rule_ids", "note"], rows)


_DEVICE_COLUMNS = ["subject", "label", "kind", "hostname", "ip", "mac", "site", "role", "entity_id", "entity",
                   "country", "verdict", "rule_ids", "reasons", "source"]


def write_device_csv(bs: BlockSet) -> str:
    """The excluded devices of a report, one row each."""
    return _csv(_DEVICE_COLUMNS, [[str(d.get(c) or "") for c in _DEVICE_COLUMNS] for d in bs.devices])


@dataclass(frozen=True)
class Writer:
    fn: Callable[[BlockSet], str]
    needs: str  # prefixes | domains | packages | devices


WRITERS: dict[str, Writer] = {
    "nftables": Writer(write_nftables, "prefixes"),
    "ipset": Writer(write_ipset, "prefixes"),
    "rpz": Writer(write_rpz, "domains"),
    "unbound": Writer(write_unbound, "domains"),
    "dnsmasq": Writer(write_dnsmasq, "domains"),
    "mdm-csv": Writer(write_mdm_csv, "packages"),
    "device-csv": Writer(write_device_csv, "devices"),
}


def render(bs: BlockSet, fmt: str) -> str:
    return WRITERS[fmt].fn(bs)


# ----------------------------------------------------------------------------- prefixes
def collapse(prefixes: list[str]) -> tuple[list[str], list[str]]:
    """(IPv4, IPv6) prefixes with covered and adjacent ones merged, sorted."""
    nets = [ipaddress.ip_network(p, strict=False) for p in prefixes]
    v4 = [str(n) for n in ipaddress.collapse_addresses(n for n in nets if n.version == 4)]
    v6 = [str(n) for n in ipaddress.collapse_addresses(n for n in nets if n.version == 6)]
    return v4, v6


def prefixes_of(tables, excluded: set[int]) -> tuple[list[str], int]:
    """Prefixes (text) whose every origin AS is in ``excluded``, over ``PrefixOrigins`` tables; and the count of
    prefixes left out because they also have an origin outside it."""
    import numpy as np

    out: list[str] = []
    mixed = 0
    for t in tables:
        full = np.zeros(len(t.origin_sets), dtype=bool)
        partial = np.zeros(len(t.origin_sets), dtype=bool)
        for sid, origins in enumerate(t.origin_sets):
            hit = [a in excluded for a in origins]
            full[sid] = bool(origins) and all(hit)
            partial[sid] = any(hit) and not all(hit)
        sel4 = full[t.v4_set]
        sel6 = full[t.v6_set]
        mixed += int(partial[t.v4_set].sum() + partial[t.v6_set].sum())
        for net, ln in zip(t.v4_net[sel4].tolist(), t.v4_len[sel4].tolist(), strict=True):
            out.append(f"{ipaddress.IPv4Address(net)}/{ln}")
        for hi, lo, ln in zip(t.v6_hi[sel6].tolist(), t.v6_lo[sel6].tolist(), t.v6_len[sel6].tolist(), strict=True):
            out.append(f"{ipaddress.IPv6Address((hi << 64) | lo)}/{ln}")
    return out, mixed


# ----------------------------------------------------------------------------- the excluded set: from a policy
def _evaluate(ctx, observations):
    from ..pipeline import evaluate_observations

    attributions, findings = evaluate_observations(ctx, observations)
    pack = ctx.packs[0].id
    return attributions, {f.subject: f for f in findings if f.policy == pack}


def policy_asns(ctx, include_review: bool, extra=()) -> list[Blocked]:
    from .bgp_filters import filter_spec
    from .classify import classify_registry

    spec = filter_spec(ctx, classify_registry(ctx, extra), include_review)
    return [Blocked(f"{e.asn}", e.entity_id, e.entity_name, e.verdict, e.rule_ids) for e in spec.entries]


def policy_domains(ctx, include_review: bool) -> list[Blocked]:
    from ..model import Identifier, IdKind, Observation, SourceRef, Strength

    obs = []
    for eid, e in sorted(ctx.registry.entities.items()):
        for f in e.domains:
            obs.append(Observation(id=f"domain:{f.value}", kind="domain", source=SourceRef("registry", pointer=eid),
                                   identifiers=[Identifier(IdKind.DOMAIN, f.value, "registry:domains",
                                                           Strength.STRONG)],
                                   attributes={"domain": f.value, "name": f.value}))
    attributions, by_subject = _evaluate(ctx, obs)
    out = []
    for o in obs:
        f = by_subject[o.id]
        if str(f.verdict) in _LEVELS[include_review]:
            ent = f.entity or {}
            out.append(Blocked(o.attributes["domain"].lower().rstrip("."), ent.get("id"), ent.get("name"),
                               str(f.verdict), tuple(f.rule_ids)))
    return sorted(out, key=lambda b: b.value)


def policy_packages(ctx, include_review: bool, rules_path: str | Path | None = None) -> list[Blocked] | None:
    """The curated package rules whose entity the policy excludes; None when no rules file exists. Each rule's
    entity is evaluated as an app observation named by the entity's legal name (the rule is the evidence)."""
    from ..attribution.packages import PackageRules
    from ..model import Identifier, IdKind, Observation, SourceRef, Strength

    try:
        rules = PackageRules.load(set(ctx.registry.entities), ctx.registry.sources, rules_path)
    except FileNotFoundError:
        return None
    obs = []
    for i, r in enumerate(rules.rules):
        legal = ctx.registry.entities[r.entity].legal_name
        obs.append(Observation(id=f"package-rule:{i}", kind="app", source=SourceRef(r.file or "package-prefixes",
                                                                                       line=r.line),
                               identifiers=[Identifier(IdKind.NAME, legal, "package-rule:entity", Strength.STRONG)],
                               attributes={"package": r.prefix, "name": r.prefix}))
    _att, by_subject = _evaluate(ctx, obs)
    out = []
    for o, r in zip(obs, rules.rules, strict=True):
        f = by_subject[o.id]
        if str(f.verdict) in _LEVELS[include_review]:
            match = "exact" if r.exact else "prefix"
            out.append(Blocked(r.prefix, r.entity, ctx.registry.entities[r.entity].legal_name, str(f.verdict),
                               tuple(f.rule_ids), note=f"{r.relation}; rule {r.where()}",
                               extra=(("match", match),)))
    return out


# ----------------------------------------------------------------------------- the excluded set: from a report
@dataclass
class ReportSet:
    asns: list[Blocked]
    domains: list[Blocked]
    packages: list[Blocked]
    devices: list[dict]
    policy: dict
    meta: dict


def load_report(path: str | Path, policy: str | None, include_review: bool) -> ReportSet:
    """The excluded items of one netvet JSON report (``netvet-report/1``). Raises InputError on a file that is
    not one, or on a policy it does not hold."""
    from ..model import InputError

    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(p), f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(p), f"not valid JSON ({exc.msg}: line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("netvet-report/"):
        raise InputError(str(p), "not a netvet JSON report (schema netvet-report/1): write one with "
                                 "`netvet audit ... --format json`")
    policies = {x.get("id"): x for x in doc.get("policies") or [] if isinstance(x, dict)}
    if policy is None:
        if len(policies) != 1:
            raise InputError(str(p), f"the report holds {len(policies)} policies ({', '.join(sorted(policies))}): "
                                     "choose one with --policy")
        policy = next(iter(policies))
    if policy not in policies:
        raise InputError(str(p), f"the report holds no findings of policy {policy!r} "
                                 f"(it has: {', '.join(sorted(policies)) or 'none'})")
    observations = {o.get("id"): o for o in doc.get("observations") or [] if isinstance(o, dict)}
    asns: dict[str, Blocked] = {}
    domains: dict[str, Blocked] = {}
    packages: dict[str, Blocked] = {}
    devices: list[dict] = []
    for f in doc.get("findings") or []:
        if not isinstance(f, dict) or f.get("policy") != policy or f.get("verdict") not in _LEVELS[include_review]:
            continue
        obs = observations.get(f.get("subject")) or {}
        ent = f.get("entity") or {}
        rules = tuple(f.get("rule_ids") or ())
        kind = obs.get("kind") or ""
        idents = [x for x in obs.get("identifiers") or [] if isinstance(x, dict)]
        attrs = obs.get("attributes") or {}

        def blocked(value, _f=f, _ent=ent, _rules=rules, **kw):
            return Blocked(value, _ent.get("id"), _ent.get("name"), _f["verdict"], _rules, **kw)

        if kind == "as":
            asn = str(attrs.get("asn") or str(f.get("subject", "")).removeprefix("AS"))
            if asn.isdigit():
                asns.setdefault(asn, blocked(asn))
            continue
        doms = [x["value"] for x in idents if x.get("kind") == "domain" and isinstance(x.get("value"), str)]
        for d in doms:
            domains.setdefault(d.lower().rstrip("."), blocked(d.lower().rstrip(".")))
        if kind == "app":
            pkgs = [x["value"] for x in idents if x.get("kind") == "package" and isinstance(x.get("value"), str)]
            for pkg in pkgs or ([attrs["package"]] if attrs.get("package") else []):
                packages.setdefault(pkg, blocked(pkg, note=f"finding {f.get('subject')}", extra=(("match", "exact"),)))
            continue
        if doms or kind in ("domain", "flow", "party"):
            continue
        src = f.get("source") or {}
        where = str(src.get("file") or "") + (f":{src['line']}" if src.get("line") else "") + (
            f"#{src['pointer']}" if src.get("pointer") else "")
        mac = next((x["value"] for x in idents if x.get("kind") == "mac"), attrs.get("mac", ""))
        devices.append({"subject": f.get("subject"), "label": f.get("label"), "kind": kind,
                        "hostname": attrs.get("hostname", ""), "ip": attrs.get("ip", ""), "mac": mac,
                        "site": f.get("site") or "", "role": f.get("role") or "", "entity_id": ent.get("id"),
                        "entity": ent.get("name"), "country": ent.get("country"), "verdict": f.get("verdict"),
                        "rule_ids": " ".join(rules), "reasons": "; ".join(f.get("reasons") or []), "source": where})
    return ReportSet(sorted(asns.values(), key=lambda b: int(b.value)), sorted(domains.values(), key=lambda b: b.value),
                     sorted(packages.values(), key=lambda b: b.value), devices, policies[policy],
                     {"registry_version": doc.get("registry_version", "?"),
                      "evaluated_on": doc.get("evaluated_on", "?")})
