"""device-cli reader: the NTC samples (against their expected parses), captures with prompts, bad inputs."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
import yaml

from netvet.model import Identifier, IdKind, Strength
from netvet.readers import load_all
from netvet.readers.base import detect
from netvet.readers.device_cli import (
    DeviceCliReader,
    abbreviation_regex,
    banner_vendors,
    clean_line,
    find_spec,
    fingerprint,
    parse_records,
    split_sections,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "device_cli"
OTHER_FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
CLI = "inputs/cli_outputs/"
NAME, MAC, TEXT = IdKind.NAME, IdKind.MAC, IdKind.TEXT
S, M, W = Strength.STRONG, Strength.MODERATE, Strength.WEAK
SAMPLES = {  # stem -> (platform, command): the file names are the ground truth; the reader never reads them
    "cisco_ios_show_inventory": ("cisco_ios", "show inventory"),
    "cisco_ios_show_mac-address-table8": ("cisco_ios", "show mac address-table"),
    "cisco_ios_show_version": ("cisco_ios", "show version"),
    "hp_comware_display_device_manuinfo": ("hp_comware", "display device manuinfo"),
    "huawei_vrp_display_device": ("huawei_vrp", "display device"),
    "huawei_vrp_display_lldp_neighbor4": ("huawei_vrp", "display lldp neighbor"),
    "huawei_vrp_display_mac-address": ("huawei_vrp", "display mac-address"),
    "huawei_vrp_display_version": ("huawei_vrp", "display version"),
}


def ids(obs) -> list[tuple]:
    """NAME and MAC identifiers (TEXT ones: ``texts``)."""
    return [(i.kind, i.value, i.field, i.strength) for i in obs.identifiers if i.kind != TEXT]


def texts(obs) -> list[tuple]:
    return [(i.value, i.field, i.strength, i.context) for i in obs.identifiers if i.kind == TEXT]


def issues(res) -> list[tuple]:
    return [(i.line, i.severity, i.reason) for i in res.stats.issues]


def counts(res) -> tuple[int, int, int]:
    return res.stats.read, res.stats.malformed, res.stats.skipped


def expected(shared, stem: str) -> list[dict]:
    return yaml.safe_load(shared(CLI + stem + ".yml").read_text())["parsed_sample"]


def read(path: Path):
    return DeviceCliReader().read(path)


def mac(text: str) -> str:
    digits = text.replace(".", "").replace("-", "").upper()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


# ------------------------------------------------------------------ the NTC samples
@pytest.mark.parametrize("stem", SAMPLES)
def test_records_equal_the_ntc_expected_parse(shared, stem):
    raw = shared(CLI + stem + ".raw").read_text()
    spec = find_spec(*SAMPLES[stem])
    assert spec is not None
    lines = [clean_line(line) for line in raw.split("\n")]
    records, rejected, failure = parse_records(spec, lines)
    assert (rejected, failure) == ([], None)
    assert records == expected(shared, stem)


def test_cisco_show_version(shared):
    res = read(shared(CLI + "cisco_ios_show_version.raw"))
    assert counts(res) == (1, 0, 0) and issues(res) == []
    [dev] = res.observations
    assert (dev.id, dev.kind, dev.source.line, dev.parent) == ("cisco_ios_show_version.raw#device", "device", 1, None)
    assert ids(dev) == []  # many OSes print Cisco-like output: the banner text is the evidence (fingerprints)
    raw = shared(CLI + "cisco_ios_show_version.raw").read_text()
    version_text = "\n".join(line.rstrip() for line in raw.split("\n") if line.strip())
    assert texts(dev) == [(version_text[:4096], "cli:version", S, "cli-version"),
                          ("WS-C4948E", "cli:version@hardware", M, "model")]
    assert texts(dev)[0][0].startswith("Cisco IOS Software, Catalyst 4500 L3 Switch Software")
    [exp] = expected(shared, "cisco_ios_show_version")
    assert dev.attributes == {
        "platform": "cisco_ios", "vendor": "Cisco", "model": exp["hardware"][0], "serial": exp["serial"][0],
        "software_version": exp["version"], "hostname": exp["hostname"], "software_image": exp["software_image"],
    }
    assert dev.attributes["model"] == "WS-C4948E" and dev.attributes["serial"] == "CAT1451S15C"


def test_cisco_show_inventory(shared):
    res = read(shared(CLI + "cisco_ios_show_inventory.raw"))
    assert counts(res) == (5, 0, 0)  # the device and 4 components
    assert issues(res) == [(4, "warning", "serial '7720321' appears on 3 components (lines 4, 7, 10)")]
    dev, *parts = res.observations
    assert dev.id == "cisco_ios_show_inventory.raw#device" and dev.source.line == 1
    assert dev.identifiers == []  # the file name is no evidence; the format is printed by many OSes
    assert dev.attributes == {"platform": "cisco_ios", "serial": "FF1045C5"}  # chassis: no PID
    assert [(p.id, p.source.line, p.kind, p.parent) for p in parts] == [
        (f"cisco_ios_show_inventory.raw:{n}", n, "component", dev.id) for n in (1, 4, 7, 10)]
    assert all(ids(p) == [] for p in parts)  # show inventory names no vendor: its texts are the evidence
    assert texts(parts[0]) == [("3640 chassis", "cli:inventory@DESCR", M, "cli-inventory")]
    assert texts(parts[1]) == [("One port Fastethernet TX", "cli:inventory@DESCR", M, "cli-inventory"),
                               ("NM-1FE-TX", "cli:inventory@PID", M, "model")]
    assert [p.attributes["component_type"] for p in parts] == ["chassis", "module", "module", "module"]
    for part, exp in zip(parts, expected(shared, "cisco_ios_show_inventory"), strict=True):
        a = part.attributes
        assert (a["name"], a["description"], a.get("pid", a.get("model", "")), a["hardware_version"], a["serial"]) \
            == (exp["name"], exp["descr"], exp["pid"], exp["vid"], exp["sn"])
    assert parts[1].attributes["model"] == "NM-1FE-TX" and parts[1].attributes["pid"] == "NM-1FE-TX="


def test_cisco_mac_address_table_with_three_earl_tables(shared):
    res = read(shared(CLI + "cisco_ios_show_mac-address-table8.raw"))
    assert counts(res) == (50, 0, 0) and issues(res) == []
    dev, *entries = res.observations
    assert dev.identifiers == []
    assert dev.attributes == {"platform": "cisco_ios"}
    lines = [*range(15, 26), *range(32, 52), *range(58, 76)]
    assert [e.source.line for e in entries] == lines
    assert [e.id for e in entries] == [f"cisco_ios_show_mac-address-table8.raw:{n}" for n in lines]
    for entry, exp in zip(entries, expected(shared, "cisco_ios_show_mac-address-table8"), strict=True):
        m = mac(exp["destination_address"])
        assert entry.kind == "mac-table-entry" and entry.parent is None
        assert ids(entry) == [(MAC, m, "cli:mac-table", M)]
        assert entry.attributes == {"mac": m, "vlan": exp["vlan_id"], "port": ", ".join(exp["destination_port"]),
                                    "type": exp["type"], "seen_by": dev.id}
    assert entries[1].attributes["port"] == "Router" and entries[1].attributes["type"] == "static"
    assert len({e.attributes["mac"] for e in entries}) == 23  # the three tables repeat MACs


def test_huawei_display_version(shared):
    res = read(shared(CLI + "huawei_vrp_display_version.raw"))
    assert counts(res) == (1, 0, 0) and issues(res) == []
    [dev] = res.observations
    assert (dev.id, dev.source.line) == ("huawei_vrp_display_version.raw#device", 1)
    assert ids(dev) == [(NAME, "Huawei", "cli:output-format", M)]  # only Huawei's VRP prints this format
    [(version, *_), model] = texts(dev)
    assert version.startswith("Huawei Versatile Routing Platform Software\nVRP (R) software, Version 8.180")
    raw = shared(CLI + "huawei_vrp_display_version.raw").read_text()
    assert version == "\n".join(line.rstrip() for line in raw.split("\n") if line.strip())  # under 4,096 chars
    assert model == ("NE40E-X2-M8A", "cli:version@model", M, "model")
    [exp] = expected(shared, "huawei_vrp_display_version")
    assert dev.attributes == {"platform": "huawei_vrp", "vendor": "Huawei", "model": exp["model"],
                              "software_version": exp["vrp_version"], "product_version": exp["product_version"]}
    assert dev.attributes["model"] == "NE40E-X2-M8A"


def test_huawei_display_device(shared):
    res = read(shared(CLI + "huawei_vrp_display_device.raw"))
    assert counts(res) == (24, 0, 0) and issues(res) == []
    dev, *parts = res.observations
    assert ids(dev) == [(NAME, "Huawei", "cli:output-format", M)]
    assert texts(dev) == [("CE12808S", "cli:device@header", M, "model")]
    assert dev.attributes == {"platform": "huawei_vrp", "vendor": "Huawei", "model": "CE12808S"}  # the header
    assert [p.source.line for p in parts] == list(range(5, 28))
    exp = expected(shared, "huawei_vrp_display_device")
    assert [(p.attributes["slot"], p.attributes["model"], p.attributes["status"]) for p in parts] == [
        (e["slot"], e["pid"], e["online_status"]) for e in exp]
    assert [p.attributes.get("ha_role") for p in parts] == [
        None if e["ha_status"] == "NA" else e["ha_status"] for e in exp]
    types = [p.attributes["component_type"] for p in parts]
    assert (types.count("board"), types.count("psu"), types.count("fan")) == (13, 4, 6)
    assert all(p.parent == dev.id and ids(p) == [] for p in parts)
    assert [texts(p) for p in parts] == [[(e["pid"], "cli:device@Type", M, "model")] for e in exp]
    assert parts[12].attributes["model"] == "CMU(MPU 10)"


def test_huawei_lldp_neighbors(shared):
    res = read(shared(CLI + "huawei_vrp_display_lldp_neighbor4.raw"))
    assert counts(res) == (3, 0, 0) and issues(res) == []
    dev, ap, switch = res.observations
    assert dev.identifiers == [Identifier(NAME, "Huawei", "cli:output-format", M)]
    assert [(n.id, n.kind, n.source.line) for n in (ap, switch)] == [
        ("huawei_vrp_display_lldp_neighbor4.raw:3", "neighbor", 3),
        ("huawei_vrp_display_lldp_neighbor4.raw:121", "neighbor", 121)]
    assert ids(ap) == [(MAC, "AA:AA:AA:AA:AA:AA", "cli:lldp@chassis_id", M)]
    assert ids(switch) == [(MAC, "BB:BB:BB:BB:BB:BB", "cli:lldp@chassis_id", M)]
    exp = expected(shared, "huawei_vrp_display_lldp_neighbor4")
    assert texts(ap) == [("\n".join(exp[0]["neighbor_description"]), "cli:lldp@system_description", M,
                          "lldp-sys-descr")]
    assert texts(switch)[0][0].startswith("Cisco IOS Software, C3750E Software")
    for n, exp in zip((ap, switch), expected(shared, "huawei_vrp_display_lldp_neighbor4"), strict=True):
        a = n.attributes
        assert (a["hostname"], a["chassis_id"], a["chassis_id_type"], a["port_id"], a["port_description"],
                a["local_interface"], a["ip"], a["capabilities"]) == (
            exp["neighbor_name"], exp["chassis_id"], exp["chassis_type"], exp["neighbor_port_id"],
            exp["neighbor_interface"], exp["local_interface"], exp["mgmt_address"], exp["capabilities"])
        assert a["system_description"] == "\n".join(exp["neighbor_description"])
        assert a["seen_by"] == dev.id and n.parent is None
    assert ap.attributes["hostname"] == "AP_PRINCIPAL" and switch.attributes["ip"] == "10.11.11.11"


def test_huawei_mac_address_table(shared):
    res = read(shared(CLI + "huawei_vrp_display_mac-address.raw"))
    assert counts(res) == (3, 0, 0) and issues(res) == []
    dev, *entries = res.observations
    # the VLAN/VSI/BD layout is printed by Huawei VRP only: the device's maker, moderate evidence
    assert ids(dev) == [(NAME, "Huawei", "cli:output-format", M)]
    assert [e.source.line for e in entries] == [4, 5]  # the second row has a leading space
    for entry, exp in zip(entries, expected(shared, "huawei_vrp_display_mac-address"), strict=True):
        m = mac(exp["destination_address"])
        assert ids(entry) == [(MAC, m, "cli:mac-table", M)]
        assert entry.attributes == {"mac": m, "vlan": exp["vlan_id"], "port": exp["destination_port"],
                                    "type": exp["type"], "seen_by": dev.id}
    assert entries[0].attributes["mac"] == "B8:D6:F6:FF:73:90"


def test_comware_manuinfo(shared):
    res = read(shared(CLI + "hp_comware_display_device_manuinfo.raw"))
    lines = [3, 10, 17, 24, 31, 38, 44, 51, 58, 65, 72, 79, 86, 92]
    assert counts(res) == (15, 0, 0)
    assert issues(res) == [(3, "warning", "serial '11111111111111110000' appears on 14 components (lines "
                                          + ", ".join(map(str, lines)) + ")")]
    dev, *parts = res.observations
    # hp_comware names no vendor (H3C and HPE both ship Comware): the first chassis' VENDOR_NAME does
    assert ids(dev) == [(NAME, "H3C", "cli:manuinfo@VENDOR_NAME", S)]
    assert texts(dev) == [("LS-12511-X-AC", "cli:manuinfo@DEVICE_NAME", M, "model")]
    assert dev.attributes == {"platform": "hp_comware", "vendor": "H3C", "model": "LS-12511-X-AC",
                              "serial": "11111111111111110000"}
    assert [p.source.line for p in parts] == lines  # the "Chassis self" / "Slot 0" / "Fan 1" line
    exp = expected(shared, "hp_comware_display_device_manuinfo")
    for part, e in zip(parts, exp, strict=True):
        a = part.attributes
        assert (a["name"], a["chassis"], a["model"], a["serial"], a["manufacturing_date"], a["vendor"]) == (
            f"{e['slot_type']} {e['slot_id']}", e["chassis_id"], e["device_name"], e["device_serial_number"],
            e["manufacturing_date"], e["vendor_name"])
        want = [(NAME, "H3C", "cli:manuinfo@VENDOR_NAME", M)]
        assert texts(part) == [(e["device_name"], "cli:manuinfo@DEVICE_NAME", M, "model")]
        if e["mac_address"] not in ("NONE", ""):  # PSUs have no MAC_ADDRESS line
            want.append((MAC, mac(e["mac_address"]), "cli:manuinfo@MAC_ADDRESS", M))
        assert ids(part) == want
    assert [p.attributes["component_type"] for p in parts[:7]] == [
        "chassis", "board", "board", "fan", "fan", "psu", "psu"]


def _portable(res) -> tuple:
    """Observations, counts and issues with the file name taken out of the ids."""
    name = Path(res.stats.file).name
    obs = [(o.id.replace(name, "F"), o.kind, o.source.line, o.identifiers, o.attributes.get("platform"),
            {k: v.replace(name, "F") for k, v in o.attributes.items()}, (o.parent or "").replace(name, "F"))
           for o in res.observations]
    return obs, counts(res), issues(res)


@pytest.mark.parametrize("stem", SAMPLES)
def test_file_name_is_no_evidence(shared, tmp_path, stem):
    """The same output named capture.txt gives the same observations, identifiers and problems."""
    target = tmp_path / "capture.txt"
    shutil.copyfile(shared(CLI + stem + ".raw"), target)
    assert isinstance(detect(target), DeviceCliReader)
    res, original = read(target), read(shared(CLI + stem + ".raw"))
    assert _portable(res) == _portable(original)
    assert res.stats.malformed == 0
    assert res.observations[0].attributes["platform"] == SAMPLES[stem][0]


@pytest.mark.parametrize("stem", SAMPLES)
def test_samples_detected(shared, stem):
    load_all()
    assert isinstance(detect(shared(CLI + stem + ".raw")), DeviceCliReader)


# ------------------------------------------------------------------ captures with prompts
def test_cisco_capture():
    res = read(FIX / "capture_cisco_ios.txt")
    assert counts(res) == (11, 0, 3)
    assert issues(res) == [
        (1, "warning", "text before the first prompt is not a known command output: skipped"),
        (56, "warning", "command 'show clock' is not one netvet reads: its output is skipped"),
        (58, "warning", "the device rejected 'show frobnicate': % Invalid input detected at '^' marker."),
    ]
    dev, *rest = res.observations
    assert (dev.id, dev.source.line) == ("capture_cisco_ios.txt#device", 7)
    assert ids(dev) == [(MAC, "70:DB:98:12:34:80", "cli:version@mac_address", M)]
    assert [t[1:] for t in texts(dev)] == [("cli:version", S, "cli-version"), ("cli:version@hardware", M, "model")]
    assert dev.attributes == {
        "platform": "cisco_ios", "vendor": "Cisco", "model": "WS-C2960X-48FPD-L", "serial": "FOC1234X5YZ",
        "software_version": "15.2(7)E4", "hostname": "access-sw7", "software_image": "C2960X-UNIVERSALK9-M"}
    assert [(o.source.line, o.kind, o.attributes.get("component_type"), o.attributes.get("model")) for o in rest] == [
        (36, "component", "module", "WS-C2960X-48FPD-L"),
        (39, "component", "psu", "PWR-C2-1025WAC"),
        (42, "component", "transceiver", "GLC-SX-MMD"),
        (51, "mac-table-entry", None, None), (52, "mac-table-entry", None, None),
        (53, "mac-table-entry", None, None), (54, "mac-table-entry", None, None),
    ]
    assert [o.attributes["mac"] for o in rest[3:]] == [
        "01:00:0C:CC:CC:CC", "00:19:E8:A1:2B:3C", "A4:C3:F0:AA:00:01", "3C:52:82:D1:4E:5F"]
    assert rest[3].attributes == {"mac": "01:00:0C:CC:CC:CC", "vlan": "All", "port": "CPU", "type": "STATIC",
                                  "seen_by": dev.id}


def test_huawei_capture_with_pager_and_crlf():
    res = read(FIX / "capture_huawei_vrp.txt")
    assert counts(res) == (6, 0, 0) and issues(res) == []  # "quit" is a session command: ignored
    dev, *rest = res.observations
    assert (dev.source.line, ids(dev)) == (2, [(NAME, "Huawei", "cli:output-format", M)])
    assert dev.attributes == {"platform": "huawei_vrp", "vendor": "Huawei", "model": "AR2240",
                              "software_version": "5.170", "hostname": "AR-EDGE-01",
                              "product_version": "AR2200 V200R010C10SPC700"}
    assert [(o.source.line, o.kind) for o in rest] == [
        (13, "mac-table-entry"), (14, "mac-table-entry"), (15, "mac-table-entry"), (21, "neighbor"), (40, "neighbor")]
    assert rest[1].attributes["mac"] == "E0:A3:AC:12:34:02"  # the row behind "---- More ----" and its erasure
    switch, camera = rest[3], rest[4]
    assert ids(switch) == [(MAC, "00:E0:FC:11:22:33", "cli:lldp@chassis_id", M)]
    assert [t[1:] for t in texts(switch)] == [("cli:lldp@system_description", M, "lldp-sys-descr")]
    assert switch.attributes["hostname"] == "ACCESS-S5720" and switch.attributes["ip"] == "192.0.2.10"
    # chassis id is an IP address: no MAC; LLDP-MED names the manufacturer
    assert ids(camera) == [(NAME, "Hikvision", "cli:lldp@manufacturer", M)]
    assert texts(camera)[-1] == ("DS-2CD2185FWD-I", "cli:lldp@model", M, "model")
    assert {k: camera.attributes[k] for k in ("chassis_id", "chassis_id_type", "model", "manufacturer", "ip")} == {
        "chassis_id": "192.0.2.77", "chassis_id_type": "Network Address", "model": "DS-2CD2185FWD-I",
        "manufacturer": "Hikvision", "ip": "192.0.2.77"}


def test_comware_capture_banner_only_version_and_unsupported_slot():
    res = read(FIX / "capture_h3c_comware.txt")
    assert counts(res) == (5, 0, 1)
    assert issues(res) == [(25, "warning", "Power 1: the device reported no manufacturing information")]
    dev, *parts = res.observations
    # no chassis entry: the first slot is the device (a box or a stack member); its EEPROM names H3C
    assert ids(dev) == [(NAME, "H3C", "cli:manuinfo@VENDOR_NAME", S)]
    assert texts(dev)[0][0].startswith("H3C Comware Software, Version 7.1.064, Release 2612P03")
    assert dev.attributes == {"platform": "hp_comware", "vendor": "H3C", "model": "S6520X-30QC-EI",
                              "software_version": "7.1.064 Release 2612P03", "hostname": "H3C",
                              "serial": "219801A2X3820C000123"}  # the first slot's serial
    assert [(p.source.line, p.attributes["name"], p.attributes["component_type"]) for p in parts] == [
        (12, "Slot 1", "board"), (19, "Fan 1", "fan"), (28, "Power 2", "psu")]
    assert ids(parts[0]) == [(NAME, "H3C", "cli:manuinfo@VENDOR_NAME", M),
                             (MAC, "3C:D2:E5:A1:0B:00", "cli:manuinfo@MAC_ADDRESS", M)]


# ------------------------------------------------------------------ bad inputs
def test_unknown_command_and_unparseable_section():
    res = read(FIX / "capture_unknown_command.txt")
    assert counts(res) == (4, 1, 1)
    assert issues(res) == [
        (1, "warning", "command 'show frobnicate all' is not one netvet reads: its output is skipped"),
        (7, "error", "no 'show version' record found in the output"),
    ]
    dev, chassis = res.observations
    assert ids(dev) == []  # a Cisco-style prompt alone names no vendor
    assert dev.attributes == {"platform": "cisco_ios", "model": "ISR4331/K9", "serial": "FDO21520ABC",
                              "hostname": "edge-r1"}
    assert (chassis.source.line, chassis.attributes["component_type"]) == (5, "chassis")


def test_truncated_inventory_keeps_the_cut_entry_with_a_warning():
    res = read(FIX / "cisco_ios_show_inventory_truncated.raw")
    assert counts(res) == (5, 0, 0)
    assert issues(res) == [(10, "warning", "incomplete 'show inventory' entry (truncated output?): no PID/VID/SN line")]
    dev, *parts = res.observations
    assert dev.attributes == {"platform": "cisco_ios", "model": "ISR4331/K9", "serial": "FDO21520ABC"}
    assert [(p.source.line, p.attributes["component_type"], p.attributes.get("model")) for p in parts] == [
        (1, "chassis", "ISR4331/K9"), (4, "psu", "PWR-4330-AC"), (7, "fan", "ACS-4330-FANASSY"), (10, "module", None)]


def test_truncated_row_is_a_problem_and_the_rest_is_kept():
    res = read(FIX / "huawei_vrp_display_device_truncated.raw")
    assert counts(res) == (5, 1, 0)
    assert issues(res) == [(8, "error", "line not understood by the ntc-templates huawei_vrp 'display device' "
                                        "template: 'FAN2  -      FAN-0'")]
    dev, *parts = res.observations
    assert dev.attributes["model"] == "S5735-L48T4X-A1"
    assert [(p.source.line, p.attributes["slot"], p.attributes["model"]) for p in parts] == [
        (5, "0", "S5735-L48T4X-A1"), (6, "PWR1", "PAC600S12-CB"), (7, "FAN1", "FAN-023A-B")]


def test_truncated_inventory_entry_without_any_record_is_an_orphan(tmp_path):
    target = tmp_path / "cisco_ios_show_inventory.raw"
    target.write_text('NAME: "Chassis", DESCR: "Cisco ISR4331 Chassis"\nPID: ISR4331/K9 , VID: V04 , SN: FDO1\n'
                      'NAME: "module 0", DESCR: "NIM"\n'
                      'NAME: "module 1", DESCR: "NIM"\nPID: NIM-2T , VID: V01 , SN: X2\n')
    res = read(target)
    # TextFSM folds "module 0" into "module 1" (no PID line in between): the lost entry is reported
    assert issues(res) == [(3, "error", "'show inventory' entry without a parsed record (truncated or not "
                                        "understood): 'NAME: \"module 0\", DESCR: \"NIM\"'")]
    assert [o.source.line for o in res.observations[1:]] == [1, 4]


def test_garbage():
    res = read(FIX / "garbage.bin")
    assert counts(res) == (1, 1, 0)
    assert issues(res) == [
        (3, "warning", "not valid UTF-8: read as Latin-1"),
        (1, "error", "cannot tell which device command produced this output (no prompt line and no known "
                     "output format)"),
    ]
    assert res.observations == []


def test_empty_file():
    res = read(FIX / "empty.txt")
    assert res.observations == [] and counts(res) == (0, 0, 0)
    assert issues(res) == [(None, "warning", "empty file: no command output")]


def test_prompts_without_output():
    res = read(FIX / "prompt_no_output.txt")
    assert res.observations == [] and counts(res) == (2, 2, 0)
    assert issues(res) == [(1, "error", "no output for 'display version'"),
                           (2, "error", "no output for 'display device'")]


def test_garbage_after_a_supported_command(tmp_path):
    target = tmp_path / "cap.txt"
    target.write_text("<R1>display mac-address\nnot a table\nstill not a table\n<R1>display version\n\x00\x01\n")
    res = read(target)
    assert res.observations == [] and counts(res) == (2, 2, 0)
    assert issues(res) == [
        (1, "error", "output not understood by the ntc-templates huawei_vrp 'display mac-address' template "
                     "(2 line(s) rejected, the first: 'not a table')"),
        (4, "error", "output not understood by the ntc-templates huawei_vrp 'display version' template "
                     "(1 line(s) rejected, the first: '\\x00\\x01')"),
    ]


def test_several_hosts_in_one_capture_warn(tmp_path):
    target = tmp_path / "cap.txt"
    target.write_text("sw1#show inventory\nNAME: \"Chassis\", DESCR: \"x\"\nPID: A , VID: 1 , SN: S1\n"
                      "sw2#show inventory\nNAME: \"Chassis\", DESCR: \"y\"\nPID: B , VID: 1 , SN: S2\n")
    res = read(target)
    assert issues(res) == [(1, "warning", "prompts name several hosts (sw1, sw2): the capture is read as one "
                                          "device (sw1)")]
    assert res.observations[0].attributes == {"platform": "cisco_ios", "model": "A", "serial": "S1",
                                              "hostname": "sw1"}
    assert len(res.observations) == 3


def test_forced_format_and_sniff():
    load_all()
    assert isinstance(detect(FIX / "garbage.bin", "device-cli"), DeviceCliReader)
    reader = DeviceCliReader()
    for name in ("capture_cisco_ios.txt", "capture_huawei_vrp.txt", "capture_h3c_comware.txt",
                 "prompt_no_output.txt", "huawei_vrp_display_device_truncated.raw"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()[:4096]) is True, name
    for name in ("garbage.bin", "empty.txt"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()) is False
    for path in sorted(OTHER_FIX.iterdir()):
        assert reader.sniff(path, path.read_bytes()[:4096]) is False, path.name
    assert reader.sniff(Path("cisco_ios_show_version.json"), b"{}") is False


def test_gzip_input_and_progress(shared, tmp_path):
    target = tmp_path / "huawei_vrp_display_device.raw.gz"
    target.write_bytes(gzip.compress(shared(CLI + "huawei_vrp_display_device.raw").read_bytes()))
    calls = []
    res = DeviceCliReader().read(target, progress=lambda d, t: calls.append((d, t)))
    assert len(res.observations) == 24 and ids(res.observations[0]) == [(NAME, "Huawei", "cli:output-format", M)]
    assert calls[-1] == (target.stat().st_size,) * 2


# ------------------------------------------------------------------ helpers
def test_abbreviations():
    rx = abbreviation_regex("sh[[ow]] mac[[-address-table]]")
    assert all(rx.fullmatch(c) for c in ("sh mac", "show mac-address-table", "SHOW  MAC-addr"))
    assert not any(rx.fullmatch(c) for c in ("s mac", "show mac address-table", "show macx"))
    assert find_spec("huawei_vrp", "dis lldp nei").command == "display lldp neighbor"
    assert find_spec("cisco_ios", "sh ver").command == "show version"
    assert find_spec("cisco_ios", "show ip route") is None


def test_clean_line():
    assert clean_line(" --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bGi1/0/2  up\r") == "Gi1/0/2  up"
    assert clean_line("  ---- More ----\x1b[42D" + " " * 42 + "\x1b[42Dabc") == "abc"
    assert clean_line("\x1b[1mbold\x1b[0m text") == "bold text"
    assert clean_line("a\x0cb") == "a b"  # TextFSM's splitlines() would split here


def test_split_sections_ignores_prompt_like_output():
    lines = ["<R1>display device", "[1]", "<2>", "[R1]display version", "x"]
    sections, prompts = split_sections(lines)
    assert [(s.start, s.prompt.command if s.prompt else None, s.lines) for s in sections] == [
        (1, "display device", ["[1]", "<2>"]), (4, "display version", ["x"])]
    assert [p.host for p in prompts] == ["R1", "R1"]


def test_banner_vendors_and_fingerprints():
    assert banner_vendors("Cisco Nexus Operating System (NX-OS) Software") == ["Cisco"]
    assert banner_vendors("HPE Comware Software, Version 7.1.045 ... New H3C Technologies Co., Ltd.") == [
        "H3C", "Hewlett Packard Enterprise"]
    assert banner_vendors("Juniper Networks, Inc. ex4300-48t, kernel JUNOS 15.1R7.9") == ["Juniper Networks"]
    assert banner_vendors("ZXR10 ROSNG Software") == ["ZTE"]
    assert banner_vendors("Huawei AP AP111") == []  # a bare name is not a known banner
    assert fingerprint("Total items displayed = 0\nMAC Address    VLAN/VSI/BD   Learned-From  Type\n").command == \
        "display mac-address"
    assert fingerprint("hello") is None


def test_templates_are_kept_for_one_read():
    pytest.importorskip("ntc_templates")
    from netvet.readers.device_cli import Budget, Templates

    spec = find_spec("huawei_vrp", "display version")
    templates = Templates()
    text = templates.source(spec.platform, spec.command)
    assert text is not None and "Value" in text
    assert templates.source(spec.platform, spec.command) is text
    budget = Budget(templates=templates)
    assert budget.templates is templates and Budget().templates is not templates
