"""csv-inventory reader: documented columns, identifiers and strengths, malformed rows, sniffing."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest

from netvet.model import Identifier, IdKind, InputError, Strength
from netvet.readers.csv_inventory import CsvInventoryReader, normalise_role, parse_mac, parse_oid

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
M, S = Strength.MODERATE, Strength.STRONG


def ids(obs) -> list[tuple]:
    return [(i.kind, i.value, i.field, i.strength) for i in obs.identifiers]


def issues(stats) -> list[tuple]:
    return [(i.line, i.severity, i.reason) for i in stats.issues]


def test_good_inventory_every_documented_column():
    res = CsvInventoryReader().read(FIX / "inventory_good.csv")
    obs = {o.id: o for o in res.observations}
    assert list(obs) == [f"inventory_good.csv:{n}" for n in (2, 3, 4, 5, 6)]
    assert res.stats.read == 5 and res.stats.malformed == 0 and res.stats.issues == []

    core = obs["inventory_good.csv:2"]
    assert core.kind == "router" and core.role == "core-router" and core.site == "HQ-Berlin"
    assert core.source.file == str(FIX / "inventory_good.csv") and core.source.line == 2
    assert ids(core) == [
        (IdKind.MAC, "00:1F:3C:87:66:50", "csv:mac", M),
        (IdKind.NAME, "Huawei", "csv:vendor", S),
        (IdKind.OID, "1.3.6.1.4.1.2011.2.224.1", "csv:sys_object_id", S),
    ]
    assert core.attributes == {
        "hostname": "core-rtr-01", "ip": "10.0.0.1", "mac": "00:1F:3C:87:66:50", "vendor": "Huawei",
        "model": "NE40E-X8A", "serial": "2102351931P0K1000123", "sys_object_id": "1.3.6.1.4.1.2011.2.224.1",
        "country_of_production": "CN", "rack": "R12",
    }
    assert core.label == "core-rtr-01"

    sw = obs["inventory_good.csv:3"]
    assert sw.role == "access-switch" and sw.site == "Branch Leipzig" and sw.kind == "switch"
    assert ids(sw) == [
        (IdKind.MAC, "B8:D6:F6:FF:00:01", "csv:mac", M),  # Cisco dotted notation normalised
        (IdKind.NAME, "H3C", "csv:vendor", S),
        (IdKind.OID, "1.3.6.1.4.1.25506.1.1", "csv:sys_object_id", S),  # leading dot dropped
    ]
    cam = obs["inventory_good.csv:4"]
    assert cam.kind == "camera" and cam.role == "cctv"
    assert ids(cam) == [(IdKind.MAC, "44:19:B6:12:34:56", "csv:mac", M),
                        (IdKind.NAME, "Hikvision", "csv:manufacturer", S)]
    relabel = obs["inventory_good.csv:5"]
    assert ids(relabel) == [
        (IdKind.NAME, "Acme Security", "csv:vendor", S),
        (IdKind.NAME, "Acme", "csv:brand", S),
        (IdKind.NAME, "Dahua Technology Co., Ltd.", "csv:manufacturer", S),
    ]
    assert relabel.attributes["country_of_production"] == "CN"  # "cn" upper-cased
    fw = obs["inventory_good.csv:6"]
    assert fw.attributes["ip"] == "2001:db8::1" and fw.attributes["rack"] == "R1, shelf 2"
    assert ids(fw)[1] == (IdKind.OID, "1.3.6.1.4.1.12356.101.1.1004", "csv:sys_object_id", S)


def test_malformed_rows_are_counted_with_lines_and_good_fields_kept():
    res = CsvInventoryReader().read(FIX / "inventory_bad.csv")
    assert [o.id for o in res.observations] == [
        f"inventory_bad.csv:{n}" for n in (2, 3, 4, 8, 10, 12)]
    assert res.stats.read == 12
    assert res.stats.malformed == 6
    assert issues(res.stats) == [
        (3, "warning", "invalid MAC address 'zz:zz:zz'"),
        (4, "warning", "invalid IP address '10.0.0.300'"),
        (5, "error", "wrong number of columns: 3, the header has 7"),
        (6, "error",
         "row has no usable field: invalid MAC address 'not-a-mac'; invalid IP address '999.1.1.1'"),
        (7, "error", "unterminated quoted field (stray quote)"),
        (9, "error", "not valid UTF-8 (byte 31 of the line)"),
        (12, "warning", "invalid MAC address '1'"),
        (13, "error", "row has no usable field"),
        (14, "error", "malformed CSV: ',' expected after '\"'"),
    ]
    obs = {o.id: o for o in res.observations}
    bad_mac = obs["inventory_bad.csv:3"]
    assert ids(bad_mac) == [(IdKind.NAME, "Cisco", "csv:vendor", S)]
    assert bad_mac.attributes == {"ip": "10.0.0.2", "hostname": "badmac-02", "vendor": "Cisco",
                                  "model": "C9300"}
    assert "ip" not in obs["inventory_bad.csv:4"].attributes
    # the stray quote on line 7 did not swallow line 8; a quoted newline (lines 10-11) is one record
    assert obs["inventory_bad.csv:8"].attributes["hostname"] == "ok-08"
    assert obs["inventory_bad.csv:10"].attributes["hostname"] == "multi\nline-10"
    assert obs["inventory_bad.csv:12"].identifiers == [] and obs["inventory_bad.csv:12"].role == "access"


def test_invalid_oid_is_a_warning_and_other_fields_stay():
    res = CsvInventoryReader().read(FIX / "inventory_bad_oid.csv")
    assert [ids(o) for o in res.observations] == [
        [(IdKind.OID, "1.3.6.1.4.1.9.1.359", "csv:sys_object_id", S),
         (IdKind.NAME, "Cisco", "csv:vendor", S)],
        [(IdKind.NAME, "Cisco", "csv:vendor", S)],
        [],
    ]
    assert issues(res.stats) == [(3, "warning", "invalid OID '1.3.abc.6'"),
                                 (4, "warning", "invalid OID '3.1.2'")]
    assert res.stats.malformed == 0


def test_semicolon_delimiter():
    res = CsvInventoryReader().read(FIX / "inventory_semicolon.csv")
    assert [ids(o) for o in res.observations] == [
        [(IdKind.MAC, "00:11:22:33:44:55", "csv:mac", M), (IdKind.NAME, "Cisco", "csv:vendor", S)]]


def test_file_without_recognisable_header_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no recognisable CSV inventory header") as exc:
        CsvInventoryReader().read(FIX / "inventory_noheader.csv")
    assert exc.value.issue.line == 1
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\n\n")
    with pytest.raises(InputError, match="no header row"):
        CsvInventoryReader().read(empty)
    with pytest.raises(InputError, match="file not found"):
        CsvInventoryReader().read(tmp_path / "missing.csv")


@pytest.mark.parametrize("opener, suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2"), (lzma.open, ".xz")])
def test_compressed_inputs(tmp_path, opener, suffix):
    target = tmp_path / f"inventory.csv{suffix}"
    with opener(target, "wb") as fh:
        fh.write((FIX / "inventory_good.csv").read_bytes())
    calls = []
    res = CsvInventoryReader().read(target, progress=lambda done, total: calls.append((done, total)))
    assert len(res.observations) == 5 and res.stats.malformed == 0
    assert res.observations[0].id == f"inventory.csv{suffix}:2"
    assert calls[-1] == (target.stat().st_size, target.stat().st_size)


def test_truncated_gzip_keeps_rows_before_the_damage(tmp_path):
    rows = "mac,hostname,vendor\n" + "".join(f"00:00:5E:00:{i // 256:02X}:{i % 256:02X},h{i},Cisco\n"
                                            for i in range(5000))
    data = gzip.compress(rows.encode())
    target = tmp_path / "cut.csv.gz"
    target.write_bytes(data[: len(data) // 2])
    res = CsvInventoryReader().read(target)
    assert 0 < len(res.observations) < 5000
    assert res.stats.malformed == 1
    assert res.stats.issues[-1].reason.startswith("cannot decompress the rest of the file")


def test_bom_header_and_crlf(tmp_path):
    target = tmp_path / "excel.csv"
    target.write_bytes(b"\xef\xbb\xbfMAC Address,Host-Name,Vendor,\r\n00-1F-3C-87-66-50,pc-1,Intel,\r\n")
    res = CsvInventoryReader().read(target)
    assert [ids(o) for o in res.observations] == [
        [(IdKind.MAC, "00:1F:3C:87:66:50", "csv:mac", M), (IdKind.NAME, "Intel", "csv:vendor", S)]]
    # "Host-Name" is not documented: kept as an extra column; the unnamed trailing column is dropped
    assert res.observations[0].attributes == {"mac": "00:1F:3C:87:66:50", "host_name": "pc-1",
                                              "vendor": "Intel"}
    assert res.stats.issues == []


def test_sniff():
    reader = CsvInventoryReader()
    for name in ("inventory_good.csv", "inventory_bad.csv", "inventory_semicolon.csv"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()[:4096]) is True
    for name in ("inventory_noheader.csv", "nmap_cameras.xml", "cdx16_huawei_router.cdx.json",
                 "snmprec_bad.snmprec"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()[:4096]) is False
    assert reader.sniff(Path("x.csv"), b"hostname,comment\nfoo,bar\n") is False  # one documented column


def test_helpers():
    assert parse_mac("001f.3c87.6650") == "00:1F:3C:87:66:50"
    assert parse_mac("001F3C876650") == "00:1F:3C:87:66:50"
    assert [parse_mac(t) for t in ("1", "00:1f:3c:87:66", "00:1f:3c:87:66:50:11:22", "")] == [None] * 4
    assert parse_oid("SNMPv2-SMI::enterprises.2011.2.23") == "1.3.6.1.4.1.2011.2.23"
    assert [parse_oid(t) for t in ("1.3.06.1", "1", "4.1.2", "1..3")] == [None] * 4
    assert normalise_role("  Core_Router ") == "core-router"
    assert Identifier(IdKind.MAC, "x", "csv:mac").strength is Strength.MODERATE
