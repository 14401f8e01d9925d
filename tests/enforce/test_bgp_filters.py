"""BGP filter export: golden text per platform, acceptance by BIRD's and FRR's own parsers, and a live BIRD
session showing that exactly the routes with an excluded AS number are rejected."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from netvet.cli import main
from netvet.enforce.bgp_filters import FilterEntry, FilterSpec, render
from tests.conftest import system_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
GOLD = FIX / "filters"
ARGS = ["--registry", str(FIX / "registry"), "--policy", str(FIX / "route-pack.yaml"), "--on", "2025-01-01"]
FRR_ERRORS = re.compile(r"Config Failed|can't compile|Unknown command|% ")


def run_filter(capsys, *extra) -> str:
    code = main(["routes", "filter", *ARGS, *extra])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in out + err
    return out


@pytest.mark.parametrize("platform", ["bird", "frr", "junos", "eos", "iosxr"])
def test_golden_text(capsys, platform):
    assert run_filter(capsys, "--format", platform) == (GOLD / f"route-test.{platform}").read_text()


def test_golden_review_and_chunks(capsys):
    out = run_filter(capsys, "--format", "iosxr", "--include-review", "--chunk", "3")
    assert out == (GOLD / "route-test-review-chunk3.iosxr").read_text()


def test_exact_numbers_only():
    spec = FilterSpec("p", "P", "1", "r", "2025-01-01", (FilterEntry(174, "x", "X Corp", "CN", "FAIL"),))
    assert re.findall(r"_\d+_", render(spec, "frr")) == ["_174_"]  # _174_ cannot match 1174 or 1740
    assert "ios-regex '_174_'" in render(spec, "iosxr")
    assert 'as-path AS174 ".* 174 .*";' in render(spec, "junos")


def test_comments_are_ascii_single_line():
    spec = FilterSpec("p", "P", "1", "r", "2025-01-01",
                      (FilterEntry(64496, "t", "Telef\u00f3nica\nS.A.", "ES", "FAIL", ("x",), ("https://e.org/a",)),))
    text = render(spec, "bird")
    assert "64496    # AS64496 Telefonica S.A. (ES): FAIL x; source: https://e.org/a" in text
    assert text.isascii()


def _bird_check(path: Path) -> subprocess.CompletedProcess:
    bird = system_file("/usr/sbin/bird")
    return subprocess.run([str(bird), "-p", "-c", str(path)], capture_output=True, text=True, timeout=30)


def _bird_conf(filter_text: str, name: str) -> str:
    return (f"router id 127.0.0.1;\nprotocol device {{}}\n{filter_text}\n"
            f"protocol bgp netvet_peer {{ local 127.0.0.1 as 65000; neighbor 127.0.0.2 as 65001;\n"
            f"  ipv4 {{ import filter {name}; export none; }}; }}\n")


SPECS = {
    "fixture": ARGS,
    "fixture-review-chunk2": ARGS + ["--include-review", "--chunk", "2"],
    "clean-network": ["--policy", "clean-network"],
}


@pytest.mark.parametrize("case", sorted(SPECS))
def test_bird_parser_accepts_the_filter(capsys, tmp_path, case):
    code = main(["routes", "filter", *SPECS[case], "--format", "bird"])
    out, _ = capsys.readouterr()
    assert code == 0
    name = re.search(r"^filter (\w+)$", out, re.M).group(1)
    conf = tmp_path / "bird.conf"
    conf.write_text(_bird_conf(out, name))
    res = _bird_check(conf)
    assert res.returncode == 0, res.stderr


def test_bird_parser_rejects_a_broken_filter(tmp_path):
    """The check is real: a syntax error is caught."""
    conf = tmp_path / "bird.conf"
    conf.write_text(_bird_conf("filter broken { if filter(bgp_path, [1,]).len > 0 then reject; accept; }", "broken"))
    assert _bird_check(conf).returncode != 0


def _frr_check(path: Path) -> list[str]:
    """Errors reported by FRR's own parsers (vtysh --dryrun and bgpd --dryrun) for a config file."""
    vtysh = system_file("/usr/bin/vtysh")
    bgpd = system_file("/usr/lib/frr/bgpd")
    errors = []
    res = subprocess.run([str(vtysh), "--dryrun", "-f", str(path)], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        errors.append(f"vtysh rc={res.returncode}: {res.stdout}{res.stderr}")
    res = subprocess.run([str(bgpd), "-C", "-S", "-p", "0", "-Z", "-n", "-f", str(path)], capture_output=True,
                         text=True, timeout=30, cwd=path.parent)
    errors += [line for line in (res.stdout + res.stderr).splitlines() if FRR_ERRORS.search(line)]
    if res.returncode != 0:
        errors.append(f"bgpd rc={res.returncode}")
    return errors


def _frr_conf(filter_text: str) -> str:
    name = re.search(r"^route-map (\S+) ", filter_text, re.M).group(1)
    return (filter_text + "router bgp 65000\n neighbor 127.0.0.2 remote-as 65001\n address-family ipv4 unicast\n"
            f"  neighbor 127.0.0.2 route-map {name} in\n exit-address-family\nexit\n")


@pytest.mark.parametrize("case", sorted(SPECS))
def test_frr_parsers_accept_the_filter(capsys, tmp_path, case):
    code = main(["routes", "filter", *SPECS[case], "--format", "frr"])
    out, _ = capsys.readouterr()
    assert code == 0
    conf = tmp_path / "frr.conf"
    conf.write_text(_frr_conf(out))
    assert _frr_check(conf) == []


def test_frr_check_catches_a_bad_regex(tmp_path):
    conf = tmp_path / "frr.conf"
    conf.write_text("bgp as-path access-list X seq 5 permit _(4134_\nroute-map X deny 10\n match as-path X\nexit\n")
    assert any("can't compile" in e or "Config Failed" in e for e in _frr_check(conf))


def test_empty_lists_still_parse(tmp_path):
    spec = FilterSpec("none", "No exclusions", "1", "r", "2025-01-01")
    conf = tmp_path / "bird.conf"
    conf.write_text(_bird_conf(render(spec, "bird"), "netvet_none"))
    assert _bird_check(conf).returncode == 0
    frr = tmp_path / "frr.conf"
    frr.write_text(_frr_conf(render(spec, "frr")))
    assert _frr_check(frr) == []


# --------------------------------------------------------------------------- a live BIRD
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_bird(tmp_path, capsys):
    """BIRD on 127.0.0.1 (own socket and port under tmp_path), importing through the fixture filter."""
    bird = system_file("/usr/sbin/bird")
    birdc = system_file("/usr/sbin/birdc")
    assert main(["routes", "filter", *ARGS, "--format", "bird"]) == 0
    filter_text, _ = capsys.readouterr()
    port = _free_port()
    conf = tmp_path / "bird.conf"
    conf.write_text(
        f"router id 127.0.0.1;\nprotocol device {{}}\n{filter_text}\n"
        f"protocol bgp speaker {{\n  local 127.0.0.1 port {port} as 65000;\n  neighbor 127.0.0.2 as 64510;\n"
        f"  passive on;\n  multihop;\n"
        f"  ipv4 {{ import keep filtered on; import filter netvet_route_test; export none; }};\n}}\n")
    sock = tmp_path / "bird.ctl"
    proc = subprocess.Popen([str(bird), "-f", "-c", str(conf), "-s", str(sock), "-P", str(tmp_path / "bird.pid")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 15
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"BIRD did not start: {proc.stdout.read() if proc.stdout else ''}")
            time.sleep(0.05)

        def birdc_(*cmd: str) -> str:
            return subprocess.run([str(birdc), "-s", str(sock), *cmd], capture_output=True, text=True,
                                  timeout=15).stdout

        yield port, birdc_
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


ANNOUNCED = {  # prefix -> AS path segments (AS_SEQUENCE = 2, AS_SET = 1); the peer is AS64510
    "10.1.0.0/16": [(2, [64510, 1174])],  # 1174 is not 174
    "10.2.0.0/16": [(2, [64510, 41740, 64999])],  # nor is 41740
    "10.3.0.0/16": [(2, [64510, 3356, 174])],  # excluded origin
    "10.4.0.0/16": [(2, [64510, 174, 64999])],  # excluded transit
    "10.5.0.0/16": [(2, [64510, 3356]), (1, [64999, 64497])],  # excluded AS_SET member
    "10.6.0.0/16": [(2, [64510, 65537, 65537])],  # 4-byte excluded AS, prepended
    "10.7.0.0/16": [(2, [64510, 64500, 64999])],  # REVIEW only: not in the default filter
    "10.8.0.0/16": [(2, [64510]), (1, [64998, 64999])],  # AS_SET without excluded members
}


def test_live_bird_rejects_exactly_the_routes_with_excluded_ases(live_bird):
    from bgp_speaker import Speaker

    port, birdc = live_bird
    speaker = Speaker("127.0.0.2", "127.0.0.1", port, 64510)
    try:
        for prefix, segs in ANNOUNCED.items():
            speaker.announce(prefix, segs, "127.0.0.2")
        deadline = time.monotonic() + 15
        while True:
            accepted = set(re.findall(r"^(10\.\d+\.0\.0/16)", birdc("show", "route", "protocol", "speaker"), re.M))
            filtered = set(re.findall(r"^(10\.\d+\.0\.0/16)", birdc("show", "route", "filtered"), re.M))
            if len(accepted) + len(filtered) == len(ANNOUNCED) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert "Established" in birdc("show", "protocols", "speaker")
    finally:
        speaker.close()
    assert filtered == {"10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16", "10.6.0.0/16"}
    assert accepted == {"10.1.0.0/16", "10.2.0.0/16", "10.7.0.0/16", "10.8.0.0/16"}

