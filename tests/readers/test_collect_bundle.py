"""Collect bundles: a member is read by its own reader and cites the bundle; the manifest is yielded for the
pipeline's inventory-drift comparison."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from netvet.pipeline import read_inputs
from netvet.readers import READERS, load_all
from netvet.readers.base import Reference

ROUTES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


def _bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir()
    shutil.copy(ROUTES / "paths.txt", folder / "paths.txt")
    sha = hashlib.sha256((folder / "paths.txt").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps({
        "format": "netvet-collect-bundle", "schema": 1,
        "runs": [{"run": 1, "collector": "ssh", "collector_version": "1", "source": "lab"}],
        "files": {"paths.txt": {"sha256": sha, "run": 1, "target": "r1", "kind": "cli-capture",
                                "collected_at": "2026-01-01T00:00:00Z"}}}))
    return folder


def test_route_observations_of_a_member_cite_the_bundle(tmp_path):
    folder = _bundle(tmp_path)
    observations, stats = read_inputs([folder / "paths.txt"])
    assert (stats[0].format, stats[0].unit, stats[0].read) == ("as-path-list", "AS", 12)
    assert len(observations) == 12
    assert {(o.attributes["bundle_manifest"], o.attributes["bundle_integrity"], o.attributes["collected_from"])
            for o in observations} == {(str(folder / "manifest.json"), "sha256 ok", "lab / r1")}


def test_the_manifest_reader_yields_the_manifest_and_no_observation(tmp_path):
    load_all()
    folder = _bundle(tmp_path)
    result = READERS["bundle-manifest"]().read(folder / "manifest.json")
    assert result.observations == [] and result.bundle["files"]["paths.txt"]["kind"] == "cli-capture"
    assert (result.stats.read, result.stats.skipped) == (1, 1)


def test_manifests_are_kept_on_the_batch_reference(tmp_path):
    load_all()
    folder = _bundle(tmp_path)
    ref = Reference()
    reader = READERS["bundle-member"](reference=ref)
    assert reader.sniff(folder / "paths.txt", b"")
    assert list(ref.loaded["bundle_manifests"]) == [(str(folder.resolve() / "manifest.json"),
                                                     (folder / "manifest.json").stat().st_mtime)]
