"""The one place the MRT engine is chosen: ``auto``, ``fast``, ``python`` or ``bgpdump``.

``python``: netvet's own parser (exact, reports damage with byte offsets, knows SAFI and offsets);
``fast``: the same parser with its hot loop in C (:mod:`.fast`; the same table and statistics, several times
faster; pure Python when the extension is not built); ``bgpdump``: Debian's bgpdump plus Polars
(:mod:`.bgpdump`; ``safi`` 0 and ``offset`` -1, little said about damage); ``auto``: fast when its C extension
is built, else bgpdump when it is on PATH and Polars is installed, else python.
"""

from __future__ import annotations

from pathlib import Path

from ...model import ReadStats
from ...model.route import RouteTable
from .wire import FORMAT

ENGINES = ("auto", "python", "fast", "bgpdump")


def auto_engine() -> str:
    """The engine ``auto`` stands for here: fast (C extension built), else bgpdump (+ Polars), else python."""
    from . import bgpdump
    from .fast import HAVE_C

    if HAVE_C:
        return "fast"
    return "bgpdump" if bgpdump.bgpdump_path() and bgpdump.have_polars() else "python"


def resolve_engine(engine: str) -> str:
    """``engine`` checked, with ``auto`` replaced by what it stands for; ValueError for an unknown name."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    return auto_engine() if engine == "auto" else engine


def read_table(path: str | Path, engine: str = "auto", name: str | None = None) -> tuple[RouteTable, ReadStats]:
    """The routes of an MRT file as a :class:`RouteTable` and its reading statistics (unit ``record`` for
    netvet's parser; for ``bgpdump`` the warnings bgpdump printed), decoded by ``engine``."""
    engine = resolve_engine(engine)
    if engine == "bgpdump":
        from .bgpdump import bgpdump_route_table

        stats = ReadStats(name or str(path), FORMAT)
        return bgpdump_route_table(path, stats), stats
    if engine == "fast":
        from .fast import read_route_table_fast

        table, mstats = read_route_table_fast(path, name)
    else:
        from .parser import read_route_table

        table, mstats = read_route_table(path, name)
    return table, mstats.stats


def load_route_table(path: str | Path, engine: str = "auto") -> RouteTable:
    """The routes of an MRT file as a :class:`RouteTable`, decoded by ``engine`` (see the module docstring)."""
    return read_table(path, engine)[0]
