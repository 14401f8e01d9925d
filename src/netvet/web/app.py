"""The dashboard: a FastAPI app over the history database.

Pages: runs list (``/``), run detail with filters (``/runs/{run}``), a finding with its evidence
(``/runs/{run}/findings/{idx}``), an entity with its evidence (``/runs/{run}/entities/{entity}``), two runs or
two policies of one run side by side (``/compare``), drift between runs (``/drift``). JSON: ``/api/runs``,
``/api/runs/{run}``, ``/api/runs/{run}/report``, ``/api/drift``. Pages are rendered on the server with the
HTML report's view model and templates (autoescaped); the only script is the report's table script, served
from ``/static``.

Every list is paginated (``?page=N&size=M``, ``size`` at most ``MAX_SIZE``, default ``DEFAULT_SIZE``), so a
page or an API answer stays small however large the run; API lists answer
``{"items": [...], "page", "size", "total", "pages", "next", "prev"}``. A bad run reference, finding number
or query parameter is a 404 or 400 with a message, never a 500.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..history.drift import diff_runs
from ..history.keys import observation_keys
from ..history.store import History, HistoryError
from ..reporters.html import (
    ATTENTION,
    NO_COUNTRY,
    NO_ENTITY,
    NO_SITE,
    VERDICTS,
    Assets,
    ReportView,
    build_view,
    evidence_view,
)
from .security import install_security

FILTERS = ("policy", "verdict", "site", "country", "entity", "q")
DEFAULT_SIZE = 100  # rows per page (findings, runs, drift entries, API items)
MAX_SIZE = 500  # the largest page a client may ask for (larger sizes are capped)
MAX_PAGE = 10**9


def _whole_number(request: Request, name: str, default: int) -> int:
    """A query parameter that must be ASCII digits (``"²".isdigit()`` is True but ``int("²")`` fails)."""
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) < 1:
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise HTTPException(400, f"query parameter {name!r} must be a whole number of 1 or more, got {shown!r}")
    return int(text)


@dataclass
class Pager:
    """One page of a list: which rows, and the links to the neighbouring pages (filters kept)."""

    page: int
    size: int
    total: int
    path: str
    params: list[tuple[str, str]]
    anchor: str = ""

    @classmethod
    def of(cls, request: Request, total: int, anchor: str = "") -> Pager:
        size = min(_whole_number(request, "size", DEFAULT_SIZE), MAX_SIZE)
        page = _whole_number(request, "page", 1)
        pager = cls(page, size, total, request.url.path,
                    [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "size", "token")],
                    anchor)
        if page > pager.pages:
            raise HTTPException(404, f"page {page} is past the last page ({pager.pages}: {total} items, "
                                     f"{size} per page)")
        return pager

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def start(self) -> int:
        return (self.page - 1) * self.size

    @property
    def stop(self) -> int:
        return min(self.start + self.size, self.total)

    def slice(self, rows):
        return rows[self.start : self.start + self.size]

    def href(self, page: int | None) -> str | None:
        if page is None or not 1 <= page <= self.pages:
            return None
        q = [*self.params, ("page", str(page))]
        if self.size != DEFAULT_SIZE:
            q.append(("size", str(self.size)))
        return f"{quote(self.path)}?{urlencode(q)}{self.anchor}"

    @property
    def next(self) -> str | None:
        return self.href(self.page + 1)

    @property
    def prev(self) -> str | None:
        return self.href(self.page - 1)

    def to_dict(self, items: list) -> dict:
        return {"items": items, "page": self.page, "size": self.size, "total": self.total, "pages": self.pages,
                "next": self.next, "prev": self.prev}


def web_template(name: str) -> str | None:
    try:
        return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def web_assets() -> Assets:
    """The dashboard's templates (its own, then the report's) and their Jinja2 environment: one per app."""
    return Assets(web_template, ATTENTION=ATTENTION, quote=lambda s: quote(str(s), safe=""), urlencode=urlencode)


class RunCache:
    """Recorded runs never change: keep the views of the last few runs opened."""

    def __init__(self, history: History, size: int = 4):
        self.history = history
        self.size = size
        self._views: OrderedDict[str, tuple[dict, ReportView]] = OrderedDict()
        self._lock = threading.Lock()  # requests run in a thread pool: build each view once

    def get(self, run_id: str) -> tuple[dict, ReportView]:
        with self._lock:
            if run_id in self._views:
                self._views.move_to_end(run_id)
                return self._views[run_id]
            data = self.history.report(run_id)
            item = (data, build_view(data))
            self._views[run_id] = item
            while len(self._views) > self.size:
                self._views.popitem(last=False)
            return item


def _match(f, want: dict[str, str]) -> bool:
    if want.get("policy") and f.policy != want["policy"]:
        return False
    if want.get("verdict") and f.verdict != want["verdict"]:
        return False
    if want.get("site") and f.site != want["site"]:
        return False
    if want.get("country") and f.country != want["country"]:
        return False
    if want.get("entity") and want["entity"] not in (f.entity_id, f.entity_name):
        return False
    if want.get("q"):
        q = want["q"].lower()
        text = " ".join(
            [f.label, f.where, f.entity_name, f.site, f.policy, f.identifier, *f.rule_ids, *f.reasons]
        )
        if q not in text.lower():
            return False
    return True


@dataclass
class Dashboard:
    """The state of one dashboard app (``app.state.dashboard``): the history, the view cache, the registry and
    the watch state file the routes read."""

    history: History
    cache: RunCache
    registry_loader: Callable[[], object] | None = None
    watch_state: str | Path | None = None
    assets: Assets = field(default_factory=web_assets)

    @functools.cached_property
    def registry(self):
        """The current registry for entity pages (None when it cannot be loaded)."""
        try:
            if self.registry_loader is not None:
                return self.registry_loader()
            from ..attribution.registry import Registry

            return Registry.load()
        except Exception:  # noqa: BLE001 - the dashboard works without the registry
            return None

    def resolve(self, ref: str) -> str:
        try:
            return self.history.resolve(ref)
        except HistoryError as exc:
            raise HTTPException(404, str(exc)) from None

    def open_run(self, ref: str) -> tuple[str, dict, dict, ReportView]:
        """The run ``ref`` names (404 when none): its id, its history row, its recorded report and the report's
        view."""
        run_id = self.resolve(ref)
        info = self.history.run(run_id)
        data, view = self.cache.get(run_id)
        return run_id, info, data, view

    @property
    def state_name(self) -> str | None:
        """The watch state file shown with the events (None without one)."""
        return str(self.watch_state) if self.watch_state is not None else None

    def events(self) -> list[dict]:
        if self.watch_state is None:
            return []
        from ..watch.store import open_events

        try:
            return open_events(self.watch_state)
        except Exception as exc:  # noqa: BLE001 - a damaged or locked state file is a 503, not a crash
            raise HTTPException(503, f"cannot read the watch state {self.watch_state}: {exc}") from None


def create_app(
    history: History | None = None,
    token: str | None = None,
    bind_host: str = "127.0.0.1",
    registry_loader=None,
    watch_state: str | Path | None = None,
) -> FastAPI:
    """The dashboard app over ``history``; with ``token`` every request must carry it; ``watch_state`` (a
    `netvet watch` state file) adds the open watch events."""
    history = history or History()
    app = FastAPI(title="netvet dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.dashboard = Dashboard(history, RunCache(history), registry_loader, watch_state)
    install_security(app, token=token, bind_host=bind_host)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(HistoryError, _history_error)
    app.include_router(router)
    return app


router = APIRouter()


def _dash(request: Request) -> Dashboard:
    return request.app.state.dashboard


def in_session(fn):
    """Run a route with one shared read-only connection to the history database (the route takes ``request``)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _dash(kwargs["request"]).history.session():
            return fn(*args, **kwargs)

    return wrapper


