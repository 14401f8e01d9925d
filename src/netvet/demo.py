"""A deterministic sample network for `netvet demo` (clearly labelled sample data, not a real network).

A campus (headquarters, a lab, a branch) and an operator core (two points of presence and a RAN site):
switches, routers, radios, cameras, phones, servers, firewalls, home routers and modems from many vendors
and countries. MAC addresses are drawn from the real IEEE blocks of each vendor so that attribution works
the way it does on real evidence; a few devices carry deliberately awkward evidence (randomised MACs, a
modem inside a router, a relabelled camera, an uncurated vendor, weak hints only). A second file is a mobile
operator spread over six countries (UK, Germany, France, Sweden, Japan, US) with network domains, technology,
installation dates and recorded approvals, for the national packs and `netvet timeline`.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

SEED = 20200805  # the day the Clean Network lines were announced

COLUMNS = ["hostname", "ip", "mac", "vendor", "model", "serial", "role", "site", "kind", "sys_object_id", "brand"]


@dataclass(frozen=True)
class Spec:
    """``count`` devices of one kind from one vendor at one site."""

    site: str
    kind: str
    vendor: str
    model: str
    count: int
    role: str = ""
    pen_suffix: str = ""  # sysObjectID = 1.3.6.1.4.1.<PEN>.<suffix> when the vendor has a PEN
    mac_vendor: str | None = None  # NIC maker when it differs (modules)
    brand: str = ""
    vendor_column: bool = True  # False: only the MAC tells who made it


SPECS: list[Spec] = [
    # --- campus headquarters
    Spec("campus-hq", "switch", "Cisco", "C9300-48P", 24, "office", "1.2494"),
    Spec("campus-hq", "switch", "Juniper Networks", "EX4400-48P", 8, "office", "1.1.1.2.190"),
    Spec("campus-hq", "switch", "Huawei", "S5735-L48P4X", 6, "office", "2.23.612"),
    Spec("campus-hq", "switch", "H3C", "S6520X-54QC-EI", 4, "office", "1.1.1.2.1"),
    Spec("campus-hq", "wireless-ap", "Aruba", "AP-535", 20, "office", "2.1.1"),
    Spec("campus-hq", "wireless-ap", "Ubiquiti", "U6-Pro", 6, "office"),
    Spec("campus-hq", "wireless-ap", "Ruijie", "RG-AP820-L", 4, "office"),
    Spec("campus-hq", "firewall", "Fortinet", "FortiGate-600F", 2, "critical-infrastructure", "1.101.1"),
    Spec("campus-hq", "firewall", "Palo Alto Networks", "PA-3410", 2, "critical-infrastructure"),
    Spec("campus-hq", "ip-phone", "Cisco", "CP-8845", 30, "office"),
    Spec("campus-hq", "camera", "Axis", "P3265-LVE", 10, "physical-security"),
    Spec("campus-hq", "camera", "Hikvision", "DS-2CD2185FWD-I", 8, "physical-security"),
    Spec("campus-hq", "camera", "Hikvision", "DS-2CD2143G2-I", 4, "office"),
    Spec("campus-hq", "camera", "Dahua", "IPC-HFW2431S", 6, ""),
    Spec("campus-hq", "camera", "Bosch", "FLEXIDOME 5100i", 6, "physical-security"),
    Spec("campus-hq", "camera", "Hanwha Vision", "XNV-8082R", 4, "physical-security"),
    Spec("campus-hq", "camera", "Lorex", "E841CA", 3, "", brand="Lorex"),
    Spec("campus-hq", "server", "Dell", "PowerEdge R760", 12, "critical-infrastructure"),
    Spec("campus-hq", "server", "Lenovo", "ThinkSystem SR650 V3", 6, "office"),
    Spec("campus-hq", "server", "Inspur", "NF5280M6", 4, "lab"),
    Spec("campus-hq", "server", "Hewlett Packard Enterprise", "ProLiant DL380 Gen11", 6, "critical-infrastructure"),
    Spec("campus-hq", "laptop", "", "", 8, "office", vendor_column=False),  # randomised MACs only
    # --- lab
    Spec("campus-lab", "switch", "MikroTik", "CRS326-24G-2S+", 3, "lab"),
    Spec("campus-lab", "router", "TP-Link", "Archer AX55", 3, "lab"),
    Spec("campus-lab", "consumer-router", "Netgear", "RAX50", 2, "lab"),
    Spec("campus-lab", "camera", "Uniview", "IPC2124LB-SF28KM-G", 3, "lab"),
    Spec("campus-lab", "sensor", "", "", 4, "lab", vendor_column=False),  # uncurated IEEE vendors
    # --- branch
    Spec("branch-1", "router", "Cisco", "ISR1111-8P", 2, "office", "1.2593", mac_vendor="Quectel"),
    Spec("branch-1", "switch", "TP-Link", "TL-SG3428", 4, "office"),
    Spec("branch-1", "consumer-router", "TP-Link", "Archer AX21", 2, "office"),
    Spec("branch-1", "camera", "Dahua", "IPC-HDBW2431E", 4, "physical-security"),
    Spec("branch-1", "radio", "Hytera", "PD985", 6, "public-safety"),
    Spec("branch-1", "radio", "Motorola Solutions", "APX 8000", 6, "public-safety"),
    Spec("branch-1", "ip-phone", "Cisco", "CP-7841", 10, "office"),
    # --- operator core, two PoPs and a RAN site
    Spec("core-pop-1", "router", "Juniper Networks", "MX960", 4, "critical-infrastructure", "1.1.1.2.25"),
    Spec("core-pop-1", "router", "Nokia", "7750 SR-7s", 4, "critical-infrastructure", "2.1.1"),
    Spec("core-pop-1", "router", "Huawei", "NE40E-X8A", 4, "critical-infrastructure", "2.62.2.5"),
    Spec("core-pop-1", "optical", "Ciena", "6500 T-Series", 4, "critical-infrastructure"),
    Spec("core-pop-1", "switch", "Arista", "7280R3", 6, "critical-infrastructure", "1.2.3"),
    Spec("core-pop-1", "server", "Hewlett Packard Enterprise", "ProLiant DL360 Gen11", 8, "critical-infrastructure"),
    Spec("core-pop-2", "router", "Cisco", "ASR 9906", 4, "critical-infrastructure", "1.2658"),
    Spec("core-pop-2", "router", "ZTE", "ZXR10 M6000-8S", 4, "critical-infrastructure", "1.3.1"),
    Spec("core-pop-2", "optical", "FiberHome", "FONST 6000", 2, "critical-infrastructure"),
    Spec("core-pop-2", "optical", "Nokia", "1830 PSS", 2, "critical-infrastructure", "2.2.1"),
    Spec("core-pop-2", "switch", "Arista", "7050X3", 4, "critical-infrastructure", "1.2.3"),
    Spec("ran-site-a", "ran-baseband", "Ericsson", "Baseband 6648", 6, "critical-infrastructure"),
    Spec("ran-site-a", "ran-baseband", "Nokia", "AirScale", 4, "critical-infrastructure"),
    Spec("ran-site-a", "ran-baseband", "Samsung", "vRAN CDU", 2, "critical-infrastructure"),
    Spec("ran-site-a", "ran-baseband", "Huawei", "BBU5900", 4, "critical-infrastructure"),
    Spec("ran-site-a", "ran-radio", "NEC", "Open RAN RU", 4, "critical-infrastructure"),
    Spec("ran-site-a", "ran-radio", "Fujitsu", "1FINITY RU", 4, "critical-infrastructure"),
    Spec("ran-site-a", "ran-baseband", "ZTE", "V9200", 2, "critical-infrastructure"),
    Spec("ran-site-a", "camera", "Hikvision", "DS-2CD2T87G2-L", 2, "critical-infrastructure"),
    Spec("ran-site-a", "modem", "Quectel", "RM500Q-GL", 4, "critical-infrastructure"),
    Spec("ran-site-a", "modem", "Fibocom", "FM150-AE", 2, ""),
]

# Registry names of makers no curated entity covers, for the "registry-only" sensors (real IEEE names).
_UNCURATED_HINT = ("ESPRESSIF", "SHENZHEN", "MURATA", "AZUREWAVE", "WISTRON", "TEXAS INSTRUMENTS")
_SUBNETS = {"campus-hq": "10.10", "campus-lab": "10.20", "branch-1": "10.30", "core-pop-1": "10.100",
            "core-pop-2": "10.101", "ran-site-a": "10.110"}


def _blocks_by_entity(macs, registry) -> dict[str, list[int]]:
    """24-bit MA-L blocks per entity whose curated registry names claim the block's organisation."""
    out: dict[str, list[int]] = {}
    for block in macs.iter_blocks(24):
        hits = registry.registry_index.match(block.org)
        if len(hits) == 1:
            out.setdefault(hits[0].entity_id, []).append(block.value)
    return {k: sorted(v) for k, v in out.items()}


