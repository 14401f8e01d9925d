"""The local dataset store: versions kept side by side, each with a manifest, and an active pointer.

Layout under the netvet home (``$NETVET_HOME``, else the platform's user data directory)::

    datasets/<name>/<version>/<file>           the data, exactly as published
    datasets/<name>/<version>/manifest.json    url, sha256, size, retrieved_at, validation ...
    datasets/<name>/active                     the active version id (one line)
    datasets/<name>/.partial/<file>.part       an unfinished download (kept for resuming)

A version becomes visible only by renaming a complete staging directory into place, and the active
pointer is replaced atomically, so a failed or partial download never replaces good data.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from . import _clock
from .errors import DatasetError

HOME_ENV = "NETVET_HOME"
CACHE_ENV = "NETVET_CACHE"
MANIFEST = "manifest.json"
ACTIVE = "active"
PARTIAL = ".partial"
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.:_+-]*")


def netvet_home() -> Path:
    """``$NETVET_HOME``, else the platform's user data directory (``~/.local/share/netvet`` on Linux)."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("netvet", appauthor=False))


def netvet_cache() -> Path:
    """Where compiled forms of reference data live (the MAC index, the compiled registry and fingerprints):
    ``$NETVET_CACHE``, else the platform's user cache directory (``~/.cache/netvet`` on Linux). Each file there
    is keyed by the content of what it was built from, so homes may share one cache and deleting it only costs
    a rebuild."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("netvet", appauthor=False))


class Manifest(BaseModel):
    """What netvet knows about one stored version."""

    model_config = ConfigDict(extra="ignore")

    name: str
    version: str
    version_source: Literal["publisher", "retrieval"]
    file: str
    origin: Literal["download", "import"]
    url: str | None = None
    sha256: str
    size: int
    retrieved_at: datetime
    checked_at: datetime  # last time the publisher was seen serving exactly this content
    published: datetime | None = None  # the publisher's own date, when the file or its name carries one
    checksum: dict | None = None  # {"algorithm", "expected", "url"} when a publisher checksum was verified
    validation: dict
    etag: str | None = None  # the server's validators, for conditional re-fetches
    last_modified: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


@dataclass
class CommitResult:
    manifest: Manifest
    new: bool  # False: identical content was already stored as manifest.version


def sha256_file(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Store:
    """Versions of every dataset under ``<home>/datasets``."""

    def __init__(self, home: Path | None = None):
        self.home = home if home is not None else netvet_home()
        self.root = self.home / "datasets"

    # ----------------------------------------------------------------- paths
    def dataset_dir(self, name: str) -> Path:
        return self.root / name

    def partial_dir(self, name: str) -> Path:
        path = self.dataset_dir(name) / PARTIAL
        path.mkdir(parents=True, exist_ok=True)
        return path

    def version_dir(self, name: str, version: str) -> Path:
        if not _VERSION.fullmatch(version):
            raise DatasetError(f"{name}: invalid version id {version!r}")
        return self.dataset_dir(name) / version

    # ----------------------------------------------------------------- reading
    def manifest(self, name: str, version: str) -> Manifest | None:
        """The manifest of ``version``, or None when it is missing, unreadable or its file is gone."""
        try:
            vdir = self.version_dir(name, version)
        except DatasetError:
            return None
        try:
            manifest = Manifest.model_validate_json((vdir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            return None
        if manifest.version != version or not (vdir / manifest.file).is_file():
            return None
        return manifest

    def versions(self, name: str) -> list[Manifest]:
        """Stored versions, oldest first (by retrieval time)."""
        ddir = self.dataset_dir(name)
        if not ddir.is_dir():
            return []
        found = []
        for child in ddir.iterdir():
            if child.is_dir() and not child.name.startswith("."):
                m = self.manifest(name, child.name)
                if m is not None:
                    found.append(m)
        return sorted(found, key=lambda m: (m.retrieved_at, m.version))

    def active_version(self, name: str) -> str | None:
        """The active version id, if the pointer names an intact stored version."""
        try:
            version = (self.dataset_dir(name) / ACTIVE).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return version if version and self.manifest(name, version) is not None else None

    def active_manifest(self, name: str) -> Manifest | None:
        version = self.active_version(name)
        return self.manifest(name, version) if version else None

    def path_of(self, manifest: Manifest) -> Path:
        return self.version_dir(manifest.name, manifest.version) / manifest.file

    # ----------------------------------------------------------------- writing
    def set_active(self, name: str, version: str, verify: bool = False) -> Manifest:
        """Point ``name`` at ``version``; with ``verify`` the file's sha256 must match its manifest."""
        manifest = self.manifest(name, version)
        if manifest is None:
            known = ", ".join(m.version for m in self.versions(name)) or "none stored"
            raise DatasetError(f"{name}: no stored version {version!r} (stored: {known})")
        if verify and sha256_file(self.path_of(manifest)) != manifest.sha256:
            raise DatasetError(f"{name}: version {version} is damaged (its sha256 differs from the "
                               "manifest); fetch or import it again")
        _write_atomic(self.dataset_dir(name) / ACTIVE, version + "\n")
        return manifest

    def clear_active(self, name: str) -> None:
        (self.dataset_dir(name) / ACTIVE).unlink(missing_ok=True)

    def commit(
        self,
        name: str,
        staged: Path,
        file: str,
        *,
        version: str,
        version_source: Literal["publisher", "retrieval"],
        origin: Literal["download", "import"],
        url: str | None,
        published: datetime | None,
        checksum: dict | None,
        validation: dict,
        activate: bool = True,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> CommitResult:
        """Move the validated ``staged`` file into a new version (or reuse an identical one) atomically."""
        now = _clock.now()
        digest = sha256_file(staged)
        for existing in self.versions(name):
            if existing.sha256 == digest:
                changes = {"checked_at": now}
                if origin == "download" and existing.url == url:
                    changes.update(etag=etag, last_modified=last_modified)
                updated = self.touch(name, existing.version, **changes)
                staged.unlink(missing_ok=True)
                if activate:
                    self.set_active(name, existing.version)
                return CommitResult(updated, new=False)
        version = self._unique_version(name, version)
        manifest = Manifest(
            name=name, version=version, version_source=version_source, file=file, origin=origin, url=url,
            sha256=digest, size=staged.stat().st_size, retrieved_at=now, checked_at=now, published=published,
            checksum=checksum, validation=validation, etag=etag, last_modified=last_modified,
        )
        ddir = self.dataset_dir(name)
        ddir.mkdir(parents=True, exist_ok=True)
        stage_dir = Path(tempfile.mkdtemp(prefix=".tmp-", dir=ddir))
        try:
            os.replace(staged, stage_dir / file)
            (stage_dir / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
            os.rename(stage_dir, self.version_dir(name, version))
        except OSError as exc:
            shutil.rmtree(stage_dir, ignore_errors=True)
            raise DatasetError(f"{name}: cannot store version {version} in {ddir}: {exc}") from None
        if activate:
            self.set_active(name, version)
        return CommitResult(manifest, new=True)

    def touch(self, name: str, version: str, **changes) -> Manifest:
        """Rewrite a version's manifest with ``changes`` (default: ``checked_at`` = now)."""
        manifest = self.manifest(name, version)
        if manifest is None:
            raise DatasetError(f"{name}: no stored version {version!r}")
        updated = manifest.model_copy(update=changes or {"checked_at": _clock.now()})
        _write_atomic(self.version_dir(name, version) / MANIFEST, updated.to_json())
        return updated

    def _unique_version(self, name: str, version: str) -> str:
        candidate, n = version, 1
        while self.version_dir(name, candidate).exists():
            n += 1
            candidate = f"{version}-{n}"
        return candidate

    def prune(self, name: str, keep: int, dry_run: bool = False) -> list[str]:
        """Delete all but the ``keep`` newest versions, never the active one; returns the deleted ids."""
        if keep < 0:
            raise DatasetError("--keep must be 0 or more")
        active = self.active_version(name)
        newest_first = list(reversed(self.versions(name)))
        kept = {m.version for m in newest_first[:keep]}
        doomed = [m.version for m in newest_first if m.version not in kept and m.version != active]
        if not dry_run:
            for version in doomed:
                shutil.rmtree(self.version_dir(name, version))
            ddir = self.dataset_dir(name)
            if ddir.is_dir():
                for leftover in ddir.glob(".tmp-*"):
                    shutil.rmtree(leftover, ignore_errors=True)
        return sorted(doomed)
