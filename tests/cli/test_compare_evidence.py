"""`netvet compare` works on every evidence type netvet reads (exact asset counts and exclusions)."""

import json

import pytest

from netvet.cli import main

CASES = [
    # shared file, extra args, assets (devices, components, ASes seen, remote parties), excluded by
    # clean-network, excluded by eu-5g-toolbox
    ("inputs/nmap_xml/libnmap_full_sudo6.xml", [], 4, 0, 0),
    ("inputs/cyclonedx/bom-examples_HBOM_PCIe-SATA-adapter-board.bom.json", [], 7, 0, 0),
    ("inputs/snmp/librenms_vrp.snmprec", [], 1, 1, 0),
    ("inputs/cli_outputs/huawei_vrp_display_version.raw", [], 1, 1, 0),
    ("mrt/updates.20160811.1600.gz", [], 634, 11, 0),  # every curated China Telecom/Unicom/Mobile ASN
    ("bgpdump-expect/bview.ipv4_unicast_add_path.gz.bgp.gz", [], 31, 0, 0),
    ("inputs/traceroutes/ripe_atlas_sagan_traceroute_ipv6_mtu_options.jsonl",
     ["--asn-db", "ipasn/ipasn6_20151101.dat.gz"], 7, 0, 0),
    ("inputs/flows/zeek_teredo_conn.log", [], 1, 0, 0),
    ("inputs/flows/beats_aws-vpcflow_accept-reject-traffic.log", [], 1, 0, 0),
]


@pytest.mark.parametrize("rel,extra,assets,clean,eu", CASES, ids=[c[0].split("/")[-1] for c in CASES])
def test_compare_each_evidence_type(capsys, shared, rel, extra, assets, clean, eu):
    args = [str(shared(a)) if a.startswith(("ipasn/", "mrt/")) else a for a in extra]
    code = main(["compare", str(shared(rel)), "-p", "clean-network", "-p", "eu-5g-toolbox", "-f", "json", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    cmp = json.loads(out)
    assert cmp["policies"] == ["clean-network", "eu-5g-toolbox"]
    assert cmp["assets"] == assets
    assert {p: v["excluded_assets"] for p, v in cmp["per_policy"].items()} == {"clean-network": clean,
                                                                             "eu-5g-toolbox": eu}
