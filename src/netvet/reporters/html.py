"""HTML report: one self-contained file (styles and scripts inline, nothing fetched) with a summary per policy
and framework control, SVG charts, a findings table with filter and sort, and each finding's evidence chain.

The view model works on the report *dictionary* (``Report.to_dict()``, schema ``netvet-report/1``), so every
command that produces a Report -- ``audit``, ``routes audit``, ``flows audit``, ``compare`` -- and every run
recorded in the history renders the same way; the dashboard (``netvet.web``) reuses it. Templates escape
everything they print.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TextIO

from ..model import Report, control_state
from . import reporter, writer

VERDICTS = ["FAIL", "REVIEW", "UNKNOWN", "PASS", "WAIVED"]
ATTENTION = ["FAIL", "REVIEW", "UNKNOWN"]
VERDICT_RANK = {"PASS": 0, "WAIVED": 1, "UNKNOWN": 2, "REVIEW": 3, "FAIL": 4}
NO_ENTITY = "(unattributed)"
NO_COUNTRY = "(unknown)"
NO_SITE = "(no site)"

_URL_IN_SOURCE = re.compile(r"^(?P<id>.*?)\s*<(?P<url>[^<>\s]+)>\s*$")


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL (never ``javascript:`` or ``data:``), else None."""
    if not url:
        return None
    u = url.strip()
    low = u.lower()
    if (low.startswith("https://") or low.startswith("http://")) and not any(c in u for c in "\"'<> \t\n"):
        return u
    return None


def split_source(source: str | None) -> tuple[str | None, str | None]:
    """Evidence steps write a cited source as ``id <url>``: return (id, url), the URL checked by safe_url."""
    if not source:
        return None, None
    m = _URL_IN_SOURCE.match(source)
    if m:
        return (m.group("id") or None), safe_url(m.group("url"))
    return source, safe_url(source)


def source_str(src: dict | None) -> str:
    if not src:
        return ""
    where = src.get("file") or ""
    if src.get("line") is not None:
        where += f":{src['line']}"
    if src.get("offset") is not None:
        where += f"@{src['offset']}"
    if src.get("pointer"):
        where += f"#{src['pointer']}"
    return where


@dataclass
class Bar:
    label: str
    counts: dict[str, int]
    total: int
    value: float | None = None  # for value charts (exposure)


@dataclass
class Chart:
    id: str
    title: str
    bars: list[Bar]
    unit: str = "findings"
    note: str = ""

    @property
    def max_total(self) -> float:
        return max([b.value if b.value is not None else b.total for b in self.bars] or [0]) or 1


@dataclass
class StepView:
    step: str
    detail: str
    registry: str | None
    source_id: str | None
    source_url: str | None
    as_of: str | None


@dataclass
class ChainView:
    identifier: str
    field: str
    strength: str
    status: str
    method: str
    confidence: float
    entity_id: str | None
    org_name: str | None
    country: str | None
    reason: str | None
    decided: bool
    steps: list[StepView]


@dataclass
class EvidenceView:
    obs_id: str
    anchor: str
    label: str
    kind: str
    where: str
    status: str
    entity_id: str | None
    confidence: float | None
    method: str | None
    conflict: bool
    note: str | None
    manufacturer_status: str | None
    attributes: list[tuple[str, str]]
    identifiers: list[tuple[str, str, str, str]]
    chains: list[ChainView]


@dataclass
class FindingView:
    idx: int
    policy: str
    verdict: str
    severity: str
    rule_ids: list[str]
    label: str
    subject: str
    where: str
    entity_id: str
    entity_name: str
    country: str
    site: str
    role: str
    identifier: str
    reasons: list[str]
    citations: list[tuple[str, str | None]]
    controls: list[str]
    anchor: str
    rank: int
    group_name: str = NO_ENTITY  # the entity's corporate group (ultimate non-state owner)


@dataclass
class ControlView:
    framework: str
    control: str
    title: str
    status: str  # satisfied | needs-review | not-satisfied | not-assessed
    counts: dict[str, int]
    total: int
    policies: str


def control_status(counts: dict[str, int]) -> str:
    return control_state(counts)


def split_control(ref: str) -> tuple[str, str]:
    """A finding names a control as ``framework:control`` (or just ``control``)."""
    fw, sep, ctl = ref.partition(":")
    return (fw, ctl) if sep else ("", ref)


