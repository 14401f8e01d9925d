"""IEEE MAC block registry: loaders (netaddr text, IEEE CSV/text, Wireshark manuf), lookup, merge."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from netvet.attribution.oui import (
    INVALID,
    LOCAL,
    MULTICAST,
    NO_BLOCK,
    MacRegistry,
    MacStatus,
    country_from_address,
    format_mac,
    format_prefix,
    parse_mac,
    sniff_format,
)
from netvet.model import InputError
from tests.conftest import system_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oui"
NETADDR_OUI = "netaddr-1.3.0 oui.txt (IEEE MA-L)"
NETADDR_IAB = "netaddr-1.3.0 iab.txt (IEEE IAB)"
MANUF = "/usr/share/wireshark/manuf"  # Debian libwireshark-data 4.0.17 (IEEE data of 2024-08-25)




@pytest.fixture(scope="module")
def bundled() -> MacRegistry:
    import netaddr

    if netaddr.__version__ != "1.3.0":
        pytest.skip(f"exact counts are those of netaddr 1.3.0, found {netaddr.__version__}")
    return MacRegistry.bundled()


@pytest.fixture(scope="module")
def manuf() -> MacRegistry:
    reg = MacRegistry()
    reg.load_wireshark_manuf(system_file(MANUF))
    return reg


@pytest.fixture(scope="module")
def csv_sizes() -> MacRegistry:
    reg = MacRegistry()
    for name in ("ma-l.csv", "ma-m.csv", "ma-s.csv"):
        reg.load_ieee_csv(FIXTURES / name)
    return reg


# --------------------------------------------------------------------------- MAC spellings
@pytest.mark.parametrize("text", [
    "00:E0:FC:12:34:56", "00:e0:fc:12:34:56", "00-E0-FC-12-34-56", "00e0.fc12.3456", "00E0.FC12.3456",
    "00e0-fc12-3456", "00E0FC123456", "00e0fc123456", "0:e0:fc:12:34:56", "  00:E0:FC:12:34:56\t",
    "00e0fc-123456", "00 e0 fc 12 34 56",
])
def test_parse_mac_accepts_common_spellings(text):
    assert parse_mac(text) == (0x00E0FC123456, None)


@pytest.mark.parametrize("text,reason", [
    ("", "empty MAC address"),
    ("   ", "empty MAC address"),
    ("zz:zz:zz:zz:zz:zz", "not a MAC address: unexpected character(s) 'z'"),
    ("0x00E0FC123456", "not a MAC address: unexpected character(s) 'x'"),
    ("00:E0:FC:12:34", "not a MAC address: 5 groups of 2/2/2/2/2 hex digits"),
    ("00:E0-FC:12:34:56", "not a MAC address: mixed separators '-' ':'"),
    ("00E0FC12345", "expected 12 hex digits, got 11"),
    ("00:E0:FC:12:34:56:78:9A", "EUI-64 (8 octets), not a 48-bit MAC address"),
    ("00e0.fc12.345", "not a MAC address: 3 groups of 4/4/3 hex digits"),
])
def test_parse_mac_rejects_with_reason(text, reason):
    assert parse_mac(text) == (None, reason)


def test_format_helpers():
    assert format_mac(0x00E0FC123456) == "00:E0:FC:12:34:56"
    assert format_prefix(0x00E0FC, 24) == "00:E0:FC"
    assert format_prefix(0x0055DA5, 28) == "00:55:DA:5/28"
    assert format_prefix(0x70B3D51CA, 36) == "70:B3:D5:1C:A/36"


# --------------------------------------------------------------------------- bundled (netaddr)
def test_bundled_counts(bundled):
    oui, iab = bundled.reports
    assert (oui.dataset, oui.records, oui.added, oui.duplicates, oui.malformed) == (
        NETADDR_OUI, 35087, 35084, 3, 0)
    assert (iab.dataset, iab.records, iab.added, iab.duplicates, iab.malformed) == (
        NETADDR_IAB, 4575, 4575, 0, 0)
    assert bundled.counts() == {24: 35084, 28: 0, 36: 4575}
    assert len(bundled) == 39659
    assert bundled.datasets == [NETADDR_OUI, NETADDR_IAB]
    # the IEEE really lists 08:00:30 three times and 00:01:C8 twice: kept as alternatives, with a warning
    assert [(i.line, i.severity) for i in oui.issues] == [(166886, "warning"), (208703, "warning"),
                                                         (208829, "warning")]
    assert bundled.get("08:00:30").orgs == (
        "NETWORK RESEARCH CORPORATION", "ROYAL MELBOURNE INST OF TECH", "CERN")
    assert bundled.get("00:01:C8").orgs == ("THOMAS CONRAD CORP.", "CONRAD CORP.")
    # countries: the last address line when it is a country code
    assert sum(1 for b in bundled.iter_blocks(24) if b.country) == 34958
    assert sum(1 for b in bundled.iter_blocks(36) if b.country) == 4551


def test_bundled_registration_authority_parents(bundled):
    # 342 MA-L blocks (684 lines: each record has a (hex) and a (base 16) line) + one reserved IAB block
    ra = [b for b in bundled.iter_blocks() if b.org == "IEEE Registration Authority"]
    assert sum(1 for b in ra if b.bits == 24) == 342
    assert [b.prefix for b in ra if b.bits == 36] == ["00:50:C2:F5:8/36"]
    assert bundled.org_block_counts()["IEEE Registration Authority"] == 343


@pytest.mark.parametrize("mac,prefix,org,country,kind", [
    ("00:E0:FC:12:34:56", "00:E0:FC", "HUAWEI TECHNOLOGIES CO.,LTD", "CN", "MA-L"),
    ("00-00-0c-07-ac-01", "00:00:0C", "Cisco Systems, Inc", "US", "MA-L"),
    ("b8d6-f6ff-0001", "B8:D6:F6", "HUAWEI TECHNOLOGIES CO.,LTD", "CN", "MA-L"),  # Huawei VRP spelling
    ("6C:2E:85:00:00:01", "6C:2E:85", "Sagemcom Broadband SAS", "FR", "MA-L"),
    ("00:1F:3C:00:00:01", "00:1F:3C", "Intel Corporate", "MY", "MA-L"),
    ("0050.c2f7.1234", "00:50:C2:F7:1/36", "RF Code", "US", "IAB"),
    ("40:D8:55:0D:70:01", "40:D8:55:0D:7/36", "Avant Technologies", "PR", "IAB"),
])
def test_bundled_lookup(bundled, mac, prefix, org, country, kind):
    res = bundled.lookup(mac)
    assert res.status is MacStatus.REGISTERED and res.found and res.reason is None
    assert (res.prefix, res.org, res.country, res.kind) == (prefix, org, country, kind)
    assert res.bits == (36 if kind == "IAB" else 24)
    assert res.dataset == (NETADDR_IAB if kind == "IAB" else NETADDR_OUI)


def test_bundled_special_addresses(bundled):
    local = bundled.lookup("02:42:AC:1C:01:03")  # docker bridge MAC from the dionaea nmap sample
    assert (local.status, local.normalised, local.block) == (MacStatus.LOCAL, "02:42:AC:1C:01:03", None)
    assert local.reason == "locally administered address (randomised/virtual), names no manufacturer"
    mcast = bundled.lookup("01:00:5E:00:00:FB")
    assert (mcast.status, mcast.reason) == (
        MacStatus.MULTICAST, "multicast (group) address, names no manufacturer")
    assert bundled.lookup("33:33:00:00:00:01").status is MacStatus.MULTICAST  # group and local bits both set
    bcast = bundled.lookup("ff:ff:ff:ff:ff:ff")
    assert (bcast.status, bcast.reason) == (MacStatus.MULTICAST, "broadcast address, names no manufacturer")
    zero = bundled.lookup("00:00:00:00:00:00")
    assert (zero.status, zero.reason) == (
        MacStatus.INVALID, "all-zero address (placeholder), names no manufacturer")
    bad = bundled.lookup("not-a-mac")
    assert (bad.status, bad.normalised, bad.reason) == (
        MacStatus.INVALID, None, "not a MAC address: unexpected character(s) 'mnot'")
    assert bundled.lookup("00:E0:FC:12:34").status is MacStatus.INVALID


def test_bundled_subdivided_private_unregistered(bundled):
    sub = bundled.lookup("70:B3:D5:1C:A1:23")  # MA-S data is not in netaddr
    assert (sub.status, sub.prefix, sub.org) == (
        MacStatus.SUBDIVIDED, "70:B3:D5", "IEEE Registration Authority")
    assert "load IEEE mam.csv/oui36.csv or Wireshark's manuf" in sub.reason
    reserved = bundled.lookup("00:50:C2:F5:80:01")
    assert (reserved.status, reserved.prefix) == (MacStatus.UNREGISTERED, "00:50:C2:F5:8/36")
    private = bundled.lookup("E4:F1:4C:00:00:01")
    assert (private.status, private.org, private.country) == (MacStatus.PRIVATE, "Private", None)
    assert bundled.org_block_counts()["Private"] == 115
    none = bundled.lookup("00:50:C3:00:00:01")
    assert none.status is MacStatus.UNREGISTERED and none.block is None
    assert none.reason == "no block covers 00:50:C3 in the loaded registry data"


def test_bundled_org_block_counts(bundled):
    counts = bundled.org_block_counts()
    assert len(counts) == 22808
    assert counts["HUAWEI TECHNOLOGIES CO.,LTD"] == 1106
    assert counts["Cisco Systems, Inc"] == 1119
    assert counts["zte corporation"] == 391
    assert counts["CERN"] == 2  # one block of its own, plus an alternative listing on 08:00:30


def test_lookup_many_matches_lookup(bundled):
    macs = ["00:E0:FC:12:34:56", "0050.c2f7.1234", "02:42:AC:1C:01:03", "01:00:5E:00:00:FB", "junk",
            "00:50:C3:00:00:01", "00:00:00:00:00:00", "70:B3:D5:1C:A1:23"]
    idx = bundled.lookup_many(macs)
    assert idx.dtype == np.int32
    assert idx[2:7].tolist() == [LOCAL, MULTICAST, INVALID, NO_BLOCK, INVALID]
    assert bundled.block(int(idx[0])).prefix == "00:E0:FC"
    assert bundled.block(int(idx[1])).prefix == "00:50:C2:F7:1/36"
    assert bundled.block(int(idx[7])).org == "IEEE Registration Authority"
    values = np.array([parse_mac(m)[0] or 0 for m in macs], dtype=np.uint64)
    values[4] = 1 << 50  # not a 48-bit value
    assert bundled.lookup_many(values).tolist() == idx.tolist()
    # a sample of random addresses agrees with one-by-one lookup
    rng = np.random.default_rng(7)
    sample = rng.integers(0, 2**48, 2000, dtype=np.uint64) & np.uint64(0xFCFFFFFFFFFF)  # universal unicast
    got = bundled.lookup_many(sample)
    for value, i in zip(sample.tolist(), got.tolist(), strict=True):
        block = bundled.find(value)
        assert (i == NO_BLOCK and block is None) or bundled.block(i) is block


# --------------------------------------------------------------------------- IEEE CSV fixtures
def test_csv_loaders_counts_and_bad_rows(tmp_path):
    reg = MacRegistry()
    mal = reg.load_ieee_csv(FIXTURES / "ma-l.csv")
    assert (mal.dataset, mal.records, mal.added, mal.duplicates, mal.skipped, mal.malformed) == (
        "ma-l.csv (IEEE MA-L)", 6, 5, 1, 1, 4)
    assert [(i.line, i.severity, i.reason) for i in mal.issues] == [
        (6, "error", "assignment '10203G' is not 6 hex digits (MA-L)"),
        (7, "error", "assignment '10203' is not 6 hex digits (MA-L)"),
        (8, "error", "expected 4 columns, got 2"),
        (9, "error", "unknown registry 'MA-X' (expected one of MA-L, MA-M, MA-S, IAB)"),
        (11, "warning", "block 10:20:31 listed again for 'Example Networks Duplicate Listing'; kept "
                        "'Example Networks Co., Ltd.' first, the other as an alternative"),
    ]
    mam = reg.load_ieee_csv(FIXTURES / "ma-m.csv")
    mas = reg.load_ieee_csv(FIXTURES / "ma-s.csv", dataset="IEEE oui36.csv 2024-08-25")
    assert (mam.dataset, mam.by_size, mas.dataset, mas.by_size) == (
        "ma-m.csv (IEEE MA-M)", {28: 2}, "IEEE oui36.csv 2024-08-25", {36: 2})
    assert reg.counts() == {24: 5, 28: 2, 36: 2}
    assert reg.get("10:20:31").alternatives == ("Example Networks Duplicate Listing",)


def test_csv_longest_prefix_across_sizes(csv_sizes):
    cases = {
        "10:20:30:4A:B1:23": ("registered", "10:20:30:4A:B/36", "Example Sensors Ltd", "GB", "MA-S"),
        "10:20:30:4A:C0:00": ("registered", "10:20:30:4/28", "Example Radio GmbH", "DE", "MA-M"),
        "10:20:30:51:23:45": ("registered", "10:20:30:5/28", "Example Cameras (Hangzhou) Co., Ltd.", "CN",
                              "MA-M"),
        "10:20:30:FF:F0:01": ("registered", "10:20:30:FF:F/36", "Example Controls Inc", "US", "MA-S"),
        "10:20:30:60:00:00": ("subdivided", "10:20:30", "IEEE Registration Authority", "US", "MA-L"),
        "10:20:31:00:00:01": ("registered", "10:20:31", "Example Networks Co., Ltd.", "CN", "MA-L"),
        "10:20:32:00:00:01": ("registered", "10:20:32", "Beispiel Funk GmbH", "DE", "MA-L"),
        "10:20:33:00:00:01": ("private", "10:20:33", "Private", None, "MA-L"),
        # address "... NL 9723 JP": a Dutch postcode, not Japan
        "10:20:36:00:00:01": ("registered", "10:20:36", "Voorbeeld BV", "NL", "MA-L"),
        "10:20:35:00:00:01": ("unregistered", None, None, None, None),
    }
    for mac, expected in cases.items():
        res = csv_sizes.lookup(mac)
        assert (str(res.status), res.prefix, res.org, res.country, res.kind) == expected, mac
    idx = csv_sizes.lookup_many(list(cases))
    assert [csv_sizes.block(i).prefix if i >= 0 else None for i in idx.tolist()] == [
        e[1] for e in cases.values()]


def test_csv_not_ieee_or_unreadable(tmp_path):
    reg = MacRegistry()
    with pytest.raises(InputError, match="not an IEEE registry CSV"):
        reg.load_ieee_csv(FIXTURES / "not-ieee.csv")
    with pytest.raises(InputError, match="file not found"):
        reg.load_ieee_csv(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="is a directory"):
        reg.load_ieee_csv(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="no IEEE CSV header"):
        reg.load_ieee_csv(empty)
    assert len(reg) == 0 and reg.reports == []


@pytest.mark.parametrize("address,country", [
    ("445 Hoes Lane Piscataway NJ US 08554", "US"),
    ("Maurice Wilkes Building, Cowley Road Cambridge  GB CB4 0DS ", "GB"),
    ("Kattegat 8 Groningen Groningen NL 9723 JP ", "NL"),
    ("99, rue Pierre Semard CHATILLON  FR 92324 CEDEX ", "FR"),
    ("Room 702 Kowloon Building 555 Nathan Road Kowloon  HK NA ", "HK"),
    ("3COM CENTRE vvvvv UNITED GB KINGDOM ", "GB"),
    ("Somewhere DE", "DE"),
    ("Swiatnicka 88 Str. Wlosan  PL 32-031 Mogilany ", "PL"),
    ("", None),
    ("1 Example Street Springfield", None),
])
def test_country_from_csv_address(address, country):
    assert country_from_address(address) == country


# --------------------------------------------------------------------------- IEEE text fixture
def test_ieee_text_fixture():
    reg = MacRegistry()
    rep = reg.load_ieee_text(FIXTURES / "small-oui.txt")
    assert (rep.dataset, rep.records, rep.added, rep.duplicates, rep.malformed, rep.by_size) == (
        "small-oui.txt (IEEE MA-L/MA-M)", 6, 5, 1, 3, {24: 5, 28: 1})
    assert [(i.line, i.severity, i.reason) for i in rep.issues] == [
        (26, "error", "'(hex)' line without an XX-XX-XX prefix"),
        (31, "error", "'(hex)' line not followed by a well-formed '(base 16)' line "
                      "(XXXXXX or XXX000-XXXFFF)"),
        (34, "warning", "block 10:20:31 listed again for 'Example Networks Again'; kept "
                        "'Example Networks Co., Ltd.' first, the other as an alternative"),
        (44, "error", "text outside a record"),
    ]
    blocks = {b.prefix: (b.org, b.country, b.kind) for b in reg.iter_blocks()}
    assert blocks == {
        "10:20:31": ("Example Networks Co., Ltd.", "CN", "MA-L"),
        "10:20:32": ("Beispiel Funk GmbH", "DE", "MA-L"),  # blank padded address line inside the record
        "10:20:33": ("Private", None, "MA-L"),
        "10:20:30:4/28": ("Example Radio GmbH", "DE", "MA-M"),
        "10:20:38": ("No Country Line Inc", None, "MA-L"),
    }


def test_not_a_text_registry(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\nworld\n")
    with pytest.raises(InputError, match="no IEEE '\\(hex\\)' records"):
        MacRegistry().load_ieee_text(junk)
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(InputError, match="binary file"):
        MacRegistry().load_ieee_text(binary)


# --------------------------------------------------------------------------- Wireshark manuf
def test_manuf_fixture():
    reg = MacRegistry()
    rep = reg.load_wireshark_manuf(FIXTURES / "small-manuf")
    assert (rep.dataset, rep.records, rep.malformed, rep.by_size) == (
        "Wireshark manuf (IEEE data of 2024-08-25)", 7, 4, {24: 4, 28: 1, 36: 2})
    assert [(i.line, i.reason) for i in rep.issues] == [
        (17, "bad MAC prefix '10:20:3G'"),
        (18, "no organisation name after '10:20:39'"),
        (19, "prefix '01:80:C2:00:00:00/16' is a 16-bit block, not 24/28/36 (well-known address entry)"),
        (20, "prefix '10:20:30:4A:B1:00/36' has bits set beyond its /36 mask"),
    ]
    blocks = {b.prefix: (b.org, b.country, b.kind) for b in reg.iter_blocks()}
    assert blocks == {
        "10:20:30": ("IEEE Registration Authority", None, "MA-L"),
        "10:20:30:4/28": ("Example Radio GmbH", None, "MA-M"),
        "10:20:30:4A:B/36": ("Example Sensors Ltd", None, "MA-S"),
        "00:50:C2:F7:1/36": ("RF Code", None, "IAB"),
        "10:20:31": ("Example Networks Co., Ltd.", None, "MA-L"),
        "10:20:32": ("Beispiel", None, "MA-L"),  # only a short name
        "10:20:36": ("Voorbeeld BV", None, "MA-L"),  # empty short name, trailing comment column
    }


def test_old_manuf_layout_bom_and_gzip(tmp_path):
    old = tmp_path / "manuf"
    old.write_text("00:00:0C\tCisco                  # Cisco Systems, Inc\n00:00:0D\tFibronic\n")
    reg = MacRegistry()
    assert reg.load_wireshark_manuf(old).records == 2
    assert [b.org for b in reg.iter_blocks()] == ["Cisco Systems, Inc", "Fibronic"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "ma-m.csv").read_bytes())
    gz = tmp_path / "mam.csv.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "ma-m.csv").read_bytes()))
    for path in (bom, gz):
        other = MacRegistry()
        assert other.load_ieee_csv(path).records == 2
        assert other.get("10:20:30:4/28").org == "Example Radio GmbH"


def test_debian_manuf_counts(manuf):
    (rep,) = manuf.reports
    assert (rep.dataset, rep.records, rep.added, rep.duplicates, rep.malformed) == (
        "Wireshark manuf (IEEE data of 2024-08-25)", 52417, 52417, 0, 0)
    assert manuf.counts() == {24: 36231, 28: 5479, 36: 10707}
    kinds: dict[str, int] = {}
    for b in manuf.iter_blocks():
        kinds[b.kind] = kinds.get(b.kind, 0) + 1
    assert kinds == {"MA-L": 36231, "MA-M": 5479, "MA-S": 6132, "IAB": 4575}
    assert sum(1 for b in manuf.iter_blocks(24) if b.org == "IEEE Registration Authority") == 362


@pytest.mark.parametrize("mac,prefix,org,kind", [
    ("00:55:DA:51:00:00", "00:55:DA:5/28", "Nanoleaf", "MA-M"),
    ("70:B3:D5:1C:A1:23", "70:B3:D5:1C:A/36", "inomatic GmbH", "MA-S"),
    ("00:50:C2:F7:12:34", "00:50:C2:F7:1/36", "RF Code", "IAB"),
    ("00:00:0C:11:22:33", "00:00:0C", "Cisco Systems, Inc", "MA-L"),
    ("00:00:D1:00:00:00", "00:00:D1", "Adaptec, Inc.", "MA-L"),  # empty short name in manuf
])
def test_debian_manuf_lookup(manuf, mac, prefix, org, kind):
    res = manuf.lookup(mac)
    assert (res.status, res.prefix, res.org, res.kind, res.country) == (
        MacStatus.REGISTERED, prefix, org, kind, None)
    assert res.dataset == "Wireshark manuf (IEEE data of 2024-08-25)"


def test_merge_bundled_then_manuf(bundled):
    path = system_file(MANUF)
    reg = MacRegistry.bundled()
    rep = reg.load_wireshark_manuf(path)
    assert (rep.added, rep.replaced, rep.kept) == (12758, 39659, 0)
    assert reg.counts() == {24: 36231, 28: 5479, 36: 10707}
    huawei = reg.lookup("00:E0:FC:12:34:56")
    # manuf re-cases the name and has no address; the country of the same registration is kept
    assert (huawei.org, huawei.country, huawei.dataset) == (
        "Huawei Technologies Co.,Ltd", "CN", "Wireshark manuf (IEEE data of 2024-08-25)")
    assert reg.lookup("70:B3:D5:1C:A1:23").org == "inomatic GmbH"  # the parent no longer decides
    keep = MacRegistry.bundled()
    rep = keep.load_wireshark_manuf(path, replace=False)
    assert (rep.added, rep.replaced, rep.kept) == (12758, 0, 39659)
    assert keep.lookup("00:E0:FC:12:34:56").dataset == NETADDR_OUI
    assert keep.datasets == [NETADDR_OUI, NETADDR_IAB, "Wireshark manuf (IEEE data of 2024-08-25)"]
    # bundled() hands out independent copies of one parse
    assert bundled.counts() == {24: 35084, 28: 0, 36: 4575} and len(bundled.reports) == 2


def test_load_sniffs_format(tmp_path):
    assert sniff_format((FIXTURES / "ma-m.csv").read_text()) == "ieee-csv"
    assert sniff_format((FIXTURES / "small-oui.txt").read_text()) == "ieee-text"
    assert sniff_format((FIXTURES / "small-manuf").read_text()) == "wireshark-manuf"
    reg = MacRegistry()
    assert [reg.load(FIXTURES / n).format for n in ("ma-m.csv", "small-oui.txt", "small-manuf")] == [
        "ieee-csv", "ieee-text", "wireshark-manuf"]
    other = tmp_path / "x.txt"
    other.write_text("nothing to see\n")
    with pytest.raises(InputError, match="not an IEEE MAC registry file"):
        reg.load(other)


# --------------------------------------------------------------------------- Debian ieee-data (optional)
def test_ieee_data_csv_against_text():
    """Debian's ieee-data (20220827.1) ships each IEEE registry as text and CSV: same blocks, and the
    country picked out of the CSV address agrees with the text file's country line on all but a few
    registry defects (US addresses without a country, Yugoslavia's YU, "CA  94089" ...)."""
    expected = {"oui": (32530, 32527, 11), "mam": (4390, 4390, 3), "oui36": (5029, 5029, 5),
                "iab": (4575, 4575, 2)}
    for name, (records, blocks, disagree) in expected.items():
        txt, csv_reg = MacRegistry(), MacRegistry()
        rt = txt.load_ieee_text(system_file(f"/usr/share/ieee-data/{name}.txt"))
        rc = csv_reg.load_ieee_csv(system_file(f"/usr/share/ieee-data/{name}.csv"))
        assert (rt.records, rc.records, len(txt), len(csv_reg), rt.malformed, rc.malformed) == (
            records, records, blocks, blocks, 0, 0)
        assert {b.prefix for b in txt.iter_blocks()} == {b.prefix for b in csv_reg.iter_blocks()}
        assert sum(1 for b in txt.iter_blocks() if csv_reg.get(b.prefix).country != b.country) == disagree
