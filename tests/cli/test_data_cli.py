"""`netvet data ...` end to end against a loopback server (nothing leaves 127.0.0.1)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import netaddr
import pytest

from netvet.cli import main
from netvet.cli.common import console, console_err
from netvet.datasets import Store, _clock

_spec = importlib.util.spec_from_file_location(
    "netvet_test_localserver", Path(__file__).resolve().parents[1] / "datasets" / "localserver.py")
localserver = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = localserver
_spec.loader.exec_module(localserver)

OUI = localserver.fixture_bytes("ieee/oui.csv")
RIR = localserver.fixture_bytes("rir/delegated-ripencc-extended-latest")
BUNDLED = f"netaddr-{netaddr.__version__}"
V1 = "20241105T120000Z"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    monkeypatch.setenv("NETVET_OFFLINE_TESTS", "1")


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    monkeypatch.setattr(_clock, "now", lambda: datetime(2024, 11, 5, 12, 0, 0, tzinfo=UTC))


@pytest.fixture
def server(tmp_path, monkeypatch):
    with localserver.running_server() as state:
        path = localserver.write_catalogue(tmp_path / "catalogue.yaml", localserver.make_catalogue(state))
        monkeypatch.setenv("NETVET_CATALOGUE", str(path))
        yield state


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["data", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fetch_reports_the_new_active_version(server, capsys):
    code, out, err = run(capsys, "fetch", "oui")
    assert (code, err) == (0, "")
    assert out == f"oui: fetched version {V1} ({len(OUI):,} bytes, 5 records); now active\n"
    code, out, err = run(capsys, "fetch", "oui")
    assert (code, out, err) == (0, f"oui: unchanged, same content as version {V1}; now active\n", "")


def test_fetch_all_with_checksums_and_discovery(server, capsys):
    pfx = localserver.fixture_bytes("caida/routeviews-rv2-20241105-1200.pfx2as")
    import gzip

    gz = gzip.compress(pfx, mtime=0)
    server.add("/pfx2as/pfx2as-creation.log", localserver.fixture_bytes("caida/pfx2as-creation.log"))
    server.add("/pfx2as/2024/11/routeviews-rv2-20241105-1200.pfx2as.gz", gz)
    server.add("/rir/delegated-ripencc-extended-latest", RIR)
    server.add("/rir/delegated-ripencc-extended-latest.md5",
               f"MD5 (delegated-ripencc-extended-latest) = {hashlib.md5(RIR).hexdigest()}\n".encode())  # noqa: S324
    kev = localserver.fixture_bytes("kev/known_exploited_vulnerabilities.json")
    server.add("/kev/kev.json", kev)
    code, out, err = run(capsys, "fetch", "--all")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"oui: fetched version {V1} ({len(OUI):,} bytes, 5 records); now active",
        f"pfx: fetched version 2024-11-05T1200 ({len(gz):,} bytes, 6 records); now active",
        f"rir: fetched version 2024-11-05 ({len(RIR):,} bytes, 9 records, md5 checksum verified); now active",
        f"kev: fetched version {V1} ({len(kev):,} bytes, 2 records); now active",
    ]


def test_offline_fetch_fails_cleanly_and_says_what_stays_in_use(server, capsys):
    port = _closed_port()
    url = f"http://127.0.0.1:{port}/oui.csv"
    code, out, err = run(capsys, "fetch", "oui", "--url", url)
    assert (code, out) == (2, "")
    assert err == (
        f"error: oui: cannot reach 127.0.0.1:{port} (connection refused) to fetch {url}\n"
        f"  oui: netvet goes on with the bundled copy ({BUNDLED}). Offline? Download the file by other means "
        "and run `netvet data import oui FILE`.\n")
    assert "Traceback" not in err

    assert run(capsys, "fetch", "oui")[0] == 0
    code, out, err = run(capsys, "fetch", "oui", "--url", url)
    assert code == 2
    assert err.splitlines()[1] == (f"  oui: version {V1} stays active. Offline? Download the file by "
                                   "other means and run `netvet data import oui FILE`.")


def test_one_failure_does_not_stop_the_others(server, capsys):
    server.add("/kev/kev.json", b"", status=500)
    code, out, err = run(capsys, "fetch", "kev", "oui")
    assert code == 2
    assert out == f"oui: fetched version {V1} ({len(OUI):,} bytes, 5 records); now active\n"
    assert err == (f"error: kev: HTTP 500 Internal Server Error from {server.url('/kev/kev.json')}\n"
                   "  kev: no version is available; netvet works without this dataset.\n")


def test_interrupted_transfer_message(server, capsys):
    url = server.add("/ieee/oui.csv", OUI, truncate_at=10)
    code, out, err = run(capsys, "fetch", "oui")
    assert (code, out) == (2, "")
    assert err == (f"error: oui: transfer of {url} interrupted after 10 of {len(OUI)} bytes "
                   "(connection closed early); the partial file is kept, run the fetch again to resume\n"
                   f"  oui: netvet goes on with the bundled copy ({BUNDLED}) meanwhile.\n")
    server.routes["/ieee/oui.csv"].truncate_at = None
    code, out, err = run(capsys, "fetch", "oui")
    assert (code, err) == (0, "oui: resuming at byte 10\n")
    assert server.hits_for("/ieee/oui.csv")[-1].sent == len(OUI) - 10


def test_corrupt_download_message(server, capsys):
    server.add("/ieee/oui.csv", localserver.fixture_bytes("bad/error-page.html"))
    code, out, err = run(capsys, "fetch", "oui")
    assert (code, out) == (2, "")
    assert err == ("error: oui: expected csv data, got an HTML page (an error or login page?)\n"
                   f"  oui: netvet goes on with the bundled copy ({BUNDLED}).\n")


@pytest.mark.parametrize(("args", "message"), [
    ((), "error: name the datasets to fetch (see `netvet data status`), or use --all\n"),
    (("--all", "oui"), "error: name datasets or use --all, not both\n"),
    (("oui", "kev", "--url", "http://127.0.0.1:1/x"),
     "error: --url names one file, but 2 datasets were selected\n"),
    (("nope",), "error: unknown dataset 'nope' (known: oui, pfx, rir, kev)\n"),
])
def test_fetch_usage_errors(server, capsys, args, message):
    code, out, err = run(capsys, "fetch", *args)
    assert (code, out, err) == (2, "", message)
    assert server.hits == []


def test_fetch_accepts_patterns(server, capsys):
    code, out, _ = run(capsys, "fetch", "o*")
    assert (code, out) == (0, f"oui: fetched version {V1} ({len(OUI):,} bytes, 5 records); now active\n")


def test_status_json_fields(server, capsys):
    run(capsys, "fetch", "oui")
    code, out, err = run(capsys, "status", "--format", "json")
    assert (code, err) == (0, "")
    store = Store()
    data = json.loads(out)
    assert data["home"] == str(store.home)
    assert data["datasets"][0] == {
        "name": "oui", "state": "active", "version": V1, "origin": "download", "age_days": 0, "stale": False,
        "published": None, "retrieved_at": "2024-11-05T12:00:00Z",
        "path": str(store.root / "oui" / V1 / "oui.csv"),
        "cadence_days": 7, "stale_after_days": 30, "versions": [V1], "used_by": ["tests"],
    }
    assert [(d["name"], d["state"], d["version"]) for d in data["datasets"][1:]] == [
        ("pfx", "not fetched", None), ("rir", "not fetched", None), ("kev", "not fetched", None)]


def test_status_offline_shows_the_bundled_data(server, capsys, monkeypatch):
    monkeypatch.setattr(console, "_width", 200)
    code, out, err = run(capsys, "status")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    row = next(line for line in lines if line.startswith("│ oui"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells == ["oui", "bundled", BUNDLED, "161 d", "STALE", "0"]
    row = next(line for line in lines if line.startswith("│ kev"))
    assert [c.strip() for c in row.strip("│").split("│")] == ["kev", "not fetched", "-", "-", "", "0"]
    assert lines[-1] == (f"4 datasets: 0 active, 1 bundled, 3 not fetched, 1 stale; data directory "
                         f"{Store().root}")
    json_rows = json.loads(run(capsys, "status", "-f", "json")[1])["datasets"]
    first = json_rows[0]
    assert (first["state"], first["origin"], first["age_days"], first["stale"]) == (
        "bundled", "bundled", 161, True)


def test_use_import_prune_info(server, capsys, tmp_path, monkeypatch):
    assert run(capsys, "fetch", "oui")[0] == 0
    monkeypatch.setattr(_clock, "now", lambda: datetime(2024, 11, 6, 12, 0, 0, tzinfo=UTC))
    newer = tmp_path / "oui.csv"
    newer.write_bytes(OUI + b"MA-L,F4C714,Example,Nowhere  XX 0\r\n")
    code, out, err = run(capsys, "import", "oui", str(newer))
    assert (code, err) == (0, "")
    assert out == (f"oui: imported {newer} as version 20241106T120000Z ({newer.stat().st_size:,} bytes, "
                   "6 records); now active\n")

    assert run(capsys, "use", f"oui@{V1}")[:2] == (0, f"oui: version {V1} is now active\n")
    assert Store().active_version("oui") == V1
    assert run(capsys, "use", "oui@bundled")[:2] == (0, "oui: now using the bundled copy\n")
    assert Store().active_version("oui") is None
    assert run(capsys, "use", "kev@bundled") == (2, "", "error: kev: no bundled copy ships with netvet\n")
    assert run(capsys, "use", "oui") == (2, "", "error: expected NAME@VERSION, got 'oui'\n")
    assert run(capsys, "use", "oui@nope") == (
        2, "", f"error: oui: no stored version 'nope' (stored: {V1}, 20241106T120000Z)\n")
    assert run(capsys, "use", "nope@1") == (
        2, "", "error: unknown dataset 'nope' (known: oui, pfx, rir, kev)\n")

    assert run(capsys, "use", f"oui@{V1}")[0] == 0
    assert run(capsys, "prune", "--keep", "0", "--dry-run") == (0, "oui: would remove 20241106T120000Z\n", "")
    assert run(capsys, "prune", "--keep", "0") == (0, "oui: removed 20241106T120000Z\n", "")
    assert run(capsys, "prune", "--keep", "0") == (0, "nothing to prune\n", "")
    assert [m.version for m in Store().versions("oui")] == [V1]

    code, out, err = run(capsys, "info", "oui")
    assert code == 0
    sha = hashlib.sha256(OUI).hexdigest()
    assert out.splitlines() == [
        "oui: test MA-L",
        "  publisher: test",
        f"  url: {server.url('/ieee/oui.csv')}",
        "  format: csv",
        "  licence: test",
        "  cadence: 7 d (stale after 30 d)",
        "  used by: tests",
        "  bundled: netaddr/eui/oui.txt (oui.txt)",
        f"  version {V1} (active): {len(OUI):,} bytes, sha256 {sha[:16]}..., "
        "retrieved 2024-11-05T12:00:00+00:00",
    ]


def test_import_errors(server, capsys, tmp_path):
    bad = tmp_path / "oui.csv"
    bad.write_bytes(localserver.fixture_bytes("bad/oui-wrong-field-count.csv"))
    code, out, err = run(capsys, "import", "oui", str(bad))
    assert (code, out) == (2, "")
    assert err == (f"error: oui: {bad}: 2 malformed lines (at most 0 tolerated); first: line 2: 3 fields, "
                   "expected 4; line 3: 6 fields, expected 4\n"
                   f"  oui: netvet goes on with the bundled copy ({BUNDLED}).\n")
    assert run(capsys, "import", "nope", str(bad)) == (
        2, "", "error: unknown dataset 'nope' (known: oui, pfx, rir, kev)\n")


def test_invalid_catalogue_is_reported_with_file_and_line(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "catalogue.yaml"
    bad.write_text("schema: 1\ndatasets:\n  - name: x\n    colour: red\n")
    monkeypatch.setenv("NETVET_CATALOGUE", str(bad))
    monkeypatch.setattr(console_err, "_width", 400)  # main() prints data-file errors without soft wrap
    code, out, err = run(capsys, "status")
    assert (code, out) == (2, "")
    assert err.startswith("invalid data file:\n")
    assert f"  {bad}:4: datasets[0].colour: unknown field 'colour'\n" in err


# --- import runs the reader that will use the file (issue 14) ---------------------------------------------
def _real_entries(tmp_path, monkeypatch, names):
    """The bundled catalogue's entries for ``names``, with the real format rules but tiny minimum sizes."""
    from importlib import resources

    import yaml

    bundled = resources.files("netvet") / "data" / "datasets" / "catalogue.yaml"
    data = yaml.safe_load(bundled.read_text(encoding="utf-8"))
    chosen = [d for d in data["datasets"] if d["name"] in names]
    for d in chosen:
        d["validate"].update(min_bytes=1, min_records=1)
    path = localserver.write_catalogue(tmp_path / "real.yaml", {"schema": 1, "datasets": chosen})
    monkeypatch.setenv("NETVET_CATALOGUE", str(path))


