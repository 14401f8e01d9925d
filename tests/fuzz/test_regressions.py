"""What the fuzzing found in readers, each fixed and kept as a regression test (no exception escapes read())."""

from __future__ import annotations

import pytest

from netvet.model import InputError
from netvet.readers.nmap_xml import NmapXmlReader
from tests.conftest import FIXTURES, shared_file
from tests.fuzz.mutations import mutate


def test_nmap_xml_with_an_unknown_encoding_is_refused(tmp_path):
    f = tmp_path / "scan.xml"
    f.write_bytes(b'<?xml version="1.0" encoding="TTF-8"?>\n<nmaprun scanner="nmap"></nmaprun>\n')
    with pytest.raises(InputError, match="not readable XML"):
        NmapXmlReader().read(f)


def test_apk_with_a_damaged_member_is_read_with_the_damage_counted(tmp_path):
    pytest.importorskip("androguard")
    from netvet.readers.apk import ApkReader

    data = mutate((FIXTURES / "apps" / "fuzz_seed.apk").read_bytes(), [("swap_lines", 210, 36654)])
    f = tmp_path / "app.apk"
    f.write_bytes(data)
    try:
        res = ApkReader().read(f)
    except InputError:
        return  # refused whole: also a clean answer
    st = res.stats
    assert st.malformed + st.skipped <= st.read


def test_zeek_dns_log_with_mutated_rows_counts_them(tmp_path):
    src = shared_file("inputs/flows/zeek_dns-key_dns.log").read_bytes()
    data = mutate(src, [("flip", 4089764052, 2263206555), ("big_int", 3937347315, 1901833590),
                        ("insert", 3810117218, 3399532427), ("big_int", 2236024371, 303584018)])
    f = tmp_path / "dns.log"
    f.write_bytes(data)
    from netvet.flows.evidence import FlowEvidenceReader

    try:
        res = FlowEvidenceReader().read(f)
    except InputError:
        return
    st = res.stats
    assert st.malformed + st.skipped <= st.read


def test_prefix_length_behind_a_control_character(tmp_path):
    """str.strip() drops \\x1e, int() does not: the length is parsed from the stripped text (was ValueError)."""
    from netvet.util.prefix_origins import parse_prefix, read_prefix_origins

    assert parse_prefix("12.0.0.0/\x1e8") == (4, 0x0C000000, 8, False)
    f = tmp_path / "x.pfx2as"
    f.write_text("12.0.0.0\t\x1e8\t7018\n13.0.0.0\t8\t\x1f\n")
    po = read_prefix_origins(f, "pfx2as")
    assert (po.stats.read, po.stats.malformed, po.v4_count) == (2, 1, 1)


def test_apk_whose_central_directory_needs_an_unknown_zip_version(tmp_path):
    """zipfile raises NotImplementedError for a "version needed to extract" it does not know: not an APK to the
    sniffer, a clean refusal or counted damage to the reader (was an escaped NotImplementedError)."""
    import io
    import zipfile

    from netvet.readers.apk import ApkReader, _is_apk_zip

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
        z.writestr("classes.dex", b"dex\n035\x00")
    data = bytearray(buf.getvalue())
    at = data.find(b"PK\x01\x02")
    data[at + 6] = 84  # version needed to extract: 8.4
    f = tmp_path / "app.apk"
    f.write_bytes(bytes(data))
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(f)
    assert not _is_apk_zip(f)
    try:
        res = ApkReader().read(f)
    except InputError:
        return
    assert res.stats.malformed + res.stats.skipped <= res.stats.read
