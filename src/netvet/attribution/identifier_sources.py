"""The MAC and PEN registries an attribution uses, from every source in order: netaddr's bundled IEEE files, the
datasets fetched or imported with ``netvet data`` (newer blocks win), then the user's own files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .oui import MacRegistry
    from .oui_cache import MacIndexCache
    from .pen import PenRegistry

MAC_DATASETS = ("ieee-ma-l", "ieee-ma-m", "ieee-ma-s", "ieee-iab")
PEN_DATASET = "iana-pen"


def identifier_registries(mac_files: Iterable[str | Path] = (), pen_files: Iterable[str | Path] = (),
                          mac_cache: MacIndexCache | None = None) -> tuple[MacRegistry, PenRegistry, list[dict]]:
    """(MAC registry, PEN registry, the datasets used as dicts). With ``mac_cache`` the MAC registry of exactly
    these files is read from its on-disk index (built on first use, rebuilt when a file changes)."""
    from ..datasets import load_catalogue, stored
    from .oui import MacRegistry, MacSource, netaddr_sources
    from .pen import PenRegistry

    catalogue = load_catalogue()

    def dataset(name: str):
        return stored(name, catalogue)

    sources, used = netaddr_sources(), []
    for name in MAC_DATASETS:
        path, info = dataset(name)
        if path is not None:
            sources.append(MacSource(Path(path), info.label))
        if info is not None:
            used.append(info.to_dict())
    pens = PenRegistry.bundled()
    path, info = dataset(PEN_DATASET)
    if path is not None:
        pens.load(path, dataset=info.label)
        used.append(info.to_dict())
    for p in mac_files:
        sources.append(MacSource(Path(p)))
        used.append({"name": "user-mac-file", "path": str(p), "origin": "user"})
    for p in pen_files:
        pens.load(p)
        used.append({"name": "user-pen-file", "path": str(p), "origin": "user"})
    return MacRegistry.from_sources(sources, mac_cache), pens, used
