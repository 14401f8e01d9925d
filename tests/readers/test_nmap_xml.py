"""nmap-xml reader: real libnmap samples, hand-written fixtures, hostile and damaged XML."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from netvet.model import IdKind, InputError, Strength
from netvet.readers.nmap_xml import REFUSED, NmapXmlReader

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
M, W = Strength.MODERATE, Strength.WEAK
CPE, MAC, NAME, TEXT = IdKind.CPE, IdKind.MAC, IdKind.NAME, IdKind.TEXT


def ids(obs) -> list[tuple]:
    return [(i.kind, i.value, i.field, i.strength) for i in obs.identifiers]


def test_full_sudo6_four_hosts_up_of_256(shared):
    path = shared("inputs/nmap_xml/libnmap_full_sudo6.xml")
    res = NmapXmlReader().read(path)
    st = res.stats
    assert (st.read, st.skipped, st.malformed, st.issues) == (256, 252, 0, [])
    obs = {o.id: o for o in res.observations}
    assert list(obs) == ["libnmap_full_sudo6.xml:777", "libnmap_full_sudo6.xml:915",
                         "libnmap_full_sudo6.xml:935", "libnmap_full_sudo6.xml:982"]
    assert [o.source.pointer for o in res.observations] == [
        f"/nmaprun/host[{n}]" for n in (253, 254, 255, 256)]
    assert [o.attributes["ip"] for o in res.observations] == ["192.168.1.1", "192.168.1.2", "192.168.1.5",
                                                              "192.168.1.3"]
    assert {(i.value, i.field) for o in res.observations for i in o.identifiers if i.kind in (MAC, NAME)
            and i.field.startswith("nmap:mac")} == {
        ("6C:2E:85:19:AF:00", "nmap:mac"), ("Sagemcom", "nmap:mac-vendor"),
        ("C0:63:94:05:01:03", "nmap:mac"), ("Apple", "nmap:mac-vendor"),
        ("00:1F:3C:87:66:50", "nmap:mac"), ("Intel Corporate", "nmap:mac-vendor"),
    }
    router = obs["libnmap_full_sudo6.xml:777"]
    assert ids(router) == [
        (MAC, "6C:2E:85:19:AF:00", "nmap:mac", M),
        (NAME, "Sagemcom", "nmap:mac-vendor", M),
        (TEXT, "Sagem router telnetd", "nmap:service:23/tcp", M),  # service banners: nmap-service fingerprints
        (TEXT, "commonName=ORname_Jungo: OpenRG Products Group, countryName=US", "nmap:ssl-cert:subject", M),
        (TEXT, "Sagem router telnetd", "nmap:service:992/tcp", M),
        (NAME, "Linux", "nmap:osclass@vendor (accuracy 100%)", W),
        (CPE, "cpe:/o:linux:linux_kernel:2.6.13", "nmap:os:cpe", W),
    ]
    assert router.kind == "host"
    assert router.attributes == {
        "mac": "6C:2E:85:19:AF:00", "mac_vendor": "Sagemcom", "ip": "192.168.1.1", "kind": "router",
        "ssl_subject_country": "US", "ssl_issuer_country": "US",  # the Jungo cert has no organizationName
        "os_match": "Linux 2.6.13 (embedded)", "os_accuracy": "100",
    }
    apple = obs["libnmap_full_sudo6.xml:915"]
    assert ids(apple) == [(MAC, "C0:63:94:05:01:03", "nmap:mac", M), (NAME, "Apple", "nmap:mac-vendor", M)]
    scanner = obs["libnmap_full_sudo6.xml:982"]
    assert not any(i.kind is MAC for i in scanner.identifiers)
    cpes = {i.value for o in res.observations for i in o.identifiers if i.kind is CPE}
    assert len(cpes) == 15
    assert {"cpe:/o:apple:iphone_os:5", "cpe:/o:microsoft:windows_7::sp1", "cpe:/a:heimdal:kerberos"} <= cpes
    osclass_vendors = {(i.value, i.strength) for o in res.observations for i in o.identifiers
                       if i.field.startswith("nmap:osclass@vendor")}
    assert osclass_vendors == {("Linux", W), ("Microsoft", W), ("Apple", W)}


def test_2_hosts_version_osclass_guesses_are_weak_with_accuracy(shared):
    res = NmapXmlReader().read(shared("inputs/nmap_xml/libnmap_2_hosts_version.xml"))
    assert (res.stats.read, res.stats.skipped, res.stats.malformed) == (2, 0, 0)
    local, scanme = res.observations
    assert local.attributes == {"ip": "127.0.0.1", "hostname": "localhost"}
    assert ids(local) == [
        (NAME, "Netgear", "nmap:osclass@vendor (accuracy 96%)", W),
        (NAME, "Linux", "nmap:osclass@vendor (accuracy 96%)", W),
        (NAME, "AXIS", "nmap:osclass@vendor (accuracy 91%)", W),
        (NAME, "Check Point", "nmap:osclass@vendor (accuracy 90%)", W),
        (NAME, "Crestron", "nmap:osclass@vendor (accuracy 89%)", W),
        (NAME, "Linksys", "nmap:osclass@vendor (accuracy 88%)", W),
    ]
    assert scanme.id == "libnmap_2_hosts_version.xml:52"
    assert scanme.attributes["hostname"] == "scanme.nmap.org"
    assert scanme.attributes["os_match"] == "Netgear DG834G WAP"
    assert [i.value for i in scanme.identifiers] == [
        "Netgear", "Linksys", "Linux", "Asus", "Check Point", "D-Link", "Peplink", "AXIS", "TP-Link", "Cisco"]
    assert {i.strength for i in scanme.identifiers} == {W}


def test_dionaea_honeypot_contradictory_banners(shared):
    res = NmapXmlReader().read(shared("inputs/nmap_xml/libnmap_dionaea_scan.xml"))  # has <!DOCTYPE nmaprun>
    assert (res.stats.read, res.stats.skipped, res.stats.malformed, res.stats.issues) == (1, 0, 0, [])
    [host] = res.observations
    assert host.id == "libnmap_dionaea_scan.xml:23"
    assert ids(host) == [
        (MAC, "02:42:AC:1C:01:03", "nmap:mac", M),  # locally administered; no vendor attribute
        (TEXT, "Synology DiskStation NAS ftpd", "nmap:service:21/tcp", M),
        (TEXT, "nginx", "nmap:service:80/tcp", M),
        (CPE, "cpe:/a:igor_sysoev:nginx", "nmap:service:80/tcp", M),
        (NAME, "dionaea.carnivore.it", "nmap:ssl-cert:subject-org", M),
        (TEXT, "commonName=Nepenthes Development Team, countryName=DE, organizationName=dionaea.carnivore.it, "
               "organizationalUnitName=anv", "nmap:ssl-cert:subject", M),
        (TEXT, "Windows XP microsoft-ds", "nmap:service:445/tcp", M),
        (TEXT, "Microsoft SQL Server 2000 8.00.528.00; SP1+", "nmap:service:1433/tcp", M),
        (TEXT, "MySQL 5.7.16", "nmap:service:3306/tcp", M),
        (CPE, "cpe:/a:mysql:mysql:5.7.16", "nmap:service:3306/tcp", M),
        (TEXT, "Memcached 1.4.25 uptime 132 seconds", "nmap:service:11211/tcp", M),
        (CPE, "cpe:/a:memcached:memcached:1.4.25", "nmap:service:11211/tcp", M),
        (TEXT, "MongoDB", "nmap:service:27017/tcp", M),
        (NAME, "Linux", "nmap:osclass@vendor (accuracy 100%)", W),
        (CPE, "cpe:/o:linux:linux_kernel:4", "nmap:os:cpe", W),
        (CPE, "cpe:/o:linux:linux_kernel:5", "nmap:os:cpe", W),
    ]
    assert host.attributes == {
        "mac": "02:42:AC:1C:01:03", "ip": "172.28.1.3", "hostname": "dionaea",
        "hostnames": "dionaea,dionaea.libnmap-testing_testing_net",
        "ssl_subject_org": "dionaea.carnivore.it", "ssl_subject_country": "DE",
        "ssl_issuer_org": "dionaea.carnivore.it", "ssl_issuer_country": "DE",
        "kind": "storage-misc", "os_match": "Linux 4.15 - 5.6", "os_accuracy": "100",
    }


def test_hand_written_camera_report():
    res = NmapXmlReader().read(FIX / "nmap_cameras.xml")
    st = res.stats
    assert (st.read, st.skipped, st.malformed) == (4, 1, 0)
    assert [(i.line, i.severity, i.reason) for i in st.issues] == [
        (36, "warning", "invalid MAC address 'zz:zz'"),
        (44, "warning", "host without <status>: read as up"),
    ]
    cam, esight, nostatus = res.observations
    assert cam.id == "nmap_cameras.xml:5" and cam.source.pointer == "/nmaprun/host[1]"
    assert ids(cam) == [
        (MAC, "44:19:B6:12:34:56", "nmap:mac", M),
        (NAME, "Hangzhou Hikvision Digital Technology", "nmap:mac-vendor", M),
        (TEXT, "Hikvision IP camera httpd", "nmap:service:80/tcp", M),
        (CPE, "cpe:/h:hikvision:ds-2cd2185fwd-i", "nmap:service:80/tcp", M),
        (NAME, "Hikvision", "nmap:ssl-cert:subject-org", M),  # self-signed: no separate issuer identifier
        (TEXT, "commonName=10.9.0.2, countryName=CN, organizationName=Hikvision", "nmap:ssl-cert:subject", M),
        (TEXT, "Hikvision 7513 POE IP camera rtspd", "nmap:service:554/tcp", M),
        (CPE, "cpe:/h:hikvision:7513_poe", "nmap:service:554/tcp", M),
        (NAME, "Linux", "nmap:osclass@vendor (accuracy 95%)", W),
        (NAME, "Hikvision", "nmap:osclass@vendor (accuracy 90%)", W),
        (CPE, "cpe:/o:linux:linux_kernel:3", "nmap:os:cpe", W),
        (CPE, "cpe:/h:hikvision:ds-7600", "nmap:os:cpe", W),
    ]
    assert cam.attributes["kind"] == "webcam" and cam.attributes["ssl_subject_country"] == "CN"
    # old-style ssl-cert (text output only), a CA issuer, IPv4 + IPv6
    assert esight.source.pointer == "/nmaprun/host[3]"
    assert ids(esight) == [
        (TEXT, "Huawei eSight httpd", "nmap:service:8443/tcp", M),
        (NAME, "Example Operations Ltd", "nmap:ssl-cert:subject-org", M),
        (TEXT, "commonName=esight.example.net, organizationName=Example Operations Ltd, countryName=GB",
         "nmap:ssl-cert:subject", M),
        (NAME, "DigiCert Inc", "nmap:ssl-cert:issuer-org", W),
    ]
    assert esight.attributes == {
        "ip": "10.9.0.4", "ipv6": "2001:db8:9::4",
        "ssl_subject_org": "Example Operations Ltd", "ssl_subject_country": "GB",
        "ssl_issuer_org": "DigiCert Inc", "ssl_issuer_country": "US",
    }
    assert nostatus.identifiers == [] and nostatus.attributes == {"ip": "10.9.0.5"}


def test_truncated_fixture_keeps_hosts_before_the_damage():
    res = NmapXmlReader().read(FIX / "nmap_truncated.xml")
    assert [o.id for o in res.observations] == ["nmap_truncated.xml:5"]
    st = res.stats
    assert (st.read, st.skipped, st.malformed) == (3, 1, 1)
    [issue] = st.issues
    assert issue.line == 38 and issue.severity == "error"
    assert issue.reason == ("XML parse error: unclosed token; the host starting on line 36 is incomplete; "
                            "the 2 complete hosts before it were read")


def test_truncated_real_report_in_tmp(shared, tmp_path):
    data = shared("inputs/nmap_xml/libnmap_full_sudo6.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: data.index(b'<address addr="192.168.1.5"')])  # inside host 255
    res = NmapXmlReader().read(cut)
    assert [o.attributes["ip"] for o in res.observations] == ["192.168.1.1", "192.168.1.2"]
    assert (res.stats.read, res.stats.skipped, res.stats.malformed) == (255, 252, 1)
    assert res.stats.issues[0].line == 936
    assert "the host starting on line 935 is incomplete" in res.stats.issues[0].reason


@pytest.mark.parametrize("name", ["xml_billion_laughs.xml", "xml_external_entity.xml"])
def test_entity_declarations_are_refused(name):
    with pytest.raises(InputError) as exc:
        NmapXmlReader().read(FIX / name)
    assert exc.value.issue.reason == REFUSED
    assert REFUSED == "refused: XML entity declarations are not allowed (defusedxml)"


def test_external_dtd_is_refused():
    with pytest.raises(InputError, match="refused: a DOCTYPE naming an external DTD"):
        NmapXmlReader().read(FIX / "xml_external_dtd.xml")


def test_not_nmap_and_not_xml():
    with pytest.raises(InputError, match=r"not an nmap XML report: the root element is .*project.*") as exc:
        NmapXmlReader().read(FIX / "xml_not_nmap.xml")
    assert exc.value.issue.line == 3
    with pytest.raises(InputError, match="not well-formed XML: XML parse error: syntax error"):
        NmapXmlReader().read(FIX / "xml_garbage.xml")


def test_gzip_input_and_progress(tmp_path):
    target = tmp_path / "cams.xml.gz"
    target.write_bytes(gzip.compress((FIX / "nmap_cameras.xml").read_bytes()))
    calls = []
    res = NmapXmlReader().read(target, progress=lambda d, t: calls.append((d, t)))
    assert [o.id for o in res.observations] == ["cams.xml.gz:5", "cams.xml.gz:36", "cams.xml.gz:44"]
    assert calls[-1] == (target.stat().st_size,) * 2


def test_sniff():
    reader = NmapXmlReader()
    for name in ("nmap_cameras.xml", "nmap_truncated.xml", "xml_billion_laughs.xml"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()[:4096]) is True
    for name in ("xml_not_nmap.xml", "inventory_good.csv", "cdx16_huawei_router.cdx.json"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()[:4096]) is False
