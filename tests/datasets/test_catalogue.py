"""The bundled catalogue: it loads, names every required source, and its rules accept the real formats."""

from __future__ import annotations

import bz2
import gzip
from datetime import UTC, datetime

import pytest
from localserver import fixture_bytes

from netvet.datasets import load_catalogue, parse_catalogue, resolve_url
from netvet.datasets.catalogue import Discover
from netvet.datasets.fetch import derive_version
from netvet.datasets.validate import validate_file
from netvet.util.yamlfile import DataValidationError

NOW = datetime(2024, 11, 6, 0, 0, tzinfo=UTC)

# dataset -> (fixture, file name as published, compression, records, publisher version or None)
SAMPLES = {
    "ieee-ma-l": ("ieee/oui.csv", "oui.csv", None, 5, None),
    "ieee-ma-m": ("ieee/mam.csv", "mam.csv", None, 3, None),
    "ieee-ma-s": ("ieee/oui36.csv", "oui36.csv", None, 3, None),
    "ieee-iab": ("ieee/iab.csv", "iab.csv", None, 2, None),
    "iana-pen": ("iana/enterprise-numbers.txt", "enterprise-numbers.txt", None, 6, "2024-08-23"),
    "caida-pfx2as-v4": ("caida/routeviews-rv2-20241105-1200.pfx2as",
                        "routeviews-rv2-20241105-1200.pfx2as.gz", "gzip", 6, "2024-11-05T1200"),
    "caida-pfx2as-v6": ("caida/routeviews-rv6-20241105-1200.pfx2as",
                        "routeviews-rv6-20241105-1200.pfx2as.gz", "gzip", 4, "2024-11-05T1200"),
    "caida-as2org": ("caida/20241001.as-org2info.txt", "20241001.as-org2info.txt.gz", "gzip", 6,
                     "2024-10-01"),
    "caida-as-rel-serial1": ("caida/20241101.as-rel.txt", "20241101.as-rel.txt.bz2", "bz2", 4,
                             "2024-11-01"),
    "caida-as-rel-serial2": ("caida/20241101.as-rel2.txt", "20241101.as-rel2.txt.bz2", "bz2", 4,
                             "2024-11-01"),
    "rir-afrinic": ("rir/delegated-afrinic-extended-latest", "delegated-afrinic-extended-latest", None, 7,
                    "2024-11-04"),
    "rir-apnic": ("rir/delegated-apnic-extended-latest", "delegated-apnic-extended-latest", None, 9,
                  "2024-11-04"),
    "rir-arin": ("rir/delegated-arin-extended-latest", "delegated-arin-extended-latest", None, 8,
                 "2024-11-05"),
    "rir-lacnic": ("rir/delegated-lacnic-extended-latest", "delegated-lacnic-extended-latest", None, 7,
                   "2024-11-05"),
    "rir-ripencc": ("rir/delegated-ripencc-extended-latest", "delegated-ripencc-extended-latest", None, 9,
                    "2024-11-05"),
    "peeringdb-org": ("peeringdb/org.json", "org", None, 2, None),
    "peeringdb-net": ("peeringdb/net.json", "net", None, 2, None),
    "aws-ip-ranges": ("cloud/ip-ranges.json", "ip-ranges.json", None, 3, "2024-11-05T0953"),
    "google-cloud-ip-ranges": ("cloud/cloud.json", "cloud.json", None, 2, "2024-11-05T0100"),
    "azure-service-tags": ("cloud/ServiceTags_Public_20241104.json", "ServiceTags_Public_20241104.json",
                           None, 2, "2024-11-04"),
    "oracle-ip-ranges": ("cloud/public_ip_ranges.json", "public_ip_ranges.json", None, 2, "2024-11-04T2230"),
    "cloudflare-ips-v4": ("cloud/ips-v4", "ips-v4", None, 15, None),
    "cloudflare-ips-v6": ("cloud/ips-v6", "ips-v6", None, 7, None),
    "cisa-kev": ("kev/known_exploited_vulnerabilities.json", "known_exploited_vulnerabilities.json", None, 2,
                 "2024-11-05T1701"),
    "cisa-kev-csv": ("kev/known_exploited_vulnerabilities.csv", "known_exploited_vulnerabilities.csv",
                     None, 2, None),
}


def _compress(data: bytes, compression: str | None) -> bytes:
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "bz2":
        return bz2.compress(data)
    return data


def _relaxed(ds):
    return ds.validate_.model_copy(update={"min_records": 1, "min_bytes": 1})


