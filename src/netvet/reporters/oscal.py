"""NIST OSCAL assessment results (JSON, OSCAL 1.2.3) from a netvet report.

Mapping (documented in docs/reports.md):

- each netvet *observation* (a device, component, route ...) -> an OSCAL ``inventory-item`` in the
  result's local definitions and an OSCAL ``observation`` holding the evidence: the input file and line,
  every identifier and each attribution evidence chain (identifier -> registry entry -> alias rule ->
  entity -> parent -> designation) with its sources;
- each FAIL or REVIEW finding -> an OSCAL ``risk`` (status ``open`` for FAIL, ``investigating`` for
  REVIEW) naming the failed rules, the reasons and the citations;
- per policy, per policy rule that decided a verdict and per framework control a finding carries -> an
  OSCAL ``finding`` whose target (``objective-id``) is that control, ``not-satisfied`` when any subject is
  FAIL, REVIEW or UNKNOWN under it, with the related observations and risks.

UUIDs are version-5 UUIDs computed from content: the document's from a digest of the whole report,
everything in it from that digest plus what the object is about, and the tool component's and inventory
items' from their identity alone (so the same device keeps its inventory-item UUID from run to run).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TextIO
from urllib.parse import quote

from ..model import Report, control_state
from ..model.keys import basename, identity, observation_keys
from . import reporter, writer

OSCAL_VERSION = "1.2.3"
NETVET_NS = "urn:netvet:oscal"  # namespace of netvet's own props
_UUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:netvet:oscal")
_NOT_TOKEN = re.compile(r"[^\w.\-]", re.UNICODE)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|#])")


def uid(*parts: str) -> str:
    """A deterministic version-5 UUID of ``parts``."""
    return str(uuid.uuid5(_UUID_NS, "\x1f".join(parts)))


def token(value: str) -> str:
    """An OSCAL token (XML NCName) for a control or rule id: other characters become '_'."""
    t = _NOT_TOKEN.sub("_", value.strip()) or "_"
    return t if (t[0].isalpha() or t[0] == "_") else "_" + t


def line(text: str) -> str:
    """One line of Markdown (markup-line): whitespace collapsed, markup characters escaped."""
    flat = " ".join(str(text).split()) or "-"
    return _MD_SPECIAL.sub(r"\\\1", flat)


def lines(items: list[str]) -> str:
    """Several lines of Markdown (markup-multiline) as a bullet list."""
    return "\n".join(f"- {line(i)}" for i in items if str(i).strip()) or "-"


def string(value) -> str | None:
    """An OSCAL string (no leading/trailing whitespace, one line), or None when empty."""
    s = " ".join(str(value).split()) if value is not None else ""
    return s or None


def prop(name: str, value, cls: str | None = None) -> dict | None:
    v = string(value)
    if v is None:
        return None
    p = {"name": name, "ns": NETVET_NS, "value": v}
    if cls:
        p["class"] = token(cls)
    return p


def props(*items: dict | None) -> list[dict]:
    return [p for p in items if p is not None]


def _with(obj: dict, key: str, values: list) -> dict:
    """Set ``obj[key]`` only when ``values`` is non-empty (OSCAL arrays have minItems 1)."""
    if values:
        obj[key] = values
    return obj


def _http(url: str | None) -> str | None:
    if url and re.match(r"^https?://\S+$", url.strip()):
        return url.strip()
    return None


def _file_href(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/._-~")


def _chain_text(ia: dict) -> str:
    ident = ia.get("identifier") or {}
    where = f"{ident.get('field', '')}, {ident.get('strength', '')}"
    head = f"{ident.get('kind', '')} {ident.get('value', '')} ({where})"
    steps = [f"{s.get('step')}: {s.get('detail')}" for s in ia.get("chain") or []]
    return " → ".join([head, *steps])


def _chain_links(ia: dict) -> list[dict]:
    links = []
    for s in ia.get("chain") or []:
        src = s.get("source") or ""
        m = re.search(r"<([^<>\s]+)>", src)
        url = _http(m.group(1) if m else src)
        if url and all(x["href"] != url for x in links):
            links.append({"href": url, "rel": "reference", "text": line(src.split("<")[0].strip() or url)})
    return links


class _Group:
    """The findings under one policy, rule or control: counts per verdict, and the related observations and risks
    (each once, in order of first appearance)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.members = 0
        self.obs: dict[str, None] = {}
        self.risks: dict[str, None] = {}

    def add(self, f: dict, risk: str | None, obs: str | None) -> None:
        self.counts[f.get("verdict", "")] += 1
        self.members += 1
        if obs is not None:
            self.obs[obs] = None
        if risk:
            self.risks[risk] = None


