"""CycloneDX bills of materials in JSON (format ``cyclonedx-json``): SBOM, HBOM, firmware BOMs.

Spec versions 1.4, 1.5 and 1.6 are read fully; 1.2 and 1.3 are read with a warning (they lack
``manufacturer`` and ``address``); other versions are read by the 1.6 field names with a warning.
The document must have ``"bomFormat": "CycloneDX"``; other JSON raises ``InputError`` (and is not
sniffed), as does malformed JSON (with line and column).

One observation per component object, its kind the component ``type`` (device, firmware,
library, application, operating-system, framework, container, platform, device-driver, file,
machine-learning-model, data, cryptographic-asset; another value is kept, with a warning). Sources
are JSON pointers: ``/metadata/component``, ``/components/4``, ``/components/0/components/2``; ids
are ``<file name>:<pointer>``. ``parent`` is the id of the enclosing component for nested
``components``, and of ``/metadata/component`` (the thing the BOM describes) for top-level ones.

Per component:

- ``supplier.name`` -> NAME identifier (MODERATE, field ``cyclonedx:supplier``);
- ``manufacturer.name`` (1.6) -> NAME identifier (MODERATE, field ``cyclonedx:manufacturer``);
- for ``/metadata/component`` also ``metadata.manufacturer`` (1.6), ``metadata.manufacture``
  (1.5) and ``metadata.supplier`` -> NAME identifiers (MODERATE, fields
  ``cyclonedx:metadata.manufacturer`` / ``cyclonedx:metadata.supplier``);
- ``publisher`` -> NAME identifier (MODERATE, field ``cyclonedx:publisher``);
- ``author`` and ``authors[].name`` -> NAME identifiers (WEAK, field ``cyclonedx:author``: often a person);
- ``cpe`` -> CPE identifier (MODERATE, field ``cyclonedx:cpe``); a value that is not ``cpe:2.3:...``
  or ``cpe:/...`` is kept as attribute ``cpe`` with a warning;
- attributes ``name``, ``group``, ``version``, ``description``, ``purl``, ``bom_ref``, ``supplier``,
  ``manufacturer``, ``publisher``, ``supplier_url`` (first url), ``<role>_country`` from an
  organisational entity's ``address.country`` (1.6), and ``property:<name>`` per ``properties`` entry.

A component without ``type`` or ``name`` is malformed (recorded with its pointer, no observation;
its nested components are still read). ``stats.read`` counts component objects.
"""

from __future__ import annotations

import json
import lzma
import os
import re
from pathlib import Path
from typing import Any

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength
from .base import Progress, Reader, ReadResult, input_position, open_input, register

FULL_VERSIONS = ("1.4", "1.5", "1.6")
REDUCED_VERSIONS = ("1.2", "1.3")
COMPONENT_TYPES = frozenset({
    "application", "framework", "library", "container", "platform", "operating-system", "device",
    "device-driver", "firmware", "file", "machine-learning-model", "data", "cryptographic-asset",
})
_CPE_RE = re.compile(r"^cpe:(?:2\.3:[aho*\-]:|/[aho]?:?)", re.IGNORECASE)
_SNIFF_FORMAT = re.compile(rb'"bomFormat"\s*:\s*"CycloneDX"')
CHUNK = 1 << 20
SNIFF_HEAD = 4096  # bytes base.detect hands to sniff


