"""Inventory drift in a ``netvet collect`` bundle: a device whose source-of-truth manufacturer and own evidence name
different organisations.

When a bundle holds both a source-of-truth export and the devices' own evidence (SNMP walks, CLI captures), each
device whose SoT manufacturer and own evidence name different organisations (different ultimate parents) gives one
observation of kind ``inventory-drift``: its identifiers are the device's own (what it is), its attributes say what
the SoT claims (``sot_manufacturer``, ``sot_entity``), what the device reports (``device_entity``) and where each
was read. The bundle-manifest reader yields the manifest (``ReadResult.bundle``); ``pipeline.read_inputs`` calls
:func:`drift` with the attributor, registry and date of the run's reference data.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import InputError, Observation, ReadStats, SourceRef
from ..readers.collect_bundle import inner_reader

if TYPE_CHECKING:
    from ..attribution.registry import Registry
    from ..attribution.resolve import Attributor

_DEVICE_KINDS = ("snmp-walk", "cli-capture")


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


def drift(path: Path, manifest: dict, stats: ReadStats, attributor: Attributor, registry: Registry,
          on: date) -> list[Observation]:
    """The ``inventory-drift`` observations of the bundle whose manifest is ``path`` (each also a warning in
    ``stats``); ``attributor``/``registry``/``on`` decide what each side names."""
    files = manifest.get("files", {})
    sot_files = [rel for rel, m in files.items() if m.get("kind") == "sot-export"]
    dev_files = [rel for rel, m in files.items() if m.get("kind") in _DEVICE_KINDS]
    if not sot_files or not dev_files:
        return []
    from ..readers.sot_json import SotJsonReader

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
            reader = inner_reader(p, p.read_bytes()[:4096])
            for o in reader.read(p).observations:
                if o.kind == "device":
                    devices.append((o, _keys(o, files[rel].get("target")), rel))
        except (InputError, OSError):
            continue
    if not devices:
        return []
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
        a_sot = attributor.observation(claimed)
        a_dev = attributor.observation(dev)
        if not (a_sot.entity_id and a_dev.entity_id and a_dev.positive):
            continue
        if registry.ultimate_parent(a_sot.entity_id, on) == registry.ultimate_parent(a_dev.entity_id, on):
            continue
        host = sot.attributes.get("hostname") or sot.attributes.get("ip") or sot.id
        dev_name = registry.entities[a_dev.entity_id].legal_name
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
