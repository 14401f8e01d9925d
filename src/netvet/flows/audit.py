"""``netvet flows audit``: classify each remote party once, then report exposure per entity and policy line.

A *remote party* (unit) is an origin AS set, a cloud provider (when a published range decided), or
"unrouted", each combined with the registry entities DNS names the traffic went to. Each unit becomes
one :class:`~netvet.model.Observation` of kind ``flow`` whose identifiers are its origin ASes (or the
provider's name) and the DNS domains; the policy engine evaluates it once, when it is first seen. ASes
the registry does not know are looked up in the AS-names data (pyasn asnames, CAIDA as2org): a match of
the organisation name to a registry entity attributes it, else it is registry-only evidence with the
registry's country.

Exposure, per policy: the units a policy flags (FAIL: excluded; REVIEW: needs review) are grouped by
entity, and by policy line from the entity's kind (``clean-cloud`` for clouds, ``clean-carrier`` for
carriers, ``other`` for other kinds, ``unclassified`` when no entity is known), with bytes to and from
the remote party, packets, flows, records, distinct internal hosts, first and last time, the top
internal hosts talking to them and traffic per hour (by the hour a record starts).

Policies see a unit's identity (identifiers, kind ``flow``), never its volumes: a unit is classified
while traffic is still being counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from .. import __version__
from ..model import (
    Attribution,
    Finding,
    Observation,
    ReadStats,
    Report,
    SourceRef,
    Verdict,
)
from ..pipeline import Context, report_for
from ..policies.evaluator import Evaluator, finding_entity, finding_reasons
from ..readers.flowlogs.addresses import to_text
from ..readers.flowlogs.base import ReadOptions
from ..readers.flowlogs.records import HOUR_US, iso_time
from . import engine, sources
from .aggregate import SUMS, Partial, class_totals, unit_cells
from .attribution import NO_HOUR, FlowTables, RunCaches
from .cloud import CloudIndex
from .kernel import kernel_name
from .units import Catalog, flow_context

FLAGGED = (Verdict.FAIL, Verdict.REVIEW)
LINES = {"cloud": "clean-cloud", "carrier": "clean-carrier"}
SCHEMA = "netvet-flows/1"


@dataclass
class UnitResult:
    unit: int
    observation: Observation
    attribution: Attribution
    findings: list[Finding]


class PolicyClassifier:
    """Classifies units through the policy engine, each exactly once (the engine's Classifier)."""

    def __init__(self, ctx: Context, catalog: Catalog) -> None:
        self.ctx = ctx
        self.catalog = catalog
        self.results: dict[int, UnitResult] = {}
        self._flagged: list[int] = []
        self._flagged_arr = np.zeros(0, np.int64)
        self._done_arr: np.ndarray | None = np.zeros(0, np.int64)
        self.evaluator = Evaluator(ctx)

    def classify(self, units: np.ndarray) -> None:
        new = [u for u in dict.fromkeys(np.asarray(units, np.int64).tolist()) if u not in self.results]
        if not new:
            return
        flagged = len(self._flagged)
        for u in new:
            self.results[u] = r = self._evaluate(u)
            if any(f.verdict in FLAGGED for f in r.findings):
                self._flagged.append(u)
        if len(self._flagged) != flagged:
            self._flagged_arr = np.array(sorted(self._flagged), np.int64)
        self._done_arr = None  # sorted again when asked for

    def flagged(self) -> np.ndarray:
        return self._flagged_arr

    def classified(self) -> np.ndarray:
        if self._done_arr is None:
            self._done_arr = np.array(sorted(self.results), np.int64)
        return self._done_arr

    @property
    def evaluations(self) -> int:
        """Engine evaluations run (each distinct fact set once per pack)."""
        return self.evaluator.evaluations

    def _evaluate(self, unit: int) -> UnitResult:
        ctx = self.ctx
        oid, label, idents, attrs = self.catalog.describe(unit)
        obs = Observation(id=oid, kind="flow", source=SourceRef("flows"), identifiers=idents, attributes=attrs)
        att = ctx.attributor.observation(obs)
        ent = finding_entity(ctx, att)
        ident = att.decided_by.identifier.to_dict() if att.decided_by else None
        facts = self.evaluator.facts(obs, att)
        findings = [Finding(subject=oid, label=label, source=obs.source, policy=pack.id, verdict=ev.verdict,
                            rule_ids=ev.rule_ids, reasons=finding_reasons(ev, att), citations=ev.citations,
                            entity=ent, identifier=ident, severity=ev.severity,
                            controls=self.evaluator.controls(pack, ev, facts))
                    for pack, ev in self.evaluator.evaluate_all(facts)]
        return UnitResult(unit, obs, att, findings)


# --------------------------------------------------------------------------- result
def _houriso_time(hour: int | None) -> str | None:
    return None if hour is None or hour == NO_HOUR else iso_time(hour * HOUR_US)


@dataclass
class FlowAudit:
    """The result of ``netvet flows audit``: the core report plus the traffic exposure document."""

    report: Report
    document: dict
    engine: dict = field(default_factory=dict)

    def result(self) -> dict:
        """The document without run-specific fields (time of generation), for comparing engines."""
        return {k: v for k, v in self.document.items() if k not in ("generated_at",)}


def _entity_of(ctx: Context, r: UnitResult) -> dict:
    att = r.attribution
    if att.entity_id:
        e = ctx.registry.entities[att.entity_id]
        return {"key": e.id, "id": e.id, "name": e.legal_name, "kind": str(e.kind),
                "country": e.hq_country or e.registration_country, "line": LINES.get(str(e.kind), "other")}
    best = att.decided_by
    if best is not None and best.org_name:
        return {"key": r.observation.id, "id": None, "name": best.org_name, "kind": None, "country": best.country,
                "line": "unclassified"}
    return {"key": r.observation.id, "id": None, "name": r.observation.label, "kind": None, "country": None,
            "line": "unclassified"}


def iso_expr(name: str) -> pl.Expr:
    """Microseconds since the epoch as ISO 8601 UTC text, as :func:`~.records.iso_time` writes it."""
    t = pl.from_epoch(pl.col(name), time_unit="us")
    return (pl.when(pl.col(name) % 1_000_000 == 0).then(t.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
            .otherwise(t.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")))


def _sums(df: pl.DataFrame) -> list[pl.Expr]:
    return [pl.col(s).sum() for s in SUMS]


def _counts(row: dict) -> dict:
    out = {s: int(row[s]) for s in SUMS}
    out["bytes"] = out["to_bytes"] + out["from_bytes"]
    out["packets"] = out["to_packets"] + out["from_packets"]
    return out


def build(ctx: Context, classifier: PolicyClassifier, merged: Partial, stats: list[ReadStats],
          src: sources.Sources, tables: FlowTables, flow_files: list[str], top: int = 20,
          notes: Iterable[str] = ()) -> FlowAudit:
    """Assemble the report and the exposure document from the merged aggregates."""
    cells = unit_cells(merged.cells)
    units = sorted(int(u) for u in cells["unit"].unique().to_list())
    classifier.classify(np.array(units, np.int64))  # no-op for units the engine classified already
    per_unit = cells.group_by("unit").agg(_sums(cells) + [pl.col("first").min(), pl.col("last").max(),
                                                           pl.col("ref").min()]).sort("unit")
    per_unit = per_unit.with_columns(iso_expr("first").alias("first_iso"), iso_expr("last").alias("last_iso"))
    info = {int(r["unit"]): r for r in per_unit.iter_rows(named=True)}
    hosts = merged.hosts
    flagged_units = set(classifier.flagged().tolist())
    hosts = hosts.filter(pl.col("unit").is_in(sorted(flagged_units)))
    host_counts = {int(u): int(n) for u, n in hosts.group_by("unit").agg(pl.len()).iter_rows()}
    evidence = _Evidence(merged, tables)

    observations: list[Observation] = []
    attributions: dict[str, Attribution] = {}
    findings: list[Finding] = []
    remotes: list[dict] = []
    unit_rows = []
    for u in units:
        r = classifier.results[u]
        row = info[u]
        obs = r.observation
        fi, line = divmod(int(row["ref"]), 1 << 40)
        src_file = flow_files[fi] if 0 <= fi < len(flow_files) else "flows"
        obs.source = SourceRef(src_file, line)
        c = _counts(row)
        obs.attributes.update({k: str(v) for k, v in c.items()})
        obs.attributes["first_seen"] = row["first_iso"] or ""
        obs.attributes["last_seen"] = row["last_iso"] or ""
        if u in flagged_units:
            obs.attributes["hosts"] = str(host_counts.get(u, 0))
        for f in r.findings:
            f.source = obs.source
        observations.append(obs)
        attributions[obs.id] = r.attribution
        findings.extend(r.findings)
        ent = _entity_of(ctx, r)
        verdicts = {f.policy: str(f.verdict) for f in r.findings}
        unit_rows.append({"unit": u, "entity_key": ent["key"], "line": ent["line"],
                          **{f"v:{p}": v for p, v in verdicts.items()}})
        remotes.append({
            "id": obs.id, "label": obs.label, "remote": obs.attributes.get("remote"),
            "origin_asns": [int(a) for a in obs.attributes.get("origin_asns", "").split()],
            "as_names": obs.attributes.get("as_names"), "cloud_provider": obs.attributes.get("cloud_provider"),
            "dns_domains": obs.attributes.get("dns_domains", "").split() or [],
            "entity": {k: ent[k] for k in ("id", "name", "kind", "country")}, "line": ent["line"],
            "attribution": {"status": str(r.attribution.status), "method": r.attribution.method,
                            "confidence": round(r.attribution.confidence, 3), "conflict": r.attribution.conflict},
            "verdicts": verdicts, **c, "hosts": host_counts.get(u) if u in flagged_units else None,
            "first_seen": row["first_iso"], "last_seen": row["last_iso"],
            "first_record": {"file": src_file, "line": line},
            "evidence": evidence.of(u),
        })

    unit_df = pl.DataFrame(unit_rows) if unit_rows else pl.DataFrame(
        schema={"unit": pl.Int64, "entity_key": pl.String, "line": pl.String})
    exposure = {pack.id: _exposure(ctx, pack.id, classifier, cells, hosts, unit_df, top) for pack in ctx.packs}
    traffic = class_totals(merged.cells)

    all_notes = list(notes) + list(src.notes)
    for pid, ex in exposure.items():
        for ln in ex["lines"]:
            all_notes.append(f"{pid} {ln['line']} {ln['verdict']}: {ln['entities']} entit(y/ies), {ln['bytes']} bytes, "
                             f"{ln['flows']} flows, {ln['hosts']} internal host(s)")
    report = report_for(ctx, observations, stats, attributions, findings, datasets=src.datasets, notes=all_notes)
    document = {
        "schema": SCHEMA,
        "generated_at": report.generated_at,
        "evaluated_on": report.evaluated_on,
        "netvet_version": __version__,
        "registry_version": ctx.registry.version,
        "policies": [p.to_dict() for p in report.policies],
        "inputs": [s.to_dict() for s in stats],
        "attribution_data": src.datasets,
        "notes": all_notes,
        "traffic": traffic,
        "remotes": remotes,
        "exposure": exposure,
        "classified_units": len(classifier.results),
        "findings": [f.to_dict() for f in findings],
    }
    return FlowAudit(report, document)


class _Evidence:
    """The cloud-range and DNS evidence rows of each unit, grouped once."""

    def __init__(self, merged: Partial, tables: FlowTables) -> None:
        self.tables = tables
        self.cloud = self._group(merged.cloud.sort("bytes", "cloud_set", descending=[True, False]))
        self.dns = self._group(merged.dns.sort("bytes", "address", descending=[True, False]))

    @staticmethod
    def _group(df: pl.DataFrame) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {}
        for row in df.iter_rows(named=True):
            rows = out.setdefault(int(row["unit"]), [])
            if len(rows) < 10:
                rows.append(row)
        return out

    def of(self, unit: int) -> dict:
        tables = self.tables
        out: dict = {}
        if unit in self.cloud:
            items = []
            for row in self.cloud[unit]:
                rs = int(row["route_set"])
                route = (f"route from {'+'.join(f'AS{a}' for a in tables.routes.origin_sets[rs])} "
                         f"/{_v4len(int(row['route_len']), int(row['cloud_len']))}"
                         if rs and tables.routes is not None else "no route")
                items.append({"range": _cloud_text(tables.cloud, int(row["cloud_set"])),
                              "sources": tables.cloud.sources_of_set(int(row["cloud_set"])),
                              "over": route, "bytes": int(row["bytes"]), "flows": int(row["flows"]),
                              "why": "published cloud range at least as specific as the route" if rs
                              else "published cloud range; no route covers the address"})
            out["cloud_ranges"] = items
        if unit in self.dns:
            items = []
            for row in self.dns[unit]:
                a = int(row["address"]) - 1
                items.append({"address": to_text([tables.dns.hi[a]], [tables.dns.lo[a]])[0],
                              "names": list(tables.dns.names[a]), "bytes": int(row["bytes"]),
                              "flows": int(row["flows"])})
            out["dns"] = items
        return out


def _v4len(route_len: int, cloud_len: int) -> str:
    """Prefix lengths are kept in IPv6 terms; show IPv4 ones as such (a length > 96 of a mapped address)."""
    if route_len > 96 and cloud_len > 96:
        return f"{route_len - 96} (cloud range /{cloud_len - 96})"
    return f"{route_len} (cloud range /{cloud_len})"


def _cloud_text(cloud: CloudIndex, set_id: int) -> str:
    return cloud.describe_set(set_id)


def _exposure(ctx: Context, policy: str, classifier: PolicyClassifier, cells: pl.DataFrame, hosts: pl.DataFrame,
              units: pl.DataFrame, top: int) -> dict:
    col = f"v:{policy}"
    if not len(units) or col not in units.columns:
        return {"entities": [], "lines": [], "top_hosts": [], "hourly": []}
    flagged = units.filter(pl.col(col).is_in([str(v) for v in FLAGGED])).select(
        "unit", "entity_key", "line", pl.col(col).alias("verdict"))
    if not len(flagged):
        return {"entities": [], "lines": [], "top_hosts": [], "hourly": []}
    c = cells.join(flagged, on="unit", how="inner")
    h = hosts.join(flagged, on="unit", how="inner")
    names = {}
    for u in flagged["unit"].to_list():
        r = classifier.results[int(u)]
        names[_entity_of(ctx, r)["key"]] = _entity_of(ctx, r)

    hours = pl.col("hour").filter(pl.col("hour") != NO_HOUR).n_unique().alias("hours")
    worst = pl.col("verdict").sort_by(pl.col("verdict").replace_strict({"FAIL": 0, "REVIEW": 1})).first()
    ent = c.group_by("entity_key", "line").agg(_sums(c) + [pl.col("first").min(), pl.col("last").max(), hours, worst])
    ent_hosts = h.group_by("entity_key").agg(pl.struct("host_hi", "host_lo").n_unique().alias("hosts"))
    ent = ent.join(ent_hosts, on="entity_key", how="left").with_columns(pl.col("hosts").fill_null(0))
    ent_units = flagged.group_by("entity_key").agg(pl.col("unit").sort())
    ent = ent.join(ent_units, on="entity_key", how="left")
    ent = ent.with_columns((pl.col("to_bytes") + pl.col("from_bytes")).alias("bytes")).sort(
        ["bytes", "entity_key"], descending=[True, False])
    entities = []
    for row in ent.iter_rows(named=True):
        e = names[row["entity_key"]]
        entities.append({
            "entity": {k: e[k] for k in ("id", "name", "kind", "country")}, "line": row["line"],
            "verdict": row["verdict"], **_counts(row), "hosts": int(row["hosts"]),
            "first_seen": iso_time(row["first"]), "last_seen": iso_time(row["last"]), "hours_active": int(row["hours"]),
            "remotes": [classifier.results[int(u)].observation.id for u in row["unit"]],
        })

    line_host = h.group_by("line", "verdict").agg(pl.struct("host_hi", "host_lo").n_unique().alias("hosts"))
    lines = c.group_by("line", "verdict").agg(_sums(c) + [pl.col("entity_key").n_unique().alias("entities"),
                                                          pl.col("first").min(), pl.col("last").max()])
    lines = lines.join(line_host, on=["line", "verdict"], how="left").with_columns(pl.col("hosts").fill_null(0))
    lines_out = [{"line": r["line"], "verdict": r["verdict"], **_counts(r), "entities": int(r["entities"]),
                  "hosts": int(r["hosts"]), "first_seen": iso_time(r["first"]), "last_seen": iso_time(r["last"])}
                 for r in lines.sort("line", "verdict").iter_rows(named=True)]

    th = h.group_by("host_hi", "host_lo").agg(_sums(h) + [pl.col("entity_key").unique().sort().alias("entities"),
                                                          pl.col("verdict").unique().sort().alias("verdicts")])
    th = th.with_columns((pl.col("to_bytes") + pl.col("from_bytes")).alias("bytes")).sort(
        ["bytes", "host_hi", "host_lo"], descending=[True, False, False]).head(top)
    top_hosts = []
    for r in th.iter_rows(named=True):
        top_hosts.append({"host": to_text([r["host_hi"]], [r["host_lo"]])[0], **_counts(r),
                          "entities": [names[k]["name"] for k in r["entities"]], "verdicts": list(r["verdicts"])})

    hourly = c.group_by("hour", "line", "verdict").agg(_sums(c)).sort("hour", "line", "verdict")
    hourly_out = [{"hour": _houriso_time(r["hour"]), "line": r["line"], "verdict": r["verdict"], **_counts(r)}
                  for r in hourly.iter_rows(named=True)]
    return {"entities": entities, "lines": lines_out, "top_hosts": top_hosts, "hourly": hourly_out}


# --------------------------------------------------------------------------- running
def run(paths: list[str | Path], ctx: Context, src: sources.Sources, *, options: ReadOptions | None = None,
        input_format: str | None = None, dns_logs: Iterable[str | Path] = (), engine_name: str = "polars",
        scheduler: str | None = None, workers: int | None = None, processes: bool | None = None, top: int = 20,
        progress=None) -> FlowAudit:
    """Read, attribute, classify and aggregate ``paths`` with the chosen engine; build the result."""
    options = options or ReadOptions()
    flow_context(ctx, src.as_names)
    caches = RunCaches()  # what this run keeps: address books, Parquet footers, route and entry caches
    pln = engine.plan(paths, options, input_format, dns_logs, caches.session)
    dns = engine.read_dns(pln.dns_parts, pln.stats, ctx.registry.by_domain, caches.session)
    tables = FlowTables(routes=src.routes, cloud=CloudIndex.build(src.cloud_ranges.ranges), dns=dns,
                        internal=src.internal, caches=caches)
    catalog = Catalog(tables, src.as_names)
    classifier = PolicyClassifier(ctx, catalog)
    if engine_name == "dask":
        from .dask_engine import run_dask

        merged, info = run_dask(pln, tables, classifier, scheduler=scheduler, workers=workers, processes=processes)
    else:
        merged = engine.run_single(pln, tables, classifier, progress)
        info = {"name": "polars", "threads": engine.default_threads()}
    info["kernel"] = kernel_name()
    stats = engine.finish(pln, merged)
    result = build(ctx, classifier, merged, stats, src, tables, pln.files, top)
    result.engine = info
    return result
