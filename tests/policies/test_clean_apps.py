"""Clean Store / Clean Apps lines on app evidence: the real `pm list packages` sample, MDM exports and APKs."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from netvet.pipeline import Context, build_report, read_inputs
from netvet.readers.android_packages import AndroidPackagesReader
from tests.conftest import FIXTURES, REPO, shared_file

SAMPLE = "inputs/android_packages/redmi_note9pro_begoniain_pm_list_packages.txt"
APPS = FIXTURES / "apps"


@pytest.fixture(scope="module")
def ctx():
    c = Context.build(["clean-network", "vendor-neutral-risk"], frameworks=["clean-network"])
    assert c.attributor.sdks is not None  # bundled SDK signatures are loaded with the context
    return c


def _report(ctx, paths):
    obs, stats = read_inputs(paths)
    return build_report(ctx, obs, stats)


def _tally(report, policy):
    return Counter((str(f.verdict), tuple(f.rule_ids), tuple(f.controls)) for f in report.findings
                   if f.policy == policy)


def test_real_pm_list_sample_exact_verdicts(ctx):
    rep = _report(ctx, [shared_file(SAMPLE)])
    s = rep.inputs[0]
    assert (s.unit, s.read, s.attributed, s.unattributed) == ("package", 384, 177, 207)
    store, apps = "clean-network:clean-store", "clean-network:clean-apps"
    assert _tally(rep, "clean-network") == Counter({
        ("FAIL", ("clean.prc-jurisdiction", "clean.apps.oem-preinstalled"), (apps,)): 78,  # Xiaomi system packages
        ("FAIL", ("clean.prc-jurisdiction",), (store,)): 8,
        ("FAIL", ("clean.named", "clean.prc-jurisdiction"), (store,)): 3,
        ("PASS", (), (apps,)): 20,  # MediaTek (Taiwan) system packages
        ("PASS", (), (store,)): 68,
        ("UNKNOWN", (), (store,)): 207,
    })
    vnr = Counter(str(f.verdict) for f in rep.findings if f.policy == "vendor-neutral-risk")
    assert vnr == Counter({"PASS": 65, "REVIEW": 112, "UNKNOWN": 207})
    verdict = {f.subject: f for f in rep.findings if f.policy == "clean-network"}
    by_pkg = {o.attributes["package"]: verdict[o.id] for o in rep.observations}
    soter = by_pkg["com.tencent.soter.soterserver"]  # Tencent's biometric service, shipped in the firmware
    assert str(soter.verdict) == "FAIL" and "clean.named" in soter.rule_ids
    assert by_pkg["com.miui.securitycenter"].rule_ids == ["clean.prc-jurisdiction", "clean.apps.oem-preinstalled"]
    assert str(by_pkg["com.whatsapp"].verdict) == "PASS"
    assert str(by_pkg["com.android.settings"].verdict) == "UNKNOWN"  # AOSP names no organisation


def test_mdm_exports(ctx):
    rep = _report(ctx, [APPS / "amapi_devices_list.json", APPS / "intune_appinvrawdata.csv"])
    got = {(f.subject, f.policy): (str(f.verdict), f.rule_ids, f.controls) for f in rep.findings}
    dev = "amapi_devices_list.json#3a9f1c2d4e5b6a7c"
    assert got[(dev, "clean-network")] == ("FAIL", ["clean.prc-jurisdiction"], ["clean-network:clean-apps"])
    assert got[(dev + "/com.whatsapp", "clean-network")] == (
        "FAIL", ["clean.apps.untrusted-store"], ["clean-network:clean-store", "clean-network:clean-apps"])
    assert got[(dev + "/com.whatsapp", "vendor-neutral-risk")][0] == "PASS"  # no nation of origin there
    assert got[(dev + "/com.miui.securitycenter", "clean-network")][1] == [
        "clean.prc-jurisdiction", "clean.apps.oem-preinstalled"]
    assert got[(dev + "/com.google.android.gms", "clean-network")][0] == "PASS"
    assert got[("amapi_devices_list.json#77aa0011bb223344", "clean-network")][0] == "PASS"  # Pixel
    assert got[("intune_appinvrawdata.csv:2", "clean-network")][0] == "FAIL"  # WeChat
    assert got[("intune_appinvrawdata.csv:5", "clean-network")][0] == "PASS"  # Teams, by its publisher
    assert got[("intune_appinvrawdata.csv:6", "clean-network")][0] == "UNKNOWN"  # no rule for com.example
    for s in rep.inputs:
        assert s.balanced()


def test_pm_list_f_marks_preinstalled(ctx, tmp_path):
    p = tmp_path / "phone-f.txt"
    p.write_text("package:/system/priv-app/SecurityCenter/SecurityCenter.apk=com.miui.securitycenter\n"
                 "package:/product/app/Gmail2/Gmail2.apk=com.google.android.gm\n"
                 "package:/data/app/~~a==/com.tencent.mm-b==/base.apk=com.tencent.mm  installer=com.xiaomi.mipicks\n"
                 "package:/mnt/expand/x/app/y/base.apk=com.example.sd\n")
    res = AndroidPackagesReader().read(p)
    assert [o.attributes.get("preinstalled") for o in res.observations] == ["true", "true", "false", None]
    rep = build_report(ctx, res.observations, [res.stats])
    wechat = next(f for f in rep.findings if f.subject.endswith(":3") and f.policy == "clean-network")
    assert wechat.rule_ids == ["clean.named", "clean.prc-jurisdiction", "clean.apps.untrusted-store"]
    assert wechat.controls == ["clean-network:clean-store", "clean-network:clean-apps"]


def test_apk_signer_and_sdks(ctx, tmp_path):
    from tests.readers.test_apk_helpers import build_apk
    from tests.readers.test_apk_reader import _need_androguard

    _need_androguard()
    shop = build_apk(tmp_path, "com.example.shop", ["com.example.shop.Main", "com.igexin.sdk.PushManager",
                                                    "com.google.firebase.analytics.FirebaseAnalytics"],
                     "CN=Shop, O=Example Shop Ltd, C=GB", name="shop")
    signed = build_apk(tmp_path, "com.example.lookalike", ["com.example.lookalike.Main"],
                       "CN=Tencent, O=Tencent, C=CN", name="signed")
    rep = _report(ctx, [shop, signed])
    got = {(f.subject, f.policy): f for f in rep.findings}
    assert str(got[("shop.apk", "clean-network")].verdict) == "UNKNOWN"  # an unknown developer: never PASS
    getui = got[("shop.apk#sdk:getui", "clean-network")]
    assert (str(getui.verdict), getui.rule_ids) == ("REVIEW", ["clean.registry-country"])
    assert getui.controls == ["clean-network:clean-store"]
    assert str(got[("shop.apk#sdk:firebase", "clean-network")].verdict) == "PASS"
    # the signer's certificate outweighs a package name that names nobody
    tencent = got[("signed.apk", "clean-network")]
    assert str(tencent.verdict) == "FAIL" and "clean.named" in tencent.rule_ids
    att = rep.attributions["signed.apk"]
    assert att.entity_id.startswith("tencent") and att.decided_by.identifier.field == "apk:signer-org"
    assert rep.inputs[0].read == 3 and rep.inputs[0].balanced()


def test_store_list_agrees_between_pack_and_framework():
    pack = yaml.safe_load((REPO / "src/netvet/data/policies/clean-network.yaml").read_text())
    fw = yaml.safe_load((REPO / "src/netvet/data/frameworks/clean-network.yaml").read_text())
    rule = next(r for r in pack["rules"] if r["id"] == "clean.apps.untrusted-store")
    control = next(c for c in fw["controls"] if c["id"] == "clean-apps")

    def stores(text):
        return sorted(t.strip(' "\n') for t in text.split("asset.attributes[\"installer\"] in [")[1].split("]")[0]
                      .split(","))

    assert stores(rule["when"]) == stores(control["applies_when"])
    assert "com.huawei.appmarket" in stores(rule["when"])
