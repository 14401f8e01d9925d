"""`netvet routes filter` options and errors (golden texts and daemon checks are in tests/enforce)."""

from __future__ import annotations

from pathlib import Path

from netvet.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
POLICY = ["--registry", str(FIX / "registry"), "--policy", str(FIX / "route-pack.yaml"), "--on", "2025-01-01"]


def run(capsys, *args):
    code = main(["routes", "filter", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_output_file_and_counts(capsys, tmp_path):
    out_file = tmp_path / "f.conf"
    code, _, err = run(capsys, *POLICY, "-f", "frr", "-o", str(out_file))
    assert code == 0 and "4 AS number(s) rejected by NETVET-ROUTE-TEST" in err
    lines = [x for x in out_file.read_text().splitlines() if x.startswith("bgp as-path")]
    assert lines == ["bgp as-path access-list NETVET-ROUTE-TEST seq 5 permit _174_",
                     "bgp as-path access-list NETVET-ROUTE-TEST seq 10 permit _64496_",
                     "bgp as-path access-list NETVET-ROUTE-TEST seq 15 permit _64497_",
                     "bgp as-path access-list NETVET-ROUTE-TEST seq 20 permit _65537_"]


def test_chunks_split_lists(capsys):
    code, out, _ = run(capsys, *POLICY, "-f", "eos", "--chunk", "3", "--include-review")
    assert code == 0
    assert [x for x in out.splitlines() if x.startswith("route-map")] == [
        "route-map NETVET-ROUTE-TEST deny 10", "route-map NETVET-ROUTE-TEST deny 20",
        "route-map NETVET-ROUTE-TEST permit 30"]
    assert out.count("ip as-path access-list NETVET-ROUTE-TEST-1 ") == 3
    assert out.count("ip as-path access-list NETVET-ROUTE-TEST-2 ") == 2


def test_clean_network_bundled(capsys):
    code, out, _ = run(capsys, "-f", "bird", "--on", "2025-01-01")
    assert code == 0
    for asn in (4134, 4809, 9808, 58453):
        assert f"    {asn}," in out or f"    {asn}    #" in out


def test_errors(capsys):
    assert run(capsys, *POLICY, "-f", "cisco")[0] == 2
    code, _, err = run(capsys, *POLICY, "-f", "bird", "--chunk", "-1")
    assert code == 2 and "--chunk" in err
    code, _, err = run(capsys, *POLICY, "-f", "bird", "--asn", "ASX")
    assert code == 2 and "not an AS number" in err
    code, _, err = run(capsys, "-f", "bird", "-p", "clean-network", "-p", "ndaa-889")
    assert code == 2 and "exactly one --policy" in err
