"""The verdict rules end to end on the bundled registry, fingerprints and packs: no PASS without positive
evidence, agent stacks and OS guesses never decide, every identifier of a device is used, scope by placed role,
controls with no evidence are not assessed, counts add up, batches and directories."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from netvet.attribution.pen import PenRegistry
from netvet.cli import main
from netvet.model import AttributionStatus, Identifier, IdKind, Observation, SourceRef, Strength
from netvet.pipeline import Context, evaluate_observations, run_audit

ON = date(2026, 12, 1)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    tsv = tmp_path_factory.mktemp("pen") / "enterprises.tsv"  # an enterprise-numbers file naming the agent stacks
    tsv.write_text("26381\tlwIP - A Lightweight TCP/IP stack\n8072\tnet-snmp\n9\tciscoSystems\n")
    pens = PenRegistry.bundled()
    pens.load(tsv)
    assert pens.lookup(26381) == "lwIP - A Lightweight TCP/IP stack"
    return Context.build(["fcc-covered-list", "ndaa-889"], on=ON, pens=pens)


def _obs(*idents: Identifier, role: str | None = None, kind: str = "device") -> Observation:
    return Observation(id="x", kind=kind, source=SourceRef("t"), identifiers=list(idents), role=role)


def _verdicts(ctx, obs) -> tuple[object, dict[str, str]]:
    atts, findings = evaluate_observations(ctx, [obs])
    return atts[obs.id], {f.policy: str(f.verdict) for f in findings}


def oid(value: str) -> Identifier:
    return Identifier(IdKind.OID, value, "snmprec:sysObjectID", Strength.STRONG, "sys-object-id")


def text(value: str, context: str, strength: Strength = Strength.STRONG) -> Identifier:
    return Identifier(IdKind.TEXT, value, f"t:{context}", strength, context)


def test_agent_stack_enterprise_numbers_never_name_a_maker(ctx):
    for sysoid, stack in (("1.3.6.1.4.1.26381.1.1", "lwIP"), ("1.3.6.1.4.1.8072.3.2.10", "net-snmp")):
        att, verdicts = _verdicts(ctx, _obs(oid(sysoid)))
        assert att.status == AttributionStatus.UNKNOWN and not att.positive
        assert stack in att.evidence[0].reason and "does not name the device's maker" in att.evidence[0].reason
        assert verdicts == {"fcc-covered-list": "UNKNOWN", "ndaa-889": "UNKNOWN"}


def test_hytera_under_lwip_is_told_by_its_own_description(ctx):
    att, verdicts = _verdicts(ctx, _obs(oid("1.3.6.1.4.1.26381.1.1"), text("Hytera DMR repeater RD985", "sys-descr")))
    assert (att.entity_id, att.positive) == ("hytera", True)
    assert att.decided_by.identifier.kind == IdKind.TEXT
    assert verdicts == {"fcc-covered-list": "REVIEW", "ndaa-889": "REVIEW"}  # conditional listing, role unknown


def test_text_identifiers_are_matched_by_fingerprints(ctx):
    att, verdicts = _verdicts(ctx, _obs(text("ZTE Ethernet Switch  ZXR10 5250-52TM-H, Version: V2.05.11B23",
                                             "sys-descr")))
    assert (att.entity_id, att.method, att.positive) == ("zte", "fingerprint", True)
    assert any(s.step == "fingerprint" and s.detail.endswith("-> zte") for s in att.decided_by.chain)
    assert verdicts["fcc-covered-list"] == "FAIL"
    att, _ = _verdicts(ctx, _obs(text("Linux 2.6.32.68 #1 Thu Aug 22 16:38:44 EEST 2019 mips", "sys-descr")))
    assert att.status == AttributionStatus.UNKNOWN and "no fingerprint of sys-descr matches" in att.note


def test_dahua_nvr_from_interface_macs_and_model(ctx):
    obs = _obs(Identifier(IdKind.MAC, "74:C9:29:01:02:03", "snmprec:ifPhysAddress"),
               text("DH-NVR4108HS-4KS2", "model", Strength.MODERATE))
    att, verdicts = _verdicts(ctx, obs)
    assert (att.entity_id, att.positive, att.conflict) == ("dahua", True, False)
    assert {e.entity_id for e in att.evidence} == {"dahua"}
    assert verdicts["fcc-covered-list"] == "REVIEW"


def test_os_guesses_alone_never_pass(ctx):
    guess = Identifier(IdKind.NAME, "Microsoft", "nmap:osclass@vendor (accuracy 98%)", Strength.WEAK)
    att, verdicts = _verdicts(ctx, _obs(guess, kind="host"))
    assert att.entity_id == "microsoft" and not att.positive and "only weak evidence" in att.weakness
    assert verdicts == {"fcc-covered-list": "UNKNOWN", "ndaa-889": "UNKNOWN"}


def test_registry_only_evidence_never_passes(ctx):
    att, verdicts = _verdicts(ctx, _obs(Identifier(IdKind.MAC, "00:00:0C:00:00:01", "t"),
                                        Identifier(IdKind.MAC, "8C:1F:64:00:00:01", "t")))
    assert att.positive  # Cisco's own block
    reg_only = _obs(Identifier(IdKind.MAC, "00:1B:21:00:00:01", "t"))  # an IEEE holder no entity claims
    att, verdicts = _verdicts(ctx, reg_only)
    if att.status == AttributionStatus.REGISTRY_ONLY:
        assert not att.positive and verdicts["fcc-covered-list"] == "UNKNOWN"


@pytest.mark.parametrize(("role", "fcc"), [
    ("video surveillance of critical infrastructure", "FAIL"),
    ("public-safety", "FAIL"),
    ("office", "PASS"),
    ("lobby", "REVIEW"),  # a role netvet cannot place is never PASS
    (None, "REVIEW"),
])
def test_conditional_listing_by_placed_role(ctx, role, fcc):
    att, verdicts = _verdicts(ctx, _obs(text("DS-2CD2143G0-I", "model", Strength.MODERATE), role=role))
    assert att.entity_id == "hikvision" and att.positive
    assert verdicts["fcc-covered-list"] == fcc


def test_controls_without_evidence_are_not_assessed(tmp_path):
    inv = tmp_path / "inv.csv"
    inv.write_text("hostname,vendor,role\nsw1,Cisco Systems,office\n")
    ctx = Context.build([], on=ON, frameworks=["clean-network"])
    report = run_audit([inv], ctx)
    states = {c["control"]: c["status"] for c in report.controls}
    assert "not-assessed" in states.values()
    assert all(s in {"satisfied", "not-assessed"} for s in states.values())
    assert all(c["status"] == "not-assessed" for c in report.controls if not any(c["counts"].values()))


def test_counts_add_up_and_groups_roll_up(ctx, tmp_path):
    inv = tmp_path / "inv.csv"
    inv.write_text("hostname,vendor,mac\nr1,China Mobile International,\nr2,China Mobile Ltd,\n"
                   "h1,,02:00:00:00:00:01\nh2,Cisco Systems,\n")
    report = run_audit([inv], ctx)
    (st,) = report.inputs
    assert (st.unit, st.read, st.attributed, st.unattributed, st.malformed, st.skipped) == ("row", 4, 3, 1, 0, 0)
    groups = report.summary()["per_group"]
    # two China Mobile companies roll up to one group (the state body above it is not a group)
    assert {k: v for k, v in groups["china-mobile-group"].items() if k.startswith("fcc")} == {
        "fcc-covered-list:PASS": 2}
    ent = next(f.entity for f in report.findings if f.label == "r1")
    assert (ent["id"], ent["group"]) == ("china-mobile-international", "china-mobile-group")


def test_directory_and_a_batch_with_one_unreadable_file(tmp_path, capsys):
    d = tmp_path / "evidence"
    (d / "sub").mkdir(parents=True)
    (d / "inv.csv").write_text("hostname,vendor\nsw1,Huawei\n")
    (d / "sub" / "walk.snmprec").write_text("1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1208\n")
    (d / "notes.bin").write_bytes(b"\x00\x01\x02 not evidence")
    (d / ".hidden.csv").write_text("hostname,vendor\nx,ZTE\n")
    out = tmp_path / "r.json"
    code = main(["audit", str(d), "-p", "fcc-covered-list", "-f", "json", "-o", str(out)])
    assert code == 2  # one input could not be read: reported, the rest audited
    import json

    doc = json.loads(out.read_text())
    by_file = {Path(s["file"]).name: s for s in doc["inputs"]}
    assert sorted(by_file) == ["inv.csv", "notes.bin", "walk.snmprec"]
    assert by_file["notes.bin"]["failed"].startswith("unrecognised input format")
    assert {(f["label"], f["verdict"]) for f in doc["findings"]} == {("sw1", "FAIL"), ("walk.snmprec:1", "PASS")}
    assert "notes.bin" in capsys.readouterr().err


def test_empty_input_is_an_error(tmp_path):
    empty = tmp_path / "w.snmprec"
    empty.write_text("# nothing\n")
    assert main(["audit", str(empty), "--input-format", "snmprec"]) == 2


def test_file_names_are_not_evidence(tmp_path, shared):
    """The same Huawei LLDP capture named after its platform and named capture.txt gives the same verdicts."""
    raw = shared("inputs/cli_outputs/huawei_vrp_display_lldp_neighbor4.raw").read_bytes()
    a, b = tmp_path / "huawei_vrp_display_lldp_neighbor4.raw", tmp_path / "capture.txt"
    a.write_bytes(raw)
    b.write_bytes(raw)
    ctx = Context.build(["fcc-covered-list"], on=ON)
    got = []
    for p in (a, b):
        report = run_audit([p], ctx)
        got.append(sorted((f.subject.split("#")[-1].split(":")[-1], str(f.verdict)) for f in report.findings))
    assert got[0] == got[1]
    assert ("device", "FAIL") in got[1]


def test_a_rib_with_no_route_is_an_input_error(tmp_path, capsys):
    empty = tmp_path / "empty.bgp"
    empty.write_text("TABLE_DUMP2|1400000000|B|192.0.2.1|64500|not-a-prefix|64500 4134|IGP|192.0.2.1|0|0||NAG||\n")
    assert main(["routes", "audit", str(empty), "--policy", "clean-network"]) == 2
    assert "no routes in this input" in capsys.readouterr().err


def test_a_traceroute_that_did_not_run_is_read_not_malformed(tmp_path):
    from netvet.readers.atlas_traceroute import load_traceroute_routes

    f = tmp_path / "t.jsonl"
    f.write_text('{"type": "traceroute", "msm_id": 1, "prb_id": 2, "dst_name": "no.such.name", '
                 '"error": "getaddrinfo: name does not resolve"}\n')
    _table, stats, _counts = load_traceroute_routes(f, None)
    assert (stats.read, stats.malformed, stats.skipped) == (1, 0, 1)
    assert stats.issues[0].severity == "warning" and "did not run" in stats.issues[0].reason


def test_routes_commands_take_an_input_format(tmp_path, capsys):
    rib = tmp_path / "rib.txt"
    rib.write_text("TABLE_DUMP2|1400000000|B|192.0.2.1|64500|198.51.100.0/24|64500 4134|IGP|192.0.2.1|0|0||NAG||\n")
    assert main(["routes", "audit", str(rib), "--input-format", "bgpdump-text", "-f", "json"]) == 1  # AS4134
    assert '"prefix": "198.51.100.0/24"' in capsys.readouterr().out
    assert main(["routes", "audit", str(rib), "--input-format", "nmap-xml"]) == 2
    assert "unknown --input-format 'nmap-xml' for route evidence" in capsys.readouterr().err
