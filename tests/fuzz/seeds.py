"""Which seeds each reader is fuzzed from (real samples in ../shared/data, fixtures in tests/fixtures)."""

from __future__ import annotations

AS_PATHS = (b"# prefix path\n192.0.2.0/24 3356 174 4134\n198.51.100.0/24 6939 {4134,4809}\n"
            b"2001:db8::/32 3320 (65001 65002) 4837\n3356 9929\n203.0.113.0/25 64500 [64501 64502] 64503\n")
BGPDUMP = (b"TABLE_DUMP2|1392163201|B|195.66.224.175|13030|1.0.0.0/24|13030 15169|IGP|195.66.224.175|0|0|"
           b"13030:51203|NAG||\n"
           b"BGP4MP|1392163202|A|195.66.224.175|13030|2001:db8::/32|13030 3356 {4134,4809}|IGP|::|0|0||NAG||\n"
           b"BGP4MP|1392163203|W|195.66.224.175|13030|1.0.4.0/22\n"
           b"BGP4MP|1392163204|STATE|195.66.224.175|13030|1|2\n")

# format -> (shared paths, fixture paths, inline seeds)
READER_SEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict[str, bytes]]] = {
    "android-packages": (("inputs/android_packages",), (), {}),
    "atlas-traceroute": (("inputs/traceroutes",), ("routes/atlas_array.json", "routes/atlas_mixed.jsonl"), {}),
    "csv-inventory": ((), ("pipeline/inventory.csv", "pipeline/inventory-bad.csv"), {}),
    "cyclonedx-json": (("inputs/cyclonedx/bom-examples_HBOM_PCIe-SATA-adapter-board.bom.json",),
                       ("readers/cdx13_reduced.json", "readers/cdx15_hikvision_camera.cdx.json",
                        "readers/cdx16_huawei_router.cdx.json", "readers/cdx_malformed.cdx.json"), {}),
    "device-cli": (("inputs/cli_outputs",), ("device_cli",), {}),
    "flows": (("inputs/flows",), ("flows/conn.log", "flows/conn.json", "flows/dns.log", "flows/dns.json",
                                  "flows/flows.csv", "flows/nfdump.csv", "flows/nfdump-new.csv",
                                  "flows/vpc-headerless.log", "flows/vpc-v2.log", "flows/vpc-v5.log"), {}),
    "nmap-xml": (("inputs/nmap_xml",), (), {}),
    "mrt": (("mrt/quagga_rib", "mrt/quagga_bgp", "mrt/bird-mrtdump_rib", "mrt/bird-mrtdump_bgp",
             "mrt/bird6-mrtdump_rib", "mrt/bird6-mrtdump_bgp", "mrt/openbgpd_bgp", "mrt/openbgpd_rib_table-mp",
             "mrt/openbgpd_rib_table-v2", "mrt/bview.ipv4_unicast_add_path.gz",
             "mrt/rrc15_2010.02_updates.20100227.1610.gz", "mrt/updates.20070211.0141.gz",
             "mrt/rib6.20151101.0600_firstMB.bz2"), (), {}),
    "bgpdump-text": (("bgpdump-expect/updates.20070211.0141.gz.bgp.gz",), (), {"inline.bgpdump": BGPDUMP}),
    "as-path-list": ((), ("routes/paths.txt", "routes/hegemony.txt"), {"inline.paths": AS_PATHS}),
    "ipasn": (("ipasn/ipasn_20140513.dat.gz", "ipasn/ipasn6_20151101.dat.gz"),
              ("ipasn/nested.dat", "flows/asn.ipasn", "routes/atlas_asn.ipasn"), {}),
    "pfx2as": ((), ("ipasn/routeviews.pfx2as", "datasets/caida/routeviews-rv2-20241105-1200.pfx2as",
                    "datasets/caida/routeviews-rv6-20241105-1200.pfx2as"), {}),
    "snmprec": (("inputs/snmp",), (), {}),
    "android-management": ((), ("apps/amapi_devices_list.json",), {}),
    "android-apk": ((), ("apps/fuzz_seed.apk",), {}),
    "intune-apps": ((), ("apps/intune_appinvaggregate.csv", "apps/intune_appinvrawdata.csv"), {}),
    "jamf-apps": ((), ("apps/jamf_computer_apps.csv", "apps/jamf_mobile_apps.csv"), {}),
}
# a reader without seeds of its own (added since this list was written) is fuzzed from JSON, CSV and text
# samples of the other readers
GENERIC = ((), ("readers/cdx15_hikvision_camera.cdx.json", "routes/atlas_array.json", "pipeline/inventory.csv",
                "flows/conn.log", "routes/paths.txt"), {"inline.json": b'{"a": [1, 2, {"b": "c"}], "d": null}\n'})


def seeds_of(fmt: str):
    return READER_SEEDS.get(fmt, GENERIC)

MRT_FORMATS = frozenset({"mrt"})
# readers whose observations stand for several records (flows: one per remote party, weighted by the records it
# counts for; a bundle member: its inner reader's); route readers count per AS (their record counts are kept in
# ``source_counts``), so they make one observation per unit like every other reader
AGGREGATING = frozenset({"flows", "bundle-member"})
KNOWN_FAILURES: dict[str, str] = {}  # reader -> reproducer of a failure not fixed yet (none: see test_regressions.py)