def control_views(data: dict, findings: list[FindingView]) -> list[ControlView]:
    """Per framework control: the report's control status (titles, counts) and the controls findings name."""
    counts: dict[str, Counter] = defaultdict(Counter)
    pols: dict[str, set] = defaultdict(set)
    for f in findings:
        for ref in f.controls:
            counts[ref][f.verdict] += 1
            pols[ref].add(f.policy)
    out: list[ControlView] = []
    seen: set[str] = set()
    for c in data.get("controls") or []:
        fw, ctl = str(c.get("framework") or ""), str(c.get("control") or "")
        ref = f"{fw}:{ctl}" if fw else ctl
        seen.add(ref)
        cc = {v: int((c.get("counts") or {}).get(v, counts[ref].get(v, 0))) for v in VERDICTS}
        out.append(ControlView(fw, ctl, str(c.get("title") or ""), str(c.get("status") or control_status(cc)),
                               cc, sum(cc.values()), ", ".join(sorted(pols[ref])) or str(c.get("pack") or "")))
    for ref in sorted(set(counts) - seen):
        fw, ctl = split_control(ref)
        cc = {v: counts[ref].get(v, 0) for v in VERDICTS}
        out.append(ControlView(fw, ctl, "", control_status(cc), cc, sum(cc.values()), ", ".join(sorted(pols[ref]))))
    return out


@dataclass
class ReportView:
    meta: dict[str, Any]
    policies: list[dict]
    inputs: list[dict]
    datasets: list[dict]
    notes: list[str]
    totals: dict[str, int]
    per_policy: list[tuple[str, str, dict[str, int], int]]  # (policy id, title, verdict counts, total)
    per_control: list[ControlView]
    charts: dict[str, list[Chart]]  # policy id (or "*") -> charts
    findings: list[FindingView]
    evidence: list[EvidenceView]
    sites: list[str]
    countries: list[str]
    entities: list[tuple[str, str]]
    issues: list[dict] = field(default_factory=list)
    comparison: dict | None = None  # `netvet compare`: headline, per-policy exclusions, disagreements


def anchor_for(obs_id: str) -> str:
    """A stable HTML id for an observation (ids may hold any character)."""
    return "ev-" + re.sub(r"[^A-Za-z0-9_-]", lambda m: f"_{ord(m.group(0)):x}_", obs_id)


def _chain_view(ia: dict, decided: bool) -> ChainView:
    ident = ia.get("identifier") or {}
    steps = []
    for s in ia.get("chain") or []:
        sid, url = split_source(s.get("source"))
        steps.append(StepView(s.get("step", ""), s.get("detail", ""), s.get("registry"), sid, url,
                              s.get("as_of")))
    return ChainView(
        identifier=f"{ident.get('kind', '')} {ident.get('value', '')}".strip(), field=ident.get("field", ""),
        strength=ident.get("strength", ""), status=ia.get("status", ""), method=ia.get("method", ""),
        confidence=float(ia.get("confidence") or 0.0), entity_id=ia.get("entity_id"),
        org_name=ia.get("org_name"), country=ia.get("country"), reason=ia.get("reason"), decided=decided,
        steps=steps,
    )


def evidence_view(obs: dict) -> EvidenceView:
    att = obs.get("attribution") or {}
    decided = att.get("decided_by")
    chains: list[ChainView] = []
    if decided:
        chains.append(_chain_view(decided, True))
    for ia in att.get("evidence") or []:
        same = ia.get("identifier") == decided.get("identifier") if decided else False
        if same and ia.get("method") == decided.get("method"):
            continue
        chains.append(_chain_view(ia, False))
    return EvidenceView(
        obs_id=obs.get("id", ""), anchor=anchor_for(obs.get("id", "")),
        label=_label(obs), kind=obs.get("kind", ""), where=source_str(obs.get("source")),
        status=att.get("status", "unknown") if att else "unknown", entity_id=att.get("entity_id"),
        confidence=att.get("confidence"), method=att.get("method"), conflict=bool(att.get("conflict")),
        note=att.get("note"), manufacturer_status=att.get("manufacturer_status"),
        attributes=sorted((str(k), str(v)) for k, v in (obs.get("attributes") or {}).items()),
        identifiers=[(i.get("kind", ""), i.get("value", ""), i.get("field", ""), i.get("strength", ""))
                     for i in obs.get("identifiers") or []],
        chains=chains,
    )


