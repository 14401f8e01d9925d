"""MRT routing dumps (RFC 6396): netvet's streamed parser and its engines.

Modules: :mod:`.wire` (constants, record names, address text), :mod:`.stream` (decompressed input),
:mod:`.parser` (the pure-Python :class:`MrtParser` and :class:`MrtStats`), :mod:`.sinks` (per-route objects
or a table), :mod:`.caches` and :mod:`.fast` (the compiled ``fast`` engine driver), :mod:`.bgpdump` (the
``bgpdump`` subprocess engine), :mod:`.text` (the ``bgpdump -m`` text writer), :mod:`.engines` (the one place
the engine is chosen).
"""

from __future__ import annotations

from .engines import ENGINES, auto_engine, load_route_table, read_table
from .parser import MrtParser, MrtStats, iter_routes, read_route_table, read_routes, sniff
from .wire import FORMAT

__all__ = [
    "ENGINES",
    "FORMAT",
    "MrtParser",
    "MrtStats",
    "auto_engine",
    "iter_routes",
    "load_route_table",
    "read_route_table",
    "read_routes",
    "read_table",
    "sniff",
]
