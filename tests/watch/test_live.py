"""Live feeds on loopback: BIRD 2 -> ExaBGP (BGP session) -> netvet; FRR bgpd -> BMP -> netvet; Ctrl-C."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from netvet.watch.channels import Dispatcher
from netvet.watch.config import load_config
from netvet.watch.runner import run_live
from tests.conftest import system_file
from tests.watch.conftest import Recorder, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "enforce"))


def need_module(name: str) -> None:
    if importlib.util.find_spec(name) is None:
        msg = f"Python package {name!r} missing (install netvet's watch extra)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)


class Watcher:
    """run_live in a thread, stopped like Ctrl-C would."""

    def __init__(self, cfg, ctx) -> None:
        self.rec = Recorder()
        self.ready = threading.Event()
        self.holder: dict = {}
        self.error: BaseException | None = None

        def target() -> None:
            try:
                run_live(cfg, Dispatcher([self.rec]), ctx=ctx, ready=self.ready, loop_holder=self.holder)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.error = exc

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()
        assert self.ready.wait(30), f"watcher not ready: {self.error}"

    def stop(self) -> None:
        loop = self.holder.get("loop")
        if loop is not None:
            loop.call_soon_threadsafe(self.holder["stop"].set)
        self.thread.join(20)
        assert not self.thread.is_alive()
        assert self.error is None, self.error


def _proc_stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_bird_to_exabgp_events_and_latency(tmp_path, clean_ctx):
    bird = system_file("/usr/sbin/bird")
    birdc = system_file("/usr/sbin/birdc")
    need_module("exabgp")
    port = free_port()
    cfg_file = tmp_path / "watch.yaml"
    cfg_file.write_text(
        "policy: clean-network\nevaluated_on: 2026-11-24\nwatch:\n  prefixes: [10.1.0.0/16, 10.2.0.0/16]\n"
        "rules:\n  - {id: excluded-carrier, kind: excluded_carrier}\n"
        "  - {id: via-lumen, kind: must_transit, asns: [3356]}\n"
        "  - {id: withdrawn, kind: withdrawn}\n"
        f"feeds:\n  - {{name: r1, type: bgp, listen: 127.0.0.2, port: {port}, local_as: 65000, peer_as: 65001, "
        "peer: 127.0.0.1, expected_interval: 60}\n"
        f"state: {tmp_path / 'state.sqlite'}\n")
    cfg = load_config(cfg_file)
    w = Watcher(cfg, clean_ctx)
    conf = tmp_path / "bird.conf"
    conf.write_text(
        "router id 127.0.0.1;\nprotocol device {}\n"
        "protocol static cn { ipv4; route 10.1.0.0/16 blackhole {\n"
        "  bgp_path.prepend(4134); bgp_path.prepend(3356); }; }\n"
        "protocol static clean { ipv4; route 10.2.0.0/16 blackhole { bgp_path.prepend(64496); }; }\n"
        f"protocol bgp exa {{\n  local 127.0.0.1 as 65001;\n  neighbor 127.0.0.2 port {port} as 65000;\n  multihop;\n"
        "  connect delay time 1; connect retry time 1;\n  ipv4 { import none; export all; next hop self; };\n}\n")
    sock = tmp_path / "bird.ctl"
    proc = subprocess.Popen([str(bird), "-f", "-c", str(conf), "-s", str(sock), "-P", str(tmp_path / "bird.pid")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def birdc_(*cmd: str) -> str:
        return subprocess.run([str(birdc), "-s", str(sock), *cmd], capture_output=True, text=True, timeout=15).stdout

    try:
        rec = w.rec
        rec.wait_for(lambda e: e["kind"] == "excluded_carrier" and e["prefix"] == "10.1.0.0/16", 30)
        _, ev = rec.wait_for(lambda e: e["kind"] == "must_transit" and e["prefix"] == "10.2.0.0/16")
        assert ev["paths"][0]["as_path"] == [65001, 64496]
        _, cn = rec.wait_for(lambda e: e["kind"] == "excluded_carrier")
        assert cn["paths"][0]["as_path"] == [65001, 3356, 4134] and cn["asns"] == [4134]
        assert cn["entities"][0]["entity"]["id"] == "china-telecom-corp"
        # withdraw: the alert resolves and "withdrawn everywhere" opens; measure announcement -> alert latency
        t0 = time.monotonic()
        birdc_("disable", "cn")
        t_res, _ = rec.wait_for(lambda e: e["kind"] == "excluded_carrier" and e["action"] == "resolve")
        rec.wait_for(lambda e: e["kind"] == "withdrawn" and e["action"] == "raise" and e["prefix"] == "10.1.0.0/16")
        t1 = time.monotonic()
        birdc_("enable", "cn")
        t_alert, again = rec.wait_for(lambda e: e["kind"] == "excluded_carrier" and e["action"] == "raise"
                                      and e["time"] >= cn["time"] and e["seq"] > cn["seq"])
        latency = t_alert - t1
        print(f"\nBIRD -> ExaBGP -> netvet: withdraw->resolve {t_res - t0:.3f}s, announce->alert {latency:.3f}s")
        assert latency <= 1.0
        rec.wait_for(lambda e: e["kind"] == "withdrawn" and e["action"] == "resolve")
        # the session drops: a session_down event
        birdc_("disable", "exa")
        _, down = rec.wait_for(lambda e: e["kind"] == "session_down" and e["action"] == "raise")
        assert down["peer"] == {"address": "127.0.0.1", "asn": 65001}
    finally:
        _proc_stop(proc)
        w.stop()
    from netvet.watch import open_events

    assert any(e["kind"] == "session_down" for e in open_events(tmp_path / "state.sqlite"))


FRR_CONF = """frr defaults traditional
hostname r1
!
router bgp 65002
 bgp router-id 127.0.0.3
 no bgp ebgp-requires-policy
 neighbor 127.0.0.4 remote-as 65010
 neighbor 127.0.0.4 passive
 !
 bmp targets netvet
  bmp connect 127.0.0.1 port {bmp} min-retry 100 max-retry 500
  bmp monitor ipv4 unicast pre-policy
  bmp monitor ipv4 unicast post-policy
 exit
