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


# ----------------------------------------------------------------------------- organisation datasets (issue 12.6)
ORG = FIXTURES / "asn_candidates"
PDB_NET, PDB_ORG = ORG / "peeringdb-net.json", ORG / "peeringdb-org.json"
RIR_APNIC, RIR_RIPE = ORG / "delegated-apnic-extended", ORG / "delegated-ripencc-extended"
AS2ORG = ORG / "as-org2info.txt"
ORG_ARGS = ("--peeringdb-net", str(PDB_NET), "--peeringdb-org", str(PDB_ORG), "--rir", str(RIR_APNIC),
            "--rir", str(RIR_RIPE), "--as2org", str(AS2ORG))

# every (group, ASN, evidence kind, status) the handmade organisation data yields
EXPECTED_EVIDENCE = {
    ("china-telecom-group", 4134, "peeringdb-org", "claimed"),  # shares org 3152 with claimed AS4809
    ("china-telecom-group", 4809, "peeringdb-org", "claimed"),
    ("china-telecom-group", 25726, "peeringdb-org", "excluded"),  # in org 3152, but a reasoned exclusion
    ("china-telecom-group", 64520, "peeringdb-org", "unclaimed"),  # org name and org 3152 of AS4134
    ("china-telecom-group", 64530, "rir-opaque-id", "unclaimed"),  # the range AS64530-AS64533 ...
    ("china-telecom-group", 64531, "rir-opaque-id", "unclaimed"),
    ("china-telecom-group", 64532, "rir-opaque-id", "unclaimed"),
    ("china-telecom-group", 64533, "rir-opaque-id", "unclaimed"),  # ... of AS4134's APNIC registrant A92E1062
    ("china-telecom-group", 64570, "as2org-org", "unclaimed"),  # CAIDA org CT-EXAMPLE-AP of AS4134
    ("china-unicom-group", 64521, "peeringdb-org", "unclaimed"),  # PeeringDB org 100 of AS4837
    ("china-mobile-group", 64522, "peeringdb-org", "unclaimed"),  # org name 'China Mobile Example Co., Ltd.'
    ("china-mobile-group", 64541, "rir-opaque-id", "unclaimed"),  # APNIC registrant A91A7381 of AS9808
}
# look-alikes that must not be candidates: 64523 (PeeringDB 'LinkChina Telecom Global Limited'), 64524
# ('ChinaNetCenter Ltd'), 64525 (a deleted PeeringDB network of org 3152), 64540 (opaque id A92D5F3A, one character
# off AS4837's A92D5F39), 64550-64559 (available, no registrant), 64560/64561 (RIPE NCC opaque id A92E1062: the
# same string as AS4134's APNIC id, another registry), 64571 (CAIDA org CT-EXAMPLE-AP2 with the same org name)
LOOK_ALIKES = {64523, 64524, 64525, 64540, *range(64550, 64560), 64560, 64561, 64571, 13335}


@pytest.fixture(scope="module")
def org_data():
    from netvet.attribution.peeringdb import load_peeringdb
    from netvet.attribution.rir_delegated import load_delegated

    return ac.OrgData(peeringdb=load_peeringdb(PDB_NET, PDB_ORG), rir=load_delegated([RIR_APNIC, RIR_RIPE]),
                      as2org=ac.load_org_data(as2org=AS2ORG).as2org)


def test_org_datasets_yield_exactly_the_expected_candidates(rules, reg, org_data):
    rows, notes = ac.related(rules, reg, org_data)
    assert notes == []
    assert {(r.group, r.asn, r.evidence, r.status) for r in rows} == EXPECTED_EVIDENCE
    assert not {r.asn for r in rows} & LOOK_ALIKES
    by = {(r.asn, r.evidence): r for r in rows}
    assert by[(64530, "rir-opaque-id")].reasons == (
        "same RIR registrant as AS4134 (apnic opaque id A92E1062), claimed by china-telecom-corp; registered as "
        "the range AS64530-AS64533 (4 ASNs)",)
    assert by[(64530, "rir-opaque-id")].key == "apnic:A92E1062" and by[(64530, "rir-opaque-id")].via == (4134,)
    assert by[(64530, "rir-opaque-id")].source == f"{RIR_APNIC}:6"
    assert by[(64541, "rir-opaque-id")].reasons == (
        "same RIR registrant as AS9808 (apnic opaque id A91A7381), claimed by china-mobile-ltd",)
    assert by[(64520, "peeringdb-org")].reasons == (
        "PeeringDB organisation 3152 'China Telecom': organisation starts 'China Telecom' (Group, Global, Americas, "
        "Europe ...)",
        "same PeeringDB organisation 3152 'China Telecom' as AS4134, claimed by china-telecom-corp; also shared "
        "with claimed AS4809")
    assert by[(64521, "peeringdb-org")].reasons == (
        "same PeeringDB organisation 100 'CUII Example Holdings' as AS4837, claimed by china-unicom-hk",)
    assert by[(64522, "peeringdb-org")].via == () and len(by[(64522, "peeringdb-org")].reasons) == 1
    assert by[(64570, "as2org-org")].reasons == (
        "same CAIDA organisation CT-EXAMPLE-AP 'China Telecom Example Org' as AS4134, claimed by china-telecom-corp",)
    assert by[(25726, "peeringdb-org")].exclusion.startswith("AS name CHINA-TELECOM registered in South Africa")
    assert ac.evidence_summary(rows, GROUPS)["china-telecom-group"]["rir-opaque-id"] == {
        "found": 4, "unclaimed": 4, "claimed": 0, "excluded": 0, "claimed-elsewhere": 0}


