"""The APK reader on APKs built in the test run (Debian's aapt, zipalign, apksigner; keytool; a generated dex)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from netvet.model import IdKind, InputError, Strength
from netvet.pipeline import fill_reference
from netvet.readers import READERS, detect, load_all
from netvet.readers.base import Reference
from tests.conftest import FIXTURES
from tests.readers.test_apk_helpers import build_apk, make_dex


def apk_reader():
    """The APK reader as the pipeline makes it: SDK signatures through its reference data."""
    return READERS["android-apk"](reference=fill_reference(Reference()))


def _need_androguard():
    try:
        import androguard  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("androguard missing: the test extra installs it")
        pytest.skip("androguard not installed (pip install 'netvet[apps]')")


@pytest.fixture(scope="module")
def apks(tmp_path_factory):
    load_all()
    tmp = tmp_path_factory.mktemp("apks")
    return {
        "sdks": build_apk(tmp, "com.example.shop", [
            "com.example.shop.MainActivity", "com.tencent.bugly.crashreport.CrashReport",
            "com.tencent.bugly.crashreport.BuglyLog", "com.umeng.commonsdk.UMConfigure",
            "cn.jiguang.api.JCoreInterface",
            "cn.jpush.android.api.JPushInterface", "com.google.firebase.analytics.FirebaseAnalytics",
            "com.tencent.buglyx.NotBugly"], "CN=Example Shop, O=Example Shop Ltd, C=GB", name="shop"),
        "clean": build_apk(tmp, "com.example.notes", ["com.example.notes.Main"],
                           "CN=Notes, O=Example Notes GmbH, C=DE", name="notes"),
        "tencent": build_apk(tmp, "com.example.lookalike", ["com.example.lookalike.Main"],
                             "CN=Tencent, OU=Tencent, O=Tencent, L=Shenzhen, C=CN", name="tencent-signed"),
        "debug": build_apk(tmp, "com.tencent.mm", ["com.tencent.mm.ui.LauncherUI"],
                           "CN=Android Debug, O=Android, C=US", name="debug"),
        "unsigned": build_apk(tmp, "com.example.unsigned", ["com.example.unsigned.A"], None, name="unsigned"),
    }


def test_detected_by_content_not_name(apks, tmp_path):
    renamed = tmp_path / "upload.bin"
    renamed.write_bytes(apks["sdks"].read_bytes())
    assert detect(renamed).format == "android-apk"
    plain = tmp_path / "plain.apk"  # a ZIP without AndroidManifest.xml is not an APK, whatever its name
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("hello.txt", "hi")
    assert not READERS["android-apk"]().sniff(plain, plain.read_bytes()[:4096])


def test_apk_reader_claims_no_other_fixture():
    reader = READERS["android-apk"]()
    for path in FIXTURES.rglob("*"):
        if path.is_file() and path.name != "fuzz_seed.apk":  # the fuzz seed is an APK (tests/fuzz/seeds.py)
            assert not reader.sniff(path, path.read_bytes()[:4096]), path


def test_package_signer_and_sdks(apks):
    _need_androguard()
    res = apk_reader().read(apks["sdks"])
    app, *sdks = res.observations
    assert app.kind == "app" and app.id == "shop.apk" and app.parent is None
    assert [(i.kind, i.value, i.field, i.strength) for i in app.identifiers] == [
        (IdKind.PACKAGE, "com.example.shop", "apk:package", Strength.MODERATE),
        (IdKind.NAME, "Example Shop Ltd", "apk:signer-org", Strength.STRONG)]
    a = app.attributes
    assert a["signer_subject"] == "CN=Example Shop, O=Example Shop Ltd, C=GB"
    assert a["signer_org"] == "Example Shop Ltd" and a["signer_country"] == "GB"
    assert len(a["signer_sha256"]) == 64 and len(a["signer_sha1"]) == 40
    assert "v2" in a["signature_schemes"].split(",")
    assert a["sdks"] == "firebase,jpush,tencent-bugly,umeng" and a["classes"] == "8" and a["dex_files"] == "1"
    assert [(o.kind, o.id, o.parent) for o in sdks] == [
        ("sdk", "shop.apk#sdk:firebase", "shop.apk"), ("sdk", "shop.apk#sdk:jpush", "shop.apk"),
        ("sdk", "shop.apk#sdk:tencent-bugly", "shop.apk"), ("sdk", "shop.apk#sdk:umeng", "shop.apk")]
    bugly = sdks[2]
    assert bugly.attributes["classes"] == "2"  # com.tencent.buglyx.NotBugly is not Bugly
    assert [(i.kind, i.value, i.field) for i in bugly.identifiers] == [(IdKind.PACKAGE, "com.tencent.bugly",
                                                                       "apk:sdk")]
    jpush = sdks[1]
    assert jpush.attributes["class_prefixes"] == "cn.jiguang,cn.jpush.android" and jpush.attributes["classes"] == "2"
    s = res.stats
    assert (s.unit, s.read, s.malformed, s.damaged) == ("component", 5, 0, 0)


def test_signer_fingerprint_matches_apksigner(apks):
    _need_androguard()
    from tests.readers.test_apk_helpers import tool

    out = subprocess.run([tool("apksigner"), "verify", "--print-certs", str(apks["clean"])], capture_output=True,
                         text=True, check=True).stdout
    expected = next(line.split(":")[-1].strip() for line in out.splitlines() if "SHA-256 digest" in line)
    res = apk_reader().read(apks["clean"])
    assert res.observations[0].attributes["signer_sha256"] == expected
    assert len(res.observations) == 1 and res.observations[0].attributes["sdks"] == ""


def test_debug_key_names_no_developer(apks):
    _need_androguard()
    res = apk_reader().read(apks["debug"])
    app = res.observations[0]
    assert [i.field for i in app.identifiers] == ["apk:package"]
    assert app.attributes["signer_generic"] == "true"
    assert any("generic Android key" in i.reason for i in res.stats.issues)


def test_unsigned_apk(apks):
    _need_androguard()
    res = apk_reader().read(apks["unsigned"])
    assert res.observations[0].attributes["signed"] == "false"
    assert any("unsigned APK" in i.reason for i in res.stats.issues)


def test_damaged_dex_is_damage_not_failure(apks, tmp_path):
    _need_androguard()
    src = apks["clean"]
    bad = tmp_path / "bad.apk"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "classes.dex":
                data = data[:0x70] + b"\xff" * 16  # tables point past the end
            zout.writestr(info, data)
        zout.writestr("classes2.dex", make_dex(["com.umeng.analytics.MobclickAgent"]))
    res = apk_reader().read(bad)
    assert res.stats.damaged == 1 and "classes.dex: damaged dex file" in res.stats.issues[0].reason
    assert [o.id for o in res.observations] == ["bad.apk", "bad.apk#sdk:umeng"]


def test_not_an_apk_is_an_input_error(tmp_path):
    _need_androguard()
    fake = tmp_path / "fake.apk"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("AndroidManifest.xml", b"\x00\x01garbage")
    with pytest.raises(InputError):
        apk_reader().read(fake)


def test_missing_androguard_says_which_extra(apks, monkeypatch):
    monkeypatch.setitem(sys.modules, "androguard.core.apk", None)  # import fails as if not installed
    with pytest.raises(InputError) as exc:
        apk_reader().read(apks["clean"])
    assert "extra 'apps'" in exc.value.issue.reason and "androguard" in exc.value.issue.reason


def test_cli_audit_without_androguard_no_traceback(apks, tmp_path):
    """The CLI reports the missing extra as an input error (exit 2), never a traceback."""
    script = ("import sys; sys.modules['androguard.core.apk'] = None; sys.argv = ['netvet', 'audit', sys.argv[1]];"
              "from netvet.cli import run; run()")
    res = subprocess.run([sys.executable, "-c", script, str(apks["clean"])], capture_output=True, text=True,
                         env={**os.environ, "NETVET_HOME": str(tmp_path)})
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "extra 'apps'" in res.stdout + res.stderr


def test_without_sdk_signatures_no_sdk_is_looked_for(apks):
    _need_androguard()
    res = READERS["android-apk"]().read(apks["sdks"])
    assert [o.kind for o in res.observations] == ["app"] and res.stats.read == 1
    assert [i.reason for i in res.stats.issues if "SDK signatures" in i.reason] == [
        "no SDK signatures given (reference data): embedded SDKs not looked for"]
