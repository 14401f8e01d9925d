"""The store (versions, active pointer, prune) and the API the rest of netvet uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from localserver import fixture_bytes

from netvet.datasets import (
    DatasetError,
    Store,
    UnknownDataset,
    active_path,
    bundled_path,
    dataset_info,
    fetch,
    import_file,
    netvet_home,
    stale_warnings,
    status,
)

OUI = fixture_bytes("ieee/oui.csv")
RIR = fixture_bytes("rir/delegated-ripencc-extended-latest")


def _import_versions(tmp_path, clock, count: int) -> list[str]:
    """Import ``count`` different versions of 'oui', one day apart; returns their version ids."""
    versions = []
    for i in range(count):
        source = tmp_path / f"oui-{i}.csv"
        source.write_bytes(OUI + f"MA-L,F4C71{i},Example {i},Nowhere  XX 0\r\n".encode())
        versions.append(import_file("oui", source).manifest.version)
        clock.advance(days=1)
    return versions


def test_home_follows_netvet_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NETVET_HOME", str(tmp_path / "h"))
    assert netvet_home() == tmp_path / "h"
    assert Store().root == tmp_path / "h" / "datasets"


def test_home_defaults_to_the_platform_data_directory(monkeypatch, tmp_path):
    import sys
    from pathlib import Path

    import platformdirs

    monkeypatch.delenv("NETVET_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = (tmp_path / "xdg" / "netvet" if sys.platform.startswith("linux")
                else Path(platformdirs.user_data_dir("netvet", appauthor=False)))
    assert netvet_home() == expected


def test_prune_keeps_the_newest_and_never_the_active_one(catalogue_file, tmp_path, clock):
    v = _import_versions(tmp_path, clock, 4)
    assert v == ["20241105T120000Z", "20241106T120000Z", "20241107T120000Z", "20241108T120000Z"]
    store = Store()
    store.set_active("oui", v[0])
    assert store.prune("oui", keep=1, dry_run=True) == [v[1], v[2]]
    assert [m.version for m in store.versions("oui")] == v
    assert store.prune("oui", keep=1) == [v[1], v[2]]
    assert [m.version for m in store.versions("oui")] == [v[0], v[3]]
    assert store.prune("oui", keep=0) == [v[3]]
    assert [m.version for m in store.versions("oui")] == [v[0]]
    assert store.active_version("oui") == v[0]
    assert store.prune("oui", keep=0) == []
    assert store.prune("kev", keep=0) == []  # nothing stored at all


def test_prune_removes_abandoned_staging_directories(catalogue_file, tmp_path, clock):
    _import_versions(tmp_path, clock, 1)
    store = Store()
    leftover = store.dataset_dir("oui") / ".tmp-abandoned"
    leftover.mkdir()
    (leftover / "oui.csv").write_bytes(b"half")
    assert store.prune("oui", keep=5) == []
    assert not leftover.exists()


def test_use_switches_versions_and_checks_integrity(catalogue_file, tmp_path, clock):
    v = _import_versions(tmp_path, clock, 2)
    store = Store()
    assert store.set_active("oui", v[0], verify=True).version == v[0]
    assert active_path("oui") == store.root / "oui" / v[0] / "oui.csv"
    with pytest.raises(DatasetError) as exc:
        store.set_active("oui", "nope")
    assert str(exc.value) == f"oui: no stored version 'nope' (stored: {v[0]}, {v[1]})"
    with pytest.raises(DatasetError) as exc:
        store.set_active("oui", "../../etc")
    assert str(exc.value) == f"oui: no stored version '../../etc' (stored: {v[0]}, {v[1]})"
    (store.root / "oui" / v[1] / "oui.csv").write_bytes(b"tampered")
    with pytest.raises(DatasetError) as exc:
        store.set_active("oui", v[1], verify=True)
    assert str(exc.value) == (f"oui: version {v[1]} is damaged (its sha256 differs from the manifest); "
                              "fetch or import it again")
    assert store.active_version("oui") == v[0]


def test_broken_version_directories_are_ignored(catalogue_file, tmp_path, clock):
    v = _import_versions(tmp_path, clock, 1)
    store = Store()
    (store.root / "oui" / "junk").mkdir()
    (store.root / "oui" / "junk" / "manifest.json").write_text("{not json")
    assert [m.version for m in store.versions("oui")] == v
    (store.root / "oui" / v[0] / "oui.csv").unlink()  # data file lost: version and active pointer unusable
    assert store.versions("oui") == []
    assert store.active_version("oui") is None
    assert active_path("oui") is None


def test_same_publisher_date_with_new_content_gets_a_suffix(catalogue_file, tmp_path, clock):
    first = tmp_path / "a"
    first.write_bytes(RIR)
    second = tmp_path / "b"
    second.write_bytes(RIR + b"ripencc|NL|asn|1103|1|19930901|allocated|x\n")
    assert import_file("rir", first).manifest.version == "2024-11-05"
    assert import_file("rir", second).manifest.version == "2024-11-05-2"
    assert [m.version for m in Store().versions("rir")] == ["2024-11-05", "2024-11-05-2"]


def test_dataset_info_of_a_fetched_version_ages_and_goes_stale(catalogue_file, server, clock):
    result = fetch("oui")  # stale after 30 days, publisher cadence 7
    info = dataset_info("oui")
    assert info.to_dict() == {
        "name": "oui", "version": "20241105T120000Z", "origin": "download", "path": str(result.path),
        "retrieved_at": "2024-11-05T12:00:00Z", "published": None, "age_days": 0, "stale": False,
        "cadence_days": 7, "stale_after_days": 30, "url": server.url("/ieee/oui.csv"),
        "sha256": result.manifest.sha256,
    }
    assert info.label == "oui@20241105T120000Z"
    clock.advance(days=30, hours=23)
    assert (dataset_info("oui").age_days, dataset_info("oui").stale) == (30, False)
    clock.advance(hours=1)
    assert (dataset_info("oui").age_days, dataset_info("oui").stale) == (31, True)
    assert stale_warnings(["oui"]) == [
        "oui: version 20241105T120000Z is 31 days old (stale after 30 days; the publisher updates it every "
        "7 days); run `netvet data fetch oui`"]
    fetch("oui")  # same content again: re-confirmed, so no longer stale
    assert (dataset_info("oui").age_days, dataset_info("oui").stale) == (0, False)
    assert stale_warnings(["oui"]) == []


def test_age_counts_from_the_publishers_date(catalogue_file, tmp_path, clock):
    source = tmp_path / "delegated-ripencc-extended-latest"
    source.write_bytes(RIR)  # publisher's date 2024-11-05, stale after 14 days
    import_file("rir", source)
    clock.advance(days=14)
    assert (dataset_info("rir").age_days, dataset_info("rir").stale) == (14, False)
    clock.advance(days=1)
    info = dataset_info("rir")
    assert (info.age_days, info.stale, info.published.isoformat()) == (15, True, "2024-11-05T00:00:00+00:00")


def test_bundled_copy_is_reported_when_nothing_was_fetched(catalogue_file, clock):
    info = dataset_info("oui")
    import netaddr

    path = bundled_path("oui")
    assert path is not None and path.name == "oui.txt" and path.is_file()
    assert info.to_dict() == {
        "name": "oui", "version": f"netaddr-{netaddr.__version__}", "origin": "bundled", "path": str(path),
        "retrieved_at": None, "published": "2024-05-28T00:00:00Z", "age_days": 161, "stale": True,
        "cadence_days": 7, "stale_after_days": 30, "url": None, "sha256": None,
    }
    assert active_path("oui") is None  # the fetched-data path; callers fall back to their bundled reader
    assert stale_warnings() == [
        f"oui: using the bundled copy (netaddr-{netaddr.__version__}), 161 days old (stale after 30 days); "
        "run `netvet data fetch oui` for current data"]


def test_nothing_fetched_and_nothing_bundled(catalogue_file, clock):
    assert dataset_info("kev") is None
    assert active_path("kev") is None
    assert bundled_path("kev") is None
    with pytest.raises(UnknownDataset):
        dataset_info("nope")
    with pytest.raises(UnknownDataset):
        active_path("nope")


def test_status_rows(catalogue_file, server, clock, tmp_path):
    fetch("oui")
    source = tmp_path / "x"
    source.write_bytes(RIR)
    import_file("rir", source)
    Store().clear_active("rir")
    clock.advance(days=2)
    rows = {r["name"]: r for r in status()}
    assert list(rows) == ["oui", "pfx", "rir", "kev"]
    summary = {n: (r["state"], r["version"], r["age_days"], r["stale"], r["versions"])
               for n, r in rows.items()}
    assert summary == {
        "oui": ("active", "20241105T120000Z", 2, False, ["20241105T120000Z"]),
        "pfx": ("not fetched", None, None, False, []),
        "rir": ("stored, none active", None, None, False, ["2024-11-05"]),
        "kev": ("not fetched", None, None, False, []),
    }
    assert rows["oui"]["used_by"] == ["tests"]
    assert (rows["oui"]["cadence_days"], rows["oui"]["stale_after_days"]) == (7, 30)


def test_clock_is_utc():
    from netvet.datasets import _clock

    now = _clock.now()
    assert now.tzinfo == UTC and now.microsecond == 0
    assert abs((datetime.now(UTC) - now).total_seconds()) < 5