def _label(obs: dict) -> str:
    attrs = obs.get("attributes") or {}
    for key in ("hostname", "name", "model", "ip"):
        if attrs.get(key):
            return str(attrs[key])
    return str(obs.get("id", ""))


def finding_view(idx: int, f: dict) -> FindingView:
    ent = f.get("entity") or {}
    ident = f.get("identifier") or {}
    return FindingView(
        idx=idx, policy=f.get("policy", ""), verdict=f.get("verdict", ""), severity=f.get("severity") or "",
        rule_ids=list(f.get("rule_ids") or []), label=f.get("label", ""), subject=f.get("subject", ""),
        where=source_str(f.get("source")), entity_id=ent.get("id") or "",
        entity_name=ent.get("name") or NO_ENTITY, country=ent.get("country") or NO_COUNTRY,
        site=f.get("site") or NO_SITE, role=f.get("role") or "",
        identifier=f"{ident.get('kind', '')} {ident.get('value', '')}".strip(),
        reasons=list(f.get("reasons") or []),
        citations=[(c.get("label") or c.get("url") or "", safe_url(c.get("url")))
                   for c in f.get("citations") or []],
        controls=list(f.get("controls") or []), anchor=anchor_for(f.get("subject", "")),
        rank=VERDICT_RANK.get(f.get("verdict", ""), -1),
        group_name=ent.get("group_name") or ent.get("name") or NO_ENTITY,
    )


def _count_chart(cid: str, title: str, findings: list[FindingView], key, limit: int = 15) -> Chart:
    per: dict[str, Counter] = defaultdict(Counter)
    for f in findings:
        if f.verdict in ATTENTION:
            per[key(f)][f.verdict] += 1
    rows = sorted(per.items(), key=lambda kv: (-kv[1].get("FAIL", 0), -sum(kv[1].values()), kv[0]))
    bars = [Bar(label, {v: c.get(v, 0) for v in ATTENTION}, sum(c.values())) for label, c in rows[:limit]]
    note = ""
    if len(rows) > limit:
        rest: Counter = Counter()
        for _, c in rows[limit:]:
            rest.update(c)
        bars.append(Bar(f"{len(rows) - limit} more", {v: rest.get(v, 0) for v in ATTENTION},
                        sum(rest.values())))
        note = f"top {limit} of {len(rows)}"
    return Chart(cid, title, bars, "findings (FAIL, REVIEW, UNKNOWN)", note)


