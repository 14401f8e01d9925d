"""`netvet routes dump`: bgpdump -m lines, JSON lines, --output, --strict exit codes, bad input."""

from __future__ import annotations

import gzip
import json
import os
import stat
import threading
from pathlib import Path

from netvet.cli import main
from tests.conftest import shared_file
from tests.readers.test_mrt import SAMPLE_LINES

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "mrt"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["routes", "dump", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_dump_bgpdump_lines_to_stdout(capsys):
    code, out, err = run(capsys, str(FIX / "sample.mrt"))
    assert code == 0
    assert out.splitlines() == SAMPLE_LINES
    assert "23 MRT records, 27 lines written (A 10, B 10, STATE 3, W 4); 0 problem(s)" in err
    assert "1 skipped: announcements of IPv4 MPLS VPN (AFI 1, SAFI 128)" in err


def test_dump_json_lines(capsys):
    code, out, _ = run(capsys, str(FIX / "sample.mrt"), "--format", "json", "--quiet")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 27
    assert rows[0] == {
        "type": "TABLE_DUMP2",
        "timestamp": 1700000000,
        "microseconds": None,
        "kind": "B",
        "peer_ip": "192.0.2.11",
        "peer_as": 64500,
        "prefix": "192.0.2.0/24",
        "path_id": None,
        "safi": 1,
        "as_path": [64500, 3356, 64511],
        "segments": [{"type": "AS_SEQUENCE", "asns": [64500, 3356, 64511]}],
        "origin": "IGP",
        "next_hop": "192.0.2.11",
        "local_pref": 100,
        "med": 10,
        "communities": ["64500:100", "65535:65281"],
        "large_communities": [],
        "atomic_aggregate": True,
        "aggregator": {"asn": 64511, "address": "192.0.2.99"},
        "offset": 75,
    }
    assert rows[22] == {
        "type": "BGP4MP",
        "timestamp": 1700000009,
        "microseconds": None,
        "kind": "STATE",
        "peer_ip": "2001:db8::12",
        "peer_as": 64502,
        "old_state": 6,
        "new_state": 1,
        "offset": rows[22]["offset"],
    }
    assert rows[9]["kind"] == "W" and "as_path" not in rows[9]


def test_dump_to_output_file(capsys, tmp_path):
    dest = tmp_path / "out.txt"
    code, out, err = run(capsys, str(shared_file("mrt/bview.ipv4_unicast_add_path.gz")), "--output", str(dest))
    assert code == 0 and out == ""
    with gzip.open(shared_file("bgpdump-expect/bview.ipv4_unicast_add_path.gz.bgp.gz"), "rt") as fh:
        assert dest.read_text() == fh.read()
    assert f"to {dest}" in err
    assert not (tmp_path / "out.txt.tmp").exists()


def test_dump_into_a_pipe_or_device_never_replaces_it(capsys, tmp_path):
    """`--output /dev/null` (or a FIFO) is written into, not renamed over: a dump once replaced /dev/null."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    code, _, _ = run(capsys, str(FIX / "sample.mrt"), "--output", str(fifo))
    reader.join(30)
    assert code == 0 and got[0].splitlines() == SAMPLE_LINES
    assert stat.S_ISFIFO(fifo.stat().st_mode) and not (tmp_path / "out.fifo.tmp").exists()
    code, _, _ = run(capsys, str(FIX / "sample.mrt"), "--output", os.devnull)
    assert code == 0 and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_text_output_into_a_pipe_stays_a_pipe(capsys, tmp_path):
    """Every command writing through `write_output` (here `routes audit`) writes into a FIFO, not over it."""
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    args = ["routes", "audit", str(FIX / "sample.mrt"), "--format", "json"]
    code = main([*args, "--output", str(fifo)])
    reader.join(30)
    capsys.readouterr()
    assert stat.S_ISFIFO(fifo.stat().st_mode) and not (tmp_path / "audit.fifo.tmp").exists()
    assert main(args) == code
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k != "generated_at"}  # noqa: E731
    assert strip(got[0]) == strip(capsys.readouterr().out)


def test_damaged_file_exit_codes(capsys):
    code, out, err = run(capsys, str(FIX / "truncated.mrt"))
    assert code == 0 and out.splitlines() == SAMPLE_LINES[:7]
    assert "byte offset 502: record 5 (TABLE_DUMP_V2/RIB_GENERIC) at byte offset 502 is truncated" in err
    code, out, err = run(capsys, str(FIX / "truncated.mrt"), "--strict")
    assert code == 2 and out.splitlines() == SAMPLE_LINES[:7]  # everything readable is still written
    code, _, _ = run(capsys, str(FIX / "sample.mrt"), "--strict")
    assert code == 0


def test_unknown_type_is_a_warning_not_damage(capsys):
    code, out, err = run(capsys, str(FIX / "unknown_type.mrt"), "--strict")
    assert code == 0 and len(out.splitlines()) == 27
    assert "warning:" in err and "unknown MRT type 99" in err


def test_garbage_and_missing_files_exit_2(capsys, tmp_path):
    code, out, err = run(capsys, str(FIX / "garbage.bin"))
    assert code == 2 and out == ""
    assert "not an MRT file" in " ".join(err.split())
    dest = tmp_path / "o.txt"
    code, _, _ = run(capsys, str(FIX / "garbage.bin"), "-o", str(dest))
    assert code == 2 and not dest.exists() and not (tmp_path / "o.txt.tmp").exists()
    code, _, err = run(capsys, str(tmp_path / "missing.mrt"))
    assert code == 2 and "file not found" in " ".join(err.split())


def test_rib6_truncation_under_strict(capsys, tmp_path):
    dest = tmp_path / "rib6.txt"
    code, _, err = run(capsys, str(shared_file("mrt/rib6.20151101.0600_firstMB.bz2")), "-o", str(dest), "--strict")
    assert code == 2
    assert "byte offset 12131168" in err
    assert sum(1 for _ in dest.open()) == 149578


def test_routes_help_lists_dump(capsys):
    code = main(["routes", "--help"])
    assert code == 0
    assert "dump" in capsys.readouterr().out


def test_dump_of_a_rib_is_byte_identical_to_bgpdump(capsysbinary, tmp_path):
    """The C writer's path (runs of TDv2 RIB records) through the CLI, to stdout and to a file."""
    import shutil
    import subprocess

    import pytest

    if shutil.which("bgpdump") is None:
        pytest.skip("Debian's bgpdump is not installed")
    rib = shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz")
    oracle = subprocess.run(["bgpdump", "-q", "-m", str(rib)], capture_output=True, check=True).stdout
    assert main(["routes", "dump", "-q", str(rib)]) == 0
    assert capsysbinary.readouterr().out == oracle
    dest = tmp_path / "rib.txt"
    assert main(["routes", "dump", str(rib), "-o", str(dest)]) == 0
    assert dest.read_bytes() == oracle
    assert "9073 MRT records, 270005 lines written" in capsysbinary.readouterr().err.decode()
