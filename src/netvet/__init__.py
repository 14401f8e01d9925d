"""netvet: vet every vendor, carrier, cloud and route in a network against a trust policy, by evidence.

The public names below are imported on first use (module ``__getattr__``): ``import netvet`` (and so the
command line's start-up) loads neither pydantic nor NumPy until a command needs them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "Attribution", "AttributionStatus", "Designation", "Entity", "Finding", "IdKind", "Identifier",
    "Observation", "ReadStats", "SourceRef", "Verdict", "__version__",
]
_MODEL_NAMES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str):
    if name in _MODEL_NAMES:
        from . import model

        value = getattr(model, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'netvet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _MODEL_NAMES)