def pointer(*parts: str | int) -> str:
    """JSON pointer (RFC 6901) of the given path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@register
class CycloneDxReader(Reader):
    format = "cyclonedx-json"
    description = "CycloneDX BOM in JSON (1.2-1.6): devices, firmware, hardware and software components"
    extensions = (".cdx.json", ".bom.json")

    def sniff(self, path: Path, head: bytes) -> bool:
        if _SNIFF_FORMAT.search(head):
            return True
        # bomFormat may come after a long metadata block: then trust the CycloneDX file name
        # convention, unless the head is the whole file or names another format
        if len(head) < SNIFF_HEAD or b'"bomFormat"' in head or b'"spdxVersion"' in head:
            return False
        return path.name.lower().endswith(self.extensions) and head.lstrip().startswith(b"{")

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        file = str(path)
        stats = ReadStats(file=file, format=self.format)
        total = os.path.getsize(path) if path.is_file() else 0
        chunks = []
        with open_input(path) as fh:
            while True:
                try:
                    chunk = fh.read(CHUNK)
                except (OSError, EOFError, lzma.LZMAError) as exc:
                    raise InputError(file, f"cannot decompress: {exc}") from None
                if not chunk:
                    break
                chunks.append(chunk)
                if progress:
                    progress(min(input_position(fh) or 0, total), total)
        try:
            doc = json.loads(b"".join(chunks))
        except json.JSONDecodeError as exc:
            raise InputError(file, f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                             line=exc.lineno) from None
        except UnicodeDecodeError as exc:
            raise InputError(file, f"not UTF-8 JSON: {exc.reason}", offset=exc.start) from None
        if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
            raise InputError(file, 'not a CycloneDX BOM: no "bomFormat": "CycloneDX"')
        _check_version(doc.get("specVersion"), stats)
        walker = _Walker(path, stats)
        metadata = doc.get("metadata")
        root_id = None
        if metadata is not None and not isinstance(metadata, dict):
            stats.warn("/metadata: not an object; ignored")
            metadata = None
        if metadata:
            comp = metadata.get("component")
            extra = _metadata_identifiers(metadata, stats)
            if isinstance(comp, dict):
                root_id = walker.component(comp, ("metadata", "component"), None, extra)
            elif comp is not None:
                stats.read += 1
                stats.problem(f"{pointer('metadata', 'component')}: not an object")
            elif extra[0]:
                stats.warn("/metadata names a manufacturer or supplier but no component; not attributed")
        walker.components(doc.get("components"), ("components",), root_id)
        if progress:
            progress(total, total)
        return ReadResult(walker.observations, stats)


def _check_version(spec: Any, stats: ReadStats) -> None:
    if not isinstance(spec, str):
        stats.warn("no specVersion: read by the CycloneDX 1.6 field names")
    elif spec in REDUCED_VERSIONS:
        stats.warn(f"CycloneDX {spec} is read with reduced support (netvet reads 1.4-1.6 fully; "
                   f"{spec} has no manufacturer or address fields)")
    elif spec not in FULL_VERSIONS:
        stats.warn(f"unknown CycloneDX specVersion {spec!r}: read by the 1.6 field names")


def _metadata_identifiers(metadata: dict, stats: ReadStats) -> tuple[list[Identifier], dict[str, str]]:
    idents: list[Identifier] = []
    attrs: dict[str, str] = {}
    for key, field in (("manufacturer", "cyclonedx:metadata.manufacturer"),
                       ("manufacture", "cyclonedx:metadata.manufacturer"),
                       ("supplier", "cyclonedx:metadata.supplier")):
        entity = metadata.get(key)
        if entity is None:
            continue
        if not isinstance(entity, dict):
            stats.warn(f"{pointer('metadata', key)}: not an organisational entity; ignored")
            continue
        name = _text(entity.get("name"))
        if name and not any(i.value == name and i.field == field for i in idents):
            idents.append(Identifier(IdKind.NAME, name, field, Strength.MODERATE))
        role = "metadata_" + ("supplier" if key == "supplier" else "manufacturer")
        if name:
            attrs.setdefault(role, name)
        country = _country(entity)
        if country:
            attrs.setdefault(f"{role}_country", country)
    return idents, attrs


def _country(entity: dict) -> str:
    address = entity.get("address")
    return _text(address.get("country")) if isinstance(address, dict) else ""


class _Walker:
    def __init__(self, path: Path, stats: ReadStats):
        self.path = path
        self.stats = stats
        self.observations: list[Observation] = []

    def components(self, items: Any, at: tuple, parent: str | None) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            self.stats.warn(f"{pointer(*at)}: not an array; ignored")
            return
        for i, comp in enumerate(items):
            if not isinstance(comp, dict):
                self.stats.read += 1
                self.stats.problem(f"{pointer(*at, i)}: component is not an object")
                continue
            self.component(comp, (*at, i), parent)

    def component(self, comp: dict, at: tuple, parent: str | None,
                  extra: tuple[list[Identifier], dict[str, str]] | None = None) -> str | None:
        stats = self.stats
        stats.read += 1
        ptr = pointer(*at)
        ctype, name = _text(comp.get("type")), _text(comp.get("name"))
        missing = [k for k, v in (("type", ctype), ("name", name)) if not v]
        obs_id = None
        if missing:
            stats.problem(f"{ptr}: component has no {' or '.join(repr(m) for m in missing)}")
        else:
            if ctype not in COMPONENT_TYPES:
                stats.warn(f"{ptr}: unknown component type {ctype!r}")
            obs = self._observation(comp, ptr, ctype, name, parent, extra)
            self.observations.append(obs)
            obs_id = obs.id
        self.components(comp.get("components"), (*at, "components"), obs_id or parent)
        return obs_id

    def _observation(self, comp: dict, ptr: str, ctype: str, name: str, parent: str | None,
                     extra: tuple[list[Identifier], dict[str, str]] | None) -> Observation:
        idents: list[Identifier] = []
        attrs: dict[str, str] = {"name": name}

        def add(kind: IdKind, value: str, field: str, strength: Strength) -> None:
            if value and not any(i.value == value and i.field == field for i in idents):
                idents.append(Identifier(kind, value, field, strength))

        for key in ("group", "version", "description", "purl", "bom-ref"):
            if _text(comp.get(key)):
                attrs[key.replace("-", "_")] = _text(comp[key])
        for role in ("supplier", "manufacturer"):
            entity = comp.get(role)
            if entity is None:
                continue
            if not isinstance(entity, dict):
                self.stats.warn(f"{ptr}/{role}: not an organisational entity; ignored")
                continue
            org = _text(entity.get("name"))
            if org:
                add(IdKind.NAME, org, f"cyclonedx:{role}", Strength.MODERATE)
                attrs[role] = org
            if country := _country(entity):
                attrs[f"{role}_country"] = country
            urls = entity.get("url")
            if role == "supplier" and isinstance(urls, list) and urls and _text(urls[0]):
                attrs["supplier_url"] = _text(urls[0])
        if publisher := _text(comp.get("publisher")):
            add(IdKind.NAME, publisher, "cyclonedx:publisher", Strength.MODERATE)
            attrs["publisher"] = publisher
        add(IdKind.NAME, _text(comp.get("author")), "cyclonedx:author", Strength.WEAK)
        authors = comp.get("authors")
        if isinstance(authors, list):
            for a in authors:
                if isinstance(a, dict):
                    add(IdKind.NAME, _text(a.get("name")), "cyclonedx:author", Strength.WEAK)
        if cpe := _text(comp.get("cpe")):
            if _CPE_RE.match(cpe):
                add(IdKind.CPE, cpe, "cyclonedx:cpe", Strength.MODERATE)
            else:
                self.stats.warn(f"{ptr}/cpe: not a CPE name: {cpe[:60]!r}")
                attrs["cpe"] = cpe
        props = comp.get("properties")
        if isinstance(props, list):
            for p in props:
                if isinstance(p, dict) and _text(p.get("name")) and isinstance(p.get("value"), str):
                    attrs.setdefault(f"property:{_text(p['name'])}", p["value"])
        if extra:
            for ident in extra[0]:
                add(ident.kind, ident.value, ident.field, ident.strength)
            for k, v in extra[1].items():
                attrs.setdefault(k, v)
        return Observation(
            id=f"{self.path.name}:{ptr}",
            kind=ctype,
            source=SourceRef(file=str(self.path), pointer=ptr),
            identifiers=idents,
            attributes=attrs,
            parent=parent,
        )
