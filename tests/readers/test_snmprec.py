"""snmprec reader: LibreNMS recordings (system MIB, hex sysDescr, private MIB only) and bad lines."""

from __future__ import annotations

import bz2
from pathlib import Path

from netvet.model import IdKind, Strength
from netvet.readers.snmprec import SnmprecReader, clean_text

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
OID, TEXT, S, M = IdKind.OID, IdKind.TEXT, Strength.STRONG, Strength.MODERATE


def ids(obs) -> list[tuple]:
    return [(i.kind, i.value, i.field, i.strength) for i in obs.identifiers]


def test_vrp_huawei_ar1220(shared):
    res = SnmprecReader().read(shared("inputs/snmp/librenms_vrp.snmprec"))
    # one unit, the device: read 1 (its two records are one walk)
    assert (res.stats.unit, res.stats.read, res.stats.malformed, res.stats.damaged, res.stats.issues) == \
        ("device", 1, 0, 0, [])
    [dev] = res.observations
    assert (dev.id, dev.kind, dev.source.line) == ("librenms_vrp.snmprec:2", "device", 2)
    assert ids(dev) == [(TEXT, dev.attributes["sys_descr"], "snmprec:sysDescr", S),
                        (OID, "1.3.6.1.4.1.2011.2.224.1", "snmprec:sysObjectID", S)]
    assert [i.context for i in dev.identifiers] == ["sys-descr", "sys-object-id"]
    assert dev.attributes == {
        "sys_descr": "Huawei AR1220 Huawei Versatile Routing Platform Software  VRP (R) software,"
                     "Version 5.120 (AR1220 V200R003C01SPC900) "
                     "Copyright (C) 2011-2013 Huawei Technologies Co., Ltd",
        "sys_object_id": "1.3.6.1.4.1.2011.2.224.1",
    }


def test_ios_hex_sysdescr_with_crlf(shared):
    res = SnmprecReader().read(shared("inputs/snmp/librenms_ios.snmprec"))
    assert (res.stats.read, res.stats.malformed, res.stats.issues) == (1, 0, [])
    [dev] = res.observations
    assert dev.id == "librenms_ios.snmprec:2"
    assert ids(dev) == [(TEXT, dev.attributes["sys_descr"], "snmprec:sysDescr", S),
                        (OID, "1.3.6.1.4.1.9.1.359", "snmprec:sysObjectID", S)]
    assert dev.attributes["sys_descr"] == (
        "Cisco Internetwork Operating System Software\n"
        "IOS (tm) C2950 Software (C2950-I6K2L2Q4-M), Version 12.1(22)EA14, RELEASE SOFTWARE (fc1)\n"
        "Technical Support: http://www.cisco.com/techsupport\n"
        "Copyright (c) 1986-2010 by cisco Systems, Inc.\n"
        "Compiled Tue 26-O")


def test_hikvision_private_mib_only(shared):
    res = SnmprecReader().read(shared("inputs/snmp/librenms_hikvision-cam.snmprec"))
    assert (res.stats.read, res.stats.malformed, res.stats.issues) == (1, 0, [])
    [dev] = res.observations
    assert dev.id == "librenms_hikvision-cam.snmprec:1"
    assert ids(dev) == [(OID, "1.3.6.1.4.1.39165", "snmprec:private-mib", M)]
    assert dev.attributes == {"private_mib_records": "1.3.6.1.4.1.39165: 9"}


def test_tplink_sysobjectid_only(shared):
    res = SnmprecReader().read(shared("inputs/snmp/librenms_tplink.snmprec"))
    [dev] = res.observations
    assert dev.id == "librenms_tplink.snmprec:1"
    assert ids(dev) == [(OID, "1.3.6.1.4.1.11863.1.1", "snmprec:sysObjectID", S)]
    assert dev.attributes == {"sys_object_id": "1.3.6.1.4.1.11863.1.1"}
    assert (res.stats.read, res.stats.malformed) == (1, 0)


def test_bad_lines_are_problems_with_line_numbers():
    res = SnmprecReader().read(FIX / "snmprec_bad.snmprec")
    st = res.stats
    # the device is read (one unit) though seven of its lines are damaged: errors, not lost units
    assert (st.read, st.malformed, st.damaged, st.errors) == (1, 0, 7, 7)
    assert [(i.line, i.severity, i.reason) for i in st.issues] == [
        (8, "error", "OID 1.3.6.1.2.1.1.7.0: not an Integer32: 'seventy-two'"),
        (9, "error", "not an OID|type|value record"),
        (10, "error", "OID 1.3.6.1.2.1.2.2.1.2.1: value is not hex: '6e6f7468657'"),
        (11, "error", "invalid OID '1.3.6.one.2'"),
        (12, "error", "unknown type tag '99'"),
        (15, "error", "not valid UTF-8 (byte 31 of the line)"),
        (16, "warning", "OID 1.3.6.1.2.1.1.5.0 repeated (first on line 4); keeping the first value"),
        (18, "error", "OID 1.3.6.1.2.1.4.20.1.1.10.0.0.1: not an IpAddress: '10.0.0.256'"),
        (2, "warning", "sysObjectID is 0.0 (zeroDotZero): the agent names no vendor"),
    ]
    [dev] = res.observations
    assert dev.id == "snmprec_bad.snmprec:1"  # no usable sysObjectID: the sysDescr line
    # zeroDotZero: the sysDescr text and the private MIB arcs, in order of appearance
    assert ids(dev) == [(TEXT, "ZXR10 ROSNG Software, Version V4.08.23", "snmprec:sysDescr", S),
                        (OID, "1.3.6.1.4.1.3902", "snmprec:private-mib", M),
                        (OID, "1.3.6.1.4.1.2021", "snmprec:private-mib", M)]
    assert dev.attributes == {
        "sys_descr": "ZXR10 ROSNG Software, Version V4.08.23",
        "sys_contact": "noc@example.net",
        "hostname": "zxr-core-01",  # hex-coded sysName; the repeated plain one is ignored
        "sys_location": "Rack 7, Hall B",
        "private_mib_records": "1.3.6.1.4.1.3902: 1, 1.3.6.1.4.1.2021: 1",
    }


