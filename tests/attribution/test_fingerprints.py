"""The fingerprint database: the bundled files load and pass their example checks, bad files give exact errors
with file and line, and the fingerprints name the right maker on the texts of every shared sample file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from netvet.attribution.fingerprints import FingerprintDB, load_files
from netvet.attribution.registry import Registry
from netvet.model import TextContext
from netvet.util.yamlfile import DataValidationError
from tests.conftest import FIXTURES, SHARED_DATA, shared_file

FP_FIX = FIXTURES / "fingerprints"


@pytest.fixture(scope="module")
def registry():
    return Registry.load()


@pytest.fixture(scope="module")
def db(registry):
    return FingerprintDB.load(set(registry.entities), registry.sources)


def test_bundled_db_loads_and_is_broad(db, registry):
    assert len(db.fingerprints) >= 150
    assert not db.check_examples()
    assert {fp.spec.entity for fp in db.fingerprints} <= set(registry.entities)
    assert all(fp.spec.source in db.sources for fp in db.fingerprints)
    contexts = {c for fp in db.fingerprints for c in fp.spec.contexts}
    assert contexts == {c.value for c in TextContext}  # every context has fingerprints
    assert db.agent_pen(8072).name == "net-snmp" and db.agent_pen(2011) is None
    assert db.generic_name("IEEE Registration Authority") is not None


def test_every_example_matches_itself_and_no_other_maker(db):
    for fp in db.fingerprints:
        for ex in fp.spec.examples:
            assert fp.match(ex) is not None, (fp.id, ex)
            for c in fp.spec.contexts:
                assert {m.entity for m in db.matches(c, ex)} == {fp.spec.entity}, (fp.id, c, ex)
        for ex in fp.spec.not_examples:
            assert fp.match(ex) is None, (fp.id, ex)


def test_matches_most_specific_first(db):
    found = db.matches("sys-object-id", "1.3.6.1.4.1.2011.2.23.95")
    assert [m.fingerprint.id for m in found] == ["huawei.oid.s-switch", "huawei.oid.products"]
    assert db.matches("sys-object-id", ".1.3.6.1.4.1.25506.11.1.85")[0].entity == "h3c"
    found = db.matches("sys-descr", "HP V1910-48G Switch Software Version 5.20 Release 1111P01")
    assert {m.entity for m in found} == {"h3c"}  # decided: the H3C-made Comware switch, never both


@pytest.mark.parametrize("text", ["S5700", "DS-2", "DS-7000", "AR9331", "random S5700 text", "IPC camera",
                                  "Linux 2.6.32.68 #1 Thu Aug 22 16:38:44 EEST 2019 mips"])
def test_generic_texts_claim_nothing(db, text):
    for c in TextContext:
        assert not db.matches(c.value, text), (c.value, text)


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


BAD = [
    ("unknown-field.yaml", "colour:", "fingerprints[0].colour: unknown field 'colour'"),
    ("unknown-entity.yaml", "- id:", "fingerprint t.unknown-entity: unknown entity 'no-such-maker'"),
    ("unknown-context.yaml", "- id:", "fingerprint t.unknown-context: unknown context(s) sys-desc (known: "),
    ("unknown-source.yaml", "source:", "unknown source 'no-such-source'"),
    ("bad-regex.yaml", "- id:",
     "fingerprint t.bad-regex: pattern does not compile: missing ), unterminated subpattern"),
    ("example-not-matching.yaml", "- id:",
     "fingerprint t.example-not-matching: example 'Cisco IOS Software' does not match its own pattern"),
    ("example-claimed.yaml", "- id:",
     "fingerprint t.claimed: example 'Cisco IOS Software, Lab build' is also claimed by cisco.ios (cisco, "),
    ("not-example-matching.yaml", "- id:",
     "fingerprint t.not-example-matching: not-example 'Quidway S3300' matches its pattern"),
    ("oid-wrong-context.yaml", "- id:",
     "fingerprint t.oid-wrong-context: an oid_prefix fingerprint applies to the sys-object-id context only"),
]


@pytest.mark.parametrize(("name", "where", "message"), BAD)
def test_bad_files_give_exact_errors(registry, name, where, message):
    path = FP_FIX / name
    with pytest.raises(DataValidationError) as exc:
        FingerprintDB.load(set(registry.entities), registry.sources, extra=[path])
    line = _line_of(path, where)
    mine = [str(e) for e in exc.value.errors if e.file == str(path)]
    assert mine, [str(e) for e in exc.value.errors]
    assert mine[0].startswith(f"{path}:{line}: {message}"), mine


def test_duplicate_id(registry):
    path = FP_FIX / "duplicate-id.yaml"
    with pytest.raises(DataValidationError) as exc:
        load_files([path], set(registry.entities), registry.sources)
    assert [str(e) for e in exc.value.errors] == [
        f"{path}:11: duplicate fingerprint id 't.dup' (first in {path}:4)"]


def test_duplicate_across_files_and_sources(registry, tmp_path):
    bundled = Path(__file__).resolve().parents[2] / "src" / "netvet" / "data" / "fingerprints"
    copy = tmp_path / "again.yaml"
    copy.write_text((bundled / "sources.yaml").read_text())
    with pytest.raises(DataValidationError) as exc:
        FingerprintDB.load(set(registry.entities), registry.sources, extra=[copy])
    assert any("duplicate source id 'librenms-os-detection'" in str(e) for e in exc.value.errors)


def test_empty_matching_pattern_rejected(registry, tmp_path):
    f = tmp_path / "empty.yaml"
    f.write_text("schema: 1\nfingerprints:\n  - id: t.any\n    contexts: [sys-descr]\n    pattern: 'x*'\n"
                 "    entity: huawei\n    source: iana-pen\n    as_of: 2026-01-01\n    examples: [xx]\n")
    with pytest.raises(DataValidationError) as exc:
        load_files([f], set(registry.entities), registry.sources)
    assert str(exc.value.errors[0]) == (f"{f}:3: fingerprint t.any: pattern matches the empty string (it would "
                                        "claim every text)")


# ---------------------------------------------------------------------------------------------- shared samples
# TRUTH.tsv maker -> the entity ids a fingerprint may name for that file (decisions noted in the data files).
TRUTH_ENTITIES = {
    "Hikvision": {"hikvision"}, "Cisco": {"cisco"}, "TP-Link": {"tp-link-technologies"}, "Huawei": {"huawei"},
    "H3C": {"h3c"}, "ZTE": {"zte"}, "Ruijie": {"ruijie"}, "FiberHome": {"fiberhome"},
    "DCN (Digital China Networks)": {"dcn"}, "Raisecom": {"raisecom"}, "Lenovo": {"lenovo"},
    "Juniper": {"juniper"}, "Nokia": {"nokia"}, "Ericsson": {"ericsson"}, "MikroTik": {"mikrotik"},
    "Ubiquiti": {"ubiquiti"}, "Fortinet": {"fortinet"}, "HPE (Aruba/ProCurve)": {"hpe"}, "Dell": {"dell"},
    "Axis": {"axis"}, "Arista": {"arista"}, "Sagemcom": {"sagemcom"}, "Apple": {"apple"},
}
AMBIGUOUS = {"HP V1910": {"h3c"}, "FS.com": {"fs-com"}}  # decided: H3C made it; FS.com names itself
# Rows whose evidence is not text a fingerprint applies to (a MAC OUI, Android package names) or whose file
# holds no maker text at all.
NOT_TEXT = {
    "nmap_xml/libnmap_full_sudo6.xml#C0:63:94": None,  # Apple by MAC; its service texts are checked via #vnc
    "nmap_xml/libnmap_full_sudo6.xml#00:1F:3C": "Intel: MAC OUI only",
    "cli_outputs/huawei_vrp_display_mac-address.raw": "a MAC table: no maker text in the output",
}

CLI_CONTEXT = {"version": "cli-version", "inventory": "cli-inventory", "manuinfo": "cli-inventory",
               "device": "cli-inventory", "board": "cli-inventory", "lldp": "lldp-sys-descr",
               "resource": "cli-version"}


def _unhex(value: str) -> str:
    digits = re.sub(r"[^0-9A-Fa-f]", "", value)
    return bytes.fromhex(digits[: len(digits) // 2 * 2]).decode("utf-8", errors="replace")


def _snmprec_texts(path: Path) -> list[tuple[str, str]]:
    """The device's own texts in a snmprec walk, with their contexts (LLDP neighbours are other devices)."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        oid, _, rest = line.partition("|")
        typ, _, value = rest.partition("|")
        if typ == "4x":
            value = _unhex(value)
        elif typ not in ("4", "6"):
            continue
        if not value.strip():
            continue
        oid = oid.lstrip(".")
        if oid == "1.3.6.1.2.1.1.1.0":
            out.append(("sys-descr", value))
        elif oid == "1.3.6.1.2.1.1.2.0":
            out.append(("sys-object-id", value))
        elif re.match(r"1\.3\.6\.1\.2\.1\.47\.1\.1\.1\.1\.2\.", oid):
            out.append(("ent-descr", value))
        elif re.match(r"1\.3\.6\.1\.2\.1\.47\.1\.1\.1\.1\.12\.", oid):
            out.append(("ent-mfg-name", value))
        elif re.match(r"1\.3\.6\.1\.2\.1\.47\.1\.1\.1\.1\.13\.", oid):
            out += [("ent-model-name", value), ("model", value)]
        elif oid == "1.0.8802.1.1.2.1.3.4.0":
            out.append(("lldp-sys-descr", value))
        elif oid == "1.3.6.1.4.1.39165.1.1.0" or re.match(r"1\.2\.840\.10036\.3\.1\.2\.1\.[34]\.", oid):
            out.append(("model", value))  # Hikvision model / IEEE 802.11 product name and version
    return out


