"""Flow logs through the generic reader: what `netvet audit` and `netvet compare` see."""

from __future__ import annotations

import pytest

from netvet.attribution.registry import Registry
from netvet.pipeline import Context, run_audit
from netvet.readers import detect, load_all
from netvet.readers.base import Reference
from tests.flows.helpers import FLOWS, fixture_sources


@pytest.fixture
def with_sources():
    return {"reference": Reference(loaded={"flow_sources": fixture_sources()})}


def test_detected_for_every_flow_format():
    load_all()
    for name in ("conn.log", "conn.json", "dns.log", "vpc-v2.log", "vpc-v5.log", "nfdump.csv", "nfdump-new.csv"):
        assert detect(FLOWS / name).format == "flows", name


def test_one_observation_per_remote_party(with_sources):
    ctx = Context.build(["clean-network"], Registry.load())
    report = run_audit([FLOWS / "conn.log"], ctx, reader_options=with_sources)
    obs = {o.id: o for o in report.observations}
    assert sorted(obs) == ["conn.log:flow:AS15169", "conn.log:flow:AS37963", "conn.log:flow:AS4134",
                           "conn.log:flow:AS64500", "conn.log:flow:cloud:aws", "conn.log:flow:cloud:cloudflare"]
    cn = obs["conn.log:flow:AS4134"]
    assert cn.kind == "flow" and cn.source.line == 9
    keys = ("bytes", "to_bytes", "from_bytes", "packets", "flows", "records", "hosts")
    assert {k: cn.attributes[k] for k in keys} == {"bytes": "6760", "to_bytes": "1500", "from_bytes": "5260",
                                                   "packets": "26", "flows": "3", "records": "3", "hosts": "2"}
    assert obs["conn.log:flow:AS15169"].attributes["hosts"] == "1"  # the transit record has no internal host
    verdicts = {f.subject: str(f.verdict) for f in report.findings}
    assert verdicts == {"conn.log:flow:AS4134": "FAIL", "conn.log:flow:AS37963": "FAIL",
                        "conn.log:flow:AS64500": "UNKNOWN", "conn.log:flow:AS15169": "PASS",
                        "conn.log:flow:cloud:aws": "PASS", "conn.log:flow:cloud:cloudflare": "PASS"}
    st = report.inputs[0]
    got = (st.format, st.read, st.malformed, st.skipped, st.attributed, st.unattributed)
    # in records: 8 records go to positively attributed parties, 1 to the unknown AS64500 (a transit record
    # counts once); read = attributed + unattributed + malformed + skipped
    assert got == ("zeek-conn", 14, 3, 2, 8, 1) and st.balanced()
    assert [i.line for i in st.issues] == [19, 20, 21]


def test_dns_log_gives_destinations(with_sources):
    ctx = Context.build(["clean-network"], Registry.load())
    report = run_audit([FLOWS / "dns.log"], ctx, reader_options=with_sources)
    assert {o.id: (o.kind, o.attributes["queries"], o.attributes["addresses"]) for o in report.observations} == {
        "dns.log:dns:ecs.huaweicloud.com": ("destination", "1", "1"),
        "dns.log:dns:ecs.huaweicloud.com.edge.example.net": ("destination", "1", "1"),
        "dns.log:dns:example.org": ("destination", "1", "1"),
        "dns.log:dns:www.alibabacloud.com": ("destination", "1", "1")}
    # a record counts once, for its query name (the CNAME alias counts none): read = 6 = 3 + 1 + 2, in records
    assert {o.id.split(":")[-1]: o.attributes["counted_records"] for o in report.observations} == {
        "ecs.huaweicloud.com": "1", "ecs.huaweicloud.com.edge.example.net": "0", "example.org": "1",
        "www.alibabacloud.com": "1"}
    st = report.inputs[0]
    assert (st.read, st.attributed + st.unattributed, st.malformed, st.skipped) == (6, 3, 1, 2) and st.balanced()
    verdicts = {f.subject: str(f.verdict) for f in report.findings}
    assert verdicts["dns.log:dns:www.alibabacloud.com"] == "FAIL"
    assert verdicts["dns.log:dns:example.org"] == "UNKNOWN"


def test_without_any_routing_data_every_remote_is_one_party():
    ctx = Context.build(["clean-network"], Registry.load())
    report = run_audit([FLOWS / "vpc-v2.log"], ctx)
    assert [(o.id, o.attributes["records"]) for o in report.observations] == [("vpc-v2.log:flow:no-route-data", "4")]
    assert [str(f.verdict) for f in report.findings] == ["UNKNOWN"]
