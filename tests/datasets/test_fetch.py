"""Fetching against a loopback server: success, resume, and every failure leaving good data active."""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import zlib

import pytest
from localserver import fixture_bytes, make_catalogue, write_catalogue

from netvet.datasets import (
    ChecksumMismatch,
    DatasetError,
    HttpStatusError,
    InvalidData,
    NetworkError,
    RefusedUrl,
    Store,
    TransferInterrupted,
    UnknownDataset,
    active_path,
    fetch,
    import_file,
)
from netvet.datasets.fetch import parse_checksum

OUI = fixture_bytes("ieee/oui.csv")
RIR = fixture_bytes("rir/delegated-ripencc-extended-latest")
PFX = gzip.compress(fixture_bytes("caida/routeviews-rv2-20241105-1200.pfx2as"), mtime=0)
OUI_V2 = OUI + b"MA-L,F4C714,\"Shenzhen Example Co., Ltd.\",Shenzhen  CN 518000\r\n"


def _dir_listing(store: Store, name: str) -> list[str]:
    ddir = store.dataset_dir(name)
    return sorted(p.name for p in ddir.iterdir())


def _partials(store: Store, name: str) -> list[str]:
    pdir = store.dataset_dir(name) / ".partial"
    return sorted(p.name for p in pdir.iterdir()) if pdir.exists() else []


def test_fetch_stores_a_validated_version_and_activates_it(catalogue_file, server, clock):
    result = fetch("oui")
    store = Store()
    version = "20241105T120000Z"
    assert (result.new, result.manifest.version) == (True, version)
    assert result.path == store.root / "oui" / version / "oui.csv"
    assert result.path.read_bytes() == OUI
    assert json.loads((result.path.parent / "manifest.json").read_text()) == {
        "name": "oui", "version": version, "version_source": "retrieval", "file": "oui.csv",
        "origin": "download",
        "url": server.url("/ieee/oui.csv"), "sha256": hashlib.sha256(OUI).hexdigest(), "size": len(OUI),
        "retrieved_at": "2024-11-05T12:00:00Z", "checked_at": "2024-11-05T12:00:00Z", "published": None,
        "checksum": None,
        "validation": {"ok": True, "records": 5, "bad_records": 0,
                       "checks": [f"size {len(OUI):,} bytes", "5 records", "header matches"]},
        "etag": server.routes["/ieee/oui.csv"].etag, "last_modified": None,
    }
    assert active_path("oui") == result.path
    assert _dir_listing(store, "oui") == [".partial", version, "active"]
    assert _partials(store, "oui") == []
    assert [(h.range, h.status, h.sent) for h in server.hits_for("/ieee/oui.csv")] == [(None, 200, len(OUI))]


@pytest.mark.parametrize("conditional", [True, False], ids=["304-not-modified", "same-content"])
def test_refetching_identical_content_keeps_one_version_and_records_the_check(
        catalogue_file, server, clock, conditional):
    server.add("/ieee/oui.csv", OUI, conditional=conditional)
    first = fetch("oui")
    clock.advance(days=3)
    again = fetch("oui")
    assert (again.new, again.manifest.version) == (False, first.manifest.version)
    assert again.manifest.retrieved_at.isoformat() == "2024-11-05T12:00:00+00:00"
    assert again.manifest.checked_at.isoformat() == "2024-11-08T12:00:00+00:00"
    assert [m.version for m in Store().versions("oui")] == ["20241105T120000Z"]
    assert Store().active_manifest("oui") == again.manifest
    etag = server.routes["/ieee/oui.csv"].etag
    hits = [(h.status, h.sent) for h in server.hits_for("/ieee/oui.csv")]
    assert hits == [(200, len(OUI)), (304, 0) if conditional else (200, len(OUI))]
    assert again.download.not_modified is conditional
    assert again.manifest.etag == etag


def test_new_content_becomes_a_new_active_version_beside_the_old(catalogue_file, server, clock):
    fetch("oui")
    clock.advance(days=1)
    server.add("/ieee/oui.csv", OUI_V2)
    second = fetch("oui")
    store = Store()
    assert [m.version for m in store.versions("oui")] == ["20241105T120000Z", "20241106T120000Z"]
    assert store.active_version("oui") == "20241106T120000Z"
    assert second.report.records == 6


