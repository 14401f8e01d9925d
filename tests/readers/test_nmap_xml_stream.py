"""nmap-xml as a stream (issue 14): hosts come as the parser completes them, what is not an nmap report is refused
before any observation, and a damaged file ends the stream with the same observations and counts as ``read``."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from netvet.model import InputError
from netvet.readers import nmap_xml
from netvet.readers.nmap_xml import CHUNK, NmapXmlReader
from tests.conftest import shared_file
from tests.readers import stream_outcome

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
FIXTURES = ["nmap_cameras.xml", "nmap_truncated.xml", "xml_billion_laughs.xml", "xml_external_dtd.xml",
            "xml_external_entity.xml", "xml_garbage.xml", "xml_not_nmap.xml"]
SHARED = ["inputs/nmap_xml/libnmap_2_hosts_version.xml", "inputs/nmap_xml/libnmap_dionaea_scan.xml",
          "inputs/nmap_xml/libnmap_full_sudo6.xml"]


def outcome(path: Path, how: str):
    return stream_outcome.outcome(NmapXmlReader(), path, how)


def scan(hosts: int) -> bytes:
    rows = [b'<?xml version="1.0"?>\n<!DOCTYPE nmaprun>\n<nmaprun scanner="nmap" args="nmap -oX x">\n']
    for i in range(hosts):
        state = b"down" if i % 10 == 9 else b"up"
        rows.append(b'<host><status state="%s"/><address addr="10.0.%d.%d" addrtype="ipv4"/><address '
                    b'addr="A0:B0:C0:00:%02X:%02X" addrtype="mac" vendor="Huawei"/><ports><port protocol="tcp" '
                    b'portid="22"><service name="ssh" product="OpenSSH"/></port></ports></host>\n'
                    % (state, i >> 8 & 255, i & 255, i >> 8 & 255, i & 255))
    rows.append(b"</nmaprun>\n")
    return b"".join(rows)


def test_streams():
    assert NmapXmlReader.streams() is True


@pytest.mark.parametrize("path", [FIX / n for n in FIXTURES] + [pytest.param(s, id=s) for s in SHARED])
def test_stream_equals_read(path):
    stream_outcome.assert_stream_equals_read(NmapXmlReader(), path if isinstance(path, Path) else shared_file(path))


def test_fixture_outcomes_are_the_documented_ones():
    got = {n: outcome(FIX / n, "stream")[0] for n in FIXTURES}
    assert got == {"nmap_cameras.xml": "ok", "nmap_truncated.xml": "ok", "xml_billion_laughs.xml": "refused",
                   "xml_external_dtd.xml": "refused", "xml_external_entity.xml": "refused",
                   "xml_garbage.xml": "refused", "xml_not_nmap.xml": "refused"}


def test_hosts_come_before_the_end_of_the_file(tmp_path, monkeypatch):
    path = tmp_path / "big.xml"
    path.write_bytes(scan(15_000))  # about 3.6 MB: four chunks
    handles = []
    real = nmap_xml.open_input

    def tracked(p):
        fh = real(p)
        handles.append(fh)
        return fh

    monkeypatch.setattr(nmap_xml, "open_input", tracked)
    stream = NmapXmlReader().stream(path)
    first = next(iter(stream))
    assert first.id == "big.xml:4" and first.attributes["ip"] == "10.0.0.0"
    assert handles[0].tell() == CHUNK < path.stat().st_size // 3
    rest = list(stream)
    assert len(rest) == 15_000 - 1_500 - 1 and rest[-1].id == "big.xml:15002"
    st = stream.stats
    assert (st.read, st.skipped, st.malformed, st.damaged, st.issues) == (15_000, 1_500, 0, 0, [])
    assert handles[0].closed


@pytest.mark.parametrize("cut", [CHUNK - 5, CHUNK + 7, 2 * CHUNK + 100, 3 * CHUNK - 1])
def test_cut_short_across_chunks_equals_read(tmp_path, cut):
    data = scan(15_000)
    path = tmp_path / "cut.xml"
    path.write_bytes(data[:cut])
    streamed, read = outcome(path, "stream"), outcome(path, "read")
    assert streamed == read
    complete = data[:cut].count(b"</host>")
    up = sum(1 for i in range(complete) if i % 10 != 9)
    _, observations, st = streamed
    assert len(observations) == up
    # the host the cut falls in is read and malformed (a cut between hosts would be damage instead)
    assert (st["read"], st["malformed"], st["skipped"]) == (complete + 1, 1, complete - up)


def test_damage_in_a_later_chunk_keeps_the_hosts_before_it(tmp_path):
    data = scan(15_000)
    at = data.index(b"<host>", 2 * CHUNK)
    path = tmp_path / "damaged.xml.gz"
    path.write_bytes(gzip.compress(data[:at] + b"<host><&" + data[at:]))
    streamed, read = outcome(path, "stream"), outcome(path, "read")
    assert streamed == read
    complete = data[:at].count(b"</host>")
    assert streamed[2]["read"] == complete + 1 and streamed[2]["malformed"] == 1


def test_not_nmap_after_a_long_prolog_is_refused_by_stream(tmp_path):
    path = tmp_path / "long.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n<!-- ' + b"x" * (2 * CHUNK) + b" -->\n<project><host/></project>\n")
    with pytest.raises(InputError, match=r"not an nmap XML report: the root element is <project>") as exc:
        NmapXmlReader().stream(path)
    assert exc.value.issue.line == 3


def test_close_releases_an_unfinished_stream(tmp_path):
    path = tmp_path / "c.xml"
    path.write_bytes(scan(10))
    stream = NmapXmlReader().stream(path)
    next(iter(stream))
    stream.close()
    assert list(stream) == []


def test_past_the_decompression_limit_part_way(tmp_path, monkeypatch):
    # the one InputError a stream raises after observations (read raises it too; the pipeline marks the input
    # failed: tests/test_pipeline_stream_failure.py)
    path = tmp_path / "bomb.xml.gz"
    path.write_bytes(gzip.compress(scan(15_000)))
    monkeypatch.setenv("NETVET_MAX_DECOMPRESSED_BYTES", str(2 * CHUNK + CHUNK // 2))
    stream = NmapXmlReader().stream(path)
    seen = []
    with pytest.raises(InputError, match="decompresses to more than 2.5 MiB"):
        for obs in stream:
            seen.append(obs)
    complete = scan(15_000)[:2 * CHUNK].count(b"</host>")
    assert len(seen) == sum(1 for i in range(complete) if i % 10 != 9) and stream.stats.read == complete
    with pytest.raises(InputError, match="decompresses to more than"):
        NmapXmlReader().read(path)
