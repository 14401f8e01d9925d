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
from netvet.model import InputError, ReadStats
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


def mixed_capture(tmp_path: Path) -> Path:
    """A capture of NetFlow v5, v9 (IPv4 and IPv6) and IPFIX packets (the nfcapd fuzz seed)."""
    ms = T0 * 1000
    return capture(tmp_path, [
        nf.v5(T0, [("10.0.0.5", "192.0.2.10", 51000, 443, 6, 10, 1000, 9000, 5000),
                   ("10.0.0.6", "198.18.1.1", 40002, 80, 17, 1, 76, 2000, 2000)]),
        nf.v9(T0, [("10.0.0.5", "192.0.2.11", 51001, 443, 6, 10, 1000, 9000, 5000)],
              [("fd00::10", "2001:db8:100::1", 40001, 443, 6, 7, 700, 8000, 7000)]),
        nf.ipfix(T0, [("10.0.0.7", "198.18.1.2", 40003, 80, 6, 4, 400, ms - 60_000, ms - 30_000)], [])])


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


def _fake_nfdump(tmp_path: Path, body: str, monkeypatch) -> Path:
    """An nfcapd file (the magic is all the reader checks before running nfdump) and a stand-in nfdump."""
    from netvet.readers.flowlogs import nfdump

    exe = tmp_path / "nfdump"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    monkeypatch.setattr(nfdump, "nfdump_binary", lambda: str(exe))
    f = tmp_path / "nfcapd.202311142200"
    f.write_bytes(b"\x0c\xa5\x02\x00" + bytes(200))
    return f


HEADER = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt"
ROW = "2023-11-14 22:13:11,2023-11-14 22:13:15,4.000,10.0.0.5,192.0.2.10,51000,443,TCP,.AP.S.,0,0,10,1000,0,0"


def test_a_silent_nfdump_is_stopped(tmp_path, monkeypatch):
    """nfdump stuck on a damaged file must not hang the audit: silent for STALL_SECONDS, it is killed, what it
    wrote is kept and the file says so."""
    from netvet.readers.flowlogs import nfdump

    monkeypatch.setattr(nfdump, "STALL_SECONDS", 1)
    f = _fake_nfdump(tmp_path, f"echo '{HEADER}'\necho '{ROW}'\nexec sleep 60\n", monkeypatch)
    t0 = time.monotonic()
    fmt, c, st = read(f)
    assert time.monotonic() - t0 < 15
    assert (fmt, st.read, len(c)) == ("nfcapd", 1, 1)
    assert [i.reason for i in st.issues] == [
        "nfdump wrote nothing for 1 s and was stopped; the records after that point were not read"]


def test_nfdump_complaints_past_a_pipe_do_not_block_it(tmp_path, monkeypatch):
    """nfdump's stderr is drained on a thread: 480 kB of complaints (more than a pipe holds) before its output do
    not deadlock the reader; the first complaints are kept, capped."""
    body = (f"i=0; while [ $i -lt 8000 ]; do echo 'corrupt block {'x' * 40}' >&2; i=$((i+1)); done\n"
            f"echo '{HEADER}'\necho '{ROW}'\n")
    f = _fake_nfdump(tmp_path, body, monkeypatch)
    fmt, c, st = read(f)
    assert (st.read, len(c)) == (1, 1)
    assert len(st.issues) == problems.MAX_ITEMISED
    assert {i.reason for i in st.issues} == {"nfdump: corrupt block " + "x" * 40}


def test_an_nfdump_repeating_a_complaint_forever_is_stopped(tmp_path, monkeypatch):
    """On some damage nfdump repeats one complaint forever (found by fuzzing: 'Error process appendix record type',
    200 MB in 5 s): past STDERR_LIMIT it is stopped, at once."""
    f = _fake_nfdump(tmp_path, f"echo '{HEADER}'\necho '{ROW}'\nwhile :; do echo 'Error process appendix record "
                               "type: 395' >&2; done\n", monkeypatch)
    t0 = time.monotonic()
    fmt, c, st = read(f)
    assert time.monotonic() - t0 < 15
    assert (st.read, len(c)) == (1, 1)
    assert {i.reason for i in st.issues} == {
        "nfdump: Error process appendix record type: 395",
        "nfdump wrote more than 1 MB of complaints about this file and was stopped; the records after that point "
        "were not read"}


def test_capture_on_which_nfdump_loops_is_refused_at_once(tmp_path):
    """Found by the long fuzz run: two duplicated 'lines' in a capture make nfdump print 'Error process appendix
    record type' forever (200 MB of stderr in 5 s, 100 % CPU): the old reader hung. Now nfdump is stopped past
    1 MB of complaints and the file refused in its words."""
    from tests.fuzz.mutations import mutate

    seed = mixed_capture(tmp_path)
    bad = tmp_path / "nfcapd.looping"
    bad.write_bytes(mutate(seed.read_bytes(), [("dup_line", 6508, 0), ("dup_line", 6508, 5675)]))
    t0 = time.monotonic()
    with pytest.raises(InputError, match=r"nfdump could not read it \(nfdump wrote more than 1 MB of complaints"):
        read(bad)
    assert time.monotonic() - t0 < 15