def _tar_gz(member: str, payload: bytes) -> bytes:
    import gzip
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(member)
        info.size, info.mtime = len(payload), 0
        tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(buf.getvalue(), mtime=0)


PFX_TEXT = localserver.fixture_bytes("caida/routeviews-rv2-20241105-1200.pfx2as")


def test_import_refuses_a_tar_gz_the_prefix_reader_cannot_use(tmp_path, monkeypatch, capsys):
    import gzip

    _real_entries(tmp_path, monkeypatch, {"caida-pfx2as-v4"})
    good = tmp_path / "routeviews-rv2-20241105-1200.pfx2as.gz"
    good.write_bytes(gzip.compress(PFX_TEXT, mtime=0))
    assert run(capsys, "import", "caida-pfx2as-v4", str(good)) == (
        0, f"caida-pfx2as-v4: imported {good} as version 2024-11-05T1200 ({good.stat().st_size:,} bytes, "
           "6 records); now active\n", "")
    manifest = Store().active_manifest("caida-pfx2as-v4")
    assert manifest.validation["checks"][-1] == "loaded by the prefix-to-AS reader (readers/ipasn.py): 6 records"

    # a tar.gz wrapping the same pfx2as file: gzip and mostly pfx2as lines, so the format rules pass (100 bad
    # lines tolerated), but the reader audits use cannot read it -> refused, the good version stays active
    wrapped = tmp_path / "routeviews-rv2-20241106-1200.pfx2as.gz"
    wrapped.write_bytes(_tar_gz("routeviews-rv2-20241106-1200.pfx2as", PFX_TEXT))
    assert run(capsys, "import", "caida-pfx2as-v4", str(wrapped)) == (
        2, "",
        f"error: caida-pfx2as-v4: {wrapped}: the prefix-to-AS reader (readers/ipasn.py) refuses the file: "
        "neither a pyasn IPASN file nor a CAIDA pfx2as file\n"
        "  caida-pfx2as-v4: version 2024-11-05T1200 stays active.\n")
    assert Store().active_version("caida-pfx2as-v4") == "2024-11-05T1200"
    assert [m.version for m in Store().versions("caida-pfx2as-v4")] == ["2024-11-05T1200"]
    assert list((Store().dataset_dir("caida-pfx2as-v4") / ".partial").iterdir()) == []


