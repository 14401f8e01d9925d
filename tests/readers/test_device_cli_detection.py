"""device-cli: platform and command told by content alone, declared platforms, bounded work on hostile input."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from netvet.model import Identifier, IdKind, Strength
from netvet.readers import load_all
from netvet.readers.base import detect
from netvet.readers.device_cli import MAX_LINE_CHARS, PLATFORM_VENDORS, DeviceCliReader

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "device_cli"
CLI = "inputs/cli_outputs/"
S, M = Strength.STRONG, Strength.MODERATE

# every real sample -> (platform, command) as its file name says (ground truth for the tests only), and the
# NAME identifiers of its device: only output formats a single maker prints name one (cli:output-format)
TRUTH = {
    "arista_eos__show_version__arista_eos_show_version.raw":
        ("arista_eos", "show version", [("Arista Networks", "cli:output-format", M)]),
    "cisco_ios__show_version__cisco_ios_show_version2.raw": ("cisco_ios", "show version", []),
    "cisco_ios_show_inventory.raw": ("cisco_ios", "show inventory", []),
    "cisco_ios_show_mac-address-table8.raw": ("cisco_ios", "show mac address-table", []),
    "cisco_ios_show_version.raw": ("cisco_ios", "show version", []),
    "hp_comware__display_device_manuinfo__hp_comware_display_device_manuinfo2.raw":
        # no chassis entry: the first slot (a box or a stack member) is the device, its VENDOR_NAME its maker
        ("hp_comware", "display device manuinfo", [("H3C", "cli:manuinfo@VENDOR_NAME", S)]),
    "hp_comware_display_device_manuinfo.raw":
        ("hp_comware", "display device manuinfo", [("H3C", "cli:manuinfo@VENDOR_NAME", S)]),
    "huawei_smartax__display_board__huawei_smartax_display_board.raw":
        ("huawei_smartax", "display board", [("Huawei", "cli:output-format", M)]),
    "huawei_vrp__display_version__huawei_vrp_display_version4.raw":
        ("huawei_vrp", "display version", [("Huawei", "cli:output-format", M)]),
    "huawei_vrp__display_version__huawei_vrp_display_version6.raw":
        ("huawei_vrp", "display version", [("Huawei", "cli:output-format", M)]),
    "huawei_vrp_display_device.raw": ("huawei_vrp", "display device", [("Huawei", "cli:output-format", M)]),
    "huawei_vrp_display_lldp_neighbor4.raw":
        ("huawei_vrp", "display lldp neighbor", [("Huawei", "cli:output-format", M)]),
    # the VLAN/VSI/BD layout is VRP's own
    "huawei_vrp_display_mac-address.raw": ("huawei_vrp", "display mac-address", [("Huawei", "cli:output-format", M)]),
    "huawei_vrp_display_version.raw": ("huawei_vrp", "display version", [("Huawei", "cli:output-format", M)]),
    "juniper_junos__show_version__juniper_junos_show_version.raw":
        ("juniper_junos", "show version", [("Juniper Networks", "cli:output-format", M)]),
    "mikrotik_routeros__system_resource_print__mikrotik_routeros_system_resource_print_1.raw":
        ("mikrotik_routeros", "system resource print", [("MikroTik", "cli:output-format", M)]),
}
COUNTS = {  # (observations, read, malformed, skipped)
    "arista_eos__show_version__arista_eos_show_version.raw": (1, 1, 0, 0),
    "cisco_ios__show_version__cisco_ios_show_version2.raw": (1, 1, 0, 0),
    "cisco_ios_show_inventory.raw": (5, 5, 0, 0),
    "cisco_ios_show_mac-address-table8.raw": (50, 50, 0, 0),
    "cisco_ios_show_version.raw": (1, 1, 0, 0),
    "hp_comware__display_device_manuinfo__hp_comware_display_device_manuinfo2.raw": (10, 16, 0, 6),
    "hp_comware_display_device_manuinfo.raw": (15, 15, 0, 0),
    "huawei_smartax__display_board__huawei_smartax_display_board.raw": (5, 7, 0, 2),
    "huawei_vrp__display_version__huawei_vrp_display_version4.raw": (1, 1, 0, 0),
    "huawei_vrp__display_version__huawei_vrp_display_version6.raw": (1, 1, 0, 0),
    "huawei_vrp_display_device.raw": (24, 24, 0, 0),
    "huawei_vrp_display_lldp_neighbor4.raw": (3, 3, 0, 0),
    "huawei_vrp_display_mac-address.raw": (3, 3, 0, 0),
    "huawei_vrp_display_version.raw": (1, 1, 0, 0),
    "juniper_junos__show_version__juniper_junos_show_version.raw": (1, 1, 0, 0),
    "mikrotik_routeros__system_resource_print__mikrotik_routeros_system_resource_print_1.raw": (1, 1, 0, 0),
}


def names(obs) -> list[tuple]:
    return [(i.value, i.field, i.strength) for i in obs.identifiers if i.kind == IdKind.NAME]


def test_every_sample_is_listed(shared):
    folder = shared(CLI + "cisco_ios_show_version.raw").parent
    assert sorted(p.name for p in folder.glob("*.raw")) == sorted(TRUTH)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_platform_and_command_from_content(shared, tmp_path, name):
    platform, command, vendor_ids = TRUTH[name]
    target = tmp_path / "capture.txt"
    shutil.copyfile(shared(CLI + name), target)
    load_all()
    assert isinstance(detect(target), DeviceCliReader)
    reader = DeviceCliReader()
    res = reader.read(target)
    assert reader.detected == [(1, platform, command)]
    dev = res.observations[0]
    assert (dev.kind, dev.attributes["platform"]) == ("device", platform)
    assert names(dev) == vendor_ids
    s = res.stats
    assert (len(res.observations), s.read, s.malformed, s.skipped) == COUNTS[name]
    assert s.read == len(res.observations) + s.malformed + s.skipped
    version = [i for i in dev.identifiers if i.kind == IdKind.TEXT and i.context == "cli-version"]
    assert len(version) == (1 if "version" in command or "resource" in command else 0)
    original = DeviceCliReader().read(shared(CLI + name))  # the same under its original name
    assert [o.identifiers for o in original.observations] == [o.identifiers for o in res.observations]


def test_no_sample_names_a_vendor_from_its_banner_alone(shared):
    res = DeviceCliReader().read(shared(CLI + "cisco_ios_show_version.raw"))
    assert all(i.field not in ("cli:banner", "cli:platform") for i in res.observations[0].identifiers)


# ------------------------------------------------------------------ SmartAX and ZXROS
def test_smartax_capture():
    reader = DeviceCliReader()
    res = reader.read(FIX / "capture_smartax.txt")
    assert reader.detected == [(1, "huawei_smartax", "display version"), (23, "huawei_smartax", "display board")]
    assert (res.stats.read, res.stats.malformed, res.stats.skipped) == (4, 0, 1)  # slot 1 is empty
    dev, *boards = res.observations
    assert dev.attributes == {"platform": "huawei_smartax", "vendor": "Huawei", "model": "MA5608T",
                              "software_version": "MA5600V800R018C10", "hostname": "MA5608T",
                              "patch_version": "SPC200"}
    assert names(dev) == [("Huawei", "cli:output-format", M)]
    assert Identifier(IdKind.TEXT, "MA5608T", "cli:version@product", M, "model") in dev.identifiers
    assert [(b.source.line, b.attributes["slot"], b.attributes["model"]) for b in boards] == [
        (27, "0", "H901GPHF"), (29, "2", "H902MPLA")]
    assert boards[0].identifiers == [Identifier(IdKind.TEXT, "H901GPHF", "cli:board@BoardName", M, "model")]


def test_zte_show_version_by_content_and_forced():
    load_all()
    path = FIX / "zte_show_version.txt"
    assert isinstance(detect(path), DeviceCliReader)
    for reader in (DeviceCliReader(), detect(path, "device-cli")):
        res = reader.read(path)
        assert reader.detected == [(1, "zte_zxros", "show version")]
        [dev] = res.observations
        assert (res.stats.read, res.stats.malformed) == (1, 0)
        assert dev.attributes == {"platform": "zte_zxros", "vendor": "ZTE", "model": "6180H",
                                  "software_version": "6180H V5.10.00.20"}
        assert names(dev) == [("ZTE", "cli:output-format", M)]
        [text] = [i for i in dev.identifiers if i.context == "cli-version"]
        assert (text.field, text.strength) == ("cli:version", S)
        assert text.value == path.read_text().strip()


# ------------------------------------------------------------------ declared platforms
def test_declared_platform_names_its_maker(shared):
    res = DeviceCliReader(platform="huawei_vrp").read(shared(CLI + "huawei_vrp_display_mac-address.raw"))
    dev = res.observations[0]
    assert dev.attributes == {"platform": "huawei_vrp", "vendor": "Huawei"}
    assert names(dev) == [("Huawei", "cli:declared-platform", S), ("Huawei", "cli:output-format", M)]
    assert len(res.observations) == 3


def test_declared_platform_picks_the_template(shared):
    # the NAME/DESCR/PID format is IOS unless declared otherwise
    reader = DeviceCliReader(platform="cisco_nxos")
    res = reader.read(shared(CLI + "cisco_ios_show_inventory.raw"))
    assert reader.detected == [(1, "cisco_nxos", "show inventory")]
    assert names(res.observations[0]) == [("Cisco", "cli:declared-platform", S)]


def test_declared_comware_names_no_maker(shared):
    res = DeviceCliReader(platform="hp_comware").read(shared(CLI + "hp_comware_display_device_manuinfo.raw"))
    assert names(res.observations[0]) == [("H3C", "cli:manuinfo@VENDOR_NAME", S)]


def test_declared_platform_of_other_output_is_malformed(shared):
    res = DeviceCliReader(platform="juniper_junos").read(shared(CLI + "huawei_vrp_display_device.raw"))
    assert res.observations == [] and (res.stats.read, res.stats.malformed) == (1, 1)
    assert res.stats.issues[0].reason == ("cannot tell which device command produced this output (no prompt line "
                                          "and no known output format of juniper_junos)")


def test_unknown_declared_platform():
    with pytest.raises(ValueError, match="unknown device CLI platform 'nokia_sros'"):
        DeviceCliReader(platform="nokia_sros")
    assert set(PLATFORM_VENDORS) <= set(DeviceCliReader.__init__.__globals__["KNOWN_PLATFORMS"])


# ------------------------------------------------------------------ nothing read is not clean
def test_only_unread_commands_is_malformed(tmp_path):
    target = tmp_path / "cap.txt"
    target.write_text("sw1#show clock\n*10:00:00.000 UTC Mon Mar 1 2021\n")
    res = DeviceCliReader().read(target)
    assert res.observations == []
    assert (res.stats.read, res.stats.malformed, res.stats.skipped) == (2, 1, 1)
    assert [(i.line, i.reason) for i in res.stats.issues] == [
        (1, "command 'show clock' is not one netvet reads: its output is skipped"),
        (None, "no device, component, neighbour or MAC-table record found: nothing netvet reads")]


def test_forced_on_unknown_text_is_malformed(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("just some notes\nabout the network\n")
    res = detect(target, "device-cli").read(target)
    assert res.observations == [] and (res.stats.read, res.stats.malformed) == (1, 1)


# ------------------------------------------------------------------ long lines, bounded work (issue 14)
def test_long_line_is_one_malformed_record(tmp_path):
    target = tmp_path / "r.raw"
    target.write_text('NAME: "x", DESCR: "x"\nPID: ' + "9" * 80000 + "\n")
    started = time.perf_counter()
    res = DeviceCliReader().read(target)
    assert time.perf_counter() - started < 5
    assert (res.stats.read, res.stats.malformed, res.stats.skipped) == (3, 1, 0)
    assert [(i.line, i.severity, i.reason) for i in res.stats.issues] == [
        (2, "error", f"line of 80,005 characters, longer than {MAX_LINE_CHARS:,}: not parsed"),
        (1, "warning", "incomplete 'show inventory' entry (truncated output?): no PID/VID/SN line")]
    assert [o.kind for o in res.observations] == ["device", "component"]


def test_megabyte_line_alone(tmp_path):
    target = tmp_path / "r.raw"
    target.write_text("x" * (1 << 20) + "\n")
    started = time.perf_counter()
    res = detect(target, "device-cli").read(target)
    assert time.perf_counter() - started < 5
    assert res.observations == [] and (res.stats.read, res.stats.malformed) == (1, 1)
    assert res.stats.issues[0].line == 1


def test_many_lines_at_the_limit_stay_fast(tmp_path):
    target = tmp_path / "r.raw"
    target.write_text("".join('NAME: "x", DESCR: "x"\nPID: ' + "9" * 4000 + ", VID: 1, SN: 2\n" for _ in range(500)))
    started = time.perf_counter()
    res = DeviceCliReader().read(target)
    assert time.perf_counter() - started < 5
    assert (len(res.observations), res.stats.malformed) == (501, 0)


def test_template_runs_are_bounded(tmp_path, monkeypatch):
    from netvet.readers import device_cli

    monkeypatch.setattr(device_cli, "MAX_TEMPLATE_RUNS", 3)
    target = tmp_path / "cap.txt"
    target.write_text("".join(f"<R1>display version\nnot a version {n}\n" for n in range(5)))
    res = DeviceCliReader().read(target)
    assert (res.stats.read, res.stats.malformed) == (5, 5)
    assert [i.reason for i in res.stats.issues][-1] == "not parsed: the limit of 3 template runs per file was reached"
