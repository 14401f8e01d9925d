"""Cloud provider range files, the cloud-over-route rule, and names tied to addresses by DNS answers."""

from __future__ import annotations

import numpy as np
import pytest

from netvet.attribution.registry import Registry
from netvet.flows import cloud, sources
from netvet.flows.attribution import FlowTables, decode_unit, lookup
from netvet.flows.dns import DnsIndex, domain_entity
from netvet.model import InputError
from netvet.readers.flowlogs import addresses
from netvet.readers.flowlogs.records import DnsChunk
from tests.flows.helpers import CLOUD, FLOWS, fixture_sources


def test_each_provider_format():
    got = {}
    for name in ("ip-ranges.json", "cloud.json", "ServiceTags_Public_20231113.json", "public_ip_ranges.json",
                 "cloudflare-ips", "ips-v4", "ips-v6"):
        ranges, st = cloud.read_ranges(CLOUD / name)
        got[name] = (st.format, st.read, st.malformed, [(r.provider, r.prefix, r.service, r.region) for r in ranges])
    assert got["ip-ranges.json"] == ("aws-ip-ranges", 5, 1, [
        ("aws", "192.0.2.128/25", "EC2", "ap-east-1"), ("aws", "198.51.100.0/24", "AMAZON", "us-east-1"),
        ("aws", "198.51.100.0/24", "S3", "us-east-1"), ("aws", "2001:db8:300::/48", "AMAZON", "eu-west-1")])
    assert got["cloud.json"] == ("google-cloud-ip-ranges", 2, 0, [
        ("google", "198.18.5.0/24", "Google Cloud", "asia-east1"), ("google", "2001:db8:400::/48", "Google Cloud",
                                                                     "us-central1")])
    assert got["ServiceTags_Public_20231113.json"] == ("azure-service-tags", 2, 0, [
        ("azure", "198.18.6.0/24", "AzureCloud.eastasia", "eastasia"),
        ("azure", "2001:db8:500::/48", "AzureCloud.eastasia", "eastasia")])
    assert got["public_ip_ranges.json"] == ("oracle-ip-ranges", 2, 1,
                                            [("oracle", "198.18.7.0/24", "OCI", "ap-tokyo-1")])
    assert got["cloudflare-ips"] == ("prefix-list", 2, 0, [("cloudflare", "198.18.8.0/24", "", ""),
                                                           ("cloudflare", "2001:db8:200::/48", "", "")])
    assert got["ips-v4"][3] == [("cloudflare", "198.18.8.0/24", "", "")]
    _ranges, st = cloud.read_ranges(CLOUD / "ip-ranges.json")
    assert [(i.reason) for i in st.issues] == ["range 3: not an IP prefix: '198.51.100.300/24'"]


def test_plain_lists_need_a_provider_and_junk_is_refused(tmp_path):
    (tmp_path / "ranges.txt").write_text("203.0.113.0/24\n")
    with pytest.raises(InputError, match="say whose it is"):
        cloud.read_ranges(tmp_path / "ranges.txt")
    ranges, _st = cloud.read_ranges(tmp_path / "ranges.txt", "alibaba")
    assert [(r.provider, r.prefix) for r in ranges] == [("alibaba", "203.0.113.0/24")]
    loaded = cloud.load_ranges([f"alibaba={tmp_path / 'ranges.txt'}", str(CLOUD / "ips-v4"), str(CLOUD / "ips-v4")])
    assert [(r.provider, r.prefix) for r in loaded.ranges] == [("alibaba", "203.0.113.0/24"),
                                                               ("cloudflare", "198.18.8.0/24")]
    (tmp_path / "x.json").write_text('{"something": []}')
    with pytest.raises(InputError, match="not a cloud IP range file"):
        cloud.read_ranges(tmp_path / "x.json")
    (tmp_path / "y.json").write_text('{"prefixes": [')
    with pytest.raises(InputError, match="not valid JSON"):
        cloud.read_ranges(tmp_path / "y.json")