def _uncurated_blocks(macs, registry) -> list[tuple[int, str]]:
    out = []
    for block in macs.iter_blocks(24):
        if block.org.upper().startswith(_UNCURATED_HINT) and not registry.registry_index.match(block.org):
            out.append((block.value, block.org))
    return sorted(out)[:50]


def _mac(prefix: int, rng: random.Random) -> str:
    value = (prefix << 24) | rng.randrange(1 << 24)
    return ":".join(f"{(value >> s) & 0xFF:02x}" for s in range(40, -8, -8))


def _random_local_mac(rng: random.Random) -> str:
    first = (rng.randrange(256) & 0xFC) | 0x02  # locally administered, unicast
    return ":".join(f"{b:02x}" for b in [first] + [rng.randrange(256) for _ in range(5)])


def generate(registry, macs, out_dir: Path) -> Path:
    """Write the sample inventory CSV into ``out_dir``; same output for the same registry and MAC data."""
    rng = random.Random(SEED)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "sample-inventory.csv"
    by_entity = _blocks_by_entity(macs, registry)
    uncurated = _uncurated_blocks(macs, registry)
    host_no: dict[str, int] = {}
    rows = []
    for spec in SPECS:
        mac_maker = spec.mac_vendor or spec.vendor
        maker = registry.lookup(mac_maker) if mac_maker else None
        blocks = by_entity.get(maker.id, []) if maker is not None else []
        entity = registry.lookup(spec.vendor) if spec.vendor else None
        pen = entity.pens[0].value if entity is not None and entity.pens else None
        for _ in range(spec.count):
            n = host_no[spec.site] = host_no.get(spec.site, 0) + 1
            if spec.kind == "sensor" and uncurated:
                prefix, _org = uncurated[rng.randrange(len(uncurated))]
                mac = _mac(prefix, rng)
            elif blocks:
                mac = _mac(blocks[rng.randrange(len(blocks))], rng)
            else:
                mac = _random_local_mac(rng)
            rows.append({
                "hostname": f"{spec.site}-{spec.kind}-{n:03d}",
                "ip": f"{_SUBNETS[spec.site]}.{n // 250}.{n % 250 + 1}",
                "mac": mac,
                "vendor": spec.vendor if spec.vendor_column else "",
                "model": spec.model,
                "serial": f"SN{rng.randrange(10**9):09d}" if spec.vendor else "",
                "role": spec.role,
                "site": spec.site,
                "kind": spec.kind,
                "sys_object_id": f"1.3.6.1.4.1.{pen}.{spec.pen_suffix}" if pen and spec.pen_suffix else "",
                "brand": spec.brand,
            })
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