def test_discovered_file_uses_the_publishers_date_as_version(catalogue_file, server, clock):
    server.add("/pfx2as/pfx2as-creation.log", fixture_bytes("caida/pfx2as-creation.log"))
    server.add("/pfx2as/2024/11/routeviews-rv2-20241105-1200.pfx2as.gz", PFX)
    result = fetch("pfx")
    m = result.manifest
    assert (m.version, m.version_source, m.published.isoformat()) == (
        "2024-11-05T1200", "publisher", "2024-11-05T12:00:00+00:00")
    assert m.file == "routeviews-rv2-20241105-1200.pfx2as.gz"
    assert m.url == server.url("/pfx2as/2024/11/routeviews-rv2-20241105-1200.pfx2as.gz")
    assert m.validation["checks"] == [f"size {len(PFX):,} bytes", "gzip stream intact", "6 records"]


_PFX_CRC = zlib.crc32(fixture_bytes("caida/routeviews-rv2-20241105-1200.pfx2as"))
_BAD_CRC = (_PFX_CRC ^ 0xFFFFFFFF).to_bytes(4, "little")


@pytest.mark.parametrize(("body", "message"), [
    (PFX[:-8] + _BAD_CRC + PFX[-4:],
     "pfx: gzip data is corrupt or truncated "
     f"(CRC check failed {hex(_PFX_CRC ^ 0xFFFFFFFF)} != {hex(_PFX_CRC)})"),
    (PFX[:-12],
     "pfx: gzip data is corrupt or truncated "
     "(Compressed file ended before the end-of-stream marker was reached)"),
    (b"1.0.0.0\t24\t13335\n", "pfx: expected gzip-compressed data, got not gzip data"),
    (gzip.compress(fixture_bytes("bad/pfx2as-garbage.txt"), mtime=0),
     "pfx: 2 malformed lines (at most 0 tolerated); first: line 1: '1.0.0.0/24 13335'; "
     "line 3: 'not a prefix line'"),
], ids=["bad-crc", "truncated-gzip", "not-gzip", "malformed-lines"])
def test_corrupt_download_is_discarded_and_the_good_version_stays_active(
        catalogue_file, server, clock, body, message):
    server.add("/pfx2as/pfx2as-creation.log", fixture_bytes("caida/pfx2as-creation.log"))
    server.add("/pfx2as/2024/11/routeviews-rv2-20241105-1200.pfx2as.gz", PFX)
    good = fetch("pfx")
    newer = b"40001\t1730894400\t2024/11/routeviews-rv2-20241106-1200.pfx2as.gz\n"
    server.add("/pfx2as/pfx2as-creation.log", fixture_bytes("caida/pfx2as-creation.log") + newer)
    server.add("/pfx2as/2024/11/routeviews-rv2-20241106-1200.pfx2as.gz", body)
    with pytest.raises(InvalidData) as exc:
        fetch("pfx")
    assert str(exc.value) == message
    store = Store()
    assert store.active_version("pfx") == "2024-11-05T1200"
    assert active_path("pfx") == good.path and good.path.read_bytes() == PFX
    assert [m.version for m in store.versions("pfx")] == ["2024-11-05T1200"]
    assert _partials(store, "pfx") == []
    assert _dir_listing(store, "pfx") == [".partial", "2024-11-05T1200", "active"]


def test_truncated_transfer_keeps_the_part_and_the_next_fetch_resumes_only_the_missing_bytes(
        catalogue_file, server, clock):
    fetch("oui")  # a good version exists
    clock.advance(days=1)
    url = server.add("/ieee/oui.csv", OUI_V2, truncate_at=100)
    with pytest.raises(TransferInterrupted) as exc:
        fetch("oui")
    assert str(exc.value) == (f"oui: transfer of {url} interrupted after 100 of {len(OUI_V2):,} bytes "
                              "(connection closed early); the partial file is kept, "
                              "run the fetch again to resume")
    store = Store()
    assert store.active_version("oui") == "20241105T120000Z"
    assert _partials(store, "oui") == ["oui.csv.part", "oui.csv.part.json"]
    assert (store.dataset_dir("oui") / ".partial" / "oui.csv.part").read_bytes() == OUI_V2[:100]

    server.routes["/ieee/oui.csv"].truncate_at = None
    notes: list[str] = []
    result = fetch("oui", note=notes.append)
    assert notes == ["resuming at byte 100"]
    last = server.hits_for("/ieee/oui.csv")[-1]
    etag = server.routes["/ieee/oui.csv"].etag
    assert (last.range, last.if_range, last.status) == ("bytes=100-", etag, 206)
    assert last.sent == len(OUI_V2) - 100
    assert (result.download.resumed_from, result.download.transferred) == (100, len(OUI_V2) - 100)
    assert result.path.read_bytes() == OUI_V2
    assert result.manifest.sha256 == hashlib.sha256(OUI_V2).hexdigest()
    assert store.active_version("oui") == "20241106T120000Z"
    assert _partials(store, "oui") == []


