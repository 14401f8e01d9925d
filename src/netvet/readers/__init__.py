"""Readers: one module per input format, each registering itself in ``READERS`` (the one reader registry).

A reader that lives in a higher layer (``flows.evidence`` runs the flows engine) is declared as an entry point of
the group ``netvet.readers`` in ``pyproject.toml``; :func:`load_all` loads those too, so the registry is complete
without this package importing anything above it."""

from .base import READERS, Reader, ReadResult, detect, open_input, register

__all__ = ["ENTRY_POINT_GROUP", "READERS", "ReadResult", "Reader", "detect", "load_all", "open_input", "register"]

ENTRY_POINT_GROUP = "netvet.readers"


def load_all() -> None:
    """Import every reader module of this package, and the readers declared under :data:`ENTRY_POINT_GROUP`,
    so that each registers itself."""
    import importlib
    import pkgutil
    from importlib.metadata import entry_points

    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "base":
            importlib.import_module(f"{__name__}.{mod.name}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        if READERS.get(cls.format) is not cls:
            register(cls)