# --- an operator network spread over six countries (SAMPLE DATA): the same kind of evidence under US, UK, German,
# French, Swedish and Japanese rules (`netvet compare ... -p uk-designated-vendors -p de-critical-components ...`).
OPERATOR_COLUMNS = ["hostname", "ip", "mac", "vendor", "model", "serial", "role", "site", "kind", "domain",
                    "technology", "operator", "country", "installed", "approval", "approved_until"]


@dataclass(frozen=True)
class OpSpec:
    """``count`` elements of one vendor in one domain of one country's operator."""

    country: str
    site: str
    kind: str
    vendor: str
    model: str
    count: int
    domain: str
    technology: str = ""
    installed: str = ""
    approval: str = ""
    approved_until: str = ""


OPERATOR_SPECS: list[OpSpec] = [
    # United Kingdom: Huawei above 35 % of the RAN and of the fibre access, still in the core in this sample
    OpSpec("GB", "uk-core", "router", "Huawei", "NE40E-X8A", 2, "core", "5g", "2019-03-01"),
    OpSpec("GB", "uk-core", "router", "Ericsson", "Router 6675", 2, "core", "5g", "2021-05-01"),
    OpSpec("GB", "uk-ran", "ran-baseband", "Huawei", "BBU5900", 5, "ran", "5g", "2019-09-01"),
    OpSpec("GB", "uk-ran", "ran-baseband", "Ericsson", "Baseband 6648", 6, "ran", "5g", "2021-05-01"),
    OpSpec("GB", "uk-ran", "ran-baseband", "Nokia", "AirScale", 3, "ran", "5g", "2022-02-01"),
    OpSpec("GB", "uk-access", "olt", "Huawei", "MA5800-X17", 3, "access", "fibre", "2018-06-01"),
    OpSpec("GB", "uk-access", "olt", "Nokia", "Lightspan MF-14", 5, "access", "fibre", "2021-06-01"),
    OpSpec("GB", "uk-core", "optical", "Huawei", "OptiX OSN 9800", 2, "transport", "", "2018-06-01"),
    # Germany: Huawei and ZTE in the core (out by 2026) and in management (2029)
    OpSpec("DE", "de-core", "router", "Huawei", "NE40E-X8A", 2, "core", "5g", "2019-11-01"),
    OpSpec("DE", "de-core", "router", "ZTE", "ZXR10 M6000-8S", 1, "core", "5g", "2019-11-01"),
    OpSpec("DE", "de-core", "router", "Nokia", "7750 SR-7s", 3, "core", "5g", "2020-03-01"),
    OpSpec("DE", "de-ran", "ran-baseband", "Huawei", "BBU5900", 6, "ran", "5g", "2020-02-01"),
    OpSpec("DE", "de-ran", "ran-baseband", "Ericsson", "Baseband 6648", 4, "ran", "5g", "2021-02-01"),
    OpSpec("DE", "de-noc", "server", "Huawei", "iMaster NCE", 1, "management", "5g", "2020-02-01"),
    OpSpec("DE", "de-core", "optical", "ZTE", "ZXONE 9700", 2, "transport", "", "2019-11-01"),
    # France: authorisations recorded with their terms
    OpSpec("FR", "fr-ran", "ran-radio", "Huawei", "AAU5613", 2, "ran", "5g", "2020-09-01", "ANSSI-A", "2025-07-31"),
    OpSpec("FR", "fr-ran", "ran-radio", "Huawei", "AAU5613", 2, "ran", "5g", "2020-09-01", "ANSSI-B", "2028-07-31"),
    OpSpec("FR", "fr-ran", "ran-radio", "Nokia", "AirScale", 4, "ran", "5g", "2020-09-01", "ANSSI-C", "2028-08-31"),
    OpSpec("FR", "fr-core", "router", "Nokia", "7750 SR-7s", 2, "core", "5g", "2020-09-01"),
    OpSpec("FR", "fr-core", "router", "Huawei", "NE40E-X8A", 1, "core", "5g", "2019-01-01"),
    # Sweden: legacy Huawei radio and a ZTE management system (out by 1 Jan 2025)
    OpSpec("SE", "se-core", "router", "Ericsson", "Router 6675", 2, "core", "5g", "2020-06-01"),
    OpSpec("SE", "se-ran", "ran-baseband", "Ericsson", "Baseband 6648", 6, "ran", "5g", "2021-04-01"),
    OpSpec("SE", "se-ran", "ran-baseband", "Nokia", "AirScale", 2, "ran", "5g", "2021-04-01"),
    OpSpec("SE", "se-ran", "ran-baseband", "Huawei", "BBU5900", 2, "ran", "5g", "2019-08-01"),
    OpSpec("SE", "se-noc", "server", "ZTE", "ZENIC ONE", 1, "management", "", "2018-05-01"),
    # Japan: plans registered for some critical facilities, not for others
    OpSpec("JP", "jp-core", "router", "NEC", "UNIVERGE IX", 2, "core", "5g", "2024-09-01", "PLAN-2024-017"),
    OpSpec("JP", "jp-core", "router", "Fujitsu", "1FINITY", 2, "core", "5g", "2024-09-01"),
    OpSpec("JP", "jp-ran", "ran-radio", "NEC", "Open RAN RU", 4, "ran", "5g", "2021-03-01"),
    OpSpec("JP", "jp-ran", "ran-baseband", "Samsung", "vRAN CDU", 2, "ran", "5g", ""),
    OpSpec("JP", "jp-core", "optical", "Fujitsu", "1FINITY T600", 2, "transport", "", "2020-03-01"),
    # United States: a rural carrier still replacing ZTE radio
    OpSpec("US", "us-core", "router", "Cisco", "ASR 9906", 2, "core", "5g", "2020-01-01"),
    OpSpec("US", "us-core", "router", "Juniper Networks", "MX960", 2, "core", "5g", "2020-01-01"),
    OpSpec("US", "us-ran", "ran-baseband", "Ericsson", "Baseband 6648", 4, "ran", "5g", "2021-01-01"),
    OpSpec("US", "us-ran", "ran-baseband", "Samsung", "vRAN CDU", 2, "ran", "5g", "2022-01-01"),
    OpSpec("US", "us-ran", "ran-baseband", "ZTE", "V9200", 1, "ran", "4g", "2017-01-01"),
]