def test_empty_file_warns_and_yields_nothing():
    res = SnmprecReader().read(FIX / "empty.snmprec")
    assert res.observations == [] and res.stats.read == 0
    assert [i.reason for i in res.stats.issues] == ["no SNMP records: no device observation"]


def test_bz2_input_and_progress(tmp_path):
    target = tmp_path / "bad.snmprec.bz2"
    target.write_bytes(bz2.compress((FIX / "snmprec_bad.snmprec").read_bytes()))
    calls = []
    res = SnmprecReader().read(target, progress=lambda d, t: calls.append((d, t)))
    assert [o.id for o in res.observations] == ["bad.snmprec.bz2:1"] and res.stats.damaged == 7
    assert calls[-1] == (target.stat().st_size,) * 2


def test_sniff():
    reader = SnmprecReader()
    assert reader.sniff(FIX / "snmprec_bad.snmprec", (FIX / "snmprec_bad.snmprec").read_bytes()) is True
    assert reader.sniff(Path("walk.txt"), b"\n.1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1\n") is True
    assert reader.sniff(Path("walk.txt"), b"1.3.6.1.2.1.1.5.0|65:numeric|rate=1\n") is True
    for name in ("inventory_good.csv", "nmap_cameras.xml", "cdx16_huawei_router.cdx.json"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()[:4096]) is False
    assert reader.sniff(Path("x.txt"), b"") is False


def test_clean_text():
    assert clean_text(b"a \r\nb\rc\x00  \r\n\r\n") == "a\nb\nc"
    assert clean_text(b"caf\xe9") == "caf\u00e9"  # Latin-1 fallback


def test_entity_mib_lldp_and_interface_macs(shared):
    """Every identifier of the walk is used: ENTITY-MIB chassis names, ifPhysAddress MACs, sysDescr, sysObjectID."""
    res = SnmprecReader().read(shared("inputs/snmp/librenms_vrp_s5328c-ei.snmprec"))
    [dev] = res.observations
    assert [(i.kind, i.value, i.field, i.strength) for i in dev.identifiers if i.field != "snmprec:sysDescr"] == [
        (OID, "1.3.6.1.4.1.2011.2.23.95", "snmprec:sysObjectID", S),
        (IdKind.NAME, "Huawei", "snmprec:entPhysicalMfgName", S),
        (TEXT, "Huawei", "snmprec:entPhysicalMfgName", S),
        (TEXT, "Quidway S5300 Routing Switch", "snmprec:entPhysicalDescr", M),
        (IdKind.MAC, "70:54:F5:9E:A2:40", "snmprec:ifPhysAddress", M),
        (IdKind.MAC, "70:54:F5:9E:A2:4B", "snmprec:ifPhysAddress", M),
    ]
    assert (dev.attributes["manufacturer"], dev.attributes["interface_macs"]) == ("Huawei", "2")


def test_lldp_local_chassis_and_description(tmp_path):
    walk = tmp_path / "w.snmprec"
    walk.write_text("1.0.8802.1.1.2.1.3.1.0|2|4\n1.0.8802.1.1.2.1.3.2.0|4x|00e0fc123456\n"
                    "1.0.8802.1.1.2.1.3.4.0|4|ZXR10 ROS Version V4.08.23\n"
                    "1.3.6.1.2.1.2.2.1.6.1|4x|\n1.3.6.1.2.1.2.2.1.6.2|4|00:19:c6:00:00:01\n")
    [dev] = SnmprecReader().read(walk).observations
    assert [(i.kind, i.value, i.field) for i in dev.identifiers] == [
        (IdKind.MAC, "00:E0:FC:12:34:56", "snmprec:lldpLocChassisId"),
        (TEXT, "ZXR10 ROS Version V4.08.23", "snmprec:lldpLocSysDesc"),
        (IdKind.MAC, "00:19:C6:00:00:01", "snmprec:ifPhysAddress"),
    ]


def test_garbage_walk_is_one_malformed_device(tmp_path):
    walk = tmp_path / "g.snmprec"
    walk.write_text("1.3.6.1.2.1.1.1.0|2|" + "9" * 5000 + "\nnot a record\n")
    st = SnmprecReader().read(walk).stats
    assert (st.read, st.malformed, st.damaged) == (1, 1, 2)
    assert st.issues[-1].reason == "no valid SNMP record: the device could not be read"
