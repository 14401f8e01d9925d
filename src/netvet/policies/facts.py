"""The typed fact model that policy rules (CEL expressions) see.

Top-level variables:

``entity``       the attributed organisation (see ``ENTITY_FIELDS``); ``entity.known`` is false when attribution
                 found no curated entity (fields then hold empty values, and ``registry_country`` may hold the
                 country of a public registry record).
``designations`` list of designations applying to the entity: its own and (where the list covers subsidiaries
                 and affiliates) those of its controlling owners; each says ``via`` which entity carried it.
``asset``        the observation: id, kind, role (as written), role_known, roles (the scope roles the role text
                 places, see data/roles/roles.yaml) and role_placed, site, function, domain (core, ran, transport,
                 management, access, enterprise; "" when unknown), technology, installed (ISO date or ""),
                 operator, approval (a registered plan or authorisation reference) and approved_until, attributes.
``attribution``  status, method, confidence, conflict, org_name, registry_country, manufacturer_status.
``analysis``     analysis results for route/flow subjects: position, share, exposure (zero values otherwise);
                 for assets: concentration, supplier_share, group_size, and per share cap a pack declares
                 (``caps:``) ``cap_share[cap]`` (the share of the asset's supplier in the cap's population) and
                 ``cap_exceeded[cap]`` (that share is above the cap's limit).
``now``          the evaluation date as an ISO string (YYYY-MM-DD).
"""

from __future__ import annotations

from datetime import date
from typing import Any

# field -> (type name, probe value). Types: string, bool, double, int, list<string>, list<designation>, map
DESIGNATION_FIELDS: dict[str, tuple[str, Any]] = {
    "list": ("string", "fcc-covered-list"),
    "entry": ("string", "1"),
    "entity": ("string", "huawei"),
    "via": ("string", "huawei"),
    "relation": ("string", "self"),
    "scope": ("string", "all"),
    "scope_roles": ("list<string>", ["public-safety"]),
    "category": ("string", ""),
    "date_added": ("string", "2021-03-12"),
    "includes_affiliates": ("bool", True),
    "source": ("string", "fcc-covered-list"),
}
ENTITY_FIELDS: dict[str, tuple[str, Any]] = {
    "known": ("bool", True),
    "id": ("string", "huawei"),
    "name": ("string", "Huawei Technologies Co., Ltd."),
    "kind": ("string", "equipment-vendor"),
    "hq_country": ("string", "CN"),
    "registration_country": ("string", "CN"),
    "ultimate_parent": ("string", "huawei-investment-holding"),
    "ultimate_parent_country": ("string", "CN"),
    "chain": ("list<string>", ["huawei", "huawei-investment-holding"]),
    "chain_countries": ("list<string>", ["CN"]),
    "production_countries": ("list<string>", ["CN"]),
    "state_owned": ("bool", False),
    "state_owner_countries": ("list<string>", ["CN"]),
    "registry_country": ("string", "CN"),
    "risk": ("map<string,double>", {"legal_compulsion": 0.5, "state_control": 0.0, "ownership_opacity": 0.5,
                                    "security_record": 0.5, "certification": 0.5}),
    "risk_score": ("double", 0.5),
    "risk_explained": ("list<string>", ["legal_compulsion=0.50 ..."]),
}
ASSET_FIELDS: dict[str, tuple[str, Any]] = {
    "id": ("string", "inventory.csv:2"),
    "kind": ("string", "device"),
    "role": ("string", "public-safety"),
    "role_known": ("bool", True),
    "roles": ("list<string>", ["critical-infrastructure"]),
    "role_placed": ("bool", True),
    "site": ("string", "hq"),
    "function": ("string", "switch"),
    "domain": ("string", "core"),
    "technology": ("string", "5g"),
    "installed": ("string", "2021-06-30"),
    "operator": ("string", "op-1"),
    "approval": ("string", "plan-2024-001"),
    "approved_until": ("string", "2028-12-31"),
    "attributes": ("map<string,string>", {"model": "x"}),
}
ATTRIBUTION_FIELDS: dict[str, tuple[str, Any]] = {
    "status": ("string", "attributed"),
    "positive": ("bool", True),
    "weakness": ("string", ""),
    "method": ("string", "mac-oui"),
    "confidence": ("double", 0.9),
    "conflict": ("bool", False),
    "org_name": ("string", "HUAWEI TECHNOLOGIES CO.,LTD"),
    "relation": ("string", "maker"),
    "manufacturer_status": ("string", "established"),
    "evidence_entities": ("list<string>", ["quectel"]),
    "evidence_countries": ("list<string>", ["CN"]),
}
ANALYSIS_FIELDS: dict[str, tuple[str, Any]] = {
    "position": ("string", "transit"),
    "share": ("double", 0.5),
    "exposure": ("double", 0.1),
    "concentration": ("double", 0.5),
    "supplier_share": ("double", 0.5),
    "group_size": ("int", 10),
    "cap_share": ("map<string,double>", {}),
    "cap_exceeded": ("map<string,bool>", {}),
}
TOP_LEVEL: dict[str, dict[str, tuple[str, Any]] | tuple[str, Any]] = {
    "entity": ENTITY_FIELDS,
    "designations": DESIGNATION_FIELDS,
    "asset": ASSET_FIELDS,
    "attribution": ATTRIBUTION_FIELDS,
    "analysis": ANALYSIS_FIELDS,
    "now": ("string", "2026-11-24"),
}
# Facts a vendor-neutral pack may not reference (country of origin, headquarters, named entities, designations).
NATION_OR_NAME_FACTS = {
    "entity.id", "entity.name", "entity.hq_country", "entity.registration_country", "entity.ultimate_parent",
    "entity.ultimate_parent_country", "entity.chain", "entity.chain_countries", "entity.registry_country",
    "entity.production_countries", "entity.state_owner_countries", "designations", "attribution.org_name",
    "entity.risk_explained", "attribution.evidence_entities", "attribution.evidence_countries",
}