def test_a_registrant_past_the_bound_is_not_expanded(rules, reg, org_data):
    rows, notes = ac.related(rules, reg, ac.OrgData(rir=org_data.rir), max_shared=4)
    # A92E1062 holds 5 ASNs (AS4134 and AS64530-AS64533): counted, never expanded; A91A7381 holds 2
    assert {(r.asn, r.evidence) for r in rows} == {(64541, "rir-opaque-id")}
    assert len(notes) == 1 and notes[0].startswith("rir-opaque-id: RIR registrant apnic opaque id A92E1062 holds 5 "
                                                   "ASNs (more than 4), including claimed AS4134: not expanded")


def test_a_huge_range_is_counted_not_expanded(rules, reg, tmp_path):
    from netvet.attribution.rir_delegated import read_delegated

    f = tmp_path / "delegated-apnic-extended-latest"
    f.write_text("2.3|apnic|20241105|2|19830613|20241104|+1000\n"
                 "apnic|CN|asn|4134|1|19970424|allocated|A92E1062\n"
                 "apnic|CN|asn|4200000000|90000000|20100101|allocated|A92E1062\n")
    rows, notes = ac.related(rules, reg, ac.OrgData(rir=read_delegated(f)))
    assert rows == [] and "holds 90,000,001 ASNs (more than 1,000)" in notes[0]


def test_readers_take_the_catalogue_samples_and_compressed_files(tmp_path):
    import gzip

    from netvet.attribution.peeringdb import load_peeringdb
    from netvet.attribution.rir_delegated import read_delegated

    pdb = load_peeringdb(FIXTURES / "datasets" / "peeringdb" / "net.json",
                         FIXTURES / "datasets" / "peeringdb" / "org.json")
    assert pdb.nets[4134].org_id == 3152 and pdb.orgs[3152].name == "China Telecom"
    for f in sorted((FIXTURES / "datasets" / "rir").iterdir()):
        assert read_delegated(f).ranges, f
    gz = tmp_path / "delegated-apnic-extended.gz"
    gz.write_bytes(gzip.compress(RIR_APNIC.read_bytes()))
    ranges = read_delegated(gz).ranges
    assert [(r.start, r.count, r.opaque_id) for r in ranges] == [
        (4134, 1, "A92E1062"), (64530, 4, "A92E1062"), (4837, 1, "A92D5F39"), (64540, 1, "A92D5F3A"),
        (9808, 1, "A91A7381"), (64541, 1, "A91A7381")]


@pytest.mark.parametrize(("name", "message"), [
    ("peeringdb-net-bad.json", "line 4: data[1]: 'asn' must be an integer, got \"AS64520\""),
    ("peeringdb-net-duplicate.json", "line 4: data[1]: AS4134 is listed twice (first in data[0], line 3)"),
    ("peeringdb-not-answer.json", "not a PeeringDB API answer"),
])
def test_peeringdb_reader_is_strict(name, message):
    from netvet.attribution.peeringdb import read_nets
    from netvet.model import InputError

    with pytest.raises(InputError) as exc:
        read_nets(ORG / name)
    assert message in str(exc.value)