exit
"""


def test_frr_bmp_events(tmp_path, clean_ctx):
    bgpd = system_file("/usr/lib/frr/bgpd")
    system_file("/usr/lib/x86_64-linux-gnu/frr/modules/bgpd_bmp.so")
    from bgp_speaker import Speaker

    bmp_port, bgp_port = free_port(), free_port()
    cfg_file = tmp_path / "watch.yaml"
    cfg_file.write_text(
        "policy: clean-network\nevaluated_on: 2026-11-24\nwatch:\n  prefixes: [10.9.0.0/16]\n"
        f"feeds:\n  - {{name: frr, type: bmp, listen: 127.0.0.1, port: {bmp_port}}}\n")
    w = Watcher(load_config(cfg_file), clean_ctx)
    conf = tmp_path / "bgpd.conf"
    conf.write_text(FRR_CONF.format(bmp=bmp_port))
    proc = subprocess.Popen([str(bgpd), "-M", "bmp", "-S", "-Z", "-n", "-l", "127.0.0.3", "-p", str(bgp_port), "-f",
                             str(conf), "-i", str(tmp_path / "bgpd.pid"), "--vty_socket", str(tmp_path), "-P", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sp = None
    try:
        rec = w.rec
        sp = Speaker("127.0.0.4", "127.0.0.3", bgp_port, 65010)
        sp.announce("10.9.0.0/16", [(2, [65010, 3356, 4134])], "192.0.2.4")
        _, ev = rec.wait_for(lambda e: e["kind"] == "excluded_carrier" and e["prefix"] == "10.9.0.0/16", 20)
        assert 4134 in ev["asns"] and all(p["feed"] == "frr" for p in ev["paths"])
        assert any(p["as_path"][-2:] == [3356, 4134] for p in ev["paths"])
        sp.close()
        sp = None
        # FRR reports the peer down (or withdraws): the alert resolves
        rec.wait_for(lambda e: e["kind"] == "excluded_carrier" and e["action"] == "resolve", 20)
        proc.terminate()  # the router goes away: the BMP session drops
        rec.wait_for(lambda e: e["kind"] == "session_down" and e["feed"] == "frr" and e["peer"]["asn"] == 0, 20)
    finally:
        if sp is not None:
            sp.close()
        _proc_stop(proc)
        w.stop()


def test_ctrl_c_exits_cleanly(tmp_path):
    port = free_port()
    cfg = tmp_path / "watch.yaml"
    cfg.write_text(f"policy: clean-network\nfeeds:\n  - {{name: b, type: bmp, port: {port}}}\n"
                   f"state: {tmp_path / 's.sqlite'}\n")
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from netvet.cli import main; sys.exit(main())",
                             "watch", "--config", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        import socket

        while time.monotonic() < deadline:  # the BMP port is open: the watcher runs
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped:" in err and (tmp_path / "s.sqlite").exists()
