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
    from netvet.readers.flow_evidence import FlowEvidenceReader

    try:
        res = FlowEvidenceReader().read(f)
    except InputError:
        return
    st = res.stats
    assert st.malformed + st.skipped <= st.read