def test_import_refuses_files_their_reader_finds_unusable(tmp_path, monkeypatch, capsys):
    import gzip

    _real_entries(tmp_path, monkeypatch, {"caida-pfx2as-v4", "ieee-ma-l", "cisa-kev", "aws-ip-ranges"})
    # pfx2as lines the format rules accept but the reader rejects (AS0, prefix length 40)
    bad_pfx = tmp_path / "routeviews-rv2-20241107-1200.pfx2as.gz"
    bad_pfx.write_bytes(gzip.compress(b"1.0.0.0\t24\t0\n1.0.4.0\t40\t38803\n", mtime=0))
    code, out, err = run(capsys, "import", "caida-pfx2as-v4", str(bad_pfx))
    assert (code, out) == (2, "")
    assert err == (f"error: caida-pfx2as-v4: {bad_pfx}: the prefix-to-AS reader (readers/ipasn.py) finds no "
                   "usable record in the file; first problem: line 1: AS0 is not a valid origin (RFC 7607)\n"
                   "  caida-pfx2as-v4: no version is available; netvet works without this dataset.\n")
    # KEV JSON with the key the format rules want, but entries the KEV reader cannot use
    kev = tmp_path / "known_exploited_vulnerabilities.json"
    kev.write_text('{"title": "t", "catalogVersion": "1", "dateReleased": "2024-11-05T00:00:00Z", "count": 1, '
                   '"vulnerabilities": [{"vendorProject": "", "cveID": "nope"}]}')
    code, out, err = run(capsys, "import", "cisa-kev", str(kev))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: cisa-kev: {kev}: the KEV reader (attribution/kev.py) finds no usable "
                          "record in the file; first problem: offset 0: KEV entry without cveID or vendorProject\n")
    # a good IEEE CSV still imports, with the loader's count in the manifest
    oui = tmp_path / "oui.csv"
    oui.write_bytes(OUI)
    code, out, err = run(capsys, "import", "ieee-ma-l", str(oui))
    assert (code, err) == (0, "")
    assert Store().active_manifest("ieee-ma-l").validation["checks"][-1] == (
        "loaded by the IEEE MAC registry loader (attribution/oui.py): 5 records")
    assert Store().active_version("caida-pfx2as-v4") is None and Store().active_version("cisa-kev") is None
