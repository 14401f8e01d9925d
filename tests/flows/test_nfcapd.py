"""NetFlow v5, v9 and IPFIX end to end: packets sent to a real nfcapd on loopback, its file read through nfdump."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from netvet.flows import engine
from netvet.model import ReadStats
from netvet.readers.flowlogs import problems
from netvet.readers.flowlogs.addresses import to_text
from netvet.readers.flowlogs.base import ReadOptions
from netvet.readers.flowlogs.records import FlowChunk, iso_time
from tests.conftest import system_file
from tests.flows import netflow_packets as nf

T0 = 1_700_000_000


def _free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def capture(tmp_path: Path, packets: list[bytes]) -> Path:
    """Run nfcapd on 127.0.0.1, send ``packets``, stop it, return the file it wrote."""
    exe = system_file("/usr/bin/nfcapd")
    out = tmp_path / "flows"
    out.mkdir()
    port = _free_udp_port()
    proc = subprocess.Popen([str(exe), "-b", "127.0.0.1", "-p", str(port), "-w", str(out), "-t", "3600"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "TZ": "UTC"})
    try:
        deadline = time.monotonic() + 10
        while not any(out.glob("nfcapd.current*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        nf.send(port, packets)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        log = proc.communicate(timeout=20)[0].decode(errors="replace")
    files = sorted(p for p in out.glob("nfcapd.2*"))
    assert len(files) == 1, log
    return files[0]


def read(path: Path):
    f = engine.detect(path)
    stats = ReadStats(str(path), f.format)
    chunks = [c for part in f.parts(path, ReadOptions()) for c in f.read_part(part, stats)]
    problems.finish(stats)
    return f.format, FlowChunk.concat(chunks), stats


@pytest.fixture(autouse=True)
def _nfdump():
    system_file("/usr/bin/nfdump")


def test_netflow_v5(tmp_path):
    path = capture(tmp_path, [nf.v5(T0, [("10.0.0.5", "192.0.2.10", 51000, 443, 6, 10, 1000, 9000, 5000),
                                         ("192.0.2.10", "10.0.0.5", 443, 51000, 6, 8, 5000, 8900, 4900),
                                         ("10.0.0.6", "198.18.1.1", 40002, 80, 17, 1, 76, 2000, 2000)])])
    fmt, c, st = read(path)
    assert (fmt, st.read, st.malformed, st.issues) == ("nfcapd", 3, 0, [])
    rows = sorted(zip(to_text(c.src_hi, c.src_lo), to_text(c.dst_hi, c.dst_lo), c.bytes.tolist(), c.packets.tolist(),
                      [iso_time(int(t)) for t in c.start], [iso_time(int(t)) for t in c.end], strict=True))
    # v5 times are router uptime: export at T0 with 100 s uptime; first 9 s before export -> T0 - 9 s
    assert rows == [("10.0.0.5", "192.0.2.10", 1000, 10, "2023-11-14T22:13:11Z", "2023-11-14T22:13:15Z"),
                    ("10.0.0.6", "198.18.1.1", 76, 1, "2023-11-14T22:13:18Z", "2023-11-14T22:13:18Z"),
                    ("192.0.2.10", "10.0.0.5", 5000, 8, "2023-11-14T22:13:11Z", "2023-11-14T22:13:15Z")]


def test_netflow_v9_with_ipv6(tmp_path):
    path = capture(tmp_path, [nf.v9(T0, [("10.0.0.5", "192.0.2.10", 51000, 443, 6, 10, 1000, 9000, 5000)],
                                    [("fd00::10", "2001:db8:100::1", 40001, 443, 6, 7, 700, 8000, 7000)])])
    fmt, c, st = read(path)
    assert (st.read, st.malformed) == (2, 0)
    assert sorted(zip(to_text(c.src_hi, c.src_lo), to_text(c.dst_hi, c.dst_lo), c.bytes.tolist(), c.packets.tolist(),
                      strict=True)) == [("10.0.0.5", "192.0.2.10", 1000, 10), ("fd00::10", "2001:db8:100::1", 700, 7)]


def test_ipfix(tmp_path):
    ms = T0 * 1000
    v4 = [("10.0.0.6", "198.18.1.1", 40002, 80, 6, 4, 400, ms - 60_000, ms - 30_000)]
    v6 = [("fd00::10", "2001:db8:200::5", 40007, 443, 6, 3, 1234, ms - 20_000, ms - 10_000)]
    path = capture(tmp_path, [nf.ipfix(T0, v4, v6)])
    fmt, c, st = read(path)
    assert (st.read, st.malformed) == (2, 0)
    assert sorted(zip(to_text(c.dst_hi, c.dst_lo), c.bytes.tolist(), [iso_time(int(t)) for t in c.start],
                      strict=True)) == [("198.18.1.1", 400, "2023-11-14T22:12:20Z"),
                                        ("2001:db8:200::5", 1234, "2023-11-14T22:13:00Z")]


def test_damaged_capture_file(tmp_path):
    good = capture(tmp_path, [nf.v5(T0, [("10.0.0.5", "192.0.2.10", 51000, 443, 6, 10, 1000, 9000, 5000)])])
    bad = tmp_path / "nfcapd.damaged"
    bad.write_bytes(good.read_bytes()[:300])
    fmt, c, st = read(bad)
    # the flow block survives the cut; the file's appendix does not, and nfdump says so
    assert (fmt, st.read, st.malformed, len(c), int(c.bytes.sum())) == ("nfcapd", 1, 0, 1, 1000)
    errors = [i.reason for i in st.issues if i.severity == "error"]
    assert errors == ["nfdump: read() error: Short read: Expected: 157, received: 68",
                      f"nfdump: Unable to read appendix block of file: {bad}"]
