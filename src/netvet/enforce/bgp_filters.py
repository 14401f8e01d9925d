"""BGP filters that reject every route whose AS path contains an AS number a policy excludes.

One entry per excluded AS number, each preceded by a comment naming the entity, the verdict and rule ids,
and the sources (registry source URLs) behind it. Matching is on whole AS numbers (AS174 never matches
AS1174) and includes AS_SET members:

* **BIRD 2** (``bird``): a set constant and ``filter(bgp_path, SET).len > 0`` — ``filter()`` keeps only the
  listed ASNs, AS_SET members included (BIRD's ``as_path_filter``), so no regular expression is involved.
  The function form ``filter(P, A)`` is the one BIRD 2.0 accepts (2.0.12 in Debian 12).
* **FRR** (``frr``): ``bgp as-path access-list NAME seq N permit _ASN_`` entries and a route-map that
  denies what they match. FRR turns ``_`` into ``(^|[,{}() ]|$)``, so ``_4134_`` matches 4134 as a
  sequence member and inside ``{...}`` AS_SETs but never 14134 or 41340.
* **Junos** (``junos``): an ``as-path-group`` of ``as-path NAME ".* ASN .*"`` regular expressions (Junos
  AS-path regexes work on whole AS numbers, not characters) and a policy term that rejects them; names
  stay far below the documented 255-character limit of older releases. Whether Junos matches members of
  an AS_SET with these terms is not verified here: netvet cannot run Junos.
* **Arista EOS** (``eos``): ``ip as-path access-list NAME permit _ASN_ any`` (valid in both
  ``ip as-path regex-mode string`` and ``asn``) and a route-map.
* **Cisco IOS XR** (``iosxr``): an ``as-path-set`` of ``ios-regex '_ASN_'`` elements (``#`` comments are
  allowed inside RPL sets) and a ``route-policy`` that drops matching routes and passes the rest.

Each entry stays one short line. ``chunk`` splits the list into several lists of at most that many
entries (``NAME-1``, ``NAME-2`` ...) for platforms or change processes that cap list sizes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

PLATFORMS = ("bird", "frr", "junos", "eos", "iosxr")


@dataclass(frozen=True)
class FilterEntry:
    asn: int
    entity_id: str | None
    entity_name: str | None
    country: str | None
    verdict: str
    rule_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # URLs (or source ids when a source has no URL)

    def comment(self) -> str:
        who = self.entity_name or self.entity_id or "unattributed"
        if self.country:
            who += f" ({self.country})"
        rules = f" {', '.join(self.rule_ids)}" if self.rule_ids else ""
        src = f"; source: {' '.join(self.sources)}" if self.sources else ""
        return ascii_text(f"AS{self.asn} {who}: {self.verdict}{rules}{src}")


@dataclass(frozen=True)
class FilterSpec:
    policy_id: str
    policy_title: str
    policy_version: str
    registry_version: str
    evaluated_on: str
    entries: tuple[FilterEntry, ...] = ()
    include_review: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return "NETVET-" + re.sub(r"[^A-Za-z0-9]+", "-", self.policy_id).strip("-").upper()

    @property
    def bird_name(self) -> str:
        return "netvet_" + re.sub(r"[^A-Za-z0-9]+", "_", self.policy_id).strip("_").lower()

    def header(self, platform: str = "") -> list[str]:
        levels = "excluded (FAIL) and review (REVIEW)" if self.include_review else "excluded (FAIL)"
        lines = [
            f"netvet routes filter: policy {self.policy_id} ({self.policy_title}, version {self.policy_version})",
            f"registry {self.registry_version}, evaluated on {self.evaluated_on}; "
            f"{len(self.entries)} {levels} AS number(s)",
        ]
        if platform == "junos":
            lines.append("Rejects every route whose AS_PATH contains one of these AS numbers (whether Junos matches "
                         "members of an AS_SET with these terms is not verified by netvet).")
        else:
            lines.append("Rejects every route whose AS_PATH contains one of these AS numbers "
                         "(AS_SET members included).")
        return [ascii_text(x) for x in lines + list(self.notes)]


def ascii_text(text: str) -> str:
    """Comments in router configs stay ASCII and on one line."""
    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(flat.split())


def _chunks(entries: Sequence[FilterEntry], chunk: int) -> list[Sequence[FilterEntry]]:
    if chunk <= 0 or len(entries) <= chunk:
        return [entries]
    return [entries[i:i + chunk] for i in range(0, len(entries), chunk)]


def _list_names(base: str, n: int, sep: str = "-") -> list[str]:
    return [base] if n == 1 else [f"{base}{sep}{i}" for i in range(1, n + 1)]


# ----------------------------------------------------------------------------- platforms
def render_bird(spec: FilterSpec, chunk: int = 0) -> str:
    name = spec.bird_name
    parts = _chunks(spec.entries, chunk)
    sets = _list_names(name.upper() + "_ASNS", len(parts), "_")
    out = [f"# {h}" for h in spec.header()]
    out += [f"# Use: import filter {name};  (or test {name}_excluded() in your own import filter)", ""]
    for set_name, part in zip(sets, parts, strict=True):
        if not part:
            out.append(f"# no AS number to exclude: {set_name} is not defined")
            continue
        out.append(f"define {set_name} = [")
        for i, e in enumerate(part):
            comma = "," if i < len(part) - 1 else ""
            out.append(f"    {e.asn}{comma}    # {e.comment()}")
        out.append("];")
        out.append("")
    tests = [f"filter(bgp_path, {s}).len > 0" for s, p in zip(sets, parts, strict=True) if p]
    out.append(f"function {name}_excluded()")
    out.append("{")
    out.append(f"    return {' || '.join(tests) if tests else 'false'};")
    out.append("}")
    out.append("")
    out.append(f"filter {name}")
    out.append("{")
    out.append(f"    if {name}_excluded() then reject;")
    out.append("    accept;")
    out.append("}")
    return "\n".join(out) + "\n"


def _render_route_map(spec: FilterSpec, chunk: int, use: str, entry: Callable[[str, int, FilterEntry], str],
                      match: str, close: str) -> str:
    """FRR and EOS: the AS-path access lists (``entry(list name, index in list, entry)`` is an entry's line), a
    route-map denying each list in turn and permitting the rest; ``match`` is the match line's indentation and
    ``close`` the line ending each route-map stanza."""
    parts = _chunks(spec.entries, chunk)
    names = _list_names(spec.name, len(parts))
    out = [f"! {h}" for h in spec.header()]
    out.append(f"! Use: {use}")
    out.append("!")
    for name, part in zip(names, parts, strict=True):
        for i, e in enumerate(part):
            out.append(f"! {e.comment()}")
            out.append(entry(name, i, e))
        out.append("!")
    seq = 10
    for name, part in zip(names, parts, strict=True):
        if not part:
            continue
        out.append(f"route-map {spec.name} deny {seq}")
        out.append(f"{match}match as-path {name}")
        out.append(close)
        seq += 10
    out.append(f"route-map {spec.name} permit {seq}")
    out.append(close)
    if close != "!":
        out.append("!")
    return "\n".join(out) + "\n"


def render_frr(spec: FilterSpec, chunk: int = 0) -> str:
    return _render_route_map(
        spec, chunk, f"router bgp <AS> / address-family ipv4 unicast / neighbor <PEER> route-map {spec.name} in",
        lambda name, i, e: f"bgp as-path access-list {name} seq {5 * (i + 1)} permit _{e.asn}_", " ", "exit")


def render_junos(spec: FilterSpec, chunk: int = 0) -> str:
    parts = _chunks(spec.entries, chunk)
    names = _list_names(spec.name, len(parts))
    out = [f"/* {h} */" for h in spec.header("junos")]
    out.append(f"/* Use: set protocols bgp group <GROUP> import [ {spec.name} <your policies> ] */")
    out.append("policy-options {")
    for name, part in zip(names, parts, strict=True):
        if not part:
            continue
        out.append(f"    as-path-group {name} {{")
        for e in part:
            out.append(f"        /* {e.comment()} */")
            out.append(f'        as-path AS{e.asn} ".* {e.asn} .*";')
        out.append("    }")
    out.append(f"    policy-statement {spec.name} {{")
    used = [n for n, p in zip(names, parts, strict=True) if p]
    for i, name in enumerate(used, 1):
        term = "netvet-excluded" if len(used) == 1 else f"netvet-excluded-{i}"
        out.append(f"        term {term} {{")
        out.append("            from {")
        out.append(f"                as-path-group {name};")
        out.append("            }")
        out.append("            then reject;")
        out.append("        }")
    if not used:
        out.append("        /* no AS number to exclude */")
    out.append("    }")
    out.append("}")
    return "\n".join(out) + "\n"


def render_eos(spec: FilterSpec, chunk: int = 0) -> str:
    return _render_route_map(spec, chunk, f"router bgp <AS> / neighbor <PEER> route-map {spec.name} in",
                             lambda name, i, e: f"ip as-path access-list {name} permit _{e.asn}_ any", "   ", "!")


def render_iosxr(spec: FilterSpec, chunk: int = 0) -> str:
    parts = _chunks(spec.entries, chunk)
    names = _list_names(spec.name, len(parts))
    out = [f"! {h}" for h in spec.header()]
    out.append(f"! Use: router bgp <AS> / neighbor <PEER> / address-family ipv4 unicast / route-policy {spec.name} in")
    out.append("!")
    used = []
    for name, part in zip(names, parts, strict=True):
        if not part:
            continue
        used.append(name)
        out.append(f"as-path-set {name}")
        for i, e in enumerate(part):
            comma = "," if i < len(part) - 1 else ""
            out.append(f"  # {e.comment()}")
            out.append(f"  ios-regex '_{e.asn}_'{comma}")
        out.append("end-set")
        out.append("!")
    out.append(f"route-policy {spec.name}")
    if used:
        cond = " or ".join(f"as-path in {n}" for n in used)
        out.append("  # reject routes whose AS path contains an excluded AS number")
        out.append(f"  if {cond} then")
        out.append("    drop")
        out.append("  endif")
    else:
        out.append("  # no AS number to exclude")
    out.append("  pass")
    out.append("end-policy")
    out.append("!")
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[FilterSpec, int], str]] = {
    "bird": render_bird, "frr": render_frr, "junos": render_junos, "eos": render_eos, "iosxr": render_iosxr,
}


def render(spec: FilterSpec, platform: str, chunk: int = 0) -> str:
    if platform not in RENDERERS:
        raise ValueError(f"unknown platform {platform!r} (known: {', '.join(PLATFORMS)})")
    return RENDERERS[platform](spec, chunk)


# ----------------------------------------------------------------------------- from a policy
def filter_spec(ctx, classification, include_review: bool = False) -> FilterSpec:
    """The filter for ``ctx``'s (first) pack from a classification of AS numbers (``enforce.classify``)."""
    from ..analyses.carrier import EXCLUDED, REVIEW

    reg = ctx.registry
    wanted = {EXCLUDED, REVIEW} if include_review else {EXCLUDED}
    entries = []
    for v in sorted(classification.verdicts.values(), key=lambda v: v.asn):
        if v.level not in wanted:
            continue
        sources: list[str] = []
        ent = reg.entities.get(v.entity)
        if ent is not None:
            for f in ent.asns:
                if f.value == v.asn:
                    src = reg.sources.get(f.source)
                    sources.append(src.url if src else f.source)
        for c in v.citations:
            ref = c.get("url") or c.get("source")
            if ref and ref not in sources:
                sources.append(ref)
        info = v.entity_info or {}
        entries.append(FilterEntry(v.asn, info.get("id"), info.get("name"), info.get("country"),
                                   "FAIL" if v.level == EXCLUDED else "REVIEW", tuple(v.rule_ids), tuple(sources)))
    pack = ctx.packs[0]
    return FilterSpec(pack.id, pack.meta.title, pack.meta.version, reg.version, ctx.on.isoformat(), tuple(entries),
                      include_review)