@pytest.mark.parametrize(("text", "message"), [
    ("apnic|CN|asn|4134|1|19970424|allocated|A92E1062\n", "line 1: not an RIR statistics exchange file"),
    ("2.3|apnic|20241105|1|19830613|20241104|+1000\napnic|CN|asn|4134|0|19970424|allocated|A92E1062\n",
     "line 2: bad AS count '0'"),
    ("2.3|apnic|20241105|1|19830613|20241104|+1000\n\napnic|CN|asn|AS4134|1|19970424|allocated|A92E1062\n",
     "line 3: bad first AS number 'AS4134'"),
    ("2.3|apnic|20241105|1|19830613|20241104|+1000\napnic|CN|asn|4134|1|19970424|granted|A92E1062\n",
     "line 2: unknown status 'granted'"),
    ("2.3|apnic|20241105|1|19830613|20241104|+1000\napnic|CN|prefix|4134|1|19970424|allocated|A92E1062\n",
     "line 2: unknown record type 'prefix'"),
    ("# only a comment\n", "no version line"),
])
def test_rir_reader_is_strict(tmp_path, text, message):
    from netvet.attribution.rir_delegated import read_delegated
    from netvet.model import InputError

    f = tmp_path / "delegated"
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        read_delegated(f)
    assert message in str(exc.value)


def test_cli_lists_organisation_candidates_with_evidence(capsys):
    code, out, err = _run(capsys, *ORG_ARGS, "-f", "json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["sources"] == {"asnames": [], "peeringdb_net": str(PDB_NET), "peeringdb_org": str(PDB_ORG),
                              "rir": [str(RIR_APNIC), str(RIR_RIPE)], "as2org": str(AS2ORG)}
    assert {(c["group"], c["asn"], c["evidence"], c["status"]) for c in doc["candidates"]} == {
        e for e in EXPECTED_EVIDENCE if e[3] == "unclaimed"}
    assert all(c["reasons"] for c in doc["candidates"])
    code, out, _ = _run(capsys, *ORG_ARGS, "--all", "-f", "json")
    assert {(c["group"], c["asn"], c["evidence"], c["status"]) for c in json.loads(out)["candidates"]} \
        == EXPECTED_EVIDENCE
    code, out, _ = _run(capsys, *ORG_ARGS)
    text = " ".join(out.split())
    assert code == 0 and "9 candidate(s)" in text and "rir-opaque-id" in text and "AS64533" in text
    assert "china-telecom-group: peeringdb-org 4 found, 1 unclaimed, rir-opaque-id 4 found, 4 unclaimed, " \
           "as2org-org 1 found, 1 unclaimed" in text


def test_cli_name_and_organisation_evidence_together(capsys):
    code, out, err = _run(capsys, "--asnames", str(SMALL), "--rir", str(RIR_APNIC), "-f", "json")
    assert code == 0
    rows = [(c["asn"], c["evidence"]) for c in json.loads(out)["candidates"]]
    assert rows == [(64512, "name"), (64530, "rir-opaque-id"), (64531, "rir-opaque-id"), (64532, "rir-opaque-id"),
                    (64533, "rir-opaque-id"), (64515, "name"), (64513, "name"), (64541, "rir-opaque-id")]


@pytest.mark.parametrize(("args", "message"), [
    (("--peeringdb-net", str(ORG / "peeringdb-net-bad.json")), "line 4: data[1]: 'asn' must be an integer"),
    (("--rir", str(ORG / "delegated-bad-range")), "line 4: AS4294967290 + 10 ASNs runs past AS4294967295"),
    (("--rir", str(ORG / "delegated-no-opaque-id")), "line 2: allocated AS4134 has no opaque id"),
    (("--rir", str(PDB_ORG)), "line 1: not an RIR statistics exchange file"),
    (("--peeringdb-org", str(PDB_ORG)), "--peeringdb-org needs --peeringdb-net"),
    (("--as2org", str(SMALL)), "--as2org: not a CAIDA AS-to-Organization file"),
    (("--rir", str(ORG / "missing")), "--rir: file not found"),
])
def test_cli_bad_organisation_file_exits_2(capsys, args, message):
    code, out, err = _run(capsys, *args)
    assert code == 2 and out == ""
    assert message in " ".join(err.split())


def test_cli_uses_the_active_organisation_datasets(capsys, monkeypatch):
    import netvet.flows.sources as sources

    active = {"peeringdb-net": PDB_NET, "peeringdb-org": PDB_ORG, "rir-apnic": RIR_APNIC, "caida-as2org": AS2ORG}
    monkeypatch.setattr(sources, "active_paths", lambda names: [active[n] for n in names if n in active])
    code, out, _ = _run(capsys, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["sources"] == {"asnames": [str(AS2ORG)], "peeringdb_net": str(PDB_NET),
                              "peeringdb_org": str(PDB_ORG), "rir": [str(RIR_APNIC)], "as2org": str(AS2ORG)}
    assert {c["evidence"] for c in doc["candidates"]} == {"name", "peeringdb-org", "rir-opaque-id", "as2org-org"}