def probe_facts() -> dict[str, Any]:
    """A fact set with every field filled by a value of its type, used to check expressions on load."""
    out: dict[str, Any] = {}
    for name, spec in TOP_LEVEL.items():
        if name == "designations":
            out[name] = [{k: v for k, (_, v) in DESIGNATION_FIELDS.items()}]
        elif isinstance(spec, dict):
            out[name] = {k: v for k, (_, v) in spec.items()}
        else:
            out[name] = spec[1]
    return out


def empty_entity() -> dict[str, Any]:
    return {
        "known": False, "id": "", "name": "", "kind": "", "hq_country": "", "registration_country": "",
        "ultimate_parent": "", "ultimate_parent_country": "", "chain": [], "chain_countries": [],
        "production_countries": [], "state_owned": False, "state_owner_countries": [], "registry_country": "",
        "risk": {}, "risk_score": 0.0, "risk_explained": [],
    }


def entity_facts(registry, entity_id: str | None, on: date, registry_country: str | None = None,
                 risk=None) -> dict[str, Any]:
    """Facts about an entity and its controlling-owner chain as of ``on`` (``risk``: RiskData, optional)."""
    facts = empty_entity()
    facts["registry_country"] = registry_country or ""
    if not entity_id or entity_id not in registry.entities:
        return facts
    e = registry.entities[entity_id]
    chain = [entity_id] + registry.ancestors(entity_id, on)
    chain_entities = [registry.entities[c] for c in chain]
    up = chain_entities[-1]
    countries: list[str] = []
    for ce in chain_entities:
        for c in (ce.hq_country_on(on), ce.registration_country_on(on)):
            if c and c not in countries:
                countries.append(c)
    state_countries = sorted({s.state for ce in chain_entities for s in ce.state_ownership_on(on)})
    facts.update(
        known=True,
        id=e.id,
        name=e.legal_name,
        kind=str(e.kind),
        hq_country=e.hq_country_on(on) or "",
        registration_country=e.registration_country_on(on) or "",
        ultimate_parent=up.id,
        ultimate_parent_country=up.hq_country_on(on) or up.registration_country_on(on) or "",
        chain=chain,
        chain_countries=countries,
        production_countries=sorted({p.country for p in e.production if p.valid_on(on)}),
        state_owned=bool(state_countries),
        state_owner_countries=state_countries,
    )
    if risk is not None:
        profile = risk.profile(registry, entity_id, on)
        facts.update(risk=profile.values(), risk_score=profile.score, risk_explained=profile.explain())
    if not facts["registry_country"]:
        facts["registry_country"] = e.hq_country_on(on) or ""
    return facts


def designation_facts(registry, entity_id: str | None, on: date) -> list[dict[str, Any]]:
    if not entity_id or entity_id not in registry.entities:
        return []
    out = []
    for d, via in registry.affiliated_designations(entity_id, on):
        if d.date_added > on:
            continue
        out.append({
            "list": d.list, "entry": d.entry, "entity": d.entity or "", "via": via,
            "relation": registry.relation(entity_id, via, on), "scope": d.scope,
            "scope_roles": list(d.scope_roles), "category": d.category or "", "date_added": d.date_added.isoformat(),
            "includes_affiliates": d.includes_affiliates, "source": d.source,
        })
    return out
