"""AS names: pyasn asnames.json and CAIDA as2org (text and JSON lines), with bad entries reported."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from netvet.attribution.asnames import (
    AsNames,
    AsOrg,
    load_asnames,
    read_as2org,
    read_as2org_jsonl,
    read_pyasn_asnames,
    sniff,
    split_pyasn_name,
)
from netvet.model import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ipasn"


def _issues(names: AsNames):
    return [(i.line, i.severity, i.reason) for s in names.stats for i in s.issues]


def test_pyasn_fixture():
    names = read_pyasn_asnames(FIXTURES / "asnames.json")
    ds = "pyasn-asnames:asnames.json"
    assert names.records == {
        4134: AsOrg(4134, "CHINANET-BACKBONE", None, "No.31,Jin-rong Street", "CN", ds),
        15169: AsOrg(15169, "GOOGLE", None, "Google Inc.", "US", ds),
        64496: AsOrg(64496, "EXAMPLE-AS", None, "Example Unknown Place", None, ds),  # ZZ: unknown country
        64497: AsOrg(64497, "NOCOUNTRY", None, "just a description", None, ds),
    }
    stats = names.stats[0]
    assert (stats.format, stats.read, stats.malformed) == ("pyasn-asnames", 8, 4)
    assert [(i.line, i.offset, i.reason) for i in stats.issues] == [
        (6, 194, "bad AS number 'abc'"),
        (7, 228, "AS 64498: expected a non-empty string, got 5"),
        (8, 242, "AS number '4294967296' is larger than 4294967295"),
        (9, 281, 'AS 64499: expected a non-empty string, got ""'),
    ]
    assert names.get(4134).to_dict() == {
        "asn": 4134,
        "name": "CHINANET-BACKBONE",
        "org_id": None,
        "org_name": "No.31,Jin-rong Street",
        "country": "CN",
        "dataset": ds,
    }
    assert names.get(1) is None and 4134 in names and "4134" not in names and len(names) == 4


def test_as2org_text_fixture():
    names = read_as2org(FIXTURES / "as2org.txt")
    ds = "caida-as2org:as2org.txt"
    assert names.records == {
        4134: AsOrg(4134, "CHINANET-BACKBONE", "ORG-CT-AP", "Example Telecom Backbone", "CN", ds),
        64500: AsOrg(64500, "EXAMPLE-1", "ORG-EX-AR", "Example Networks, Inc.", "US", ds),
        64501: AsOrg(64501, "EXAMPLE-2", "ORG-EX-AR", "Example Networks, Inc.", "US", ds),
        64502: AsOrg(64502, "NOCC-AS", "ORG-NOCC-RI", "No Country Org", None, ds),
        64503: AsOrg(64503, "ORPHAN-AS", "ORG-MISSING", None, None, ds),
    }
    stats = names.stats[0]
    assert (stats.format, stats.read, stats.malformed) == ("caida-as2org", 11, 3)
    assert _issues(names) == [
        (6, "error", "expected 5 '|'-separated fields (org_id|changed|org_name|country|source), got 6"),
        (13, "error", "bad AS number 'AS64504X'"),
        (
            14,
            "error",
            "expected 6 '|'-separated fields (aut|changed|aut_name|org_id|opaque_id|source), got 3",
        ),
        (12, "warning", "AS64503 names organisation 'ORG-MISSING', which the file does not define"),
    ]


def test_as2org_jsonl_fixture():
    names = read_as2org_jsonl(FIXTURES / "as2org.jsonl")
    ds = "caida-as2org:as2org.jsonl"
    assert names.records == {
        4134: AsOrg(4134, "CHINANET-BACKBONE", "ORG-CT-AP", "Example Telecom Backbone", "CN", ds),
        64500: AsOrg(64500, "EXAMPLE-1", "ORG-NONE", None, None, ds),
    }
    assert names.stats[0].read == 6 and names.stats[0].malformed == 3
    assert _issues(names) == [
        (4, "error", "bad AS number 'x1'"),
        (5, "error", "unknown record type 'Peering' (expected 'ASN' or 'Organization')"),
        (6, "error", "not JSON: Expecting value"),
        (3, "warning", "AS64500 names organisation 'ORG-NONE', which the file does not define"),
    ]


def test_as2org_data_before_format_line(tmp_path):
    path = tmp_path / "noformat.txt"
    path.write_text(
        "1|20230101|X|ORG|o|ARIN\n# format:aut|changed|aut_name|org_id|opaque_id|source\n"
        "2|20230101|Y||o|ARIN\n# format:foo|bar\n3|x\n"
    )
    names = read_as2org(path)
    assert names.records == {2: AsOrg(2, "Y", None, None, None, "caida-as2org:noformat.txt")}
    assert _issues(names) == [
        (1, "error", "data line before any '# format:' line"),
        (4, "error", "format line names neither 'aut' nor 'org_id': format:foo|bar"),
        (5, "error", "data line before any '# format:' line"),
    ]


def test_sniff_and_load_any(tmp_path):
    assert sniff((FIXTURES / "asnames.json").read_bytes()) == "pyasn-asnames"
    assert sniff((FIXTURES / "as2org.txt").read_bytes()) == "caida-as2org"
    assert sniff((FIXTURES / "as2org.jsonl").read_bytes()) == "caida-as2org-jsonl"
    assert sniff(b"1.0.0.0/24\t15169\n") is None
    gz = tmp_path / "as2org.txt.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "as2org.txt").read_bytes()))
    assert load_asnames(gz).get(4134).org_name == "Example Telecom Backbone"
    merged = load_asnames(FIXTURES / "asnames.json").update(load_asnames(FIXTURES / "as2org.jsonl"))
    assert merged.get(4134).dataset == "caida-as2org:as2org.jsonl"  # the later dataset wins
    assert merged.get(15169).name == "GOOGLE" and len(merged.stats) == 2
    with pytest.raises(InputError, match="not a pyasn asnames JSON file nor a CAIDA as2org file"):
        load_asnames(FIXTURES / "nested.dat")
    bad = tmp_path / "bad.json"
    bad.write_text('{"1": "A, US",\n "2": }')
    with pytest.raises(InputError, match="not JSON") as err:
        load_asnames(bad)
    assert err.value.issue.line == 2
    arr = tmp_path / "list.json"
    arr.write_text('["x"]')
    with pytest.raises(InputError, match="expected a JSON object"):
        read_pyasn_asnames(arr)
    with pytest.raises(InputError, match="file not found"):
        load_asnames(tmp_path / "missing.json")
    with pytest.raises(InputError, match="unknown AS-names format"):
        load_asnames(FIXTURES / "asnames.json", "whois")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("CHINANET-BACKBONE No.31,Jin-rong Street, CN", ("CHINANET-BACKBONE", "No.31,Jin-rong Street", "CN")),
        ("EYEMG - EYEMG - interactive media group, US", ("EYEMG", "EYEMG - interactive media group", "US")),
        ("FOO Example, Inc.", ("FOO", "Example, Inc.", None)),
        ("LONE", ("LONE", None, None)),
        ("X-AS Something, EU", ("X-AS", "Something", None)),
    ],
)
def test_split_pyasn_name(text, expected):
    assert split_pyasn_name(text) == expected


def test_real_pyasn_asnames(shared):
    names = load_asnames(shared("ipasn/asnames.json.gz"))
    assert len(names) == 77586
    assert names.stats[0].read == 77586 and names.stats[0].issues == []
    ds = "pyasn-asnames:asnames.json.gz"
    assert names.get(4134) == AsOrg(4134, "CHINANET-BACKBONE", None, "No.31,Jin-rong Street", "CN", ds)
    assert names.get(9808) == AsOrg(
        9808, "CMNET-GD", None, "Guangdong Mobile Communication Co.Ltd.", "CN", ds
    )
    assert names.get(4837) == AsOrg(4837, "CHINA169-BACKBONE", None, "CNCGROUP China169 Backbone", "CN", ds)
    countries = [r.country for r in names.records.values()]
    assert (countries.count("CN"), countries.count(None)) == (978, 4349)  # None: ZZ/EU/AP, and one "na"
    assert names.get(19399).org_name == "Stockholms Lans Landsting, na"


def test_sniff_survives_hostile_first_lines(tmp_path):
    """Found by the long fuzz run: a first line nested thousands deep escaped ``sniff`` as RecursionError."""
    deep = b'{"changed": "20230101", "name":' + b"[" * 5000 + b"]" * 5000 + b"}\n"
    huge = b'{"type": "ASN", "asn": ' + b"9" * 5000 + b"}\n"
    assert sniff(deep) == "pyasn-asnames" and sniff(huge) == "pyasn-asnames"
    for name, text in (("deep.json", deep), ("huge.json", huge)):
        path = tmp_path / name
        path.write_bytes(text)
        with pytest.raises(InputError, match="not JSON"):
            load_asnames(path)
