"""Evidence bundles written by ``netvet collect`` (see ``netvet.collect.bundle``; read with ``bundle_manifest``).

Two readers:

- ``bundle-manifest`` reads ``manifest.json`` itself. The manifest is one record, counted as *skipped* (it is
  not evidence about an asset; it is cited by every observation of the bundle), so an audit of a bundle folder
  never reports it as unreadable. Each listed file whose sha256 differs from the manifest, or that is missing,
  is a problem of the manifest. When the bundle holds both a source-of-truth export and the devices' own
  evidence (SNMP walks, CLI captures), each device whose SoT manufacturer and own evidence name different
  organisations (different ultimate parents) gives one observation of kind ``inventory-drift``: its identifiers
  are the device's own (what it is), its attributes say what the SoT claims (``sot_manufacturer``,
  ``sot_entity``), what the device reports (``device_entity``) and where each was read.
- ``bundle-member`` is tried before every other reader: a file listed in the manifest of the folder it is in
  (or of one up to two levels above) is read by the reader its content calls for, and every observation cites
  the bundle: attributes ``bundle_manifest`` (path), ``bundle_manifest_sha256``, ``collected_by``,
  ``collected_at``, ``collected_from`` (the source and target) and ``bundle_integrity`` (``sha256 ok`` or
  ``MODIFIED since collection``). Files that are not part of a bundle are not touched.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..model import InputError, Observation, ReadStats, SourceRef
from . import bundle_manifest
from .base import Progress, Reader, ReadResult, register, sniff_order

MANIFEST = bundle_manifest.MANIFEST
FORMAT_TAG = b'"netvet-collect-bundle"'
_DEVICE_KINDS = ("snmp-walk", "cli-capture")


def _inner_reader(path: Path, head: bytes) -> Reader:
    for cls in sniff_order():
        if cls.format in ("bundle-member", "bundle-manifest"):
            continue
        reader = cls()
        if reader.sniff(path, head):
            return reader
    raise InputError(str(path), "unrecognised input format inside the bundle")


@register
class BundleManifestReader(Reader):
    format = "bundle-manifest"
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
        observations = drift(path, manifest, stats)
        stats.read += len(observations)
        if progress:
            progress(1, 1)
        return ReadResult(observations, stats)


@register
class BundleMemberReader(Reader):
    format = "bundle-member"
    priority = 0  # a file listed in a bundle manifest: its own reader runs inside this one
    description = "a file of a netvet collect bundle: read by its own reader, citing the bundle manifest"

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.name != MANIFEST and bundle_manifest.bundle_of(path) is not None

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        from .base import read_head

        inner = _inner_reader(path, read_head(path))
        result = inner.read(path, progress)
        found = bundle_manifest.bundle_of(path)
        if found is not None:
            cite(result.observations, path, *found)
        return result


def cite(observations: list[Observation], path: Path, folder: Path, manifest: dict, rel: str) -> None:
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
    for obs in observations:
        obs.attributes.update(attrs)


# ---------------------------------------------------------------------- inventory drift
_CTX = None


def _attributor():
    global _CTX
    if _CTX is None:
        from ..pipeline import Context

        _CTX = Context.build([])
    return _CTX


def _keys(obs: Observation, target: str | None) -> set[str]:
    keys = set()
    for k in ("hostname", "ip"):
        v = obs.attributes.get(k, "").strip().lower()
        if v:
            keys.add(v)
    if target:
        if target.endswith(")") and " (" in target:  # "HOST:PORT (label)" or "name (HOST:PORT)"
            keys.add(target.rsplit(" (", 1)[1][:-1].lower())
        host = target.split(" (", 1)[0]
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        keys.add(host.strip("[]").lower())
    return keys


def drift(path: Path, manifest: dict, stats: ReadStats) -> list[Observation]:
    files = manifest.get("files", {})
    sot_files = [rel for rel, m in files.items() if m.get("kind") == "sot-export"]
    dev_files = [rel for rel, m in files.items() if m.get("kind") in _DEVICE_KINDS]
    if not sot_files or not dev_files:
        return []
    from .sot_json import SotJsonReader

    folder = path.parent
    sot_obs: list[Observation] = []
    for rel in sot_files:
        try:
            sot_obs += [o for o in SotJsonReader().read(folder / rel).observations if o.kind != "circuit"]
        except (InputError, OSError):
            continue
    devices: list[tuple[Observation, set[str], str]] = []
    for rel in dev_files:
        p = folder / rel
        try:
            reader = _inner_reader(p, p.read_bytes()[:4096])
            for o in reader.read(p).observations:
                if o.kind == "device":
                    devices.append((o, _keys(o, files[rel].get("target")), rel))
        except (InputError, OSError):
            continue
    if not devices:
        return []
    ctx = _attributor()
    reg, on = ctx.registry, ctx.on
    out: list[Observation] = []
    for sot in sot_obs:
        manuf = sot.attributes.get("manufacturer")
        if not manuf:
            continue
        keys = _keys(sot, None)
        match = next(((o, rel) for o, k, rel in devices if k & keys), None)
        if match is None:
            continue
        dev, rel = match
        claimed = Observation(sot.id, sot.kind, sot.source,
                              [i for i in sot.identifiers if i.field == "sot:manufacturer"])
        a_sot = ctx.attributor.observation(claimed)
        a_dev = ctx.attributor.observation(dev)
        if not (a_sot.entity_id and a_dev.entity_id and a_dev.positive):
            continue
        if reg.ultimate_parent(a_sot.entity_id, on) == reg.ultimate_parent(a_dev.entity_id, on):
            continue
        host = sot.attributes.get("hostname") or sot.attributes.get("ip") or sot.id
        dev_name = reg.entities[a_dev.entity_id].legal_name
        out.append(Observation(
            id=f"{path.name}#drift/{len(out) + 1}", kind="inventory-drift",
            source=SourceRef(str(path), pointer=f"/files/{rel}"), identifiers=list(dev.identifiers),
            attributes={"name": f"inventory drift: {host}: source of truth says {manuf}, the device reports "
                                f"{dev_name}",
                        "drift": "manufacturer", "sot_manufacturer": manuf, "sot_entity": a_sot.entity_id,
                        "device_entity": a_dev.entity_id, "sot_record": str(sot.source),
                        "device_evidence": str(folder / rel), "bundle_manifest": str(path)},
            role=sot.role, site=sot.site))
        stats.warn(f"inventory drift: {host}: source of truth says {manuf} ({a_sot.entity_id}), the device "
                   f"reports {a_dev.entity_id} ({rel})")
    return out
