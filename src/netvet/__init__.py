"""netvet: vet every vendor, carrier, cloud and route in a network against a trust policy, by evidence."""

from .model import (
    Attribution,
    AttributionStatus,
    Designation,
    Entity,
    Finding,
    Identifier,
    IdKind,
    Observation,
    ReadStats,
    SourceRef,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "Attribution", "AttributionStatus", "Designation", "Entity", "Finding", "IdKind", "Identifier",
    "Observation", "ReadStats", "SourceRef", "Verdict", "__version__",
]
