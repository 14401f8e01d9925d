"""The streamed audit (pipeline.InputStream -> stream_audit -> AuditRun): exact counts on a generated 20,000-row
inventory, and the same report, JSON and CSV as the in-memory path (build_report) on small inputs."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from netvet.analyses.caps import CapItem, analyse_caps
from netvet.analyses.concentration import concentration
from netvet.attribution.oui import MacBlock, MacRegistry
from netvet.attribution.registry import Registry
from netvet.pipeline import (
    Context,
    InputStream,
    Population,
    asset_facts,
    build_report,
    read_inputs,
    stream_audit,
    supplier_key,
)
from netvet.reporters.csv_report import render_csv, write_run_csv
from netvet.reporters.json_report import render_json, write_run_json

FIX = Path(__file__).resolve().parent / "fixtures"
PACK = FIX / "policies" / "good-pack.yaml"
ON = date(2026, 1, 1)


def _macs():
    macs = MacRegistry()
    macs.add(MacBlock(0xA0B0C0, 24, "REDCO NETWORKS CO.,LTD", "CN", "MA-L", "test"))
    return macs


@pytest.fixture(scope="module")
def mini():
    return Registry.load(FIX / "registry" / "mini")


def _both(ctx, paths, batch=3):
    """(streamed run, in-memory report) of the same inputs; the run's generated_at set to the report's."""
    observations, stats = read_inputs(paths)
    report = build_report(ctx, observations, stats)
    evidence = InputStream(paths)
    run = stream_audit(ctx, evidence, evidence.stats, batch=batch)
    run.generated_at = report.generated_at
    return run, report


@pytest.mark.parametrize("kw", [
    {},
    {"waivers": FIX / "waivers" / "waivers.yaml"},
    {"frameworks": [str(FIX / "frameworks" / "test-framework.yaml")]},
])
def test_stream_equals_in_memory(mini, kw):
    ctx = Context.build([str(PACK)], mini, ON, macs=_macs(), **kw)
    paths = [FIX / "pipeline" / "inventory.csv", FIX / "pipeline" / "inventory-bad.csv",
             FIX / "readers" / "nmap_cameras.xml"]
    run, report = _both(ctx, paths)
    try:
        text = io.StringIO()
        write_run_json(run, text)
        assert text.getvalue() == render_json(report)
        rows = io.StringIO()
        write_run_csv(run, rows)
        assert rows.getvalue() == render_csv(report)
        assert render_json(run.report()) == render_json(report)
        assert run.verdicts == {str(f.verdict) for f in report.findings}
        assert [s.to_dict() for s in run.inputs] == [s.to_dict() for s in report.inputs]
    finally:
        run.close()


def _cap_csv(path: Path) -> None:
    """RAN assets of two operators: 400 rows, Huawei on every third (more than MAX_LISTED listed per group)."""
    lines = ["hostname,vendor,domain,operator,site,role"]
    for i in range(400):
        vendor = "Huawei" if i % 3 == 0 else ("Cisco" if i % 3 == 1 else "Nobody Such Ltd")
        lines.append(f"ran-{i},{vendor},ran,op{i % 2},site{i % 5},access")
    path.write_text("\n".join(lines) + "\n")


def test_population_equals_whole_list_analyses(tmp_path):
    """Population (one observation at a time) gives the facts and figures of concentration() and analyse_caps()
    over the whole list, on the bundled packs (whose share caps apply to RAN assets)."""
    f = tmp_path / "ran.csv"
    _cap_csv(f)
    ctx = Context.build(["uk-designated-vendors", "eu-5g-toolbox"], on=ON, macs=MacRegistry())
    observations, _ = read_inputs([f])
    atts = {o.id: ctx.attributor.observation(o) for o in observations}
    pop = Population(ctx)
    for o in observations:
        pop.add(o, atts[o.id])
    pop.finish()
    keyed = [(asset_facts(o, ctx.roles)["site"], asset_facts(o, ctx.roles)["function"],
              supplier_key(ctx, atts[o.id])) for o in observations]
    groups = concentration(keyed)
    items = []
    for o in observations:
        a = asset_facts(o, ctx.roles)
        sup = supplier_key(ctx, atts[o.id]) if atts[o.id].positive else None
        items.append(CapItem(o.id, o.label, a["site"], a["operator"], "", a["domain"], a["function"], sup,
                             ctx.registry.entities[sup].legal_name if sup else ""))
    caps = analyse_caps(pop.caps, items)
    assert sum(1 for figs in caps.figures.values() for fig in figs.values() if fig["more"]) > 0
    for o, (site, function, supplier) in zip(observations, keyed, strict=True):
        analysis, figures, _ = pop.analysis(o, atts[o.id])
        g = groups[(site, function)]
        assert analysis["concentration"] == g.hhi and analysis["group_size"] == g.assets
        assert analysis["supplier_share"] == (g.shares.get(supplier, 0.0) if supplier else 0.0)
        assert analysis["cap_share"] == caps.facts[o.id]["cap_share"]
        assert analysis["cap_exceeded"] == caps.facts[o.id]["cap_exceeded"]
        assert figures == caps.figures.get(o.id, {})


def test_stream_equals_in_memory_with_caps(tmp_path):
    f = tmp_path / "ran.csv"
    _cap_csv(f)
    ctx = Context.build(["uk-designated-vendors"], on=ON, macs=MacRegistry())
    run, report = _both(ctx, [f], batch=7)
    try:
        text = io.StringIO()
        write_run_json(run, text)
        assert text.getvalue() == render_json(report)
        assert any(fd.caps for fd in report.findings)
    finally:
        run.close()


def _big_csv(path: Path, rows: int) -> tuple[int, int, int]:
    """A generated inventory: (rows, malformed rows, rows naming a curated maker). Every 1,000th row has a
    column too few (malformed); of the others, three in four name Huawei or Cisco, one in four a maker no
    registry knows."""
    malformed = named = 0
    with open(path, "w") as fh:
        fh.write("hostname,ip,vendor,model,site,role\n")
        for i in range(rows):
            if i % 1000 == 999:
                fh.write(f"h{i},10.0.{i >> 8 & 255}.{i & 255},Huawei,site{i % 7}\n")
                malformed += 1
                continue
            vendor = ("Huawei", "Cisco", "Huawei", "Nobody Such Ltd")[i % 4]
            named += vendor != "Nobody Such Ltd"
            fh.write(f"h{i},10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255},{vendor},M{i % 50},site{i % 7},"
                     "access\n")
    return rows, malformed, named


def test_twenty_thousand_rows_exact_counts(tmp_path):
    f = tmp_path / "inventory.csv"
    rows, malformed, named = _big_csv(f, 20_000)
    ctx = Context.build(["fcc-covered-list", "ndaa-889"], on=ON, macs=MacRegistry())
    evidence = InputStream([f])
    run = stream_audit(ctx, evidence, evidence.stats)
    try:
        (s,) = run.inputs
        assert (s.read, s.malformed, s.skipped) == (rows, malformed, 0)
        assert run.count == rows - malformed
        assert s.attributed == named and s.unattributed == rows - malformed - named
        assert s.read == s.attributed + s.unattributed + s.malformed + s.skipped
        summary = run.head()["summary"]
        assert summary["observations"] == rows - malformed and summary["positive"] == named
        assert summary["malformed"] == malformed
        for policy in ("fcc-covered-list", "ndaa-889"):
            assert sum(summary["per_policy"][policy].values()) == rows - malformed
        # every named Huawei row is a FAIL under both packs; the evaluations were shared, not per row
        huawei = sum(1 for i in range(rows) if i % 1000 != 999 and i % 4 in (0, 2))
        assert summary["per_policy"]["fcc-covered-list"]["FAIL"] == huawei
        assert run.evaluator.evaluations < 200
        assert len(json.dumps(run.head())) < 100_000
    finally:
        run.close()