def run_href(run_id: str, **params) -> str:
    q = {k: v for k, v in params.items() if v}
    return f"/runs/{quote(run_id, safe='')}" + (f"?{urlencode(q)}" if q else "")


def page(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    ctx.setdefault("run_href", run_href)
    html = _dash(request).assets.env().get_template(template).render(**ctx)
    return HTMLResponse(html, status_code=status)


def _error(request: Request, status: int, message: str):
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    return page(request, "error.html.j2", status=status, title="Error", message=message, status_code=status)


async def _http_error(request: Request, exc: HTTPException):
    return _error(request, exc.status_code, str(exc.detail))


async def _bad_request(request: Request, exc: RequestValidationError):
    problems = []
    for e in exc.errors()[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
        problems.append(f"{e.get('loc', ('',))[0]} parameter {where!r}: {e.get('msg', 'invalid')}")
    return _error(request, 400, "bad request: " + "; ".join(problems))


async def _history_error(request: Request, exc: HistoryError):
    return _error(request, 503, str(exc))


def _finding_href(run_id: str):
    return lambda f: f"/runs/{quote(run_id, safe='')}/findings/{f.idx}"


def _entity_href(run_id: str):
    return lambda eid: f"/runs/{quote(run_id, safe='')}/entities/{quote(eid, safe='')}"


# --- static ---------------------------------------------------------------------------------------
@router.get("/static/report.css")
def css(request: Request) -> Response:
    return Response(_dash(request).assets.text("report.css"), media_type="text/css; charset=utf-8")


@router.get("/static/report.js")
def js(request: Request) -> Response:
    return Response(_dash(request).assets.text("report.js"), media_type="text/javascript; charset=utf-8")


# --- pages ----------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
@in_session
def runs_page(request: Request):
    history = _dash(request).history
    runs = history.runs()
    pager = Pager.of(request, len(runs))
    shown = [(r, runs[i + 1] if i + 1 < len(runs) else None)
             for i, r in enumerate(runs) if pager.start <= i < pager.stop]
    return page(request, "runs.html.j2", title="Runs", runs=shown, total=len(runs), pager=pager,
                db=str(history.path))


@router.get("/runs/{run}", response_class=HTMLResponse)
@in_session
def run_page(run: str, request: Request):
    run_id, info, data, view = _dash(request).open_run(run)
    want = {k: request.query_params.get(k, "") for k in FILTERS}
    rows = [f for f in view.findings if _match(f, want)]
    pager = Pager.of(request, len(rows), anchor="#findings")

    def summary_href(pid: str, verdict: str) -> str:
        return run_href(run_id, policy=pid, verdict=verdict) + "#findings"

    return page(
        request, "run.html.j2",
        title=f"Run {info['seq']}",
        info=info,
        v=view,
        rows=pager.slice(rows),
        matching=len(rows),
        pager=pager,
        want=want,
        run_id=run_id,
        summary_href=summary_href,
        finding_href=_finding_href(run_id),
        entity_href=_entity_href(run_id),
    )


@router.get("/runs/{run}/findings/{idx}", response_class=HTMLResponse)
@in_session
def finding_page(run: str, idx: str, request: Request):
    run_id, info, data, view = _dash(request).open_run(run)
    if not (idx.isascii() and idx.isdigit()) or not 0 <= int(idx) < len(view.findings):
        shown = idx if len(idx) <= 40 else idx[:37] + "..."
        raise HTTPException(404, f"run {run_id} has no finding {shown!r} (findings are numbered 0 to "
                                 f"{len(view.findings) - 1})")
    f = view.findings[int(idx)]
    obs = next((o for o in data.get("observations") or [] if o.get("id") == f.subject), None)
    ev = evidence_view(obs) if obs else None
    siblings = [g for g in view.findings if g.subject == f.subject and g.idx != f.idx]
    return page(
        request, "finding.html.j2",
        title=f"{f.label} under {f.policy}",
        info=info,
        run_id=run_id,
        f=f,
        ev=ev,
        siblings=siblings,
        finding_href=_finding_href(run_id),
        entity_href=_entity_href(run_id),
    )


@router.get("/runs/{run}/entities/{entity_id}", response_class=HTMLResponse)
@in_session
def entity_page(run: str, entity_id: str, request: Request):
    dash = _dash(request)
    run_id, info, data, view = dash.open_run(run)
    findings = [f for f in view.findings if f.entity_id == entity_id]
    evidence = [e for e in view.evidence if e.entity_id == entity_id]
    if not findings and not evidence:
        raise HTTPException(404, f"no observation of run {run_id} is attributed to {entity_id!r}")
    facts = _entity_facts(dash.registry, entity_id)
    counts = Counter((f.policy, f.verdict) for f in findings)
    per_policy = [
        (pid, title, {v: counts.get((pid, v), 0) for v in VERDICTS}, n)
        for pid, title, _, n in view.per_policy
    ]
    per_policy = [(pid, title, c, sum(c.values())) for pid, title, c, _ in per_policy if sum(c.values())]
    name = findings[0].entity_name if findings else entity_id
    pager = Pager.of(request, max(len(findings), len(evidence)))
    return page(
        request, "entity.html.j2",
        title=name,
        info=info,
        run_id=run_id,
        entity_id=entity_id,
        name=name,
        facts=facts,
        findings=pager.slice(findings),
        evidence=pager.slice(evidence),
        n_findings=len(findings),
        n_evidence=len(evidence),
        pager=pager,
        per_policy=per_policy,
        finding_href=_finding_href(run_id),
        summary_href=lambda pid, v: (
            run_href(run_id, policy=pid, verdict=v, entity=entity_id) + "#findings"
        ),
    )


@router.get("/compare", response_class=HTMLResponse)
@in_session
def compare_page(request: Request, a: str = "", b: str = "", p1: str = "", p2: str = ""):
    dash = _dash(request)
    history, cache = dash.history, dash.cache
    runs = history.runs()
    for ref in (a, b):
        if ref:
            dash.resolve(ref)  # a reference given must name a run, even when the page needs both
    if a and p1 and p2:
        run_id, info, data, view = dash.open_run(a)
        rows = _policy_pairs(data, view, p1, p2)
        pager = Pager.of(request, len(rows))
        return page(
            request, "compare_policies.html.j2",
            title=f"{p1} vs {p2}",
            info=info,
            run_id=run_id,
            p1=p1,
            p2=p2,
            rows=pager.slice(rows),
            total=len(rows),
            pager=pager,
            v=view,
            differ=sum(1 for r in rows if r["differ"]),
        )
    if a and b:
        ra, rb = dash.resolve(a), dash.resolve(b)
        ia, ib = history.run(ra), history.run(rb)
        (_, va), (_, vb) = cache.get(ra), cache.get(rb)
        entities = _entity_pairs(va, vb)
        pager = Pager.of(request, len(entities))
        return page(
            request, "compare_runs.html.j2",
            title="Compare runs",
            a=ia,
            b=ib,
            va=va,
            vb=vb,
            entities=pager.slice(entities),
            total=len(entities),
            pager=pager,
        )
    return page(
        request, "compare_pick.html.j2",
        title="Compare",
        runs=runs[:MAX_SIZE],
        more=max(0, len(runs) - MAX_SIZE),
        policies=_policies_of(history, runs[0]["run_id"]) if runs else [],
    )


@router.get("/drift", response_class=HTMLResponse)
@in_session
def drift_page(request: Request, a: str = "", b: str = ""):
    history = _dash(request).history
    runs = history.runs()
    if not (a and b):
        if len(runs) < 2:
            return page(request, "compare_pick.html.j2", title="Drift", runs=runs, more=0, policies=[])
        a, b = runs[1]["run_id"], runs[0]["run_id"]
    try:
        drift = diff_runs(history, a, b)
    except HistoryError as exc:
        raise HTTPException(404, str(exc)) from None
    pager = Pager.of(request, max(len(drift.new), len(drift.resolved), len(drift.changed)))
    return page(
        request, "drift.html.j2",
        title="Drift",
        d=drift,
        c=drift.to_dict()["counts"],
        tables=[(name, pager.slice(rows), len(rows), cls) for name, rows, cls in
                (("New", drift.new, "added"), ("Resolved", drift.resolved, "resolved"),
                 ("Changed", drift.changed, "changed"))],
        pager=pager,
        a=history.run(drift.run_a),
        b=history.run(drift.run_b),
    )


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request):
    dash = _dash(request)
    rows = dash.events()
    pager = Pager.of(request, len(rows))
    return page(request, "events.html.j2", title="Watch events", events=pager.slice(rows), pager=pager,
                state=dash.state_name)


# --- JSON -----------------------------------------------------------------------------------------
@router.get("/api/events")
def api_events(request: Request):
    dash = _dash(request)
    rows = dash.events()
    pager = Pager.of(request, len(rows))
    return JSONResponse({"state": dash.state_name, **pager.to_dict(pager.slice(rows))})


@router.get("/api/runs")
@in_session
def api_runs(request: Request):
    history = _dash(request).history
    runs = history.runs()
    pager = Pager.of(request, len(runs))
    return JSONResponse({"database": str(history.path), **pager.to_dict(pager.slice(runs))})


@router.get("/api/runs/{run}")
@in_session
def api_run(run: str, request: Request):
    dash = _dash(request)
    run_id = dash.resolve(run)
    info = dash.history.run(run_id)
    pager = Pager.of(request, info["findings"] or 0)
    rows = dash.history.findings(run_id, offset=pager.start, limit=pager.size)
    return JSONResponse({"run": info, **pager.to_dict(rows)})


@router.get("/api/runs/{run}/report")
@in_session
def api_report(run: str, request: Request):
    dash = _dash(request)
    data, _ = dash.cache.get(dash.resolve(run))
    findings = data.get("findings") or []
    pager = Pager.of(request, len(findings))
    items = pager.slice(findings)
    wanted = {f.get("subject") for f in items}
    observations = [o for o in data.get("observations") or [] if o.get("id") in wanted]
    head = {k: v for k, v in data.items() if k not in ("findings", "observations")}
    # JSONResponse directly: the recorded report is plain JSON, FastAPI's encoder would walk it again
    return JSONResponse({"report": head, **pager.to_dict(items), "observations": observations})


@router.get("/api/drift")
@in_session
def api_drift(a: str, b: str, request: Request):
    try:
        drift = diff_runs(_dash(request).history, a, b).to_dict()
    except HistoryError as exc:
        raise HTTPException(404, str(exc)) from None
    changes = [{"change": kind, **c} for kind in ("new", "resolved", "changed") for c in drift[kind]]
    pager = Pager.of(request, len(changes))
    return JSONResponse({"run_a": drift["run_a"], "run_b": drift["run_b"], "counts": drift["counts"],
                         **pager.to_dict(pager.slice(changes))})


def _policies_of(history: History, run_id: str) -> list[str]:
    return [p["id"] for p in history.run(run_id)["policies"]]


def _entity_pairs(va: ReportView, vb: ReportView) -> list[dict]:
    """Per entity: FAIL/REVIEW/UNKNOWN counts in run A and run B."""

    def counts(view: ReportView) -> dict[tuple[str, str], Counter]:
        out: dict[tuple[str, str], Counter] = {}
        for f in view.findings:
            if f.verdict in ATTENTION:
                out.setdefault((f.entity_id, f.entity_name), Counter())[f.verdict] += 1
        return out

    ca, cb = counts(va), counts(vb)
    rows = []
    for key in sorted(ca.keys() | cb.keys(), key=lambda k: k[1].lower()):
        a, b = ca.get(key, Counter()), cb.get(key, Counter())
        ta, tb = sum(a.values()), sum(b.values())
        rows.append(
            {"entity_id": key[0], "name": key[1], "a": a, "b": b, "ta": ta, "tb": tb, "delta": tb - ta}
        )
    return sorted(rows, key=lambda r: (-abs(r["delta"]), -r["tb"], r["name"].lower()))


def _policy_pairs(data: dict, view: ReportView, p1: str, p2: str) -> list[dict]:
    """Per observation: its finding under policy p1 and under policy p2."""
    keys = observation_keys(data.get("observations") or [])
    by: dict[str, dict] = {}
    for f in view.findings:
        if f.policy not in (p1, p2):
            continue
        row = by.setdefault(
            f.subject,
            {
                "subject": f.subject,
                "key": keys.get(f.subject, f.subject),
                "label": f.label,
                "site": f.site,
                "entity": f.entity_name,
                "entity_id": f.entity_id,
                p1: None,
                p2: None,
            },
        )
        row[f.policy] = f
    rows = []
    for row in by.values():
        va = row[p1].verdict if row[p1] else "absent"
        vb = row[p2].verdict if row[p2] else "absent"
        rows.append({**row, "v1": va, "v2": vb, "f1": row[p1], "f2": row[p2], "differ": va != vb})
    rank = {"FAIL": 0, "REVIEW": 1, "UNKNOWN": 2, "WAIVED": 3, "PASS": 4, "absent": 5}
    return sorted(rows, key=lambda r: (not r["differ"], min(rank[r["v1"]], rank[r["v2"]]), r["label"]))


def _entity_facts(registry, entity_id: str) -> dict | None:
    """What the current registry says about an entity: names, jurisdiction, owners, designations."""
    if registry is None or entity_id not in getattr(registry, "entities", {}):
        return None
    e = registry.entities[entity_id]
    sources = getattr(registry, "sources", {})

    def src(sid: str | None) -> tuple[str | None, str | None]:
        s = sources.get(sid) if sid else None
        return (s.title if s else sid), (s.url if s else None)

    owners = []
    for o in e.owners:
        title, url = src(o.source)
        owner = registry.entities.get(o.owner)
        owners.append(
            {
                "id": o.owner,
                "name": owner.legal_name if owner else o.owner,
                "share": o.share,
                "since": o.since,
                "until": o.until,
                "note": o.note,
                "source": title,
                "url": url,
                "as_of": o.as_of,
            }
        )
    designations = []
    for d in registry.designations_of(entity_id):
        title, url = src(d.source)
        designations.append(
            {
                "list": d.list,
                "entry": d.entry,
                "date_added": d.date_added,
                "scope": d.scope,
                "scope_text": d.scope_text,
                "source": title,
                "url": url,
                "as_of": d.as_of,
            }
        )
    hq = e.jurisdiction.headquarters
    reg = e.jurisdiction.registration
    return {
        "id": e.id,
        "legal_name": e.legal_name,
        "kind": str(e.kind),
        "aliases": e.aliases,
        "brands": e.brands,
        "hq": hq.country if hq else None,
        "hq_source": src(hq.source) if hq else (None, None),
        "registration": reg.country if reg else None,
        "owners": owners,
        "designations": designations,
        "state": [{"state": s.state, "share": s.share, "via": s.via} for s in e.state_ownership],
        "registry_version": getattr(registry, "version", None),
        "notes": e.notes,
    }


__all__ = ["create_app", "NO_COUNTRY", "NO_ENTITY", "NO_SITE"]