class _ObsUuids:
    """Observation id -> observation UUID, from the observation keys (what ``_Builder.observation`` records when
    every observation is built first): a streamed document builds its risks before it could remember them."""

    def __init__(self, builder: _Builder) -> None:
        self.builder = builder
        self.keys = builder.keys

    def __contains__(self, oid: object) -> bool:
        return oid in self.keys

    def __getitem__(self, oid: str) -> str:
        return self.builder.u("observation", self.keys[oid])

    def __setitem__(self, oid: str, value: str) -> None:
        pass


class _Builder:
    def __init__(self, data: dict, digest: str | None = None, keys: dict[str, str] | None = None):
        self.data = data
        self.digest = digest or hashlib.sha256(
            json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()
        self.when = data.get("generated_at") or "1970-01-01T00:00:00Z"
        self.tool = uid("component", "netvet")
        self.origins = [{"actors": [{"type": "tool", "actor-uuid": self.tool}]}]
        self.keys = keys if keys is not None else observation_keys(data.get("observations") or [])
        self.obs_uuid: dict[str, str] | _ObsUuids = {} if keys is None else _ObsUuids(self)
        self.resources: list[dict] = []
        self.input_resource: dict[str, str] = {}
        self.control_titles = {
            f"{c.get('framework')}:{c.get('control')}" if c.get("framework") else str(c.get("control")): str(
                c.get("title") or ""
            )
            for c in data.get("controls") or []
        }

    def u(self, *parts: str) -> str:
        return uid(self.digest, *parts)

    # --- back matter ------------------------------------------------------------------------------
    def back_matter(self) -> str:
        """Resources for the assessment plan (the policy packs) and the inputs; returns the plan's UUID."""
        policies = self.data.get("policies") or []
        plan = self.u("assessment-plan")
        self.resources.append(
            {
                "uuid": plan,
                "title": "netvet policy packs (the assessment plan)",
                "description": "netvet evaluated these policy packs; there is no separate OSCAL plan.\n\n"
                + lines([f"{p.get('id')} {p.get('title')} version {p.get('version')}" for p in policies]),
                **(
                    {"props": ps}
                    if (ps := props(*[prop("policy", f"{p.get('id')} {p.get('version')}") for p in policies]))
                    else {}
                ),
            }
        )
        for p in policies:
            res = {
                "uuid": self.u("policy", str(p.get("id"))),
                "title": line(f"policy pack {p.get('id')}"),
                "description": line(f"{p.get('title')} (version {p.get('version')}, approach {p.get('approach')})"),
                "props": props(
                    prop("policy-id", p.get("id")),
                    prop("policy-version", p.get("version")),
                    prop("approach", p.get("approach")),
                ),
            }
            if p.get("file"):
                res["rlinks"] = [{"href": _file_href(str(p["file"])), "media-type": "application/yaml"}]
            self.resources.append(res)
        for s in self.data.get("inputs") or []:
            rid = self.u("input", str(s.get("file")))
            self.input_resource[str(s.get("file"))] = rid
            self.resources.append(
                {
                    "uuid": rid,
                    "title": line(f"input {basename(str(s.get('file')))}"),
                    "description": line(
                        f"{s.get('format')} input: {s.get('read')} records read, {s.get('attributed')} "
                        f"attributed, {s.get('unattributed')} unattributed, {s.get('malformed')} "
                        f"malformed"
                    ),
                    "props": props(
                        prop("input-format", s.get("format")),
                        prop("records-read", s.get("read")),
                        prop("records-malformed", s.get("malformed")),
                    ),
                    "rlinks": [{"href": _file_href(str(s.get("file")))}],
                }
            )
        return plan

    # --- local definitions ------------------------------------------------------------------------
    def component(self) -> dict:
        return {
            "uuid": self.tool,
            "type": "software",
            "title": "netvet",
            "description": "netvet vets vendors, carriers, clouds and routes against a trust policy.",
            "props": props(
                prop("version", self.data.get("netvet_version")),
                prop("registry-version", self.data.get("registry_version")),
            ),
            "status": {"state": "operational"},
        }

    def inventory_item(self, obs: dict) -> dict:
        attrs = obs.get("attributes") or {}
        ident = self.keys.get(obs.get("id", ""), obs.get("id", ""))
        return {
            "uuid": uid("inventory-item", ident),
            "description": line(f"{obs.get('kind')} {attrs.get('hostname') or attrs.get('name') or obs.get('id')}"),
            "props": props(
                prop("netvet-subject", ident),
                prop("asset-kind", obs.get("kind")),
                *[prop(k, attrs.get(k)) for k in ("hostname", "ip", "mac", "vendor", "model", "serial")],
                prop("site", obs.get("site")),
                prop("role", obs.get("role")),
            ),
        }

    # --- observations -----------------------------------------------------------------------------
    def observation(self, obs: dict, item_uuid: str) -> dict:
        oid = obs.get("id", "")
        src = obs.get("source") or {}
        att = obs.get("attribution") or {}
        where = str(src.get("file") or "")
        if src.get("line") is not None:
            where += f" line {src['line']}"
        if src.get("offset") is not None:
            where += f" byte offset {src['offset']}"
        if src.get("pointer"):
            where += f" at {src['pointer']}"
        label = (obs.get("attributes") or {}).get("hostname") or oid
        status = att.get("status", "unknown")
        who = att.get("entity_id") or ((att.get("decided_by") or {}).get("org_name")) or "no organisation"
        desc = [
            f"{obs.get('kind')} {label} seen in {where}",
            f"attribution: {status} → {who} (method {att.get('method') or '-'}, confidence {att.get('confidence', 0)})",
        ]
        if att.get("note"):
            desc.append(att["note"])
        evidence = []
        file_ref = self.input_resource.get(str(src.get("file")))
        evidence.append(
            {
                **({"href": f"#{file_ref}"} if file_ref else {}),
                "description": line(f"input record: {where}"),
            }
        )
        decided = att.get("decided_by")
        chains = ([("decided-by", decided)] if decided else []) + [
            ("other-evidence", ia)
            for ia in att.get("evidence") or []
            if not (
                decided
                and ia.get("identifier") == decided.get("identifier")
                and ia.get("method") == decided.get("method")
            )
        ]
        for role, ia in chains:
            ev = {
                "description": line(_chain_text(ia)),
                "props": props(
                    prop("evidence-role", role),
                    prop("attribution-method", ia.get("method")),
                    prop("attribution-status", ia.get("status")),
                    prop("confidence", ia.get("confidence")),
                    prop("entity-id", ia.get("entity_id")),
                    prop("registry-organisation", ia.get("org_name")),
                ),
            }
            _with(ev, "links", _chain_links(ia))
            evidence.append(ev)
        out = {
            "uuid": self.u("observation", self.keys.get(oid, oid)),
            "title": line(f"{label} ({obs.get('kind')})"),
            "description": lines(desc),
            "props": props(
                prop("netvet-observation-id", oid),
                prop("attribution-status", status),
                prop("entity-id", att.get("entity_id")),
                prop("confidence", att.get("confidence")),
                *[prop("identifier", i.get("value"), i.get("kind")) for i in obs.get("identifiers") or []],
            ),
            "methods": ["EXAMINE"],
            "types": ["discovery"],
            "origins": self.origins,
            "subjects": [{"subject-uuid": item_uuid, "type": "inventory-item", "title": line(label)}],
            "relevant-evidence": evidence,
            "collected": self.when,
        }
        self.obs_uuid[oid] = out["uuid"]
        return out

    # --- risks ------------------------------------------------------------------------------------
    def risk(self, f: dict) -> dict:
        subj = self.keys.get(f.get("subject", ""), f.get("subject", ""))
        ent = f.get("entity") or {}
        verdict = f.get("verdict")
        rules = f.get("rule_ids") or []
        links = []
        for c in f.get("citations") or []:
            url = _http(c.get("url"))
            if url and all(x["href"] != url for x in links):
                links.append({"href": url, "rel": "reference", "text": line(c.get("label") or url)})
        risk = {
            "uuid": self.u("risk", f.get("policy", ""), subj),
            "title": line(
                f"{f.get('policy')}: {f.get('label')} is {verdict}" + (f" ({', '.join(rules)})" if rules else "")
            ),
            "description": lines(f.get("reasons") or [f"{verdict} under {f.get('policy')}"]),
            "statement": line(
                f"{f.get('label')} ({ent.get('name') or 'unattributed'}) "
                f"{'fails' if verdict == 'FAIL' else 'needs review under'} policy {f.get('policy')}"
                + (f" rule {', '.join(rules)}" if rules else "")
            ),
            "props": props(
                prop("policy", f.get("policy")),
                prop("verdict", verdict),
                prop("severity", f.get("severity")),
                *[prop("rule-id", r) for r in rules],
                *[prop("control-id", c) for c in f.get("controls") or []],
                prop("entity-id", ent.get("id")),
                prop("entity-name", ent.get("name")),
                prop("entity-country", ent.get("country")),
                prop("site", f.get("site")),
                prop("role", f.get("role")),
            ),
            "status": "open" if verdict == "FAIL" else "investigating",
            "origins": self.origins,
        }
        _with(risk, "links", links)
        if f.get("subject") in self.obs_uuid:
            risk["related-observations"] = [{"observation-uuid": self.obs_uuid[f["subject"]]}]
        return risk

    # --- findings ---------------------------------------------------------------------------------
    def group(self, members: Iterable[tuple[dict, str | None]]) -> _Group:
        g = _Group()
        for f, r in members:
            g.add(f, r, self.obs_uuid[f["subject"]] if f.get("subject") in self.obs_uuid else None)
        return g

    def finding(self, kind: str, control: str, policy: str | None, group: _Group, lists: bool = True) -> dict:
        """The OSCAL finding of ``group``; without ``lists``, its related observations and risks are left out
        (a streamed document writes them in their place)."""
        counts = group.counts
        bad = counts["FAIL"] + counts["REVIEW"] + counts["UNKNOWN"]
        reason = "fail" if counts["FAIL"] else ("other" if bad else "pass")
        summary = ", ".join(f"{v} {counts[v]}" for v in ("FAIL", "REVIEW", "UNKNOWN", "PASS", "WAIVED") if counts[v])
        framework, ctl_id = control.partition(":")[::2] if kind == "control" and ":" in control else ("", control)
        title = self.control_titles.get(control, "")
        what = {
            "policy": f"policy {control}",
            "rule": f"rule {control} of policy {policy}",
            "control": f"{framework or 'framework'} control {ctl_id}" + (f" ({title})" if title else ""),
        }[kind]
        out = {
            "uuid": self.u("finding", kind, policy or "", control),
            "title": line(f"{what}: {control_state(counts).replace('-', ' ')}"),
            "description": line(f"{group.members} finding(s) evaluated under {what}: {summary or 'none'}"),
            "props": props(
                prop("target-kind", kind),
                prop("policy", policy),
                prop("framework", framework or None),
                *[
                    prop(f"count-{v.lower()}", counts[v])
                    for v in ("FAIL", "REVIEW", "UNKNOWN", "PASS", "WAIVED")
                    if counts[v]
                ],
            ),
            "origins": self.origins,
            "target": {
                "type": "objective-id",
                "target-id": token(ctl_id),
                "title": line(what),
                "status": {"state": "not-satisfied" if bad else "satisfied", "reason": reason},
            },
        }
        if token(ctl_id) != ctl_id:
            out["props"].append(prop("control-id", ctl_id))
        if lists:
            _with(out, "related-observations", [{"observation-uuid": o} for o in group.obs])
            _with(out, "related-risks", [{"risk-uuid": r} for r in group.risks])
        return out

    def build(self) -> dict:
        data = self.data
        plan = self.back_matter()
        observations_in = data.get("observations") or []
        items = []
        observations = []
        seen_items: set[str] = set()
        for o in observations_in:
            item = self.inventory_item(o)
            if item["uuid"] not in seen_items:
                items.append(item)
                seen_items.add(item["uuid"])
            observations.append(self.observation(o, item["uuid"]))
        risks = []
        members: list[tuple[dict, str | None]] = []
        for f in data.get("findings") or []:
            rid = None
            if f.get("verdict") in ("FAIL", "REVIEW"):
                r = self.risk(f)
                risks.append(r)
                rid = r["uuid"]
            members.append((f, rid))

        findings = []
        controls: list[str] = []
        policy_ids = [p.get("id") for p in data.get("policies") or []]
        policy_ids += sorted({f.get("policy") for f, _ in members} - set(policy_ids))
        for pid in policy_ids:
            mine = [(f, r) for f, r in members if f.get("policy") == pid]
            findings.append(self.finding("policy", pid, pid, self.group(mine)))
            controls.append(pid)
            by_rule: dict[str, list] = defaultdict(list)
            for f, r in mine:
                for rule in f.get("rule_ids") or []:
                    by_rule[rule].append((f, r))
            for rule in sorted(by_rule):
                findings.append(self.finding("rule", rule, pid, self.group(by_rule[rule])))
                controls.append(rule)
        by_ctl: dict[str, list] = defaultdict(list)
        for f, r in members:
            for ctl in f.get("controls") or []:
                by_ctl[ctl].append((f, r))
        for ctl in sorted(by_ctl):
            findings.append(self.finding("control", ctl, None, self.group(by_ctl[ctl])))
            controls.append(ctl.partition(":")[2] or ctl)
        return self.document(plan, len(observations_in), controls, items, observations, risks, findings)

    def document(self, plan: str, count: int, controls: list[str], items, observations, risks, findings) -> dict:
        """The assessment results of ``count`` observations; ``items`` (inventory items), ``observations``,
        ``risks`` and ``findings``: the arrays (a streamed document passes placeholders, never empty)."""
        data = self.data
        selection: dict = {
            "description": "The policy packs, the rules that decided a verdict and the framework "
            "controls the findings name."
        }
        ids = list(dict.fromkeys(token(c) for c in controls))
        if ids:
            selection["include-controls"] = [{"control-id": c} for c in ids]
        else:
            selection["include-all"] = {}
        policies = ", ".join(f"{p.get('id')} {p.get('version')}" for p in data.get("policies") or []) or "none"
        result = {
            "uuid": self.u("result"),
            "title": line(f"netvet audit of {count} observation(s) under {policies}"),
            "description": lines(
                [
                    f"netvet {data.get('netvet_version')} audit, "
                    f"registry version {data.get('registry_version')}, "
                    f"ownership and designations evaluated as of {data.get('evaluated_on')}",
                    *(data.get("notes") or []),
                ]
            ),
            "start": self.when,
            "end": self.when,
            "props": props(
                prop("evaluated-on", data.get("evaluated_on")),
                prop("registry-version", data.get("registry_version")),
                prop("sample-data", "true" if data.get("sample_data") else "false"),
                *[
                    prop("dataset", json.dumps(d, sort_keys=True) if isinstance(d, dict) else d)
                    for d in data.get("datasets") or []
                ],
            ),
            "local-definitions": _with({"components": [self.component()]}, "inventory-items", items),
            "reviewed-controls": {"control-selections": [selection]},
        }
        _with(result, "observations", observations)
        _with(result, "risks", risks)
        _with(result, "findings", findings)
        if data.get("sample_data"):
            result["remarks"] = "SAMPLE DATA: a generated demonstration network, not a real one."
        return {
            "assessment-results": {
                "uuid": self.u("assessment-results"),
                "metadata": {
                    "title": line(f"netvet assessment results ({policies})"),
                    "published": self.when,
                    "last-modified": self.when,
                    "version": string(self.when),
                    "oscal-version": OSCAL_VERSION,
                    "props": props(
                        prop("netvet-version", data.get("netvet_version")),
                        prop("report-schema", data.get("schema")),
                    ),
                },
                "import-ap": {
                    "href": f"#{plan}",
                    "remarks": "The assessment plan is the set of netvet policy packs in the back matter.",
                },
                "results": [result],
                "back-matter": {"resources": self.resources},
            }
        }


def _prune(obj):
    """Drop empty arrays and objects: OSCAL arrays have at least one item."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            v = _prune(v)
            if isinstance(v, list | dict) and not v and k != "include-all":
                continue
            out[k] = v
        return out
    if isinstance(obj, list):
        return [_prune(v) for v in obj]
    return obj


def oscal_dict(data: dict) -> dict:
    """OSCAL assessment results for a report dictionary (``Report.to_dict()``)."""
    return _prune(_Builder(data).build())


def write_oscal(head: dict, lists: dict[str, Callable[[], Iterable[dict]]], out: TextIO) -> None:
    """Write the OSCAL assessment results of a report whose findings and observations come one at a time:
    ``head`` is the report dictionary but those two, ``lists`` maps "findings" and "observations" (those it has) to
    callables giving their dictionaries in report order. The text is ``json.dumps(oscal_dict(report dict),
    indent=2, ensure_ascii=False)`` and a newline.

    Four passes over the lists (the digest that seeds the UUIDs and the observation keys; the inventory items;
    the observations; the risks, tallying the policy, rule and control findings), each item written as it is
    built. What is held: each observation's key and, per policy, rule and control, the UUIDs of its related
    observations and risks (strings, some hundred bytes per observation), never the report or its text."""
    from .json_report import dumps_indented

    enc = json.JSONEncoder(sort_keys=True, default=str).encode  # what _Builder's digest reads
    sha = hashlib.sha256()
    keys: dict[str, str] = {}
    seen: dict[str, int] = {}
    count = 0
    named: list = []  # policies the findings name, in order
    rules: dict = defaultdict(set)
    ctls: set = set()
    risky = False
    members = {**head, **dict.fromkeys(lists)}
    sep = "{"
    for key in sorted(members):
        sha.update(f"{sep}{enc(key)}: ".encode())
        sep = ", "
        if key not in lists:
            sha.update(enc(members[key]).encode("utf-8"))
            continue
        item_sep = "["
        for item in lists[key]():
            sha.update(f"{item_sep}{enc(item)}".encode())
            item_sep = ", "
            if key == "observations":  # model.keys.observation_keys, one at a time
                count += 1
                base = f"{basename((item.get('source') or {}).get('file') or '')}|{identity(item)}"
                n = seen[base] = seen.get(base, 0) + 1
                keys[item.get("id", "")] = base if n == 1 else f"{base}#{n}"
            else:
                named.append(item.get("policy"))
                for rule in item.get("rule_ids") or []:
                    rules[item.get("policy")].add(rule)
                ctls.update(item.get("controls") or [])
                risky = risky or item.get("verdict") in ("FAIL", "REVIEW")
        sha.update(b"]" if item_sep == ", " else b"[]")
    sha.update(b"}" if members else b"{}")
    del seen

    b = _Builder(head, sha.hexdigest(), keys)
    plan = b.back_matter()
    policy_ids = [p.get("id") for p in head.get("policies") or []]
    policy_ids += sorted(set(named) - set(policy_ids))
    del named
    groups: dict[tuple, _Group] = {}
    controls: list[str] = []
    for pid in policy_ids:
        groups["policy", pid, pid] = _Group()
        controls.append(pid)
        for rule in sorted(rules.get(pid, ())):
            groups["rule", rule, pid] = _Group()
            controls.append(rule)
    for ctl in sorted(ctls):
        groups["control", ctl, None] = _Group()
        controls.append(ctl.partition(":")[2] or ctl)
    findings = lists.get("findings", lambda: ())
    observations = lists.get("observations", lambda: ())

    def items() -> Iterable[dict]:
        done: set[str] = set()
        for o in observations():
            item = b.inventory_item(o)
            if item["uuid"] not in done:
                done.add(item["uuid"])
                yield item

    def observed() -> Iterable[dict]:
        for o in observations():
            yield b.observation(o, uid("inventory-item", keys.get(o.get("id", ""), o.get("id", ""))))

    tallied = []

    def risks() -> Iterable[dict]:  # and the findings' tallies
        tallied.append(True)
        for f in findings():
            rid = None
            if f.get("verdict") in ("FAIL", "REVIEW"):
                r = b.risk(f)
                rid = r["uuid"]
                yield r
            subject = f.get("subject")
            obs = b.obs_uuid[subject] if subject in keys else None
            pid = f.get("policy")
            groups["policy", pid, pid].add(f, rid, obs)
            for rule in f.get("rule_ids") or []:
                groups["rule", rule, pid].add(f, rid, obs)
            for ctl in f.get("controls") or []:
                groups["control", ctl, None].add(f, rid, obs)

    streams: dict[str, Callable[[], Iterable[dict]]] = {}

    def placeholder(stream: Callable[[], Iterable[dict]]) -> str:
        name = f"{_PLACEHOLDER}{len(streams)}"
        streams[name] = stream
        return name

    def oscal_findings() -> Iterable[dict]:
        if not tallied:  # no risk: the tallies still take their pass
            for _ in risks():
                pass
        for (kind, control, policy), g in groups.items():
            out = b.finding(kind, control, policy, g, lists=False)
            if g.obs:
                out["related-observations"] = placeholder(lambda g=g: ({"observation-uuid": o} for o in g.obs))
            if g.risks:
                out["related-risks"] = placeholder(lambda g=g: ({"risk-uuid": r} for r in g.risks))
            yield out

    doc = _prune(b.document(plan, count, controls, placeholder(items) if count else [],
                            placeholder(observed) if count else [], placeholder(risks) if risky else [],
                            placeholder(oscal_findings) if groups else []))

    def splice(text: str) -> None:
        """Write ``text``, each placeholder in it replaced by its array, item by item."""
        pos = 0
        for m in _PLACED.finditer(text):
            out.write(text[pos:m.start()])
            line_ = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
            pad = line_[:len(line_) - len(line_.lstrip(" "))]
            inner = pad + "  "
            item_sep = "[\n" + inner
            for item in streams.pop(json.loads(m.group(0)))():
                out.write(item_sep)
                splice(dumps_indented(_prune(item), inner))
                item_sep = ",\n" + inner
            out.write("[]" if item_sep.startswith("[") else "\n" + pad + "]")
            pos = m.end()
        out.write(text[pos:])

    splice(json.dumps(doc, indent=2, ensure_ascii=False))
    out.write("\n")


_PLACEHOLDER = "\x00oscal-array-"  # a string no report holds (json writes it as "\u0000oscal-array-<n>")
_PLACED = re.compile(r'"\\u0000oscal-array-\d+"')


def _report_lists(report: Report) -> dict[str, Callable[[], Iterable[dict]]]:
    return {"findings": lambda: (f.to_dict() for f in report.findings),
            "observations": lambda: ({**o.to_dict(), "attribution": report.attributions[o.id].to_dict()
                                      if o.id in report.attributions else None} for o in report.observations)}


@reporter("oscal")
def render_oscal(report: Report) -> str:
    buf = io.StringIO()
    head = report.to_dict()
    del head["findings"], head["observations"]
    write_oscal(head, _report_lists(report), buf)
    return buf.getvalue()


@writer("oscal")
def write_run_oscal(run, out: TextIO) -> None:
    """The OSCAL assessment results of a streamed audit (``pipeline.AuditRun``), every finding listed, written as
    its findings are evaluated (see :func:`write_oscal`)."""

    def observations() -> Iterable[dict]:
        for batch in run.pairs():
            for obs, att in batch:
                yield {**obs.to_dict(), "attribution": att.to_dict() if att is not None else None}

    write_oscal(run.head(), {"findings": lambda: (f.to_dict() for f in run.findings()),
                             "observations": observations}, out)
