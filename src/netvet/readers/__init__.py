"""Readers: one module per input format, each registering itself in ``READERS``."""

from .base import READERS, Reader, ReadResult, detect, open_input, register

__all__ = ["READERS", "ReadResult", "Reader", "detect", "open_input", "register"]


def load_all() -> None:
    """Import every reader module so that each registers itself."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "base":
            importlib.import_module(f"{__name__}.{mod.name}")
