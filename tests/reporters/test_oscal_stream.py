"""OSCAL written from the stream: the text of render_oscal(report) (json.dumps of oscal_dict) for every run,
with frameworks and waivers, without risks, and over a generated run; arrays spliced at their indentation."""

from __future__ import annotations

import copy
import io
import json
from datetime import date

import pytest

from netvet.attribution.oui import MacBlock, MacRegistry
from netvet.attribution.registry import Registry
from netvet.pipeline import Context, InputStream, stream_audit
from netvet.reporters import render
from netvet.reporters.oscal import oscal_dict, write_oscal, write_run_oscal
from tests.fixtures.reports.reportkit import FIX, HOSTILE, INVENTORY_V1, INVENTORY_V2, PACK
from tests.reporters.test_table_stream import inventory


def context(**kw) -> Context:
    macs = MacRegistry()
    macs.add(MacBlock(0xA0B0C0, 24, "REDCO NETWORKS CO.,LTD", "CN", "MA-L", "test"))
    macs.add(MacBlock(0xA0B0C2, 24, "BlueNet Systems, Inc.", "US", "MA-L", "test"))
    return Context.build([str(PACK)], Registry.load(FIX / "registry" / "mini"), date(2024, 6, 1), macs=macs, **kw)


def run_of(paths, **kw):
    evidence = InputStream(paths)
    try:
        return stream_audit(context(**kw), evidence, evidence.stats)
    finally:
        evidence.close()


def reference(data: dict) -> str:
    return json.dumps(oscal_dict(data), indent=2, ensure_ascii=False) + "\n"


FRAMEWORK = {"frameworks": [str(FIX / "frameworks" / "test-framework.yaml")]}
WAIVERS = {"waivers": FIX / "waivers" / "waivers.yaml"}


@pytest.mark.parametrize(("paths", "kw"), [([INVENTORY_V1], {}), ([INVENTORY_V2, HOSTILE], {}),
                                          ([INVENTORY_V1], FRAMEWORK), ([INVENTORY_V1], {**FRAMEWORK, **WAIVERS})])
def test_streamed_oscal_is_the_report_oscal(paths, kw):
    run = run_of(paths, **kw)
    try:
        buf = io.StringIO()
        write_run_oscal(run, buf)
        report = run.report()
        assert buf.getvalue() == render(report, "oscal") == reference(report.to_dict())
    finally:
        run.close()
    if kw.get("frameworks"):
        findings = json.loads(buf.getvalue())["assessment-results"]["results"][0]["findings"]
        assert [f["target"]["target-id"] for f in findings][-2:] == ["C-1", "C-2"]


def test_generated_run_and_documents_without_risks_or_observations(tmp_path):
    run = run_of([inventory(tmp_path / "inv.csv", 403)])
    try:
        buf = io.StringIO()
        write_run_oscal(run, buf)
        data = run.report().to_dict()
    finally:
        run.close()
    assert buf.getvalue() == reference(data)
    result = json.loads(buf.getvalue())["assessment-results"]["results"][0]
    assert (len(result["observations"]), len(result["risks"]), len(result["local-definitions"]["inventory-items"])) \
        == (403, 202, 403)
    policy = result["findings"][0]
    assert (len(policy["related-observations"]), len(policy["related-risks"])) == (403, 202)
    # only PASS: no risks array; no observation at all: no observations, items or related arrays
    passing = copy.deepcopy(data)
    passing["findings"] = [f for f in passing["findings"] if f["verdict"] == "PASS"]
    empty = {**copy.deepcopy(data), "findings": [], "observations": []}
    for d in (passing, empty):
        head = {k: v for k, v in d.items() if k not in ("findings", "observations")}
        out = io.StringIO()
        write_oscal(head, {"findings": lambda d=d: d["findings"], "observations": lambda d=d: d["observations"]}, out)
        assert out.getvalue() == reference(d)
    assert "risks" not in json.loads(reference(passing))["assessment-results"]["results"][0]
    assert "observations" not in json.loads(reference(empty))["assessment-results"]["results"][0]
