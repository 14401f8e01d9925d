"""Android package-name rules: loading, file:line errors, segment-boundary matching, the bundled rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvet.attribution.packages import PackageRules, is_package
from netvet.attribution.registry import Registry
from netvet.model import Source
from netvet.util.yamlfile import DataValidationError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
ENTITIES = {"tencent", "xiaomi", "bytedance", "google"}
SOURCES = {"reg-src": Source(id="reg-src", title="A registry source", url="https://example.org/r")}
SAMPLE = "inputs/android_packages/redmi_note9pro_begoniain_pm_list_packages.txt"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load()


@pytest.fixture(scope="module")
def bundled(registry) -> PackageRules:
    return PackageRules.load(set(registry.entities), registry.sources)


def errors_of(name: str) -> list[tuple[int | None, str]]:
    with pytest.raises(DataValidationError) as exc:
        PackageRules.load(ENTITIES, SOURCES, FIX / name)
    assert all(e.file == str(FIX / name) for e in exc.value.errors)
    return [(e.line, e.message) for e in exc.value.errors]


# ------------------------------------------------------------------------------------------ loading
def test_good_fixture_loads_with_file_and_registry_sources():
    rules = PackageRules.load(ENTITIES, SOURCES, FIX / "good.yaml")
    assert len(rules) == 5 and rules.version == "test"
    assert rules.source("s1").url == "https://example.org/s1"
    assert rules.source("reg-src") is SOURCES["reg-src"]  # rules may cite registry sources
    r = rules.match("com.google.android.gms")
    assert (r.prefix, r.entity, r.relation, r.source, str(r.as_of), r.line) == \
        ("com.google.", "google", "developer", "reg-src", "2026-12-07", 10)
    assert r.where() == f"{FIX / 'good.yaml'}:10"


def test_bad_rules_every_error_with_its_line():
    assert errors_of("bad_rules.yaml") == [
        (5, "duplicate source id 's1'"),
        (6, "source id 'reg-src' is already a registry source; cite it without redefining it"),
        (10, "duplicate prefix 'com.tencent.' (first at line 8)"),
        (11, "bad prefix 'com..bad': package-name segments (letters, digits, '_') joined by dots, "
             "optionally ending in '.'"),
        (12, "unknown entity 'no-such-entity' (not in the registry)"),
        (13, "unknown source 'missing-source' (not in this file's sources nor the registry's)"),
        (14, "rules[6].relation: Input should be 'developer' or 'oem-preinstalled'"),
        (15, "rules[7].colour: unknown field 'colour'"),
        (16, "rule 'com.w.' has no examples"),
        (8, "example 'com.tencent.soter.x' of 'com.tencent.' (tencent) is claimed by the longer rule "
            "'com.tencent.soter.' (xiaomi, line 9)"),
        (8, "example 'org.other' is not matched by its rule 'com.tencent.'"),
        (13, "example '9bad' is not a valid package name"),
    ]


def test_bad_syntax_header_and_fields():
    assert errors_of("bad_syntax.yaml") == [(6, "YAML syntax: did not find expected ',' or '}'")]
    assert errors_of("bad_header.yaml") == [(1, "unsupported package-rules schema 2 (this netvet reads 1)")]
    assert errors_of("bad_field.yaml") == [(5, "owner: unknown field 'owner'")]


# ------------------------------------------------------------------------------------------ matching
def test_segment_boundaries_exact_and_longest_prefix():
    rules = PackageRules.load(ENTITIES, SOURCES, FIX / "good.yaml")
    ent = {p: (r.entity, r.prefix) if (r := rules.match(p)) else None for p in (
        "com.ss.android.ugc.aweme", "com.ssomething", "com.ssomething.app", "com.ss", "com.s.s",
        "com.tencent.mm", "com.tencent", "com.tencentx", "com.tencentx.mm", "com.tencent.soter.soterserver",
        "com.tencent.soterx", "com.tencent.soter", "COM.TENCENT.MM", "com.tencent..mm", "com.tencent.mm ", "",
    )}
    assert ent == {
        "com.ss.android.ugc.aweme": ("bytedance", "com.ss."),
        "com.ssomething": None, "com.ssomething.app": None, "com.ss": None, "com.s.s": None,
        "com.tencent.mm": ("tencent", "com.tencent."),
        "com.tencent": ("tencent", "com.tencent"),  # the exact rule; the prefix rule does not match it
        "com.tencentx": None, "com.tencentx.mm": None,
        "com.tencent.soter.soterserver": ("xiaomi", "com.tencent.soter."),  # longest prefix wins
        "com.tencent.soterx": ("tencent", "com.tencent."),
        "com.tencent.soter": ("tencent", "com.tencent."),
        "COM.TENCENT.MM": None,  # package names are case-sensitive
        "com.tencent..mm": None, "com.tencent.mm ": None, "": None,  # not package names
    }
    assert is_package("android") and is_package("com.UCMobile.intl") and not is_package("1com.x")


# ------------------------------------------------------------------------------------------ bundled rules
def test_bundled_rules_load_against_the_registry(bundled, registry):
    assert len(bundled) == 37
    for r in bundled.rules:
        assert r.entity in registry.entities
        assert bundled.source(r.source) is not None and bundled.source(r.source).url.startswith("https://")
        assert r.examples and all(bundled.match(e).entity == r.entity for e in r.examples)


@pytest.mark.parametrize(("package", "entity", "country"), [
    ("com.miui.screenrecorder", "xiaomi", "CN"),
    ("com.miui.securitycenter", "xiaomi", "CN"),
    ("com.intsig.camscanner", "intsig", "CN"),
    ("com.UCMobile.intl", "ucweb", "CN"),
    ("com.whatsapp", "whatsapp", "US"),
])
def test_truth_packages_map_to_their_entity(bundled, registry, package, entity, country):
    rule = bundled.match(package)
    assert rule is not None and rule.entity == entity
    assert registry.jurisdictions(entity)["headquarters"] == country


def test_ucweb_is_alibaba_and_whatsapp_is_meta(registry):
    assert registry.ultimate_parent("ucweb") == "alibaba"
    assert registry.ultimate_parent("whatsapp") == "meta"
    assert registry.ultimate_parent("kingsoft-office") == "kingsoft"


def test_look_alikes_and_unclaimed_namespaces(bundled):
    for package in ("com.cam.scanner.camscanner.documentscanner",  # not INTSIG's CamScanner
                    "com.lenovo.anyshare.gps",  # SHAREit, not Lenovo
                    "com.android.settings", "com.android.vendingx", "com.whatsappx", "com.mediatekx",
                    "com.ssomething", "com.ss.androidx", "com.lemon.lm"):
        assert bundled.match(package) is None, package
    assert bundled.match("com.whatsapp.w4b").entity == "whatsapp"
    assert bundled.match("com.android.vending").entity == "google"
    assert bundled.match("com.mediatek").entity == "mediatek"


def test_real_sample_attribution_counts(bundled, shared):
    packages = [line.strip().split(":", 1)[1] for line in shared(SAMPLE).read_text().splitlines() if line.strip()]
    counts: dict[str | None, int] = {}
    for p in packages:
        r = bundled.match(p)
        counts[r.entity if r else None] = counts.get(r.entity if r else None, 0) + 1
    assert counts == {None: 207, "xiaomi": 83, "google": 57, "mediatek": 20, "meta": 4, "microsoft": 3, "amazon": 3,
                      "kingsoft-office": 2, "whatsapp": 1, "ucweb": 1, "tencent": 1, "bytedance": 1, "intsig": 1}
    # every com.miui.* package of the sample is Xiaomi's (TRUTH.tsv)
    miui = [p for p in packages if p.startswith("com.miui.")]
    assert len(miui) == 53 and {bundled.match(p).entity for p in miui} == {"xiaomi"}
