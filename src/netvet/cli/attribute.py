"""`netvet attribute`: what is behind one identifier, with the evidence chain."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from pathlib import Path

import typer

from .common import compiled_cache, emit, load_id_registries, usage_error


class KindOption(StrEnum):
    """``--kind``: the values of ``model.IdKind`` (kept here so that the command line starts without loading the
    model; a test checks that the two agree)."""

    mac = "mac"
    oid = "oid"
    cpe = "cpe"
    name = "name"
    asn = "asn"
    ip = "ip"
    domain = "domain"
    text = "text"
    package = "package"

class AttributeFormat(StrEnum):
    table = "table"
    json = "json"


_MAC = re.compile(r"^(?:[0-9A-Fa-f]{2}([:\-]?)(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|"
                  r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})$")
_OID = re.compile(r"^(?:\.?\d+(?:\.\d+)+|iso(?:\.\d+)+|(?:SNMPv2-SMI::)?enterprises(?:\.\d+)+)$")
_ASN = re.compile(r"^(?:AS)?\d+$", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?=.*[a-z])[a-z0-9\-]+(?:\.[a-z0-9\-]+)+\.?$", re.IGNORECASE)


def guess_kind(value: str):
    """The ``model.IdKind`` a value looks like."""
    from ..model import IdKind

    v = value.strip()
    if _MAC.match(v):
        return IdKind.MAC
    if v.lower().startswith("cpe:"):
        return IdKind.CPE
    try:
        ipaddress.ip_address(v)
        return IdKind.IP
    except ValueError:
        pass
    if _OID.match(v):
        return IdKind.OID
    if _ASN.match(v) and v.upper().startswith("AS"):
        return IdKind.ASN
    if _DOMAIN.match(v) and " " not in v:
        return IdKind.DOMAIN
    return IdKind.NAME


def attribute(
    value: str = typer.Argument(..., help="A MAC, sysObjectID, CPE, ASN (AS4134), domain, IP or "
                                "organisation name."),
    kind: KindOption | None = typer.Option(None, "--kind", help="Identifier kind (default: guessed)."),
    context: str | None = typer.Option(None, "--context", help="For text a device reports (kind 'text'): where "
                                       "it was read (sys-descr, lldp-sys-descr, cli-version, model, ...); "
                                       "the fingerprints of that context are matched."),
    fmt: AttributeFormat = typer.Option(AttributeFormat.table, "--format", "-f"),
    on: str | None = typer.Option(None, "--on", help="Ownership as of this date (YYYY-MM-DD)."),
    registry_dir: Path | None = typer.Option(None, "--registry"),
    mac_db: list[Path] = typer.Option(None, "--mac-db"),
    pen_db: list[Path] = typer.Option(None, "--pen-db"),
    asn_db: Path | None = typer.Option(None, "--asn-db", help="RIB, IPASN or pfx2as file for IP -> ASN."),
    as_names: Path | None = typer.Option(None, "--as-names", help="pyasn asnames.json or CAIDA as2org file "
                                         "(AS -> name and country for ASes no entity claims)."),
) -> None:
    """Attribute one identifier and show the evidence chain."""
    from ..attribution.registry import Registry
    from ..attribution.resolve import Attributor
    from ..model import Identifier, IdKind, Strength
    from .audit import parse_date

    when = parse_date(on)
    compiled = compiled_cache()
    registry = Registry.load(registry_dir, compiled)
    macs, pens, used = load_id_registries(mac_db, pen_db)
    names = None
    if as_names is not None:
        from ..attribution.asnames import load_asnames

        names = load_asnames(as_names)
    from ..attribution.fingerprints import FingerprintDB

    # the bundled fingerprints name bundled-registry entities: none with another registry
    fingerprints = FingerprintDB.load(set(registry.entities), registry.sources, cache=compiled,
                                      registry_files=Registry.files()) if registry_dir is None else None
    attributor = Attributor(registry, macs=macs, pens=pens, asnames=names, fingerprints=fingerprints,
                            **({"on": when} if when else {}))
    k = IdKind(kind.value) if kind else (IdKind.TEXT if context else guess_kind(value))
    if context is not None:
        from ..model import TextContext

        if context not in {c.value for c in TextContext}:
            raise usage_error(f"unknown --context {context!r} (known: {', '.join(c.value for c in TextContext)})")
    prefix_steps = []
    if k == IdKind.IP:
        from ._ipasn import resolve_ip

        asn, prefix_steps = resolve_ip(value, asn_db)
        if asn is not None:
            value, k = f"AS{asn}", IdKind.ASN
    ia = attributor.identifier(Identifier(k, value.strip(), "cli", Strength.STRONG, context or ""))
    if k == IdKind.IP:  # unrouted: no origin AS
        ia.reason, ia.chain = "unrouted: no prefix covers this address", []
    data = ia.to_dict()
    data["chain"] = prefix_steps + data["chain"]
    if ia.entity_id:
        e = registry.entities[ia.entity_id]
        data["entity"] = {"id": e.id, "name": e.legal_name, "kind": str(e.kind), "country": e.hq_country,
                          "jurisdictions": registry.jurisdictions(e.id, attributor.on)}
    from ..reporters.identifier import IdentifierResult

    emit(IdentifierResult(f"{k} {value}", data, ia.confidence), str(fmt), None)


def register(app: typer.Typer) -> None:
    app.command("attribute")(attribute)
