"""What was seen in the user's evidence, and where."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .source import SourceRef


class IdKind(StrEnum):
    MAC = "mac"
    OID = "oid"  # SNMP sysObjectID
    CPE = "cpe"
    NAME = "name"  # an organisation or vendor name as written in the input
    ASN = "asn"
    IP = "ip"
    DOMAIN = "domain"
    TEXT = "text"  # free text a device or scanner reports (sysDescr, banner, model); matched by fingerprints
    PACKAGE = "package"  # an app's package name (Android), matched by curated package-prefix rules


class TextContext(StrEnum):
    """Where a TEXT identifier (or an OID matched by subtree) was read; fingerprints name the contexts they
    apply to."""

    SYS_DESCR = "sys-descr"  # SNMP sysDescr
    SYS_OBJECT_ID = "sys-object-id"  # SNMP sysObjectID (OID identifiers only)
    ENT_MFG_NAME = "ent-mfg-name"  # ENTITY-MIB entPhysicalMfgName
    ENT_MODEL_NAME = "ent-model-name"  # ENTITY-MIB entPhysicalModelName
    ENT_DESCR = "ent-descr"  # ENTITY-MIB entPhysicalDescr
    LLDP_SYS_DESCR = "lldp-sys-descr"  # LLDP system description (a neighbour's, or the device's own)
    CLI_VERSION = "cli-version"  # show/display version output and banners
    CLI_INVENTORY = "cli-inventory"  # inventory / manuinfo / board descriptions
    NMAP_SERVICE = "nmap-service"  # nmap service product / extrainfo / devicetype
    TLS_SUBJECT = "tls-subject"  # a certificate's subject or issuer
    HTTP_SERVER = "http-server"  # an HTTP Server header
    MODEL = "model"  # a model or part number as written (inventory column, PID, entPhysicalModelName)


class Strength(StrEnum):
    """How much an identifier says about who made the observed thing."""

    STRONG = "strong"  # declared by the operator or the device itself (inventory vendor, sysObjectID)
    MODERATE = "moderate"  # registry-backed (MAC OUI, certificate organisation, CPE, BOM supplier)
    WEAK = "weak"  # guesses (nmap OS fingerprint classes)


@dataclass(frozen=True, slots=True)
class Identifier:
    kind: IdKind
    value: str
    field: str  # which input field it came from, e.g. "csv:mac", "nmap:osclass@vendor"
    strength: Strength = Strength.MODERATE
    context: str = ""  # a TextContext for TEXT identifiers (and sysObjectIDs): which fingerprints apply

    def to_dict(self) -> dict:
        out = {"kind": str(self.kind), "value": self.value, "field": self.field, "strength": str(self.strength)}
        if self.context:
            out["context"] = self.context
        return out


@dataclass(slots=True)
class Observation:
    """One thing seen in the evidence: a device, a component, a software package, a host."""

    id: str
    kind: str  # device | component | firmware | software | host | ...
    source: SourceRef
    identifiers: list[Identifier] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    role: str | None = None
    site: str | None = None
    parent: str | None = None  # id of the enclosing observation (component inside a device)

    @property
    def label(self) -> str:
        for key in ("hostname", "name", "model", "ip"):
            if self.attributes.get(key):
                return self.attributes[key]
        return self.id

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source.to_dict(),
            "identifiers": [i.to_dict() for i in self.identifiers],
            "attributes": dict(self.attributes),
            "role": self.role,
            "site": self.site,
            "parent": self.parent,
        }
