"""Evidence bundles written by ``netvet collect`` (see ``netvet.collect.bundle``; read with ``bundle_manifest``).

Two readers:

- ``bundle-manifest`` reads ``manifest.json`` itself. The manifest is one record, counted as *skipped* (it is
  not evidence about an asset; it is cited by every observation of the bundle), so an audit of a bundle folder
  never reports it as unreadable. Each listed file whose sha256 differs from the manifest, or that is missing,
  is a problem of the manifest. The reader yields the manifest (``ReadResult.bundle``): the pipeline compares
  the bundle's inventory (``analyses.inventory_drift``: one ``inventory-drift`` observation per device whose
  source of truth and own evidence name different organisations) with the run's reference data.
- ``bundle-member`` is tried before every other reader: a file listed in the manifest of the folder it is in
  (or of one up to two levels above) is read by the reader its content calls for, and every observation cites
  the bundle: attributes ``bundle_manifest`` (path), ``bundle_manifest_sha256``, ``collected_by``,
  ``collected_at``, ``collected_from`` (the source and target) and ``bundle_integrity`` (``sha256 ok`` or
  ``MODIFIED since collection``). Files that are not part of a bundle are not touched.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..model import InputError, ReadStats
from . import bundle_manifest
from .base import Progress, Reader, ReadResult, Reference, read_head, register, sniff_order

MANIFEST = bundle_manifest.MANIFEST
FORMAT_TAG = b'"netvet-collect-bundle"'


def inner_reader(path: Path, head: bytes, reference: Reference | None = None) -> Reader:
    """The reader of a bundle member by its content (given ``reference`` when it declares that option)."""
    for cls in sniff_order():
        if cls.format in ("bundle-member", "bundle-manifest"):
            continue
        reader = cls(reference=reference) if reference is not None and "reference" in cls.options else cls()
        if reader.sniff(path, head):
            return reader
    raise InputError(str(path), "unrecognised input format inside the bundle")


@register
class BundleManifestReader(Reader):
    format = "bundle-manifest"
    yields = frozenset({"bundle"})
    priority = 0  # a bundle's manifest is known by name and tag: before every content sniff
    description = "netvet collect bundle manifest (manifest.json): verified and cited, not itself evidence"
    extensions = (".json",)

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.name == MANIFEST and FORMAT_TAG in head[:200]

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        stats = ReadStats(file=str(path), format=self.format, unit="manifest", read=1, skipped=1)
        b = bundle_manifest
        manifest = b.load_manifest(path.parent) if path.name == MANIFEST else None
        if manifest is None:
            raise InputError(str(path), "not a readable netvet bundle manifest (manifest.json with \"format\": "
                                        "\"netvet-collect-bundle\")")
        res = b.verify(path.parent)
        for problem in res.problems:
            if "not listed in the manifest" in problem:
                stats.warn(problem)
            else:
                stats.damage(problem)
        for run in manifest.get("runs", []):
            for f in run.get("targets_failed", []):
                stats.warn(f"run {run.get('run')} ({run.get('collector')}): target {f.get('target')} was not "
                           f"collected: {f.get('reason')}")
        if progress:
            progress(1, 1)
        return ReadResult([], stats, bundle=manifest)


@register
class BundleMemberReader(Reader):
    format = "bundle-member"
    # its read() gives what the member's own reader gives (observations, or routes for the pipeline to turn into
    # observations); it is not offered where routes are asked for: `routes audit` reads a member as its own format
    yields = frozenset({"observations"})
    priority = 0  # a file listed in a bundle manifest: its own reader runs inside this one
    description = "a file of a netvet collect bundle: read by its own reader, citing the bundle manifest"

    options = ("reference",)

    def __init__(self, reference: Reference | None = None) -> None:
        self.reference = reference
        # the manifests read, for the batch (on its Reference) or for this reader
        self._manifests: dict = reference.get("bundle_manifests", dict) if reference is not None else {}

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.name != MANIFEST and bundle_manifest.bundle_of(path, manifests=self._manifests) is not None

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        inner = inner_reader(path, read_head(path), self.reference)
        result = inner.read(path, progress)
        found = bundle_manifest.bundle_of(path, manifests=self._manifests)
        if found is not None:
            attrs = citation(path, *found)
            for obs in result.observations:
                obs.attributes.update(attrs)
            result.attributes = {**result.attributes, **attrs}  # also for what the pipeline makes of routes
        return result


def citation(path: Path, folder: Path, manifest: dict, rel: str) -> dict[str, str]:
    """The attributes citing the bundle (``folder``, ``manifest``) that lists ``path`` (as ``rel``)."""
    b = bundle_manifest
    meta = manifest["files"][rel]
    run = next((r for r in manifest.get("runs", []) if r.get("run") == meta.get("run")), {})
    mpath = folder / MANIFEST
    msha = hashlib.sha256(mpath.read_bytes()).hexdigest()
    intact = b.sha256_file(path) == meta.get("sha256")
    attrs = {
        "bundle_manifest": str(mpath),
        "bundle_manifest_sha256": msha,
        "collected_by": f"netvet collect {run.get('collector', '?')} {run.get('collector_version', '?')} "
                        f"(run {meta.get('run')})",
        "collected_at": str(meta.get("collected_at", "")),
        "collected_from": f"{run.get('source', '?')} / {meta.get('target', '?')}",
        "bundle_integrity": "sha256 ok" if intact else "MODIFIED since collection",
    }
    return attrs
