"""Scope of an asset in an operator's network: its domain (core, RAN, transport, management, access, enterprise),
technology, installation date, operator and registered approval — from inventory columns or, for the domain,
from an unambiguous network function. Unknown stays unknown (""): a rule that depends on it decides REVIEW."""

from __future__ import annotations

import re
from datetime import date

DOMAINS = ("core", "ran", "transport", "management", "access", "enterprise")

# written domain -> domain (lower case, spaces/underscores as hyphens)
_DOMAIN_ALIASES = {
    "core": "core", "core-network": "core", "5gc": "core", "epc": "core", "packet-core": "core",
    "ran": "ran", "radio": "ran", "radio-access": "ran", "radio-access-network": "ran", "mobile-access": "ran",
    "transport": "transport", "transmission": "transport", "backhaul": "transport", "backbone": "transport",
    "fronthaul": "transport", "midhaul": "transport",
    "management": "management", "oam": "management", "o&m": "management", "oss": "management",
    "nms": "management", "network-management": "management", "service-and-maintenance": "management",
    "access": "access", "fixed-access": "access", "fibre-access": "access", "fiber-access": "access",
    "full-fibre-access": "access", "ftth": "access", "fttp": "access",
    "enterprise": "enterprise", "it": "enterprise", "corporate": "enterprise", "office": "enterprise",
}
# a network function that places its domain without doubt (anything else needs a domain column)
_FUNCTION_DOMAIN = {
    "ran-baseband": "ran", "ran-radio": "ran", "gnodeb": "ran", "enodeb": "ran", "baseband": "ran",
    "radio-unit": "ran", "du": "ran", "cu": "ran",
    "amf": "core", "smf": "core", "upf": "core", "udm": "core", "hss": "core", "mme": "core", "sgw": "core",
    "pgw": "core", "ims": "core",
    "olt": "access", "ont": "access", "dslam": "access",
    "optical": "transport", "dwdm": "transport", "microwave": "transport",
    "oss": "management", "nms": "management", "ems": "management",
    "laptop": "enterprise", "ip-phone": "enterprise",
}
_TECH_ALIASES = {"5g": "5g", "5g-nr": "5g", "nr": "5g", "5g-sa": "5g", "5g-nsa": "5g", "4g": "4g", "lte": "4g",
                 "3g": "3g", "umts": "3g", "2g": "2g", "gsm": "2g", "fibre": "fibre", "fiber": "fibre",
                 "ftth": "fibre", "fttp": "fibre", "gpon": "fibre", "xgs-pon": "fibre"}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _key(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def asset_domain(attributes: dict, function: str) -> str:
    """The asset's domain: the inventory's ``domain`` column when it names one, else the domain its network
    function places without doubt, else ""."""
    written = _key(str(attributes.get("domain", "") or ""))
    if written:
        return _DOMAIN_ALIASES.get(written, "")
    return _FUNCTION_DOMAIN.get(_key(function), "")


def asset_technology(attributes: dict) -> str:
    written = _key(str(attributes.get("technology", "") or attributes.get("generation", "") or ""))
    return _TECH_ALIASES.get(written, written)


def iso_date(text) -> str:
    """``text`` as an ISO date string when it is one (YYYY-MM-DD, a valid date), else ""."""
    value = str(text or "").strip()[:10]
    if not _ISO.match(value):
        return ""
    try:
        date.fromisoformat(value)
    except ValueError:
        return ""
    return value


def scope_facts(attributes: dict, function: str) -> dict:
    """The scope facts of one asset (see policies/facts.py ASSET_FIELDS)."""
    return {
        "domain": asset_domain(attributes, function),
        "technology": asset_technology(attributes),
        "installed": iso_date(attributes.get("installed") or attributes.get("install_date")
                              or attributes.get("commissioned")),
        "operator": str(attributes.get("operator", "") or ""),
        "approval": str(attributes.get("approval", "") or attributes.get("authorisation", "") or ""),
        "approved_until": iso_date(attributes.get("approved_until") or attributes.get("authorised_until")),
    }