def test_bundled_catalogue_lists_every_required_source():
    cat = load_catalogue()
    # the cable map is a tar.gz of a repository: its import through the cables reader is tested in
    # tests/cli/test_cables_cli.py
    assert set(cat.names()) == set(SAMPLES) | {"submarine-cable-map"}
    assert len(cat.names()) == 26
    assert {d.name for d in cat if d.checksum} == {"rir-afrinic", "rir-apnic", "rir-arin", "rir-lacnic",
                                                    "rir-ripencc"}
    assert all(d.checksum.url == "{url}.md5" and d.checksum.algorithm == "md5" for d in cat if d.checksum)
    assert {d.name for d in cat if d.bundled} == {"ieee-ma-l", "ieee-iab"}
    assert {d.name for d in cat if d.discover} == {"caida-pfx2as-v4", "caida-pfx2as-v6", "caida-as2org",
                                                    "caida-as-rel-serial1", "caida-as-rel-serial2",
                                                    "azure-service-tags"}
    assert all(u.startswith("https://") for d in cat for u in d.urls)
    assert cat.get("ieee-ma-l").urls == ["https://standards-oui.ieee.org/oui/oui.csv"]
    assert cat.get("aws-ip-ranges").urls == ["https://ip-ranges.amazonaws.com/ip-ranges.json"]
    assert cat.get("cisa-kev").urls == [
        "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_catalogue_rules_accept_the_publishers_format(name, tmp_path):
    ds = load_catalogue().get(name)
    fixture, published_name, compression, records, version = SAMPLES[name]
    path = tmp_path / published_name
    path.write_bytes(_compress(fixture_bytes(fixture), compression))
    report = validate_file(path, _relaxed(ds), name)
    assert report.records == records
    assert report.bad_records == 0
    got_version, source, published = derive_version(ds, published_name, report.head, NOW)
    if version is None:
        assert (got_version, source, published) == ("20241106T000000Z", "retrieval", None)
    else:
        assert (got_version, source) == (version, "publisher")
        assert published.strftime("%Y-%m-%dT%H%M" if "T" in version else "%Y-%m-%d") == version


@pytest.mark.parametrize(("name", "fixture", "compression", "message"), [
    ("ieee-ma-l", "bad/oui-bad-header.csv", None,
     "ieee-ma-l: line 1: expected header 'Registry,Assignment,Organization Name,Organization Address', "
     "got 'Assignment,Registry,Organization Name,Organization Address'"),
    ("ieee-ma-l", "bad/error-page.html", None,
     "ieee-ma-l: expected csv data, got an HTML page (an error or login page?)"),
    ("caida-pfx2as-v4", "bad/error-page.html", None,
     "caida-pfx2as-v4: expected gzip-compressed data, got an HTML page (an error or login page?)"),
    ("caida-as-rel-serial2", "caida/20241101.as-rel2.txt", "gzip",
     "caida-as-rel-serial2: expected bz2-compressed data, got not bz2 data"),
    ("iana-pen", "bad/enterprise-numbers-truncated.txt", None,
     "iana-pen: expected text 'end of document' (any case) not found; truncated, or not this format?"),
    ("aws-ip-ranges", "bad/ip-ranges-truncated.json", None,
     "aws-ip-ranges: not valid JSON (Unterminated string starting at: line 6, column 86)"),
    ("aws-ip-ranges", "bad/ip-ranges-missing-keys.json", None,
     "aws-ip-ranges: JSON lacks the key(s) createDate, ipv6_prefixes"),
    ("cisa-kev-csv", "ieee/oui.csv", None,
     "cisa-kev-csv: CSV header lacks column(s) cveID, vendorProject, product, vulnerabilityName, dateAdded, "
     "shortDescription, requiredAction, dueDate, knownRansomwareCampaignUse, notes"),
    ("cloudflare-ips-v4", "cloud/ips-v6", None,
     "cloudflare-ips-v4: 7 malformed lines (at most 0 tolerated); first: line 1: '2400:cb00::/32'; "
     "line 2: '2606:4700::/32'; line 3: '2803:f800::/32'"),
])
def test_catalogue_rules_reject_bad_files(name, fixture, compression, message, tmp_path):
    from netvet.datasets import InvalidData

    ds = load_catalogue().get(name)
    path = tmp_path / "download"
    path.write_bytes(_compress(fixture_bytes(fixture), compression))
    with pytest.raises(InvalidData) as exc:
        validate_file(path, _relaxed(ds), name)
    assert str(exc.value) == message


def test_real_minimum_sizes_reject_tiny_files(tmp_path):
    from netvet.datasets import InvalidData

    ds = load_catalogue().get("ieee-ma-l")
    path = tmp_path / "oui.csv"
    path.write_bytes(fixture_bytes("ieee/oui.csv"))
    size = path.stat().st_size
    with pytest.raises(InvalidData) as exc:
        validate_file(path, ds.validate_, "ieee-ma-l")
    assert str(exc.value) == f"ieee-ma-l: file is {size:,} bytes, expected at least 1,000,000"
    with pytest.raises(InvalidData) as exc:
        validate_file(path, ds.validate_.model_copy(update={"min_bytes": 1}), "ieee-ma-l")
    assert str(exc.value) == "ieee-ma-l: 5 records, expected at least 30,000"


@pytest.mark.parametrize(("name", "index_fixture", "expected_tail"), [
    ("caida-pfx2as-v4", "caida/pfx2as-creation.log", "/idx/2024/11/routeviews-rv2-20241105-1200.pfx2as.gz"),
    ("caida-pfx2as-v6", "caida/pfx2as6-creation.log", "/idx/2024/11/routeviews-rv6-20241105-1200.pfx2as.gz"),
    ("caida-as2org", "caida/as-organizations-index.html", "/idx/20241001.as-org2info.txt.gz"),
    ("caida-as-rel-serial1", "caida/serial-1-index.html", "/idx/20241101.as-rel.txt.bz2"),
    ("caida-as-rel-serial2", "caida/serial-2-index.html", "/idx/20241101.as-rel2.txt.bz2"),
])
def test_discovery_patterns_find_the_newest_file(name, index_fixture, expected_tail, server):
    ds = load_catalogue().get(name)
    index = server.add("/idx/listing", fixture_bytes(index_fixture))
    local = ds.model_copy(update={"discover": Discover(index=index, pattern=ds.discover.pattern)})
    assert resolve_url(local) == server.url(expected_tail)


def test_azure_discovery_finds_this_weeks_file_on_the_download_page(server):
    ds = load_catalogue().get("azure-service-tags")
    assert ds.discover.index == "https://www.microsoft.com/en-us/download/details.aspx?id=56519"
    index = server.add("/download/details.aspx", fixture_bytes("cloud/azure-details.html"))
    local = ds.model_copy(update={"discover": Discover(index=index, pattern=ds.discover.pattern)})
    assert resolve_url(local) == ("https://download.microsoft.com/download/7/1/D/"
                                  "71D86715-5596-4529-9B13-DA13A5DE5B63/ServiceTags_Public_20241104.json")


def test_discovery_without_a_match_is_a_clear_error(server):
    from netvet.datasets import DatasetError

    ds = load_catalogue().get("caida-as2org")
    index = server.add("/idx/empty", b"<html>nothing here</html>")
    local = ds.model_copy(update={"discover": Discover(index=index, pattern=ds.discover.pattern)})
    with pytest.raises(DatasetError) as exc:
        resolve_url(local)
    assert str(exc.value) == (
        "caida-as2org: no file matching '(?P<key>\\\\d{8})\\\\.as-org2info\\\\.txt\\\\.gz' found in "
        f"{index}; the publisher may have changed its layout (use --url to name the file)")


GOOD_ENTRY = """\
  - name: demo
    title: Demo
    publisher: Demo
    urls: [https://example.org/demo.csv]
    format: csv
    licence: test
    cadence_days: 7
    used_by: [tests]
    validate: {content: csv}
"""


@pytest.mark.parametrize(("text", "errors"), [
    ("schema: 1\ndatasets:\n" + GOOD_ENTRY + "    colour: blue\n",
     ["cat.yaml:12: datasets[0].colour: unknown field 'colour'"]),
    ("schema: 1\ndatasets:\n" + GOOD_ENTRY.replace("validate: {content: csv}",
                                                   "validate: {content: csv, record_pattern: x}"),
     ["cat.yaml:11: datasets[0].validate: Value error, record_pattern/contains apply only to content: text"]),
    ("schema: 1\ndatasets:\n" + GOOD_ENTRY + "    version_from: {where: name, pattern: '(?P<y>\\d{4})'}\n",
     ["cat.yaml:12: datasets[0].version_from.pattern: Value error, "
      "pattern needs the named groups y, m and d"]),
    ("schema: 1\ndatasets:\n" + GOOD_ENTRY.replace("urls: [https://example.org/demo.csv]", "urls: []"),
     ["cat.yaml:3: datasets[0]: Value error, a dataset needs urls or discover"]),
    ("schema: 1\ndatasets:\n" + GOOD_ENTRY + "    discover: {index: 'https://example.org/', pattern: '(['}\n",
     ["cat.yaml:12: datasets[0].discover.pattern: Value error, invalid regular expression '([': "
      "unterminated character set at position 1"]),
    ("schema: 1\ndatasets:\n" + GOOD_ENTRY + GOOD_ENTRY,
     ["cat.yaml:12: duplicate dataset name 'demo' (first at datasets[0])"]),
    ("schema: 2\ndatasets:\n" + GOOD_ENTRY, ["cat.yaml:1: schema 2 is not supported (expected 1)"]),
])
def test_catalogue_errors_name_file_and_line(text, errors):
    with pytest.raises(DataValidationError) as exc:
        parse_catalogue("cat.yaml", text)
    assert [str(e) for e in exc.value.errors] == errors


def test_good_entry_parses_with_defaults():
    cat = parse_catalogue("cat.yaml", "schema: 1\ndatasets:\n" + GOOD_ENTRY)
    ds = cat.get("demo")
    assert (ds.stale_after, ds.checksum, ds.bundled, ds.validate_.min_records, ds.validate_.compression) == (
        7, None, None, 1, "none")


def test_docs_list_every_source_with_its_url_and_licence():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-sources.md").read_text(encoding="utf-8")
    for ds in load_catalogue():
        assert f"`{ds.name}`" in doc, ds.name
        for url in ds.urls:
            assert url in doc, url
        if ds.discover:
            assert ds.discover.index.split("?")[0] in doc, ds.discover.index
    for term in ("CAIDA Acceptable Use Agreement", "CC0 1.0", "PeeringDB Acceptable Use Policy",
                 "IEEE RA public listing", "IANA protocol registry"):
        assert term in doc, term
