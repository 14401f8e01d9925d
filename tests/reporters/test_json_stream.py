"""The streaming JSON writer: the same text as json.dumps(indent=2), member order that follows the model."""

from __future__ import annotations

import io
import json
from datetime import date

from netvet.model import (
    Attribution,
    AttributionStatus,
    Citation,
    EvidenceStep,
    Finding,
    Identifier,
    IdentifierAttribution,
    IdKind,
    Observation,
    SourceRef,
    Strength,
    Verdict,
)
from netvet.reporters.json_report import (
    ATTRIBUTION_FIELDS,
    FINDING_FIELDS,
    FindingText,
    ObservationText,
    dumps_indented,
    write_json,
)


def _dumps(o) -> str:
    return json.dumps(o, indent=2, ensure_ascii=False, default=str)


def test_dumps_indented_is_json_dumps():
    cases = [
        {"a": [1, 2.5, float("nan"), float("inf"), -float("inf"), True, False, None, "é\n\"\u2028\\", {}, [],
               [[]], {"x": {}}], 3: 1, 1.5: 2, None: 3, True: 4, "d": date(2020, 1, 1), "t": (1, (2,))},
        [], {}, "x", 1e20, -0.0, 10**30, [{"k": [{"n": None}]}],
    ]
    for c in cases:
        assert dumps_indented(c) == _dumps(c)
        assert dumps_indented(c, "    ") == _dumps(c).replace("\n", "\n    ")


def test_write_json_is_json_dumps():
    head = {"schema": "x", "n": [1, {"a": "b"}]}
    for lists in ([("findings", []), ("observations", [{"k": [1, 2, {}], "z": None}])],
                  [("findings", [{"a": []}, {"b": {"c": [1]}}]), ("observations", [])]):
        out = io.StringIO()
        write_json(head, [(n, iter(v)) for n, v in lists], out)
        assert out.getvalue() == _dumps({**head, **dict(lists)}) + "\n"


def _attribution():
    name = Identifier(IdKind.NAME, "Huawei", "csv:vendor", Strength.STRONG)
    mac = Identifier(IdKind.MAC, "00:E0:FC:12:34:56", "csv:mac")
    chain = [EvidenceStep("entity", "Huawei Technologies Co., Ltd. (company), headquarters CN", "netvet-registry",
                          "src", "2024-01-01")]
    a = IdentifierAttribution(name, AttributionStatus.ATTRIBUTED, "name-alias", 0.9, "huawei", chain=chain)
    b = IdentifierAttribution(mac, AttributionStatus.ATTRIBUTED, "oui", 0.8, "huawei", org_name="HUAWEI",
                              product="X", chain=chain)
    return Attribution(AttributionStatus.ATTRIBUTED, "huawei", 0.98, a, [a, b], note="n", registry_version="1",
                       positive=True)


def test_member_order_follows_the_model():
    att = _attribution()
    f = Finding("s", "l", SourceRef("f.csv", 2), "p", Verdict.FAIL)
    assert tuple(f.to_dict()) == FINDING_FIELDS
    assert tuple(att.to_dict()) == ATTRIBUTION_FIELDS


def test_finding_and_observation_text():
    att = _attribution()
    deadline = {"rule": "r1", "title": "t", "kind": "removal", "date": "2027-01-01", "status": "pending",
                "days": 300, "verdict": "FAIL"}
    fig = {"cap": "c", "share": 0.5, "subjects": ["a", "b"], "more": 0, "exceeded": True}
    cites = [Citation("Act", "https://example.org/é", "src"), Citation("Other")]
    text = FindingText()
    findings = []
    for i in range(4):
        findings.append(Finding(
            f"s{i}", f"ł{i}", SourceRef("f.csv", i, pointer="/x" if i % 2 else None), "p", Verdict.FAIL,
            ["r1"], ["because\n\"quoted\"", "two"], cites, {"id": "huawei", "name": "Huawei", "country": "CN"},
            att.decided_by.identifier.to_dict(), "high", "core" if i else None, "hq", ["fw:C-1"],
            [deadline] if i % 2 else [], [fig] if i > 1 else []))
    for f in findings + findings:  # the second time from the fragments remembered
        assert text(f) == _dumps(f.to_dict()).replace("\n", "\n    ")
    obs = Observation("o1", "device", SourceRef("f.csv", 2), [att.evidence[0].identifier], {"vendor": "Huawei"},
                      role="core", site="hq")
    otext = ObservationText()
    for a in (att, att, None):
        want = {**obs.to_dict(), "attribution": a.to_dict() if a else None}
        assert otext(obs, a) == _dumps(want).replace("\n", "\n    ")