def generate_operator(registry, macs, out_dir: Path) -> Path:
    """Write the sample operator network (six countries) into ``out_dir``; deterministic."""
    rng = random.Random(SEED + 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "sample-operator-network.csv"
    by_entity = _blocks_by_entity(macs, registry)
    host_no: dict[str, int] = {}
    rows = []
    for spec in OPERATOR_SPECS:
        maker = registry.lookup(spec.vendor)
        blocks = by_entity.get(maker.id, []) if maker is not None else []
        for _ in range(spec.count):
            n = host_no[spec.site] = host_no.get(spec.site, 0) + 1
            cc = spec.country.lower()
            rows.append({
                "hostname": f"{spec.site}-{spec.kind}-{n:03d}",
                "ip": f"10.{200 + OPERATOR_SPECS.index(spec) % 50}.{n // 250}.{n % 250 + 1}",
                "mac": _mac(blocks[rng.randrange(len(blocks))], rng) if blocks else _random_local_mac(rng),
                "vendor": spec.vendor, "model": spec.model, "serial": f"SN{rng.randrange(10**9):09d}",
                "role": "core" if spec.domain == "core" else "", "site": spec.site, "kind": spec.kind,
                "domain": spec.domain, "technology": spec.technology, "operator": f"sample-op-{cc}",
                "country": spec.country, "installed": spec.installed, "approval": spec.approval,
                "approved_until": spec.approved_until,
            })
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=OPERATOR_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


# --- a phone fleet (SAMPLE DATA): `adb shell pm list packages -f -i` of four handsets of different makers, with
# the makers' pre-installed system packages (firmware partitions) and apps installed from a store (under /data).
# File names start with SAMPLE-DATA; the format has no room for a header line (every line is a package).
PHONE_DIR = "SAMPLE-DATA-phones"

# (file stem, [(APK path or None for /data/app, package, installer)])
PHONES: list[tuple[str, list[tuple[str | None, str, str]]]] = [
    ("xiaomi-redmi-note-13", [
        ("/system/priv-app/MiuiHome/MiuiHome.apk", "com.miui.home", "null"),
        ("/system/app/MiuiGallery/MiuiGallery.apk", "com.miui.gallery", "null"),
        ("/product/priv-app/SecurityCenter/SecurityCenter.apk", "com.miui.securitycenter", "null"),
        ("/product/app/MIUIAppStore/MIUIAppStore.apk", "com.xiaomi.market", "null"),
        ("/product/priv-app/GmsCore/GmsCore.apk", "com.google.android.gms", "null"),
        ("/system/app/Settings/Settings.apk", "com.android.settings", "null"),
        (None, "com.tencent.mm", "com.xiaomi.market"),
        (None, "com.whatsapp", "com.android.vending"),
        (None, "com.zhiliaoapp.musically", "com.android.vending"),
    ]),
    ("huawei-nova-12", [
        ("/system/priv-app/HwLauncher6/HwLauncher6.apk", "com.huawei.android.launcher", "null"),
        ("/system/priv-app/HwAppMarket/HwAppMarket.apk", "com.huawei.appmarket", "null"),
        ("/hw_product/app/HwCamera2/HwCamera2.apk", "com.huawei.camera", "null"),
        ("/system/app/Settings/Settings.apk", "com.android.settings", "null"),
        (None, "com.tencent.mm", "com.huawei.appmarket"),
        (None, "cn.wps.moffice_eng", "com.huawei.appmarket"),
        (None, "com.microsoft.teams", "com.huawei.appmarket"),
    ]),
    ("samsung-galaxy-s24", [
        ("/system/priv-app/SamsungMessages/SamsungMessages.apk", "com.samsung.android.messaging", "null"),
        ("/system/priv-app/SamsungCamera/SamsungCamera.apk", "com.sec.android.app.camera", "null"),
        ("/product/priv-app/GmsCore/GmsCore.apk", "com.google.android.gms", "null"),
        ("/product/priv-app/Phonesky/Phonesky.apk", "com.android.vending", "null"),
        (None, "com.whatsapp", "com.android.vending"),
        (None, "com.alibaba.aliexpresshd", "com.android.vending"),
        (None, "com.intsig.camscanner", "com.android.vending"),
    ]),
    ("google-pixel-8", [
        ("/product/priv-app/Phonesky/Phonesky.apk", "com.android.vending", "null"),
        ("/product/priv-app/GmsCore/GmsCore.apk", "com.google.android.gms", "null"),
        ("/product/app/Photos/Photos.apk", "com.google.android.apps.photos", "null"),
        ("/product/app/Chrome/Chrome.apk", "com.android.chrome", "null"),
        (None, "com.microsoft.teams", "com.android.vending"),
        (None, "com.facebook.katana", "com.android.vending"),
        (None, "com.zhiliaoapp.musically", "com.android.vending"),
        (None, "org.example.sideloaded", "null"),  # sideloaded: no store, no maker known
    ]),
]


def generate_phones(out_dir: Path) -> list[Path]:
    """Write one `pm list packages -f -i` output per sample handset into ``out_dir/SAMPLE-DATA-phones``."""
    rng = random.Random(SEED + 2)
    folder = out_dir / PHONE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, packages in PHONES:
        lines = []
        for apk, package, installer in packages:
            if apk is None:
                token = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                                for _ in range(22))
                apk = f"/data/app/~~{token[:11]}==/{package}-{token[11:]}==/base.apk"
            lines.append(f"package:{apk}={package}  installer={installer}")
        path = folder / f"SAMPLE-DATA-{stem}-pm-list-packages.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# --- the cables of the demo country (SAMPLE DATA): a tiny synthetic cable map in the layout of the open submarine
