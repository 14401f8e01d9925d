"""Embedded SDK signatures: loading checks, segment-wise matching, attribution of SDK identifiers."""

from __future__ import annotations

import pytest

from netvet.attribution.registry import Registry
from netvet.attribution.resolve import Attributor
from netvet.attribution.sdk_signatures import SDK_FIELD, SdkSignatures
from netvet.model import AttributionStatus, Identifier, IdKind, Strength
from netvet.util.yamlfile import DataValidationError


@pytest.fixture(scope="module")
def registry():
    return Registry.load()


@pytest.fixture(scope="module")
def sigs(registry):
    return SdkSignatures.load(set(registry.entities), registry.sources)


def test_bundled_file_is_valid_and_cites_sources(sigs):
    assert len(sigs) >= 15
    for sdk in sigs.sdks:
        assert sigs.source(sdk.source) is not None and sigs.source(sdk.source).url.startswith("https://")
        assert sdk.examples
    assert {"tencent-bugly", "umeng", "baidu-mobstat", "getui", "huawei-hms", "pangle", "jpush"} <= \
        {s.id for s in sigs.sdks}


def test_matching_is_segment_wise_and_longest(sigs):
    assert sigs.match("com.tencent.bugly.crashreport.CrashReport")[0].id == "tencent-bugly"
    assert sigs.match("com.tencent.buglyx.Foo") is None
    assert sigs.match("com.tencent.bugly") is None  # a class named like the package is not under it
    assert sigs.match("com.tencent.mm.opensdk.openapi.WXAPIFactory")[0].id == "wechat-opensdk"
    assert sigs.match("com.tencent.mm.ui.LauncherUI") is None  # WeChat's own classes are no SDK
    hits = sigs.scan(["cn.jpush.android.api.JPushInterface", "cn.jiguang.api.JCoreInterface", "a.B"])
    assert [(h.sdk.id, h.classes, h.prefixes) for h in hits] == [("jpush", 2, ["cn.jpush.android", "cn.jiguang"])]


def _write(tmp_path, body: str):
    p = tmp_path / "sdk.yaml"
    p.write_text('schema: 1\nversion: "t"\nsources:\n  - {id: s1, title: T, url: "https://example.org/"}\n'
                 "sdks:\n" + body)
    return p


@pytest.mark.parametrize("body,message", [
    ("  - {id: a, name: A, category: push, prefixes: [com], entity: tencent, source: s1, as_of: 2026-01-01,"
     " examples: [com.A]}\n", "bad prefix 'com'"),
    ("  - {id: a, name: A, category: push, prefixes: [com.a], source: s1, as_of: 2026-01-01, examples: [com.a.B]}\n",
     "either a registry entity or an org"),
    ("  - {id: a, name: A, category: push, prefixes: [com.a], org: X, source: s1, as_of: 2026-01-01,"
     " examples: [com.a.B]}\n", "an org needs its country"),
    ("  - {id: a, name: A, category: push, prefixes: [com.a], entity: nosuch, source: s1, as_of: 2026-01-01,"
     " examples: [com.a.B]}\n", "unknown entity 'nosuch'"),
    ("  - {id: a, name: A, category: push, prefixes: [com.a], entity: tencent, source: nope, as_of: 2026-01-01,"
     " examples: [com.a.B]}\n", "unknown source 'nope'"),
    ("  - {id: a, name: A, category: push, prefixes: [com.a], entity: tencent, source: s1, as_of: 2026-01-01,"
     " examples: [org.x.Y]}\n", "is not matched by the prefixes"),
    ("  - {id: a, name: A, category: push, prefixes: [com.a], entity: tencent, source: s1, as_of: 2026-01-01,"
     " examples: [com.a.b.C]}\n  - {id: b, name: B, category: push, prefixes: [com.a.b], entity: baidu, source: s1,"
     " as_of: 2026-01-01, examples: [com.a.b.D]}\n", "claimed by the longer prefix 'com.a.b'"),
    ("  - {id: a, name: A, category: push, prefixes: [com.a], entity: tencent, source: s1, as_of: 2026-01-01,"
     " examples: [com.a.B]}\n  - {id: b, name: B, category: push, prefixes: [com.a], entity: baidu, source: s1,"
     " as_of: 2026-01-01, examples: [com.a.C]}\n", "already claimed by SDK 'a'"),
    ("  - {id: a, name: A, category: spying, prefixes: [com.a], entity: tencent, source: s1, as_of: 2026-01-01,"
     " examples: [com.a.B]}\n", "category"),
    ("  - {id: a, name: A, category: push, prefixes: [com.a], entity: tencent, source: s1, as_of: 2026-01-01,"
     " examples: [com.a.B], colour: red}\n", "colour"),
])
def test_validation_errors_name_file_and_line(tmp_path, registry, body, message):
    with pytest.raises(DataValidationError) as exc:
        SdkSignatures.load(set(registry.entities), registry.sources, _write(tmp_path, body))
    text = str(exc.value)
    assert message in text and "sdk.yaml:" in text


def test_attribution_of_sdk_identifiers(registry, sigs):
    att = Attributor(registry, sdks=sigs)
    bugly = att.identifier(Identifier(IdKind.PACKAGE, "com.tencent.bugly", SDK_FIELD, Strength.MODERATE))
    assert (bugly.status, bugly.entity_id, bugly.relation, bugly.method) == (
        AttributionStatus.ATTRIBUTED, "tencent", "sdk-vendor", "sdk-signature")
    assert any("bugly-android-guide" in (s.source or "") for s in bugly.chain)
    getui = att.identifier(Identifier(IdKind.PACKAGE, "com.igexin", SDK_FIELD, Strength.MODERATE))
    assert (getui.status, getui.country, getui.entity_id) == (AttributionStatus.REGISTRY_ONLY, "CN", None)
    assert "Getui" in getui.org_name
    # other package identifiers keep the package-prefix rules
    plain = att.identifier(Identifier(IdKind.PACKAGE, "com.tencent.bugly", "pm:package", Strength.MODERATE))
    assert plain.method == "package-prefix"
