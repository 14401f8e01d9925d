"""The flow audit: one classification per remote party, exposure per entity and line, engines agree exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netvet.attribution.registry import Registry
from netvet.flows import audit
from netvet.pipeline import Context
from netvet.readers.flowlogs.base import ReadOptions
from tests.flows.helpers import FLOWS, fixture_sources


@pytest.fixture(scope="module")
def registry():
    return Registry.load()


def run(registry, paths, engine="polars", policies=("clean-network",), **kw):
    ctx = Context.build(list(policies), registry)
    src = kw.pop("src", None) or fixture_sources()
    return audit.run([str(p) for p in paths], ctx, src, engine_name=engine, **kw)


def test_exposure_per_entity_line_host_and_hour(registry):
    res = run(registry, [FLOWS / "conn.log", FLOWS / "dns.log"])
    d = res.document
    assert [(s["file"].rsplit("/", 1)[-1], s["read"], s["attributed"], s["unattributed"], s["skipped"], s["malformed"])
            for s in d["inputs"]] == [("conn.log", 14, 9, 0, 2, 3), ("dns.log", 6, 2, 1, 2, 1)]
    remotes = {r["id"]: r for r in d["remotes"]}
    assert {k: (r["verdicts"]["clean-network"], r["records"], r["to_bytes"], r["from_bytes"], r["hosts"])
            for k, r in remotes.items()} == {
        "flow:AS4134": ("FAIL", 3, 1500, 5260, 2),
        "flow:cloud:aws": ("PASS", 1, 2000, 3000, None),
        "flow:cloud:aws+dns:huawei-cloud": ("REVIEW", 1, 300, 400, 1),
        "flow:AS64500": ("REVIEW", 1, 0, 100, 1),
        "flow:AS37963+dns:alibaba-cloud": ("FAIL", 1, 700, 900, 1),
        "flow:AS15169": ("PASS", 2, 460, 100, None),
        "flow:cloud:cloudflare": ("PASS", 1, 1234, 4321, None),
    }
    assert remotes["flow:AS64500"]["attribution"] == {"status": "registry-only", "method": "asn",
                                                      "confidence": 0.5, "conflict": False}
    assert remotes["flow:cloud:aws+dns:huawei-cloud"]["attribution"]["conflict"] is True
    aws = remotes["flow:cloud:aws"]["evidence"]["cloud_ranges"]
    assert aws == [{"range": "192.0.2.128/25 (AWS: EC2, ap-east-1)",
                    "sources": ["ip-ranges.json (createDate 2023-11-14-22-00-00)"],
                    "over": "route from AS4134 /24 (cloud range /25)", "bytes": 5000, "flows": 1,
                    "why": "published cloud range at least as specific as the route"}]
    assert remotes["flow:AS15169"]["evidence"]["dns"] == [
        {"address": "198.18.1.1", "names": ["example.org"], "bytes": 560, "flows": 2}]
    assert remotes["flow:AS4134"]["first_record"]["line"] == 9
    assert d["traffic"]["outbound"] == {"records": 7, "flows": 7, "to_bytes": 6134, "from_bytes": 13921,
                                        "to_packets": 52, "from_packets": 33}
    assert d["traffic"]["transit"]["records"] == 1 and d["traffic"]["local"]["records"] == 2

    ex = d["exposure"]["clean-network"]
    lines = [(ln["line"], ln["verdict"], ln["entities"], ln["bytes"], ln["flows"], ln["hosts"]) for ln in ex["lines"]]
    assert lines == [
        ("clean-carrier", "FAIL", 1, 6760, 3, 2), ("clean-cloud", "FAIL", 1, 1600, 1, 1),
        ("clean-cloud", "REVIEW", 1, 700, 1, 1), ("unclassified", "REVIEW", 1, 100, 1, 1)]
    assert [(e["entity"]["id"], e["entity"]["name"], e["verdict"], e["line"], e["bytes"], e["hosts"], e["first_seen"],
             e["last_seen"], e["hours_active"]) for e in ex["entities"]] == [
        ("china-telecom-corp", "China Telecom Corporation Limited", "FAIL", "clean-carrier", 6760, 2,
         "2023-11-14T22:13:20Z", "2023-11-15T00:13:23Z", 3),
        ("alibaba-cloud", "Alibaba Cloud Computing Co., Ltd.", "FAIL", "clean-cloud", 1600, 1,
         "2023-11-14T22:14:10Z", "2023-11-14T22:14:11Z", 1),
        ("aws", "Amazon Web Services, Inc.", "REVIEW", "clean-cloud", 700, 1,
         "2023-11-14T22:13:40Z", "2023-11-14T22:13:40.500000Z", 1),
        (None, "Example Network Co.", "REVIEW", "unclassified", 100, 1, "2023-11-14T22:13:50Z",
         "2023-11-14T22:13:50Z", 1)]
    assert [(h["host"], h["bytes"], h["entities"]) for h in ex["top_hosts"]] == [
        ("10.0.0.5", 6700, ["Amazon Web Services, Inc.", "China Telecom Corporation Limited"]),
        ("fd00::10", 1600, ["Alibaba Cloud Computing Co., Ltd."]),
        ("10.0.0.6", 700, ["China Telecom Corporation Limited"]),
        ("192.168.1.10", 100, ["Example Network Co."])]
    assert [(h["hour"], h["line"], h["verdict"], h["bytes"]) for h in ex["hourly"]] == [
        ("2023-11-14T22:00:00Z", "clean-carrier", "FAIL", 6000), ("2023-11-14T22:00:00Z", "clean-cloud", "FAIL", 1600),
        ("2023-11-14T22:00:00Z", "clean-cloud", "REVIEW", 700), ("2023-11-14T22:00:00Z", "unclassified", "REVIEW", 100),
        ("2023-11-14T23:00:00Z", "clean-carrier", "FAIL", 60), ("2023-11-15T00:00:00Z", "clean-carrier", "FAIL", 700)]
    # the core report: one observation per party, one finding per party and policy
    rep = res.report
    assert len(rep.observations) == 7 and len(rep.findings) == 7
    assert {o.kind for o in rep.observations} == {"flow"}
    assert rep.summary()["per_policy"]["clean-network"] == {"PASS": 3, "REVIEW": 2, "FAIL": 2, "UNKNOWN": 0,
                                                             "WAIVED": 0}
    cn = next(o for o in rep.observations if o.id == "flow:AS4134")
    assert (cn.source.line, cn.attributes["bytes"], cn.attributes["hosts"]) == (9, "6760", "2")


def test_each_party_is_classified_once(registry, monkeypatch):
    calls: list[int] = []
    original = audit.PolicyClassifier._evaluate

    def counting(self, unit):
        calls.append(unit)
        return original(self, unit)

    monkeypatch.setattr(audit.PolicyClassifier, "_evaluate", counting)
    res = run(registry, [FLOWS / "conn.log", FLOWS / "conn.json", FLOWS / "vpc-v2.log", FLOWS / "nfdump.csv"],
              options=ReadOptions(chunk_rows=2))
    assert len(calls) == len(set(calls)) == len(res.document["remotes"]) == 6
    assert res.document["classified_units"] == 6


def _big_parquet(tmp_path: Path) -> Path:
    """A Parquet table of 6,000 rows in 6 row groups, drawn from the fixture flows, with two bad rows."""
    rng = np.random.default_rng(3)
    hosts = ["10.0.0.5", "10.0.0.6", "192.168.1.10", "fd00::10"]
    remotes = ["192.0.2.10", "192.0.2.200", "198.51.100.7", "203.0.113.9", "2001:db8:100::1", "198.18.1.1",
               "2001:db8:200::5", "8.8.8.8", "198.18.6.9", "198.19.0.1"]
    n = 6000
    h = rng.integers(0, len(hosts), n)
    r = rng.integers(0, len(remotes), n)
    out = rng.random(n) < 0.7
    src = [hosts[i] if o else remotes[j] for i, j, o in zip(h, r, out, strict=True)]
    dst = [remotes[j] if o else hosts[i] for i, j, o in zip(h, r, out, strict=True)]
    src[10], dst[20] = "bad", ""
    t = pa.table({"srcaddr": src, "dstaddr": dst, "bytes": rng.integers(40, 100_000, n),
                  "packets": rng.integers(1, 100, n),
                  "start": 1_700_000_000 + np.sort(rng.integers(0, 5 * 3600, n)), "rbytes": rng.integers(0, 1000, n)})
    path = tmp_path / "flows.parquet"
    pq.write_table(t, path, row_group_size=1000)
    return path


def test_dask_engine_gives_exactly_the_single_node_result(registry, tmp_path):
    paths = [_big_parquet(tmp_path), FLOWS / "conn.log", FLOWS / "vpc-v2.log", FLOWS / "nfdump.csv",
             FLOWS / "dns.log"]
    opts = ReadOptions(chunk_rows=700, part_rows=2000)
    single = run(registry, paths, options=opts)
    dask = run(registry, paths, engine="dask", workers=2, processes=False, options=opts)
    assert dask.engine["name"] == "dask" and dask.engine["partitions"] == 6  # 3 Parquet parts + 3 logs
    assert single.result() == dask.result()
    assert single.document["inputs"][0]["read"] == 6000 and single.document["inputs"][0]["malformed"] == 2
    assert [f.to_dict() for f in single.report.findings] == [f.to_dict() for f in dask.report.findings]


def test_declared_internal_space_turns_transit_into_outbound(registry, shared):
    teredo = shared("inputs/flows/zeek_teredo_conn.log")
    src = fixture_sources(cloud=False)
    plain = run(registry, [teredo], src=src).document["traffic"]
    src = fixture_sources(cloud=False)
    src.internal = (audit.sources.addresses.parse_range("2001:0:4137:9e50::/64"),)
    own = run(registry, [teredo], src=src).document["traffic"]
    assert (plain["transit"]["records"], plain["outbound"]["records"], plain["local"]["records"]) == (2, 12, 7)
    assert (own["transit"]["records"], own["outbound"]["records"], own["local"]["records"]) == (0, 14, 7)


def test_real_conn_logs_against_real_routing_data(registry, shared):
    from netvet.flows import sources

    src = sources.load(asn_db=[shared("ipasn/ipasn6_20151101.dat.gz")], as_names=[shared("ipasn/asnames.json.gz")],
                       use_datasets=False)
    res = run(registry, [shared("inputs/flows/zeek_teredo_conn.log"), shared("inputs/flows/zeek_mac-logging_conn2.log"),
                         shared("inputs/flows/beats_aws-vpcflow_accept-reject-traffic.log")], src=src)
    got = {r["id"]: (r["verdicts"]["clean-network"], r["entity"]["id"], r["bytes"]) for r in res.document["remotes"]}
    assert got == {
        "flow:AS6939": ("PASS", "hurricane-electric", 13574), "flow:AS8075": ("PASS", "microsoft", 398),
        "flow:AS13041": ("UNKNOWN", None, 8498), "flow:AS15169": ("PASS", "google", 13574),
        "flow:AS29259": ("UNKNOWN", None, 14302), "flow:AS35377": ("UNKNOWN", None, 8498),
        "flow:AS36351": ("UNKNOWN", None, 6694), "flow:AS36692": ("UNKNOWN", None, 219),
        "flow:unrouted": ("UNKNOWN", None, 672)}
    assert [(s["read"], s["attributed"], s["unattributed"], s["skipped"]) for s in res.document["inputs"]] == [
        (21, 14, 0, 7), (2, 1, 0, 1), (4, 2, 2, 0)]
    assert res.document["exposure"]["clean-network"]["entities"] == []


def test_several_policies_and_html(registry):
    res = run(registry, [FLOWS / "conn.log"], policies=("clean-network", "fcc-covered-list"))
    verdicts = {r["id"]: r["verdicts"] for r in res.document["remotes"]}
    # the FCC Covered List names China Telecom (Americas), not the PRC parent's own network
    assert verdicts["flow:AS4134"] == {"clean-network": "FAIL", "fcc-covered-list": "PASS"}
    assert set(res.document["exposure"]) == {"clean-network", "fcc-covered-list"}
    from netvet.reporters import render

    html = render(res.report, "html")
    assert "China Telecom Corporation Limited" in html and "AS4134 CHINANET-BACKBONE" in html


def test_empty_and_internal_only_inputs(registry, tmp_path):
    (tmp_path / "e.csv").write_text("src,dst,bytes\n10.0.0.1,10.0.0.2,5\n")
    res = run(registry, [tmp_path / "e.csv"])
    assert res.document["remotes"] == []
    assert res.document["inputs"][0]["skipped"] == 1
    assert res.document["traffic"]["local"]["records"] == 1
    assert res.report.findings == []
    assert pl.DataFrame(res.document["exposure"]["clean-network"]["entities"]).is_empty()