# cable map data (cable/<id>.json, cable/cable-geo.json, landing-point/landing-point-geo.json) that
# readers/cables.py reads. Invented cables with real company names as owners and suppliers; no TeleGeography data.
CABLE_DIR = "SAMPLE-DATA-cables"
CABLE_COUNTRY = "US"
CABLE_NOTE = "SAMPLE DATA generated by `netvet demo`: invented cables, not the submarine cable map"

_POINTS = {  # id: (name, country, lon, lat)
    "sample-hermosa-beach-us": ("Hermosa Beach, CA, United States (sample)", "United States", -118.40, 33.86),
    "sample-virginia-beach-us": ("Virginia Beach, VA, United States (sample)", "United States", -75.98, 36.85),
    "sample-boca-raton-us": ("Boca Raton, FL, United States (sample)", "United States", -80.08, 26.36),
    "sample-shima-jp": ("Shima, Japan (sample)", "Japan", 136.84, 34.33),
    "sample-tseung-kwan-o-hk": ("Tseung Kwan O, Hong Kong (sample)", "Hong Kong", 114.26, 22.31),
    "sample-bilbao-es": ("Bilbao, Spain (sample)", "Spain", -2.93, 43.26),
    "sample-nassau-bs": ("Nassau, Bahamas (sample)", "Bahamas", -77.35, 25.06),
    "sample-lysekil-se": ("Lysekil, Sweden (sample)", "Sweden", 11.43, 58.27),
    "sample-sylt-de": ("Sylt, Germany (sample)", "Germany", 8.31, 54.90),
}
# (id, name, landing points, owners, suppliers, RFS year, planned)
CABLES: list[tuple[str, str, list[str], str, str, int, bool]] = [
    ("sample-pacific-light", "SAMPLE Pacific Light", ["sample-hermosa-beach-us", "sample-shima-jp"],
     "China Telecom, Google, Arelion (formerly Telia Carrier)", "HMN Tech", 2021, False),
    ("sample-atlantic-crossing", "SAMPLE Atlantic Crossing", ["sample-virginia-beach-us", "sample-bilbao-es"],
     "Google, Microsoft", "SubCom", 2022, False),
    ("sample-harbour-express", "SAMPLE Harbour Express",
     ["sample-hermosa-beach-us", "sample-tseung-kwan-o-hk"], "PCCW, Amazon", "NEC", 2027, True),
    ("sample-caribbean-loop", "SAMPLE Caribbean Loop", ["sample-boca-raton-us", "sample-nassau-bs"],
     "Islands Sample Cable Ltd", "Alcatel Submarine Networks", 2019, False),
    ("sample-nordic-bridge", "SAMPLE Nordic Bridge", ["sample-lysekil-se", "sample-sylt-de"],
     "Arelion", "Ericsson", 2020, False),  # lands elsewhere: read, not in the country
]


