"""An input whose stream fails after it yielded observations (an nmap report compressed past the decompression
limit, found part-way): the input is marked failed, saying how much of it was read, the batch goes on, and the
audit exits 2 -- never a report that looks clean."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest

from netvet.attribution.oui import MacRegistry
from netvet.attribution.registry import Registry
from netvet.cli.common import input_exit_code
from netvet.model import InputError
from netvet.pipeline import Context, InputStream, read_inputs, stream_audit
from netvet.readers.nmap_xml import CHUNK

FIX = Path(__file__).resolve().parent / "fixtures"
LIMIT = 2 * CHUNK + CHUNK // 2  # the third 1 MiB chunk of the report passes it


def _scan(hosts: int) -> bytes:
    rows = [b'<?xml version="1.0"?>\n<nmaprun scanner="nmap">\n']
    rows += [b'<host><status state="up"/><address addr="10.0.%d.%d" addrtype="ipv4"/><address '
             b'addr="A0:B0:C0:00:%02X:%02X" addrtype="mac" vendor="Huawei"/></host>\n'
             % (i >> 8 & 255, i & 255, i >> 8 & 255, i & 255) for i in range(hosts)]
    return b"".join(rows + [b"</nmaprun>\n"])


@pytest.fixture
def bomb(tmp_path, monkeypatch) -> tuple[Path, int]:
    """(a gzip nmap report of 20,000 hosts, the number of hosts in the part read before the limit)."""
    data = _scan(20_000)
    path = tmp_path / "scan.xml.gz"
    path.write_bytes(gzip.compress(data))
    monkeypatch.setenv("NETVET_MAX_DECOMPRESSED_BYTES", str(LIMIT))
    return path, data[:2 * CHUNK].count(b"</host>")


def _reason(read: int) -> str:
    return ("gzip-compressed input decompresses to more than 2.5 MiB (limit max_decompressed_bytes, "
            "NETVET_MAX_DECOMPRESSED_BYTES); refused as a possible decompression bomb "
            f"(after {read} of its observations had been read; the audit keeps them, the rest of this input "
            "was not read)")


def test_failure_part_way_marks_the_input_and_the_batch_goes_on(bomb):
    path, read = bomb
    inventory = FIX / "pipeline" / "inventory.csv"
    observations, stats = read_inputs([path, inventory])
    from_scan = [o for o in observations if o.source.file == str(path)]
    from_inventory = [o for o in observations if o.source.file == str(inventory)]
    assert len(from_scan) == read and 0 < read < 20_000
    assert len(from_inventory) == stats[1].read - stats[1].malformed and stats[1].failed is None
    assert stats[0].failed == _reason(read) and stats[0].read == read


def test_the_only_input_failing_part_way_is_raised(bomb):
    path, read = bomb
    stream = InputStream([path])
    with pytest.raises(InputError) as exc:
        list(stream)
    assert exc.value.issue.reason == _reason(read)
    assert [s.failed for s in stream.stats] == [_reason(read)]


def test_streamed_audit_reports_the_failed_input(bomb):
    path, read = bomb
    ctx = Context.build([str(FIX / "policies" / "good-pack.yaml")], Registry.load(FIX / "registry" / "mini"),
                        date(2026, 1, 1), macs=MacRegistry())
    evidence = InputStream([FIX / "pipeline" / "inventory.csv", path])
    run = stream_audit(ctx, evidence, evidence.stats)
    try:
        assert run.count == evidence.stats[0].read - evidence.stats[0].malformed + read
        failed = [s for s in run.inputs if s.failed]
        assert [s.file for s in failed] == [str(path)] and failed[0].attributed + failed[0].unattributed == read
        assert input_exit_code(run, strict=False) == 2
    finally:
        run.close()