def _exposure(obs: dict) -> float | None:
    raw = (obs.get("attributes") or {}).get("exposure")
    try:
        return float(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _exposure_chart(cid: str, findings: list[FindingView], exposure: dict[str, float]) -> Chart | None:
    """Exposure (the analyses' ``exposure`` attribute) summed per policy line (rule) over FAIL/REVIEW."""
    per: dict[str, float] = defaultdict(float)
    for f in findings:
        x = exposure.get(f.subject)
        if x is None or f.verdict not in ("FAIL", "REVIEW"):
            continue
        for rule in f.rule_ids or [f.policy]:
            per[rule] += x
    if not per:
        return None
    bars = [Bar(rule, {}, 0, round(v, 6)) for rule, v in sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Chart(cid, "Exposure by policy line", bars, "exposure",
                 "sum of the exposure of FAIL/REVIEW subjects")


def charts_for(prefix: str, findings: list[FindingView], exposure: dict[str, float]) -> list[Chart]:
    charts = [
        _count_chart(f"{prefix}-entity", "Findings by entity", findings, lambda f: f.entity_name),
        _count_chart(f"{prefix}-group", "Findings by group (ultimate owner)", findings, lambda f: f.group_name),
        _count_chart(f"{prefix}-country", "Findings by country (entity headquarters)", findings,
                     lambda f: f.country),
        _count_chart(f"{prefix}-site", "Findings by site", findings, lambda f: f.site),
    ]
    exp = _exposure_chart(f"{prefix}-exposure", findings, exposure)
    if exp is not None:
        charts.append(exp)
    return charts


def build_view(data: dict, counts: dict | None = None) -> ReportView:
    """The view of a report dictionary (``Report.to_dict()``). ``counts``: the summary of the whole run when
    ``data`` lists only some of its findings (a capped page, :func:`page_document`): the totals per verdict and
    the counts per policy are then its, not those of the findings listed."""
    findings = [finding_view(i, f) for i, f in enumerate(data.get("findings") or [])]
    observations = data.get("observations") or []
    exposure = {o.get("id", ""): x for o in observations if (x := _exposure(o)) is not None}
    titles = {p.get("id"): p.get("title") or p.get("id") for p in data.get("policies") or []}
    pol_ids = list(titles) + sorted({f.policy for f in findings} - set(titles))

    per_policy = []
    all_counts = (counts or {}).get("per_policy") or {}
    if counts is not None:
        pol_ids += sorted(set(all_counts) - set(pol_ids))
    for pid in pol_ids:
        c = (Counter({v: n for v, n in all_counts.get(pid, {}).items() if n}) if counts is not None
             else Counter(f.verdict for f in findings if f.policy == pid))
        per_policy.append((pid, titles.get(pid) or pid, {v: c.get(v, 0) for v in VERDICTS}, sum(c.values())))
    per_control = control_views(data, findings)

    charts: dict[str, list[Chart]] = {"*": charts_for("all", findings, exposure)}
    if len(pol_ids) > 1:
        for n, pid in enumerate(pol_ids):
            charts[pid] = charts_for(f"p{n}", [f for f in findings if f.policy == pid], exposure)

    summary = data.get("summary") or {}
    totals = {k: summary.get(k, 0) for k in ("observations", "attributed", "registry_only", "unknown",
                                             "input_issues", "malformed")}
    for v in VERDICTS:
        totals[v] = (sum(c.get(v, 0) for c in all_counts.values()) if counts is not None
                     else sum(1 for f in findings if f.verdict == v))
    totals["findings"] = sum(totals[v] for v in VERDICTS) if counts is not None else len(findings)
    entities = sorted({(f.entity_id, f.entity_name) for f in findings}, key=lambda e: e[1].lower())
    issues = []
    for s in data.get("inputs") or []:
        issues.extend(s.get("issues") or [])
        if s.get("problems_not_shown"):  # past the per-input cap: counted, not itemised
            issues.append({"file": s.get("file"), "line": None, "offset": None, "severity": "",
                           "reason": f"\u2026 and {s['problems_not_shown']} more problems of this input"})
    return ReportView(
        meta={k: data.get(k) for k in ("schema", "generated_at", "evaluated_on", "netvet_version",
                                       "registry_version", "sample_data")},
        policies=list(data.get("policies") or []), inputs=list(data.get("inputs") or []),
        datasets=list(data.get("datasets") or []), notes=list(data.get("notes") or []), totals=totals,
        per_policy=per_policy, per_control=per_control, charts=charts, findings=findings,
        evidence=[evidence_view(o) for o in observations],
        sites=sorted({f.site for f in findings}), countries=sorted({f.country for f in findings}),
        entities=entities, issues=issues,
    )


# --- rendering --------------------------------------------------------------------------------------------

ASSETS = "assets"


def asset_text(name: str) -> str:
    """The text of a packaged asset (template, CSS, JS), read each time (an :class:`Assets` keeps them)."""
    return resources.files(__package__).joinpath(ASSETS, name).read_text(encoding="utf-8")


class Assets:
    """The report's packaged assets and their Jinja2 environment (autoescape on for every template), read and
    compiled on first use and kept by this instance: one per rendering (or per dashboard app), never per process.
    ``first``: a loader tried before the packaged assets (the dashboard's own templates)."""

    def __init__(self, first: Callable[[str], str | None] | None = None, **globals_: object) -> None:
        self._first = first
        self._globals = globals_
        self._texts: dict[str, str] = {}
        self._env = None

    def text(self, name: str) -> str:
        if name not in self._texts:
            self._texts[name] = asset_text(name)
        return self._texts[name]

    def _source(self, name: str) -> str:
        own = self._first(name) if self._first is not None else None
        return own if own is not None else self.text(name)

    def env(self):
        """The Jinja2 environment of the templates (``VERDICTS`` and the given globals defined)."""
        if self._env is None:
            import jinja2

            self._env = jinja2.Environment(
                loader=jinja2.FunctionLoader(self._source),
                autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False,
            )
            self._env.globals["VERDICTS"] = VERDICTS
            self._env.globals.update(self._globals)
        return self._env


def csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline script or style."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def render_html_dict(data: dict, comparison: dict | None = None, assets: Assets | None = None,
                     counts: dict | None = None) -> str:
    """Render a report dictionary as one self-contained HTML document (with a comparison section when
    ``comparison`` — the output of ``analyses.compare.compare`` plus its ``headline`` — is given); ``assets``:
    the loader to use (default: a new one); ``counts``: see :func:`build_view`."""
    from markupsafe import Markup

    assets = assets or Assets()
    view = build_view(data, counts)
    view.comparison = comparison
    js, css = assets.text("report.js"), assets.text("report.css")
    return assets.env().get_template("report.html.j2").render(
        v=view, css=Markup(css), js=Markup(js), script_hash=csp_hash(js), style_hash=csp_hash(css),
        evidence_ids={e.anchor for e in view.evidence},
    )


# findings listed on one HTML page: a browser cannot use a page of a million rows. Past it the page lists the
# most severe (FAIL, REVIEW, UNKNOWN, WAIVED, then PASS; in report order among equals) and the evidence of their
# observations, says so at its top, and keeps the counts of the whole run; --format json or csv gives them all.
HTML_FINDINGS = 10_000
_PAGE_ORDER = {"FAIL": 0, "REVIEW": 1, "UNKNOWN": 2, "WAIVED": 3, "PASS": 4}


def page_document(head: dict, findings: Callable[[], Iterable], pairs: Callable[[], Iterable], observations: int,
                  limit: int = HTML_FINDINGS) -> tuple[dict, dict | None]:
    """The report dictionary one HTML page shows, and the run's summary when the page lists only part of it.

    ``head``: the report's members but findings and observations (``AuditRun.head``); ``findings`` and ``pairs``:
    callables giving its Findings one at a time and its (observation, attribution) pairs in batches (lists), in
    report order;
    ``observations``: how many. At most ``limit`` findings and the observations they name are held: with no more
    than ``limit`` of either, the dictionary is the whole report (``Report.to_dict()``)."""
    total = 0

    def ranked():
        nonlocal total
        for i, f in enumerate(findings()):
            total += 1
            yield _PAGE_ORDER.get(str(f.verdict), 5), i, f

    kept = sorted(heapq.nsmallest(limit, ranked(), key=lambda r: r[:2]), key=lambda r: r[1])
    capped = total > limit or observations > limit
    subjects = {f.subject for _, _, f in kept}
    obs = [{**o.to_dict(), "attribution": a.to_dict() if a is not None else None}
           for batch in pairs() for o, a in batch if not capped or o.id in subjects]
    data = {**head, "findings": [f.to_dict() for _, _, f in kept], "observations": obs}
    if not capped:
        return data, None
    data["notes"] = [*data.get("notes", []), (
        f"This page lists {len(kept)} of {total} findings (the most severe first: FAIL, REVIEW, UNKNOWN, WAIVED, "
        f"then PASS) and the evidence of their {len(obs)} of {observations} observations; the totals and the "
        f"counts per policy are those of all {total} findings, the charts, filters and table those listed. "
        f"Every finding is in --format json or csv.")]
    return data, head.get("summary") or {}


@reporter("html")
def render_html(report: Report) -> str:
    head = report.to_dict()
    del head["findings"], head["observations"]
    data, counts = page_document(head, lambda: report.findings,
                                 lambda: [[(o, report.attributions.get(o.id)) for o in report.observations]],
                                 len(report.observations))
    return render_html_dict(data, counts=counts)


@writer("html")
def write_run_html(run, out: TextIO, limit: int = HTML_FINDINGS) -> None:
    """The HTML page of a streamed audit (``pipeline.AuditRun``), holding at most ``limit`` findings."""
    data, counts = page_document(run.head(), run.findings, run.pairs, run.count, limit)
    out.write(render_html_dict(data, counts=counts))
    out.write("\n")  # as the terminal writer ends a report


def render_compare_html(report: Report, comparison: dict) -> str:
    """`netvet compare --format html`: the full report of every policy, opened by the comparison."""
    return render_html_dict(report.to_dict(), comparison)
