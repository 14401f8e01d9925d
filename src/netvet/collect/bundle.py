"""Evidence bundles: a folder of evidence files plus ``manifest.json``.

Every file is written atomically (a hidden temporary file renamed into place) before it is listed in the
manifest, and the manifest itself is rewritten atomically after each target: a collection stopped at any point
(Ctrl-C, a crash) leaves a bundle whose manifest lists exactly the files that are complete, with their sha256.
Several collectors may write into one bundle (a source-of-truth export and the devices' own SNMP walks): each
adds a *run* to the manifest.

Manifest (``schema`` 1)::

    {"format": "netvet-collect-bundle", "schema": 1,
     "runs": [{"run": 1, "collector": "snmp", "collector_version": "0.1.0", "source": "targets.txt",
               "asked": {...}, "started_at": "...Z", "finished_at": "...Z",
               "status": "complete" | "partial" | "interrupted" | "running",
               "targets_ok": ["10.0.0.1:161"], "targets_failed": [{"target": "...", "reason": "..."}]}],
     "files": {"snmp/10.0.0.1_161.snmprec": {"sha256": "...", "bytes": 123, "run": 1, "target": "10.0.0.1:161",
                                            "kind": "snmp-walk", "collected_at": "...Z"}}}

No secret is ever written: ``asked`` holds option names and the *names* of environment variables or profiles,
never their values.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..readers.bundle_manifest import (  # noqa: F401 - re-exported: reading a bundle lives with the readers
    FORMAT,
    MANIFEST,
    SCHEMA,
    VerifyResult,
    bundle_of,
    load_manifest,
    sha256_file,
    verify,
)
from . import COLLECTOR_VERSION, CollectError


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a hidden temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def safe_name(text: str) -> str:
    """A file-name-safe form of a target (host, host:port, device name)."""
    out = "".join(c if c.isalnum() or c in "-." else "_" for c in text.strip())
    return out.strip("._") or "target"


@dataclass
class Bundle:
    """One collector run writing into a bundle folder."""

    directory: Path
    collector: str
    source: str
    asked: dict = field(default_factory=dict)
    manifest: dict = field(init=False)
    run: dict = field(init=False)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise CollectError(f"{self.directory} exists and is not a folder")
        self.directory.mkdir(parents=True, exist_ok=True)
        existing = load_manifest(self.directory)
        if existing is None and (self.directory / MANIFEST).exists():
            raise CollectError(f"{self.directory / MANIFEST} exists but is not a netvet bundle manifest")
        self.manifest = existing or {"format": FORMAT, "schema": SCHEMA, "runs": [], "files": {}}
        number = max((r.get("run", 0) for r in self.manifest["runs"]), default=0) + 1
        self.run = {"run": number, "collector": self.collector, "collector_version": COLLECTOR_VERSION,
                    "source": self.source, "asked": self.asked, "started_at": now(), "finished_at": None,
                    "status": "running", "targets_ok": [], "targets_failed": []}
        self.manifest["runs"].append(self.run)
        self.save()

    # ------------------------------------------------------------------ writing
    def add_file(self, relpath: str, data: bytes, target: str, kind: str) -> Path:
        """Write one evidence file atomically and list it (with its sha256) in the manifest."""
        rel = Path(relpath)
        if rel.is_absolute() or ".." in rel.parts or rel.name == MANIFEST:
            raise CollectError(f"refusing to write {relpath!r} into the bundle")
        path = self.directory / rel
        atomic_write(path, data)
        self.manifest["files"][rel.as_posix()] = {
            "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "run": self.run["run"],
            "target": target, "kind": kind, "collected_at": now(),
        }
        return path

    def ok(self, target: str) -> None:
        if target not in self.run["targets_ok"]:
            self.run["targets_ok"].append(target)
        self.save()

    def failed(self, target: str, reason: str) -> None:
        self.run["targets_failed"].append({"target": target, "reason": reason})
        self.save()

    def finish(self, status: str | None = None) -> dict:
        if status is None:
            status = "partial" if self.run["targets_failed"] else "complete"
        self.run["status"] = status
        self.run["finished_at"] = now()
        self.save()
        return self.run

    def save(self) -> None:
        data = json.dumps(self.manifest, indent=2, sort_keys=False).encode("utf-8") + b"\n"
        atomic_write(self.directory / MANIFEST, data)