def test_server_ignoring_range_restarts_the_download(catalogue_file, server, clock):
    server.add("/ieee/oui.csv", OUI, truncate_at=50)
    with pytest.raises(TransferInterrupted):
        fetch("oui")
    server.add("/ieee/oui.csv", OUI, ranges=False)
    notes: list[str] = []
    result = fetch("oui", note=notes.append)
    assert notes == ["server did not resume the partial download; starting again"]
    last = server.hits_for("/ieee/oui.csv")[-1]
    assert (last.range, last.status, last.sent) == ("bytes=50-", 200, len(OUI))
    assert result.path.read_bytes() == OUI


def test_changed_file_on_the_server_defeats_if_range_and_downloads_afresh(catalogue_file, server, clock):
    server.add("/ieee/oui.csv", OUI, truncate_at=50, etag='"v1"')
    with pytest.raises(TransferInterrupted):
        fetch("oui")
    server.add("/ieee/oui.csv", OUI_V2, etag='"v2"')
    result = fetch("oui")
    last = server.hits_for("/ieee/oui.csv")[-1]
    assert (last.range, last.if_range, last.status, last.sent) == ("bytes=50-", '"v1"', 200, len(OUI_V2))
    assert result.path.read_bytes() == OUI_V2


def test_complete_part_answered_416_is_downloaded_again(catalogue_file, server, clock):
    store = Store()
    url = server.url("/ieee/oui.csv")
    pdir = store.partial_dir("oui")
    (pdir / "oui.csv.part").write_bytes(OUI)
    etag = server.routes["/ieee/oui.csv"].etag
    (pdir / "oui.csv.part.json").write_text(json.dumps({"url": url, "etag": etag, "last_modified": None}))
    result = fetch("oui")
    assert [(h.range, h.status) for h in server.hits_for("/ieee/oui.csv")] == [(f"bytes={len(OUI)}-", 416),
                                                                               (None, 200)]
    assert result.path.read_bytes() == OUI


def test_part_of_another_url_is_not_resumed(catalogue_file, server, clock):
    pdir = Store().partial_dir("oui")
    (pdir / "oui.csv.part").write_bytes(b"stale bytes from a mirror")
    (pdir / "oui.csv.part.json").write_text(json.dumps({"url": "http://127.0.0.1:1/other.csv"}))
    result = fetch("oui")
    assert [(h.range, h.status) for h in server.hits_for("/ieee/oui.csv")] == [(None, 200)]
    assert result.path.read_bytes() == OUI


@pytest.mark.parametrize(("status", "reason"), [(500, "Internal Server Error"), (404, "Not Found"),
                                                (503, "Service Unavailable")])
def test_http_errors_leave_the_good_version_active(catalogue_file, server, clock, status, reason):
    good = fetch("oui")
    url = server.add("/ieee/oui.csv", b"", status=status)
    with pytest.raises(HttpStatusError) as exc:
        fetch("oui")
    assert str(exc.value) == f"oui: HTTP {status} {reason} from {url}"
    assert exc.value.status == status
    assert active_path("oui") == good.path
    assert _partials(Store(), "oui") == []


def test_missing_file_is_a_404(catalogue_file, server, clock):
    with pytest.raises(HttpStatusError) as exc:
        fetch("oui", url=server.url("/nowhere/oui.csv"))
    assert str(exc.value) == f"oui: HTTP 404 Not Found from {server.url('/nowhere/oui.csv')}"
    assert active_path("oui") is None


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 - the publisher's checksum algorithm