def test_a_cloud_range_at_least_as_specific_as_the_route_wins():
    src = fixture_sources()
    tables = FlowTables(routes=src.routes, cloud=cloud.CloudIndex.build(src.cloud_ranges.ranges))
    ok, hi, lo = addresses.from_strings(["192.0.2.10", "192.0.2.200", "198.51.100.7", "2001:db8:300::1",
                                         "198.18.6.1", "198.18.1.1", "2001:db8:200::5", "203.0.113.9", "8.8.8.8"])
    r = lookup(tables, hi, lo)
    providers = tables.cloud.providers
    keys = [decode_unit(int(u))[0] for u in r.unit]
    named = [f"cloud:{providers[-k - 1]}" if k < 0 else
             ("+".join(f"AS{a}" for a in src.routes.origin_sets[k]) if k else "unrouted") for k in keys]
    assert named == ["AS4134", "cloud:aws", "cloud:aws", "cloud:aws", "cloud:azure", "AS15169", "cloud:cloudflare",
                     "AS64500", "unrouted"]
    # route lengths in IPv6 terms (IPv4 + 96): the /25 range beat the /24 route
    assert r.route_len.tolist()[:4] == [120, 120, 120, -1]
    assert r.cloud_len.tolist()[:4] == [-1, 121, 120, 48]
    assert tables.cloud.describe_set(int(r.cloud_set[2])) == \
        "198.51.100.0/24 (AWS: AMAZON, us-east-1); 198.51.100.0/24 (AWS: S3, us-east-1)"


def test_dns_index_ties_names_and_entities_to_addresses():
    reg = Registry.load()
    assert domain_entity("ecs.huaweicloud.com", reg.by_domain) == ("huaweicloud.com", "huawei-cloud")
    assert domain_entity("example.org", reg.by_domain) is None
    ok, hi, lo = addresses.from_strings(["198.51.100.7", "198.51.100.7", "2001:db8:100::1", "198.18.1.1"])
    chunk = DnsChunk(["ecs.huaweicloud.com", "cdn.example.net", "www.alibabacloud.com", "example.org"], hi, lo,
                     np.zeros(4, np.int64), np.array([1, 1, 2, 3]), "d.log")
    index = DnsIndex.build([chunk], reg.by_domain)
    assert len(index) == 3
    # groups are numbered in address order (IPv4 first)
    assert index.groups == [(), (("huawei-cloud", "huaweicloud.com"),), (("alibaba-cloud", "alibabacloud.com"),)]
    ok, qh, ql = addresses.from_strings(["198.51.100.7", "2001:db8:100::1", "198.18.1.1", "10.0.0.1"])
    group, aid = index.lookup(qh, ql)
    assert group.tolist() == [1, 2, 0, 0]
    assert [index.names[a - 1] for a in aid[:3]] == [("cdn.example.net", "ecs.huaweicloud.com"),
                                                     ("www.alibabacloud.com",), ("example.org",)]
    assert aid[3] == 0


def test_sources_without_any_data_say_so():
    src = sources.load(use_datasets=False)
    assert src.routes is None and src.as_names is None and not src.cloud_ranges.ranges
    assert src.notes[0].startswith("no IP -> AS data")
    with pytest.raises(InputError, match="--internal: not an IP prefix"):
        sources.load(internal=["10.0.0.0/33"], use_datasets=False)


def test_routes_from_an_mrt_rib(shared):
    rib = shared("mrt/quagga_rib")
    idx = sources.load_routes([rib])
    assert idx.origin_sets == [(), (64512,)]
    assert idx.prefixes_of(64512) == ["172.17.0.0/24", "172.17.1.0/24", "172.17.2.0/24", "fd01:1::/64",
                                      "fd01:1:1::/64", "fd01:1:2::/64"]
    assert idx.lookup_one("172.17.1.9").asn == 64512


def test_asn_db_files_merge(tmp_path):
    (tmp_path / "more.ipasn").write_text("; IP-ASN32-DAT\n100.100.100.0/24\t4837\n")
    idx = sources.load_routes([FLOWS / "asn.ipasn", tmp_path / "more.ipasn"])
    assert len(idx) == 8
    assert idx.lookup_one("100.100.100.1").asn == 4837
