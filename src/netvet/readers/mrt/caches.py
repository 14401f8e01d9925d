"""The attribute block caches the compiled engines share with the pure-Python parser (one cache, one rule)."""

from __future__ import annotations

from ...model.route import encode_segments
from .wire import pad

MASK64 = (1 << 64) - 1


class SharedCache(dict):
    """The parser's RIB attribute block cache: ``len`` and ``clear`` also cover the blocks the C builder
    decoded and caches itself, so that both together follow the parser's rule for its one cache."""

    __slots__ = ("builder",)

    def __len__(self) -> int:
        return dict.__len__(self) + self.builder.cache_size

    def clear(self) -> None:
        dict.clear(self)
        self.builder.clear_blocks()


PENDING = object()  # an attribute block the C builder decoded; the parser parses it only if asked


class LazyAttrCache(dict):
    """The parser's BGP attribute cache (``MrtParser._attrs``), which the C builder fills with
    :data:`PENDING` for the blocks it decodes itself: one cache, one rule, as in the python engine.
    A pending block is parsed by the parser the first time the parser itself asks for it."""

    __slots__ = ("parse",)

    def get(self, key, default=None):
        got = dict.get(self, key, default)
        if got is PENDING:
            got = self.parse(*key)
            dict.__setitem__(self, key, got)
        return got


class PathIndexCache(dict):
    """Decoded attribute blocks -> (path index, origin AS) in a table builder, keyed by the block object's id (the
    parser hands the same object for every route of a block); cleared when it passes ``limit`` entries."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def index(self, builder, attrs) -> tuple[int, int]:
        """(path index, origin) of ``attrs`` in ``builder`` (-1, 0 without attributes)."""
        if attrs is None:
            return -1, 0
        got = self.get(id(attrs))
        if got is None or got[0] is not attrs:
            if len(self) > self.limit:
                self.clear()
            pidx, origin = builder.path(*encode_segments(attrs.segments))
            got = self[id(attrs)] = (attrs, pidx, origin)
        return got[1], got[2]


def prefix_halves(afi: int, pbytes: bytes) -> tuple[int, int]:
    """The high and low 64 bits of a prefix's network address (IPv4, ``afi`` 1: 0 and the address)."""
    if afi == 1:
        return 0, int.from_bytes(pad(pbytes, 4), "big")
    v = int.from_bytes(pad(pbytes, 16), "big")
    return v >> 64, v & MASK64


class PrefixHalvesCache(dict):
    """``(afi, prefix bytes)`` -> :func:`prefix_halves`, computed on the first lookup (a hit is a plain dict
    lookup); cleared when it passes ``limit`` entries."""

    __slots__ = ("limit",)

    def __init__(self, limit: int = 500_000) -> None:
        super().__init__()
        self.limit = limit

    def __missing__(self, key: tuple[int, bytes]) -> tuple[int, int]:
        if len(self) > self.limit:
            self.clear()
        got = self[key] = prefix_halves(*key)
        return got
