"""Plain data of netvet: entities, observations, attributions, findings. No I/O here."""

from .attribution import Attribution, AttributionStatus, EvidenceStep, IdentifierAttribution
from .entity import (
    CountryFact,
    Designation,
    Entity,
    EntityKind,
    Jurisdiction,
    Manufacturer,
    NumberFact,
    Ownership,
    RegistryNames,
    StateOwnership,
    TextFact,
)
from .finding import VERDICT_RANK, Citation, Finding, Verdict, control_state, worst
from .issues import InputError, InputIssue, ReadStats
from .observation import Identifier, IdKind, Observation, Strength, TextContext
from .report import REPORT_SCHEMA, PolicyInfo, Report
from .route import MrtType, PathAttributes, RouteKind, RouteRecord, RouteTable, RouteTableBuilder
from .source import Source, SourceRef

__all__ = [
    "REPORT_SCHEMA", "PolicyInfo", "Report", "Attribution", "AttributionStatus", "Citation", "CountryFact",
    "Designation", "Entity", "EntityKind",
    "EvidenceStep", "Finding", "IdKind", "Identifier", "IdentifierAttribution", "InputError", "InputIssue",
    "Jurisdiction", "Manufacturer", "NumberFact", "Observation", "Ownership", "ReadStats", "RegistryNames",
    "Source", "SourceRef", "StateOwnership", "Strength", "TextContext", "TextFact", "VERDICT_RANK", "Verdict",
    "worst", "control_state",
    "MrtType", "PathAttributes", "RouteKind", "RouteRecord", "RouteTable", "RouteTableBuilder",
]