def test_publisher_checksum_is_verified_and_recorded(catalogue_file, server, clock):
    url = server.url("/rir/delegated-ripencc-extended-latest")
    server.add("/rir/delegated-ripencc-extended-latest", RIR)
    server.add("/rir/delegated-ripencc-extended-latest.md5",
               f"MD5 (delegated-ripencc-extended-20241105) = {_md5(RIR)}\n".encode())
    result = fetch("rir")
    m = result.manifest
    assert m.checksum == {"algorithm": "md5", "expected": _md5(RIR), "url": url + ".md5"}
    assert (m.version, m.version_source, m.published.isoformat()) == (
        "2024-11-05", "publisher", "2024-11-05T00:00:00+00:00")
    assert result.report.records == 9


def test_wrong_checksum_discards_the_download(catalogue_file, server, clock):
    url = server.add("/rir/delegated-ripencc-extended-latest", RIR)
    server.add("/rir/delegated-ripencc-extended-latest.md5", f"{_md5(RIR)}  x\n".encode())
    good = fetch("rir")
    clock.advance(days=1)
    changed = RIR.replace(b"20241105|+0100", b"20241106|+0100")
    server.add("/rir/delegated-ripencc-extended-latest", changed)
    server.add("/rir/delegated-ripencc-extended-latest.md5", f"{_md5(RIR)}  x\n".encode())  # stale checksum
    with pytest.raises(ChecksumMismatch) as exc:
        fetch("rir")
    assert str(exc.value) == (f"rir: md5 checksum mismatch for {url}: the publisher's checksum file says "
                              f"{_md5(RIR)}, the download has {_md5(changed)}")
    store = Store()
    assert active_path("rir") == good.path
    assert [m.version for m in store.versions("rir")] == ["2024-11-05"]
    assert _partials(store, "rir") == []
    # skipping the checksum on request stores the file after the format checks
    result = fetch("rir", verify_checksum=False)
    assert (result.manifest.version, result.manifest.checksum) == ("2024-11-06", None)


def test_missing_checksum_file_stops_before_downloading(catalogue_file, server, clock):
    url = server.add("/rir/delegated-ripencc-extended-latest", RIR)
    with pytest.raises(HttpStatusError) as exc:
        fetch("rir")
    assert str(exc.value) == f"rir: HTTP 404 Not Found from {url}.md5"
    assert server.hits_for("/rir/delegated-ripencc-extended-latest") == []


def test_checksum_file_without_a_digest(catalogue_file, server, clock):
    url = server.add("/rir/delegated-ripencc-extended-latest", RIR)
    server.add("/rir/delegated-ripencc-extended-latest.md5", b"<html>moved</html>\n")
    with pytest.raises(InvalidData) as exc:
        fetch("rir")
    assert str(exc.value) == f"rir: no md5 digest found in {url}.md5"


@pytest.mark.parametrize(("text", "expected"), [
    ("MD5 (delegated-ripencc-extended-latest) = 0123456789abcdef0123456789ABCDEF\n",
     "0123456789abcdef0123456789abcdef"),
    ("0123456789abcdef0123456789abcdef  delegated-arin-extended-20241105\n",
     "0123456789abcdef0123456789abcdef"),
    ("ffffffffffffffffffffffffffffffff  other-file\n11111111111111111111111111111111  delegated-x-latest\n",
     "11111111111111111111111111111111"),
    ("no digest here\n", None),
    ("0123456789abcdef0123456789abcdef0  too long\n", None),
])
def test_parse_checksum_styles(text, expected):
    assert parse_checksum(text, "md5", "delegated-x-latest") == expected


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_a_clear_network_error(catalogue_file, clock):
    port = _closed_port()
    url = f"http://127.0.0.1:{port}/oui.csv"
    with pytest.raises(NetworkError) as exc:
        fetch("oui", url=url)
    assert str(exc.value) == f"oui: cannot reach 127.0.0.1:{port} (connection refused) to fetch {url}"


