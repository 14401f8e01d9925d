"""android-packages reader: the real Redmi Note 9 Pro list, the -f/-i/-U forms, CRLF, bad lines, sniffing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from netvet.model import IdKind, Strength
from netvet.readers import READERS, detect, load_all
from netvet.readers.android_packages import AndroidPackagesReader
from netvet.readers.base import read_head

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
SAMPLE = "inputs/android_packages/redmi_note9pro_begoniain_pm_list_packages.txt"
NAME = "redmi_note9pro_begoniain_pm_list_packages.txt"


def read(path: Path):
    res = AndroidPackagesReader().read(path)
    return res, res.stats, {o.attributes["package"]: o for o in res.observations}


def issues(stats) -> list[tuple]:
    return [(i.line, i.severity, i.reason) for i in stats.issues]


def test_real_sample_counts_and_truth_packages(shared):
    path = shared(SAMPLE)
    res, st, by = read(path)
    assert (st.format, st.unit, st.read, st.malformed, st.skipped, st.damaged, issues(st)) == \
        ("android-packages", "package", 384, 0, 0, 0, [])
    assert len(res.observations) == 384 == st.read - st.malformed - st.skipped
    assert sum(p.startswith("com.miui.") for p in by) == 53
    expected = {"com.miui.screenrecorder": 1, "com.whatsapp": 61, "com.UCMobile.intl": 251,
                "com.intsig.camscanner": 346}
    for package, line in expected.items():
        o = by[package]
        assert (o.id, o.kind, o.source.file, o.source.line) == (f"{NAME}:{line}", "app", str(path), line)
        assert o.attributes == {"package": package}
        assert [(i.kind, i.value, i.field, i.strength) for i in o.identifiers] == \
            [(IdKind.PACKAGE, package, "pm:package", Strength.MODERATE)]
    load_all()
    assert isinstance(detect(path), AndroidPackagesReader)
    assert READERS["android-packages"] is AndroidPackagesReader


def test_variants_f_i_u_versioncode_crlf_bom_and_blank_lines(tmp_path):
    p = tmp_path / "pm.txt"
    p.write_bytes(
        b"\xef\xbb\xbfpackage:com.whatsapp\r\n"
        b"\r\n"
        b"package:/data/app/~~Xy1A==/com.intsig.camscanner-Ab9Z==/base.apk=com.intsig.camscanner\r\n"
        b"package:com.UCMobile.intl  installer=com.android.vending\r\n"
        b"package:com.miui.screenrecorder uid:10123\r\n"
        b"package:/system/app/Foo/Foo.apk=com.foo  installer=null uid:1000\r\n"
        b"package:com.bar versionCode:42 uid:10200,10201\n"
        b"   \n"
        b"package:com.baz\n")
    res, st, by = read(p)
    assert (st.read, st.malformed, st.skipped, issues(st)) == (7, 0, 0, [])
    assert {k: (o.id, o.attributes) for k, o in by.items()} == {
        "com.whatsapp": ("pm.txt:1", {"package": "com.whatsapp"}),
        "com.intsig.camscanner": ("pm.txt:3", {
            "package": "com.intsig.camscanner",
            "apk_path": "/data/app/~~Xy1A==/com.intsig.camscanner-Ab9Z==/base.apk", "preinstalled": "false"}),
        "com.UCMobile.intl": ("pm.txt:4", {"package": "com.UCMobile.intl", "installer": "com.android.vending"}),
        "com.miui.screenrecorder": ("pm.txt:5", {"package": "com.miui.screenrecorder", "uid": "10123"}),
        "com.foo": ("pm.txt:6", {"package": "com.foo", "apk_path": "/system/app/Foo/Foo.apk", "uid": "1000",
                                 "preinstalled": "true"}),
        "com.bar": ("pm.txt:7", {"package": "com.bar", "version_code": "42", "uid": "10200,10201"}),
        "com.baz": ("pm.txt:9", {"package": "com.baz"}),
    }
    head = read_head(p)
    assert AndroidPackagesReader().sniff(p, head)
    gz = tmp_path / "pm.txt.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    load_all()
    assert isinstance(detect(gz), AndroidPackagesReader)
    assert [o.id for o in AndroidPackagesReader().read(gz).observations] == \
        [f"pm.txt.gz:{n}" for n in (1, 3, 4, 5, 6, 7, 9)]


def test_bad_lines_are_malformed_with_line_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("NETVET_MAX_LINE_BYTES", "200")
    p = tmp_path / "bad.txt"
    p.write_bytes(
        b"package:com.good\n"
        b"Error: unknown option\n"
        b"package:\n"
        b"package:1com.bad\n"
        b"package:/data/app/base.apk\n"
        b"package:com.good\n"
        b"package:com.odd colour=red uid:abc\n"
        b"package:com.\xff\n"
        b"package:com." + b"x" * 300 + b"\n"
        b"package:com.last")
    res, st, by = read(p)
    assert (st.read, st.malformed, st.skipped, len(res.observations)) == (10, 6, 1, 3)
    assert st.read == len(res.observations) + st.malformed + st.skipped
    assert sorted(by) == ["com.good", "com.last", "com.odd"]
    assert by["com.odd"].attributes == {"package": "com.odd"}
    assert issues(st) == [
        (2, "error", "not a 'package:<name>' line: 'Error: unknown option'"),
        (3, "error", "'package:' without a package name"),
        (4, "error", "invalid package name '1com.bad'"),
        (5, "error", "APK path without '=<package>': '/data/app/base.apk'"),
        (6, "warning", "package com.good listed again (first on line 1); skipped"),
        (7, "warning", "unknown field 'colour=red' ignored"),
        (7, "warning", "uid 'abc' is not a number; ignored"),
        (8, "error", "not valid UTF-8 (byte 13 of the line)"),
        (9, "error", "line longer than 200 bytes (limit max_line_bytes)"),
    ]


def test_empty_and_binary_input(tmp_path):
    from netvet.model import InputError

    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    res, st, _ = read(empty)
    assert (st.read, res.observations, issues(st)) == \
        (0, [], [(None, "warning", "no package lines: no app observation")])
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"package:com.x\n\x00\x01")
    with pytest.raises(InputError) as exc:
        AndroidPackagesReader().read(binary)
    assert exc.value.issue.offset == 14  # counted from the start of the file


def test_sniff_accepts_pm_output_and_rejects_other_fixtures(tmp_path):
    r = AndroidPackagesReader()
    for text in (b"package:com.a\npackage:com.b\n", b"\r\npackage:com.a\r\n",
                 b"package:/data/app/x==/com.a-y==/base.apk=com.a\n", b"package:com.a  installer=null\n",
                 b"package:com.a uid:10001\n", b"package:com.a\n" * 2000):
        assert r.sniff(tmp_path / "x", text[:4096]), text[:60]
    for text in (b"", b"\n\n", b"package:com.a\nhello\n", b"packages:com.a\n", b"package: com.a\n",
                 b"mac,vendor\npackage:com.a\n"):
        assert not r.sniff(tmp_path / "x", text), text
    fixtures = sorted(FIX.iterdir())
    assert len(fixtures) >= 20
    for f in fixtures:
        assert not r.sniff(f, read_head(f)), f.name
