"""Source-of-truth export written by ``netvet collect netbox|nautobot`` (format ``sot-json``).

One JSON object::

    {"format": "netvet-sot", "schema": 1,
     "source": {"kind": "netbox" | "nautobot", "url": "...", "version": "4.1.3"},
     "devices": [{"id": "...", "url": "...", "name": "core1", "manufacturer": "Cisco", "model": "C9300-48P",
                  "platform": "cisco_ios", "serial": "FOC...", "role": "Core Router", "site": "hq",
                  "status": "active", "primary_ip": "10.0.0.1", "tags": ["..."],
                  "interfaces": [{"name": "Gi1/0/1", "mac": "00:11:22:33:44:55"}]}],
     "circuits": [{"id": "...", "url": "...", "cid": "CKT-1", "provider": "China Telecom Americas",
                   "provider_asns": [4134], "type": "Internet", "site": "hq", "status": "active"}]}

A device -> observation of kind ``device`` (id ``<file>#/devices/<i>``): the SoT manufacturer as a NAME
identifier (STRONG, field ``sot:manufacturer``: the operator's declaration, like an inventory's vendor column),
the model as TEXT (MODERATE, context ``model``), interface MACs (MODERATE, ``sot:interface-mac``, at most 32),
role and site. A circuit -> observation of kind ``circuit``: its provider (a carrier) as a NAME (STRONG,
``sot:provider``) and the provider's ASNs (STRONG, ``sot:provider-asn``); role ``leased-circuit`` unless the
SoT names one. A record that is not an object, or has neither name nor any identifier, is malformed (its JSON
pointer is given); the rest is read.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength, TextContext
from .base import Progress, Reader, ReadResult, open_input, refuse_binary, register
from .csv_inventory import parse_mac

FORMAT_TAG = "netvet-sot"
MAX_MACS = 32
MAX_BYTES = 512 * 1024 * 1024


def _s(value) -> str:
    return str(value).strip() if isinstance(value, (str, int, float)) and str(value).strip() else ""


@register
class SotJsonReader(Reader):
    format = "sot-json"
    description = "source-of-truth export (NetBox / Nautobot) written by `netvet collect`"
    extensions = (".sot.json",)

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head[:4096].lstrip()
        return text.startswith(b"{") and f'"format": "{FORMAT_TAG}"'.encode() in text

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        stats = ReadStats(file=str(path), format=self.format, unit="record")
        with open_input(path) as fh:
            data = fh.read(MAX_BYTES + 1)
        refuse_binary(path, data, "source-of-truth export")
        if len(data) > MAX_BYTES:
            raise InputError(str(path), "source-of-truth export larger than 512 MiB")
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise InputError(str(path), f"not valid JSON: {exc}") from None
        except RecursionError:
            raise InputError(str(path), "JSON nested too deeply (not a source-of-truth export)") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_TAG:
            raise InputError(str(path), f"not a {FORMAT_TAG} export (no \"format\": \"{FORMAT_TAG}\")")
        source = doc.get("source") if isinstance(doc.get("source"), dict) else {}
        kind = _s(source.get("kind")) or "sot"
        observations: list[Observation] = []
        for section, build in (("devices", self._device), ("circuits", self._circuit)):
            items = doc.get(section, [])
            if not isinstance(items, list):
                stats.read += 1
                stats.problem(f"'{section}' is not a list", offset=None)
                continue
            for i, rec in enumerate(items):
                stats.read += 1
                pointer = f"/{section}/{i}"
                if not isinstance(rec, dict):
                    stats.problem(f"{pointer}: not an object")
                    continue
                obs = build(path, pointer, rec, kind, stats)
                if obs is None:
                    stats.problem(f"{pointer}: no name and no identifier")
                    continue
                observations.append(obs)
        if progress:
            progress(1, 1)
        return ReadResult(observations, stats)

    @staticmethod
    def _common(rec: dict, kind: str) -> dict[str, str]:
        attrs = {"sot": kind}
        for key in ("id", "url"):
            if _s(rec.get(key)):
                attrs[f"sot_{key}"] = _s(rec[key])
        for key in ("status", "platform", "serial", "model", "manufacturer", "type"):
            if _s(rec.get(key)):
                attrs[key] = _s(rec[key])
        return attrs

    def _device(self, path: Path, pointer: str, rec: dict, kind: str, stats: ReadStats) -> Observation | None:
        idents: list[Identifier] = []
        attrs = self._common(rec, kind)
        if _s(rec.get("name")):
            attrs["hostname"] = _s(rec["name"])
        if _s(rec.get("primary_ip")):
            attrs["ip"] = _s(rec["primary_ip"]).split("/", 1)[0]
        if _s(rec.get("manufacturer")):
            idents.append(Identifier(IdKind.NAME, _s(rec["manufacturer"]), "sot:manufacturer", Strength.STRONG))
        if _s(rec.get("model")):
            idents.append(Identifier(IdKind.TEXT, _s(rec["model"]), "sot:device-type", Strength.MODERATE,
                                     TextContext.MODEL))
        macs: list[str] = []
        for j, iface in enumerate(rec.get("interfaces") or []):
            if not isinstance(iface, dict) or not _s(iface.get("mac")):
                continue
            mac = parse_mac(_s(iface["mac"]))
            if mac is None:
                stats.warn(f"{pointer}/interfaces/{j}: invalid MAC {_s(iface['mac'])[:40]!r}")
                continue
            if mac not in macs and mac != "00:00:00:00:00:00":
                macs.append(mac)
        for mac in macs[:MAX_MACS]:
            idents.append(Identifier(IdKind.MAC, mac, "sot:interface-mac", Strength.MODERATE))
        if macs:
            attrs["mac"] = macs[0]
        if isinstance(rec.get("tags"), list) and rec["tags"]:
            attrs["sot_tags"] = ", ".join(_s(t) for t in rec["tags"] if _s(t))
        if not idents and "hostname" not in attrs:
            return None
        return Observation(id=f"{path.name}#{pointer}", kind=_s(rec.get("kind")).lower() or "device",
                           source=SourceRef(str(path), pointer=pointer), identifiers=idents, attributes=attrs,
                           role=_s(rec.get("role")) or None, site=_s(rec.get("site")) or None)

    def _circuit(self, path: Path, pointer: str, rec: dict, kind: str, stats: ReadStats) -> Observation | None:
        idents: list[Identifier] = []
        attrs = self._common(rec, kind)
        if _s(rec.get("cid")):
            attrs["name"] = attrs["circuit_id"] = _s(rec["cid"])
        if _s(rec.get("provider")):
            attrs["provider"] = _s(rec["provider"])
            idents.append(Identifier(IdKind.NAME, attrs["provider"], "sot:provider", Strength.STRONG))
        asns = []
        for a in rec.get("provider_asns") or []:
            text = _s(a).upper().removeprefix("AS")
            if text.isdigit() and 0 < int(text) < 2**32:
                asns.append(int(text))
            else:
                stats.warn(f"{pointer}: invalid provider ASN {_s(a)[:20]!r}")
        for a in asns:
            idents.append(Identifier(IdKind.ASN, f"AS{a}", "sot:provider-asn", Strength.STRONG))
        if asns:
            attrs["provider_asns"] = ", ".join(f"AS{a}" for a in asns)
        if not idents and "name" not in attrs:
            return None
        return Observation(id=f"{path.name}#{pointer}", kind="circuit", source=SourceRef(str(path), pointer=pointer),
                           identifiers=idents, attributes=attrs, role=_s(rec.get("role")) or "leased-circuit",
                           site=_s(rec.get("site")) or None)