def _cli_texts(path: Path) -> list[tuple[str, str]]:
    name = path.name
    context = next((c for key, c in CLI_CONTEXT.items() if key in name), "cli-version")
    text = path.read_text(encoding="utf-8", errors="replace")
    if context == "lldp-sys-descr":  # a neighbour table: each neighbour's own system description
        return [(context, d) for d in re.findall(r"System description\s*:(.*?)\nSystem capabilities", text, re.S)]
    return [(context, text)]


def _nmap_texts(path: Path, fragment: str) -> list[tuple[str, str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    products = re.findall(r'<service [^>]*product="([^"]+)"', text)
    want = {"6C:2E:85": "Sagem", "C0:63:94": "Apple"}.get(fragment)
    return [("nmap-service", p) for p in products if want and want in p]


def _truth_rows():
    base = SHARED_DATA / "inputs" / "TRUTH.tsv"
    if not base.exists():
        return [pytest.param(None, None, id="TRUTH.tsv-missing")]
    with base.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [pytest.param(r["file"], r["vendor_truth"], id=r["file"]) for r in rows if not _without_text(r["file"])]


def _without_text(file: str) -> str:
    """Why a TRUTH.tsv row has no text for a fingerprint to read ('' when it has)."""
    if file.startswith("android_packages/"):
        return "Android package names: identified by package-name rules, not text fingerprints"
    return NOT_TEXT.get(file, "")


def test_rows_without_text_are_the_known_ones():
    """The rows left out of the fingerprint test are exactly the ones NOT_TEXT and the package rule explain."""
    path = shared_file("inputs/TRUTH.tsv")
    with path.open(encoding="utf-8") as fh:
        files = [r["file"] for r in csv.DictReader(fh, delimiter="\t")]
    left_out = {f for f in files if _without_text(f)}
    explained = {f for f, why in NOT_TEXT.items() if why}
    assert left_out == {f for f in files if f.startswith("android_packages/")} | explained
    assert explained <= set(files)  # no stale exclusion
    assert len(files) - len(left_out) == len(_truth_rows())


@pytest.mark.parametrize(("file", "vendor"), _truth_rows())
def test_fingerprints_name_the_maker_of_every_sample(db, file, vendor):
    if file is None:
        shared_file("inputs/TRUTH.tsv")  # fails under CI=true, skips elsewhere
        return
    rel, _, fragment = file.partition("#")
    path = shared_file(f"inputs/{rel}")
    if vendor.startswith("AMBIGUOUS"):
        accepted = next(v for k, v in AMBIGUOUS.items() if k in vendor)
    else:
        accepted = TRUTH_ENTITIES[vendor]
    if rel.endswith(".snmprec"):
        texts = _snmprec_texts(path)
    elif rel.startswith("cli_outputs/"):
        texts = _cli_texts(path)
    else:
        texts = _nmap_texts(path, fragment)
    assert texts, f"no texts read from {rel}"
    claimed = {}
    for context, text in texts:
        for m in db.matches(context, text):
            claimed.setdefault(m.entity, []).append((context, m.fingerprint.id, m.text))
    assert set(claimed) & accepted, f"{rel}: no fingerprint names {accepted}; claimed {claimed}"
    if "lldp_neighbor" in rel:  # the VRP device's neighbours: a Huawei AP and a Cisco switch, each by its own words
        assert set(claimed) == {"huawei", "cisco"}, claimed
    else:
        assert set(claimed) <= accepted, f"{rel}: another maker claimed: {claimed}"


def test_lldp_neighbours_in_samples(db):
    """LLDP remote system descriptions in the walks name the neighbours' makers."""
    path = shared_file("inputs/snmp/librenms_routeros_crs317.snmprec")
    seen = set()
    for line in path.read_text().splitlines():
        oid, _, rest = line.partition("|")
        typ, _, value = rest.partition("|")
        if oid.startswith("1.0.8802.1.1.2.1.4.1.1.10.") and value:
            seen |= {m.entity for m in db.matches("lldp-sys-descr", value)}
    assert seen == {"mikrotik", "cisco"}
    path = shared_file("inputs/snmp/librenms_raisecom-ros.snmprec")
    values = [_unhex(line.split("|")[2]) for line in path.read_text().splitlines()
              if line.startswith("1.0.8802.1.1.2.1.4.1.1.10.") and line.split("|")[1] == "4x"]
    assert values and all({m.entity for m in db.matches("lldp-sys-descr", v)} == {"nokia"} for v in values)
