"""Flow and DNS input formats: detection, partitioning and reading into columnar chunks.

A format is a class with ``name``, ``kind`` (``flow`` or ``dns``), ``sniff(path, head)``, ``parts(path,
options)`` (the pieces a file can be read in independently: the whole file, or groups of Parquet row
groups) and ``read(part, stats)`` yielding :class:`~.records.FlowChunk` (or :class:`~.records.DnsChunk`)
objects. Formats register themselves with :func:`register`; :func:`detect` picks one.
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..model import InputError, ReadStats
from ..readers.base import open_input

HEAD_BYTES = 8192
# most specific first: the generic CSV table would also accept nfdump's CSV
SNIFF_ORDER = ("nfcapd", "parquet-flows", "zeek-conn", "zeek-dns", "aws-vpc", "nfdump-csv", "csv-flows")


@dataclass(frozen=True)
class ReadOptions:
    """How to read flow inputs: the user's column mapping and the rows per chunk."""

    mapping: tuple[tuple[str, str], ...] = ()
    chunk_rows: int = 1 << 20
    part_rows: int = 8 << 20  # rows per partition of a splittable file (Parquet) for parallel engines

    @property
    def map(self) -> dict[str, str]:
        return dict(self.mapping)


@dataclass(frozen=True)
class Part:
    """A piece of one input file that can be read on its own."""

    path: str
    format: str
    options: ReadOptions = field(default_factory=ReadOptions)
    row_groups: tuple[int, ...] | None = None  # Parquet: the row groups of this part
    first_row: int = 0  # Parquet: rows of the file before this part
    rows: int = 0  # Parquet: rows in this part


class FlowFormat:
    name: ClassVar[str] = ""
    kind: ClassVar[str] = "flow"
    description: ClassVar[str] = ""

    def sniff(self, path: Path, head: bytes) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def parts(self, path: Path, options: ReadOptions) -> list[Part]:
        return [Part(str(path), self.name, options)]

    def split(self, part: Part) -> list[Part]:
        """``part`` cut as finely as the format allows (the single-node engine shares these among its
        threads); a format that cannot be cut returns it whole."""
        return [part]

    def read(self, part: Part, stats: ReadStats) -> Iterator:  # pragma: no cover - interface
        raise NotImplementedError


FORMATS: dict[str, type[FlowFormat]] = {}


def register(cls: type[FlowFormat]) -> type[FlowFormat]:
    FORMATS[cls.name] = cls
    return cls


def load_all() -> None:
    from . import nfdump, tables, vpc, zeek  # noqa: F401  (register)


def head_of(path: Path) -> bytes:
    """The first bytes of ``path``, decompressed."""
    try:
        with open_input(path) as fh:
            return fh.read(HEAD_BYTES)
    except InputError:
        raise
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise InputError(str(path), f"cannot decompress: {exc}") from None
    except Exception as exc:  # zstandard.ZstdError
        raise InputError(str(path), f"cannot decompress: {exc}") from None


def raw_head(path: Path, size: int = 16) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot open: {exc.strerror or exc}") from None


def detect(path: str | Path, fmt: str | None = None) -> FlowFormat:
    """The format of ``path`` (``fmt`` names it; else sniffed). Unknown input raises InputError."""
    load_all()
    p = Path(path)
    if fmt:
        if fmt not in FORMATS:
            raise InputError(str(path), f"unknown flow format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
        return FORMATS[fmt]()
    raw = raw_head(p)
    head = raw if raw.startswith((b"PAR1", b"\x0c\xa5")) else head_of(p)
    if b"\x00" in head and not head.startswith((b"PAR1", b"\x0c\xa5")):
        head = b""  # binary: none of the text formats
    for name in sorted(FORMATS, key=lambda n: SNIFF_ORDER.index(n) if n in SNIFF_ORDER else len(SNIFF_ORDER)):
        f = FORMATS[name]()
        try:
            claimed = f.sniff(p, head)
        except (RecursionError, ValueError, UnicodeError):  # a head a sniffer cannot judge is not its format
            claimed = False
        if claimed:
            return f
    raise InputError(str(path), "not a flow or DNS log netvet reads (Zeek conn/dns TSV or JSON, AWS VPC flow "
                                "log, nfdump CSV or nfcapd file, CSV or Parquet flow table); name the format with "
                                f"--input-format ({', '.join(sorted(FORMATS))})")


def sniff(path: str | Path) -> FlowFormat | None:
    """The format of ``path`` or None (no exception) — for the generic reader's ``sniff``."""
    try:
        return detect(path)
    except Exception:  # a sniffer must not fail on input another reader owns (binary data, odd text)
        return None
