"""Carrier ASNs from data (issue 12): every AS whose RIR name marks it as a China Telecom, China Unicom or China
Mobile network is claimed by its group or excluded with a reason; the curated ASNs reach `routes filter` and
`routes audit`; `registry asn-candidates` lists the rest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import FIXTURES, shared_file  # module-scoped fixtures cannot use the function-scoped `shared`
from netvet.attribution import asn_candidates as ac
from netvet.attribution.asnames import read_pyasn_asnames
from netvet.attribution.registry import Registry
from netvet.cli import main
from netvet.util.yamlfile import DataValidationError

GROUPS = ["china-telecom-group", "china-unicom-group", "china-mobile-group"]
SMALL = FIXTURES / "asn_candidates" / "asnames-small.json"

# Independent of the bundled rules: AS names and organisations that unmistakably mark a group's own network.
MARKERS = {
    "china-telecom-group": (r"^(CHINANET-|CHINATELECOM-)", r"^China Telecom( \(|\(| Global| Next)"),
    "china-unicom-group": (r"^(CHINA169-|CNCGROUP-|CHINAUNICOM)", r"^China Unicom\b"),
    "china-mobile-group": (r"^(CMNET|CNGI-CMNET|CMI-INT-)", r"^China Mobile\b"),
}


@pytest.fixture(scope="module")
def reg():
    return Registry.load()


@pytest.fixture(scope="module")
def rules(reg):
    return ac.load_rules(reg)


@pytest.fixture(scope="module")
def names():
    return read_pyasn_asnames(shared_file("ipasn/asnames.json.gz"))


@pytest.fixture(scope="module")
def matches(rules, reg, names):
    return ac.classify(rules, reg, names)


def _identified(matches) -> set[int]:
    return {m.asn for m in matches}


# ----------------------------------------------------------------------------- the curated data
def test_exact_counts_per_group(matches, rules, names):
    assert len(names) == 77586
    assert ac.summary(matches, rules.group_ids) == {
        "china-telecom-group": {"matched": 175, "claimed": 173, "excluded": 2, "unclaimed": 0,
                                "claimed-elsewhere": 0},
        "china-unicom-group": {"matched": 34, "claimed": 32, "excluded": 2, "unclaimed": 0, "claimed-elsewhere": 0},
        "china-mobile-group": {"matched": 30, "claimed": 30, "excluded": 0, "unclaimed": 0, "claimed-elsewhere": 0},
    }
    assert {m.asn: m.group for m in matches if m.status == ac.EXCLUDED} == {
        25726: "china-telecom-group", 135306: "china-telecom-group",
        45060: "china-unicom-group", 45106: "china-unicom-group"}
    assert all(len(m.exclusion) > 40 for m in matches if m.status == ac.EXCLUDED)  # a reason, not a label


def test_every_marked_asn_is_claimed_by_its_group_or_excluded(reg, rules, names, matches):
    marked: dict[int, str] = {}
    for asn, rec in names.records.items():
        for group, (name_rx, org_rx) in MARKERS.items():
            if re.match(name_rx, rec.name or "") or re.match(org_rx, rec.org_name or "", re.I):
                marked[asn] = group
    assert len(marked) == 215
    assert set(marked) <= _identified(matches)  # the bundled rules find all of them (239 in all)
    wrong = {}
    for asn, group in marked.items():
        owner = reg.by_asn.get(asn)
        if owner is None:
            if asn not in rules.exclusions:
                wrong[asn] = "unclaimed and not excluded"
        elif ac.group_of(reg, owner, GROUPS) != group:
            wrong[asn] = f"claimed by {owner}"
    assert wrong == {}


def test_asns_sit_on_the_most_specific_entity(reg):
    expected = {
        4134: "china-telecom-corp", 4812: "china-telecom-corp", 59223: "china-telecom-corp",
        63527: "china-telecom-global", 64079: "china-telecom-global", 36678: "china-telecom-americas",
        49209: "china-telecom-europe",
        4837: "china-unicom-hk", 17621: "china-unicom-hk", 9929: "china-unicom-hk", 132101: "china-unicom-global",
        19174: "china-unicom-americas", 197407: "china-unicom-europe", 132281: "china-unicom-singapore",
        134821: "china-unicom-australia",
        9808: "china-mobile-ltd", 24400: "china-mobile-ltd", 132510: "china-mobile-ltd",
        9231: "china-mobile-hong-kong", 58807: "china-mobile-international", 9394: "china-tietong",
        45057: "china-tietong",
        4538: "cernet", 23910: "cernet", 24348: "cernet", 7497: "cstnet", 17965: "cstnet",
    }
    assert {a: reg.by_asn.get(a) for a in expected} == expected
    # every new subsidiary is controlled up to its group (and so shares the group's jurisdiction facts)
    assert {e: reg.ancestors(e)[-2:] for e in ("china-telecom-europe", "china-unicom-europe", "china-tietong",
                                               "china-mobile-hong-kong")} == {
        "china-telecom-europe": ["china-telecom-group", "sasac"],
        "china-unicom-europe": ["china-unicom-group", "sasac"],
        "china-tietong": ["china-mobile-group", "sasac"],
        "china-mobile-hong-kong": ["china-mobile-group", "sasac"]}


def test_claimed_asns_per_group_with_sources(reg):
    rows = ac.claimed_asns(reg, GROUPS)
    assert {g: sum(r.group == g for r in rows) for g in GROUPS} == {
        "china-telecom-group": 174, "china-unicom-group": 32, "china-mobile-group": 30}
    assert {r.source for r in rows} == {"apnic-whois", "pyasn-asnames-2016"}
    assert all(r.source in reg.sources for r in rows)


def test_look_alikes_are_not_matched_nor_claimed(reg, rules, names):
    for asn in (17442, 63594, 135386, 134172, 17777, 5076, 6802, 133878, 4262, 62429, 1799, 18428, 24376):
        assert rules.matches(names[asn]) == {}, names[asn]
        owner = reg.by_asn.get(asn)
        assert owner is None or ac.group_of(reg, owner, GROUPS) is None


def test_research_networks_are_state_controlled_and_undesignated(reg):
    for eid, state in (("cernet", "prc-ministry-of-education"), ("cstnet", "chinese-academy-of-sciences")):
        assert reg.ancestors(eid) == [state]
        assert reg.jurisdictions(eid)["ultimate_parent"] == "CN"
        assert reg.affiliated_designations(eid) == []
    assert sum(1 for a, e in reg.by_asn.items() if e == "cernet") == 34
    assert sorted(a for a, e in reg.by_asn.items() if e == "cstnet") == [7497, 17965, 37944]
    for asn in (59201, 45576, 133508, 4262):  # campus networks, CERNET New Technology, the US CERNET block
        assert asn not in reg.by_asn


# ----------------------------------------------------------------------------- enforcement
def _filter_asns(tmp_path, capsys) -> set[int]:
    out = tmp_path / "clean.bird"
    code = main(["routes", "filter", "--policy", "clean-network", "-f", "bird", "-o", str(out)])
    _, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err, err
    return {int(m) for m in re.findall(r"^\s+(\d+),?\s+#", out.read_text(), re.M)}


def test_routes_filter_covers_the_identified_asns(tmp_path, capsys, matches):
    rejected = _filter_asns(tmp_path, capsys)
    identified = _identified(matches)
    covered = identified & rejected
    assert len(identified) == 239 and len(covered) == 235
    assert len(covered) / len(identified) >= 0.95
    assert identified - covered == {25726, 135306, 45060, 45106}  # exactly the reasoned exclusions
    assert len(rejected) == 280  # 236 carrier-group ASNs, 37 research-network ASNs, 7 cloud ASNs


def test_routes_audit_uses_the_same_set(tmp_path, capsys, matches):
    identified = sorted(_identified(matches))
    paths = tmp_path / "paths.txt"
    paths.write_text("".join(f"10.{i // 250}.{i % 250}.0/24 64510 {asn}\n" for i, asn in enumerate(identified)))
    code = main(["routes", "audit", str(paths), "--policy", "clean-network", "-f", "json", "--fail-on", "never"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    doc = json.loads(out)
    assert doc["summary"]["asns_excluded"] == 235
    failed = {c["asn"] for c in doc["classified_asns"] if c["verdict"] == "FAIL"}
    assert failed == set(identified) - {25726, 135306, 45060, 45106}


# ----------------------------------------------------------------------------- the rules file is validated
def test_bad_rules_are_reported_with_file_and_line(reg, tmp_path):
    bad = tmp_path / "carrier-asns.yaml"
    bad.write_text(
        "schema: 1\n"
        "groups:\n"
        "  - group: no-such-group\n"
        "    source: pyasn-asnames-2016\n"
        "    as_of: 2016-05-10\n"
        "    patterns:\n"
        "      - {field: name, regex: 'CHINANET-(', reason: broken}\n"
        "exclusions:\n"
        "  - {asn: 4134, group: no-such-group, reason: claimed anyway, source: nowhere, as_of: 2016-05-10}\n")
    with pytest.raises(DataValidationError) as exc:
        ac.load_rules(reg, bad)
    text = str(exc.value)
    for needle in (":3: unknown entity 'no-such-group'", ":7: bad regular expression", ":9: unknown source 'nowhere'",
                   ":9: AS4134 is excluded but claimed by china-telecom-corp"):
        assert needle in text, text
    bad.write_text("schema: 1\ngroups:\n  - {group: sasac, source: x, as_of: 2016-05-10, patterns: [], extra: 1}\n")
    with pytest.raises(DataValidationError) as exc:
        ac.load_rules(reg, bad)
    assert "unknown field 'extra'" in str(exc.value) and "at least 1 item" in str(exc.value)


# ----------------------------------------------------------------------------- `netvet registry asn-candidates`
def _run(capsys, *args):
    code = main(["registry", "asn-candidates", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_cli_lists_unclaimed_candidates_with_reasons(capsys):
    code, out, err = _run(capsys, "--asnames", str(SMALL), "-f", "json")
    assert code == 0
    assert "1 malformed AS-names record(s) skipped" in err
    doc = json.loads(out)
    assert doc["records"] == 12
    assert {g: c["matched"] for g, c in doc["summary"].items()} == {
        "china-telecom-group": 4, "china-unicom-group": 1, "china-mobile-group": 2}
    assert {(c["asn"], c["group"], c["status"]) for c in doc["candidates"]} == {
        (64512, "china-telecom-group", "unclaimed"), (64513, "china-mobile-group", "unclaimed"),
        (64515, "china-unicom-group", "unclaimed")}
    by_asn = {c["asn"]: c for c in doc["candidates"]}
    assert by_asn[64512]["reasons"][0].startswith("name 'CHINANET-EXAMPLE-MAN': AS name CHINANET-*")
    assert len(by_asn[64513]["reasons"]) == 3  # AS name CMNET-*, organisation 'China Mobile', the group's name


def test_cli_all_shows_claimed_and_excluded(capsys):
    code, out, _ = _run(capsys, "--asnames", str(SMALL), "--all", "-f", "json")
    assert code == 0
    status = {c["asn"]: (c["status"], c["entity"]) for c in json.loads(out)["candidates"]}
    assert status == {4134: ("claimed", "china-telecom-corp"), 4811: ("claimed", "china-telecom-corp"),
                      25726: ("excluded", None), 64512: ("unclaimed", None), 64515: ("unclaimed", None),
                      9231: ("claimed", "china-mobile-hong-kong"), 64513: ("unclaimed", None)}
    code, out, _ = _run(capsys, "--asnames", str(SMALL))
    assert code == 0 and "AS64512" in out and "china-telecom-group: 4 matched, 2 claimed, 1 excluded, 1 unclaimed" \
        in " ".join(out.split())


def test_cli_claimed_lists_sources(capsys):
    code, out, _ = _run(capsys, "--claimed", "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["groups"] == {"china-telecom-group": 174, "china-unicom-group": 32, "china-mobile-group": 30}
    row = next(r for r in doc["claimed"] if r["asn"] == 9231)
    assert row == {"asn": 9231, "group": "china-mobile-group", "entity": "china-mobile-hong-kong",
                   "source": "pyasn-asnames-2016", "as_of": "2016-05-10",
                   "note": "IPEOPLESNET-AS-AP, China Mobile Hong Kong Company Limited (HK)"}


@pytest.mark.parametrize(("name", "message"), [
    ("asnames-malformed.json", "not JSON"),
    ("asnames-not-object.json", "not a pyasn asnames JSON file nor a CAIDA as2org file"),
    ("missing.json", "file not found"),
])
def test_cli_bad_input_exits_2(capsys, name, message):
    code, out, err = _run(capsys, "--asnames", str(FIXTURES / "asn_candidates" / name))
    assert code == 2 and out == ""
    assert message in " ".join(err.split()) and name in err


def test_cli_without_asnames_data_says_so(capsys):
    code, out, err = _run(capsys)  # the test's NETVET_HOME has no datasets
    assert code == 2 and out == ""
    assert "no AS-names data: give --asnames FILE" in " ".join(err.split())


def test_cli_uses_the_active_as_names_dataset(capsys, monkeypatch):
    import netvet.flows.sources as sources

    monkeypatch.setattr(sources, "active_paths", lambda names: [Path(SMALL)] if names == ("caida-as2org",) else [])
    code, out, _ = _run(capsys, "-f", "json")
    assert code == 0 and json.loads(out)["asnames"] == [str(SMALL)]