def generate_cables(out_dir: Path) -> Path:
    """Write the synthetic cable map into ``out_dir/SAMPLE-DATA-cables`` (the folder `cables audit --data` reads)."""
    import json

    root = out_dir / CABLE_DIR
    (root / "cable").mkdir(parents=True, exist_ok=True)
    (root / "landing-point").mkdir(parents=True, exist_ok=True)
    (root / "README.txt").write_text(
        f"{CABLE_NOTE}.\nLayout of the open submarine cable map data (TeleGeography's API tree) so that "
        "`netvet cables audit --data` reads it; the cables, routes and landing points are made up.\n",
        encoding="utf-8")
    features = []
    for cid, name, points, owners, suppliers, year, planned in CABLES:
        doc = {"id": cid, "name": name, "length": None,
               "landing_points": [{"id": p, "name": _POINTS[p][0], "country": _POINTS[p][1], "is_tbd": False}
                                  for p in points],
               "owners": owners, "suppliers": suppliers, "rfs": str(year), "rfs_year": year, "is_planned": planned,
               "url": None, "notes": CABLE_NOTE}
        (root / "cable" / f"{cid}.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        a, b = (_POINTS[p][2:] for p in points)
        if abs(a[0] - b[0]) > 180:  # across the antimeridian: two lines, as the real data draws them
            lat = (a[1] + b[1]) / 2
            lines = [[list(a), [-180.0 if a[0] < 0 else 180.0, lat]], [[180.0 if a[0] < 0 else -180.0, lat], list(b)]]
        else:
            lines = [[list(a), [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2 - 3.0], list(b)]]
        features.append({"type": "Feature", "properties": {"id": cid, "name": name, "feature_id": f"{cid}-0"},
                         "geometry": {"type": "MultiLineString", "coordinates": lines}})
    (root / "cable" / "cable-geo.json").write_text(
        json.dumps({"type": "FeatureCollection", "name": "SAMPLE cables", "features": features}) + "\n",
        encoding="utf-8")
    points = [{"type": "Feature", "properties": {"id": pid, "name": v[0], "is_tbd": False},
               "geometry": {"type": "Point", "coordinates": [v[2], v[3]]}} for pid, v in _POINTS.items()]
    (root / "landing-point" / "landing-point-geo.json").write_text(
        json.dumps({"type": "FeatureCollection", "name": "SAMPLE landing points", "features": points}) + "\n",
        encoding="utf-8")
    return root
