"""MDM app inventories: Intune and Jamf Pro CSV exports, Android Management API device JSON."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from netvet.model import IdKind, InputError, Strength
from netvet.readers import READERS, detect, load_all
from tests.conftest import FIXTURES

APPS = FIXTURES / "apps"
MDM_FORMATS = {"intune-apps", "jamf-apps", "android-management"}
EXPECTED = {
    "intune_appinvrawdata.csv": "intune-apps",
    "intune_appinvaggregate.csv": "intune-apps",
    "jamf_mobile_apps.csv": "jamf-apps",
    "jamf_computer_apps.csv": "jamf-apps",
    "amapi_devices_list.json": "android-management",
}


def setup_module():
    load_all()


def _read(name: str):
    path = APPS / name
    return detect(path).read(path)


@pytest.mark.parametrize("name,fmt", sorted(EXPECTED.items()))
def test_detected_by_content(name, fmt, tmp_path):
    assert detect(APPS / name).format == fmt
    renamed = tmp_path / "export.txt"  # the file name is never evidence
    renamed.write_bytes((APPS / name).read_bytes())
    assert detect(renamed).format == fmt


def _all_fixture_files():
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.parent != APPS
                  and not any(part.startswith(".") for part in p.parts))


def test_mdm_readers_claim_no_other_fixture():
    """Every fixture of every other reader (and every other file under tests/fixtures) is left to its own reader."""
    for cls_name in MDM_FORMATS:
        reader = READERS[cls_name]()
        for path in _all_fixture_files():
            try:
                head = path.read_bytes()[:4096]
                if head.startswith(b"\x1f\x8b"):
                    head = gzip.decompress(path.read_bytes())[:4096]
            except (OSError, EOFError, gzip.BadGzipFile):
                continue
            assert not reader.sniff(path, head), f"{cls_name} claims {path.relative_to(FIXTURES)}"


def test_other_readers_do_not_claim_mdm_fixtures():
    for name, fmt in EXPECTED.items():
        path = APPS / name
        head = path.read_bytes()[:4096]
        claimed = [f for f, cls in READERS.items() if f != fmt and cls().sniff(path, head)]
        # csv-inventory sorts after the MDM readers, so detect() never reaches it; no other reader may claim them
        assert set(claimed) <= {"csv-inventory"}, (name, claimed)


def test_intune_raw_rows():
    res = _read("intune_appinvrawdata.csv")
    s = res.stats
    assert (s.unit, s.read, s.malformed, s.skipped, len(res.observations)) == ("row", 8, 2, 1, 5)
    assert s.read == len(res.observations) + s.malformed + s.skipped
    reasons = {(i.line, i.reason) for i in s.issues}
    assert (7, "row repeats line 6; skipped") in reasons
    assert (8, "no ApplicationName") in reasons
    assert (9, "4 cells where the header has 13") in reasons
    wechat = res.observations[0]
    assert wechat.id == "intune_appinvrawdata.csv:2" and wechat.kind == "app"
    assert [(i.kind, i.value, i.field, i.strength) for i in wechat.identifiers] == [
        (IdKind.PACKAGE, "com.tencent.mm", "intune:application-name", Strength.MODERATE)]
    assert wechat.attributes["device"] == "PHONE-01" and wechat.attributes["platform"] == "Android"
    for obs in res.observations:  # personal data is not copied
        assert not {"userid", "emailaddress", "username"} & set(obs.attributes)
        assert "alice@example.org" not in json.dumps(obs.to_dict())
    teams = next(o for o in res.observations if o.attributes.get("app_name") == "Microsoft Teams")
    assert [(i.kind, i.value) for i in teams.identifiers] == [(IdKind.NAME, "Microsoft Corporation")]
    assert "package" not in teams.attributes  # a Windows app name is not a package


def test_intune_aggregate_has_device_counts():
    res = _read("intune_appinvaggregate.csv")
    assert [o.attributes.get("device_count") for o in res.observations] == ["12", "240", "57"]
    assert res.observations[0].attributes["package"] == "com.ss.android.ugc.trill"
    assert res.stats.read == 3 and res.stats.malformed == 0


def test_jamf_mobile_and_computer():
    res = _read("jamf_mobile_apps.csv")
    assert (res.stats.read, res.stats.malformed, len(res.observations)) == (5, 1, 4)
    assert res.stats.issues[0].line == 6
    by_id = {o.attributes.get("bundle_id"): o for o in res.observations}
    assert by_id["com.tencent.xin"].identifiers[0].field == "jamf:app-identifier"
    assert by_id["com.tencent.xin"].attributes["device_serial"] == "DMPXK0AAAAAA"
    assert by_id["com.tencent.xin"].attributes["platform"] == "iOS"
    assert by_id["com.example.internal-tool"].identifiers[0].value == "com.example.internal-tool"
    mac = _read("jamf_computer_apps.csv")
    assert [o.attributes["package"] for o in mac.observations] == ["com.tencent.xinWeChat", "com.google.Chrome"]
    assert mac.observations[0].attributes["platform"] == "macOS"


def test_amapi_devices_and_reports():
    res = _read("amapi_devices_list.json")
    s = res.stats
    assert (s.unit, s.read, s.malformed, s.skipped, len(res.observations)) == ("record", 8, 1, 1, 6)
    assert "/devices/0/applicationReports/5: no valid packageName" in s.issues[0].reason
    phone = res.observations[0]
    assert phone.kind == "handset" and phone.source.pointer == "/devices/0"
    assert [(i.value, i.field, i.strength) for i in phone.identifiers] == [
        ("Xiaomi", "amapi:manufacturer", Strength.STRONG), ("Redmi", "amapi:brand", Strength.STRONG)]
    apps = {o.attributes["package"]: o for o in res.observations if o.kind == "app"}
    assert set(apps) == {"com.miui.securitycenter", "com.google.android.gms", "com.tencent.mm", "com.whatsapp"}
    assert apps["com.miui.securitycenter"].attributes["preinstalled"] == "true"
    assert apps["com.miui.securitycenter"].parent == phone.id
    assert apps["com.google.android.gms"].attributes["preinstalled"] == "true"
    assert apps["com.tencent.mm"].attributes["preinstalled"] == "false"
    assert apps["com.whatsapp"].attributes["installer"] == "com.huawei.appmarket"
    assert apps["com.miui.securitycenter"].attributes["signer_sha1"].startswith("b2c5bb87")
    pixel = res.observations[-1]
    assert pixel.kind == "handset" and pixel.attributes["model"] == "Pixel 8"


def test_amapi_other_shapes(tmp_path):
    dev = json.loads((APPS / "amapi_devices_list.json").read_text())["devices"][1]
    one = tmp_path / "one.json"
    one.write_text(json.dumps(dev))
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([dev, dev | {"name": "enterprises/x/devices/2"}]))
    lines = tmp_path / "pages.jsonl"
    lines.write_text(json.dumps({"devices": [dev]}) + "\n" + json.dumps({"devices": [dev | {"name": "b"}]}) + "\n")
    for path, n in ((one, 1), (arr, 2), (lines, 2)):
        reader = detect(path)
        assert reader.format == "android-management"
        res = reader.read(path)
        assert len(res.observations) == n and res.stats.read == n


def test_amapi_truncated_keeps_what_was_read(tmp_path):
    text = (APPS / "amapi_devices_list.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index('"name": "enterprises/LC00abc123/devices/77aa')])
    res = detect(cut).read(cut)
    assert any(o.kind == "handset" for o in res.observations)
    assert res.stats.malformed >= 1 and res.stats.read == len(res.observations) + res.stats.malformed + \
        res.stats.skipped


def test_binary_and_empty_inputs(tmp_path):
    bad = tmp_path / "bin.csv"
    bad.write_bytes(b"ApplicationName,ApplicationVersion\n\x00\x01\x02")
    with pytest.raises(InputError):
        READERS["intune-apps"]().read(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(InputError):
        READERS["jamf-apps"]().read(empty)


def test_long_line_and_bad_utf8(tmp_path, monkeypatch):
    monkeypatch.setenv("NETVET_MAX_LINE_BYTES", "200")
    path = tmp_path / "x.csv"
    path.write_bytes(b"ApplicationName,ApplicationVersion\ncom.a.b,1\n" + b"com.c.d," + b"9" * 500 + b"\n"
                     + b"com.\xff.e,1\ncom.f.g,2\n")
    res = READERS["intune-apps"]().read(path)
    assert [o.attributes["package"] for o in res.observations] == ["com.a.b", "com.f.g"]
    assert [(i.line, i.reason.split(" (")[0]) for i in res.stats.issues] == [
        (3, "line longer than 200 bytes"), (4, "not valid UTF-8")]
    assert res.stats.read == 4


def test_audit_mixes_formats(tmp_path):
    """`audit phone.txt fleet.csv devices.json` reads each input with its own reader."""
    from netvet.pipeline import read_inputs

    pm = tmp_path / "phone1.txt"
    pm.write_text("package:com.tencent.mm\npackage:com.whatsapp\n")
    obs, stats = read_inputs([pm, APPS / "intune_appinvrawdata.csv", APPS / "amapi_devices_list.json"])
    assert [s.format for s in stats] == ["android-packages", "intune-apps", "android-management"]
    assert len(obs) == 2 + 5 + 6
    assert Path(stats[0].file).name == "phone1.txt"