def test_dns_failure_is_a_clear_network_error(catalogue_file, clock, monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(NetworkError) as exc:
        fetch("oui", url="http://localhost:8/oui.csv")
    assert str(exc.value) == ("oui: cannot reach localhost:8 (name resolution failed) "
                              "to fetch http://localhost:8/oui.csv")


def test_next_catalogue_url_is_tried_when_one_is_unreachable(server, tmp_path, monkeypatch, clock):
    data = make_catalogue(server)
    dead = f"http://127.0.0.1:{_closed_port()}/oui.csv"
    data["datasets"][0]["urls"] = [dead, server.url("/ieee/oui.csv")]
    monkeypatch.setenv("NETVET_CATALOGUE", str(write_catalogue(tmp_path / "c.yaml", data)))
    notes: list[str] = []
    result = fetch("oui", note=notes.append)
    assert result.manifest.url == server.url("/ieee/oui.csv")
    port = dead.split(":")[2].split("/")[0]
    assert notes == [f"oui: cannot reach 127.0.0.1:{port} (connection refused) to fetch {dead}; "
                     f"trying {server.url('/ieee/oui.csv')}"]


def test_non_loopback_urls_are_refused_under_offline_tests(catalogue_file, server):
    with pytest.raises(RefusedUrl) as exc:
        fetch("oui", url="https://standards-oui.ieee.org/oui/oui.csv")
    assert str(exc.value) == ("refusing to fetch https://standards-oui.ieee.org/oui/oui.csv: "
                              "NETVET_OFFLINE_TESTS is set, only loopback URLs are allowed")
    server.add("/redirect", b"", location="https://example.org/oui.csv")
    with pytest.raises(RefusedUrl) as exc:
        fetch("oui", url=server.url("/redirect"))
    assert str(exc.value) == ("refusing to fetch https://example.org/oui.csv: NETVET_OFFLINE_TESTS is set, "
                              "only loopback URLs are allowed")
    with pytest.raises(RefusedUrl) as exc:
        fetch("oui", url="ftp://127.0.0.1/oui.csv")
    assert str(exc.value) == "not an http(s) URL: ftp://127.0.0.1/oui.csv"


def test_loopback_redirects_are_followed(catalogue_file, server, clock):
    server.add("/redirect", b"", location=server.url("/ieee/oui.csv"))
    result = fetch("oui", url=server.url("/redirect"))
    assert result.path.read_bytes() == OUI
    assert result.path.name == "oui.csv"


def test_unknown_dataset(catalogue_file):
    with pytest.raises(UnknownDataset) as exc:
        fetch("nope")
    assert str(exc.value) == "unknown dataset 'nope' (known: oui, pfx, rir, kev)"


def test_import_validates_like_a_download(catalogue_file, tmp_path, clock):
    source = tmp_path / "ServiceTags-like.csv"
    source.write_bytes(OUI)
    result = import_file("oui", source)
    m = result.manifest
    assert (m.origin, m.version, m.file, m.url) == ("import", "20241105T120000Z", "oui.csv", source.as_uri())
    assert active_path("oui") == result.path and result.path.read_bytes() == OUI
    assert source.read_bytes() == OUI  # the user's file is copied, not moved

    bad = tmp_path / "bad.csv"
    bad.write_bytes(fixture_bytes("bad/oui-bad-header.csv"))
    with pytest.raises(InvalidData) as exc:
        import_file("oui", bad)
    assert str(exc.value) == (f"oui: {bad}: line 1: expected header "
                              "'Registry,Assignment,Organization Name,Organization Address', "
                              "got 'Assignment,Registry,Organization Name,Organization Address'")
    assert active_path("oui") == result.path
    assert _partials(Store(), "oui") == []

    with pytest.raises(DatasetError) as exc:
        import_file("oui", tmp_path / "missing.csv")
    assert str(exc.value) == f"oui: cannot import {tmp_path / 'missing.csv'}: not a readable file"


def test_import_takes_the_publishers_date_from_the_file(catalogue_file, tmp_path, clock):
    source = tmp_path / "delegated-ripencc-extended-20241105"
    source.write_bytes(RIR)
    result = import_file("rir", source)
    assert (result.manifest.version, result.manifest.checksum, result.manifest.file) == (
        "2024-11-05", None, "delegated-ripencc-extended-latest")


def test_unwritable_data_directory_is_a_clean_error(catalogue_file, server, clock, tmp_path, monkeypatch):
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NETVET_HOME", str(blocker))
    with pytest.raises(DatasetError) as exc:
        fetch("oui")
    assert str(exc.value) == f"oui: cannot write under {blocker / 'datasets'}: Not a directory"
    source = tmp_path / "oui.csv"
    source.write_bytes(OUI)
    with pytest.raises(DatasetError) as exc:
        import_file("oui", source)
    assert str(exc.value) == f"oui: cannot import {source}: Not a directory"
