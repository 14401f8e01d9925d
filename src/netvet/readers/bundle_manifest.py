"""Reading a ``netvet collect`` evidence bundle: its manifest, the sha256 of its files, which bundle lists a file.

The readers (``readers.collect_bundle``) need this to cite and verify a bundle, and ``collect.bundle`` (which
writes bundles) re-exports it: reading lives with the readers, below the collectors. The manifest format is
described in ``netvet.collect.bundle``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = "netvet-collect-bundle"
SCHEMA = 1


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_manifest(directory: Path) -> dict | None:
    p = Path(directory) / MANIFEST
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


# ---------------------------------------------------------------------- verification
@dataclass
class VerifyResult:
    directory: Path
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(directory: Path) -> VerifyResult:
    """Check every file listed in the manifest against its sha256, and that no evidence file is unlisted."""
    directory = Path(directory)
    res = VerifyResult(directory)
    manifest = load_manifest(directory)
    if manifest is None:
        res.problems.append(f"{directory / MANIFEST}: missing or not a netvet bundle manifest")
        return res
    res.runs = manifest.get("runs", [])
    files = manifest.get("files", {})
    for rel, meta in sorted(files.items()):
        path = directory / rel
        res.checked += 1
        if not path.is_file():
            res.problems.append(f"{rel}: listed in the manifest but missing")
            continue
        digest = sha256_file(path)
        if digest != meta.get("sha256"):
            res.problems.append(f"{rel}: sha256 {digest} differs from the manifest's {meta.get('sha256')}")
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.name == MANIFEST:
            continue
        rel = path.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if rel.as_posix() not in files:
            res.problems.append(f"{rel.as_posix()}: in the folder but not listed in the manifest")
    return res


def bundle_of(path: Path, levels: int = 3, manifests: dict | None = None) -> tuple[Path, dict, str] | None:
    """The bundle (folder, manifest, path relative to it) that lists ``path``, looking up to ``levels`` folders
    up; None when ``path`` is not part of a bundle. ``manifests``: a dict the caller keeps for a batch of inputs,
    so that each manifest is read once (none: read each time)."""
    path = Path(path).resolve()
    folder = path.parent
    for _ in range(levels):
        manifest = _cached_manifest(folder, manifests)
        if manifest is not None:
            rel = path.relative_to(folder).as_posix()
            if rel in manifest.get("files", {}):
                return folder, manifest, rel
            return None
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def _cached_manifest(folder: Path, manifests: dict | None) -> dict | None:
    """The manifest of ``folder`` (None: none there), from ``manifests`` (keyed by path and mtime) when it holds
    it: the caller's cache, for one batch of inputs."""
    p = folder / MANIFEST
    try:
        mtime = p.stat().st_mtime
    except OSError:
        return None
    if manifests is None:
        return load_manifest(folder)
    key = (str(p), mtime)
    if key not in manifests:
        manifests[key] = load_manifest(folder)
    return manifests[key]
