"""What every flow and DNS log reader shares: the batch interface (``ReadOptions``, ``Part``) and the first bytes
they are sniffed on.

A flow-log reader is a :class:`~netvet.readers.base.Reader` in the one registry whose capability is
``flow-batches``: ``parts(path, options)`` cuts a file into pieces that can be read on their own (the whole file, or
groups of Parquet row groups), ``split(part)`` cuts a part as finely as the format allows, and ``read_part(part,
stats)`` yields :class:`~.records.FlowChunk` (``kind`` "flow") or :class:`~.records.DnsChunk` (``kind`` "dns")
objects. The flows engine (``netvet.flows.engine``) attributes and aggregates them; ``read`` (observations) is not
what these readers yield.

What a run keeps between the pieces it reads (the address books, the Parquet footers) is owned by the run and lent
to its readers as a :class:`ReadSession` (the reader option ``session``); a reader without one keeps nothing.
"""

from __future__ import annotations

import lzma
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ...model import InputError, ReadStats
from ..base import Progress, Reader, ReadResult, open_input, register

__all__ = ["Books", "FileCache", "FlowLogReader", "Part", "ReadOptions", "ReadSession", "head_of", "no_books",
           "raw_head", "register"]

HEAD_BYTES = 8192  # the decompressed head the text formats are judged on
RAW_HEAD = 16  # raw bytes that tell the binary formats (Parquet, nfcapd) before any decompression
BINARY_MAGIC = (b"PAR1", b"\x0c\xa5")

# the run's address books, by kind ("text", "binary"): ``books(kind)`` is the run's book of that kind
# (``netvet.flows.book.AddressBooks``); None for a kind means columns are parsed chunk by chunk
Books = Callable[[str], object]


def no_books(kind: str) -> None:
    """No address book: each chunk's distinct addresses are parsed on their own."""
    return None


class FileCache:
    """What one run keeps per input file (a Parquet footer: a file cut into row groups is read by many of the run's
    tasks), by (path, modification time, size); at most ``limit`` files, then it starts over. Thread-safe."""

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self._items: dict[tuple[str, int, int], Any] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, path: str, load: Callable[[str], Any]) -> Any:
        """``load(path)``, once per version of the file (OSError when it cannot be looked at); what ``load``
        raises is not kept."""
        st = Path(path).stat()
        key = (path, st.st_mtime_ns, st.st_size)
        with self._lock:
            if key in self._items:
                return self._items[key]
        value = load(path)
        with self._lock:
            if len(self._items) >= self.limit:
                self._items.clear()
            self._items[key] = value
        return value


@dataclass(frozen=True)
class ReadSession:
    """What one run lends its flow readers: its address books and its per-file cache (None: nothing kept, each
    piece reads the file's footer again). The run owns them (``netvet.flows.attribution.RunCaches``)."""

    books: Books = no_books
    files: FileCache | None = None

    def file(self, path: str, load: Callable[[str], Any]) -> Any:
        """``load(path)``, through the run's cache when it has one."""
        return load(path) if self.files is None else self.files.get(path, load)


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
    """A piece of one input file that can be read on its own; ``format`` names its reader."""

    path: str
    format: str
    options: ReadOptions = field(default_factory=ReadOptions)
    row_groups: tuple[int, ...] | None = None  # Parquet: the row groups of this part
    first_row: int = 0  # Parquet: rows of the file before this part
    rows: int = 0  # Parquet: rows in this part


class FlowLogReader(Reader):
    """A flow or DNS log format. Subclasses set ``format``, ``priority``, ``description`` (and ``kind`` "dns" for
    DNS logs) and implement ``sniff_head`` and ``read_part``."""

    yields: ClassVar[frozenset[str]] = frozenset({"flow-batches"})
    kind: ClassVar[str] = "flow"
    options: ClassVar[tuple[str, ...]] = ("session",)

    def __init__(self, session: ReadSession | None = None) -> None:
        self.session = session or ReadSession()

    @property
    def books(self) -> Books:
        """The run's address books (``no_books`` without a session)."""
        return self.session.books

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether ``path`` is in this format, judged on :func:`flow_head`; a head the format cannot judge
        (too deep, bad numbers or text) is not its format."""
        try:
            return self.sniff_head(path, flow_head(path, head))
        except (RecursionError, ValueError, UnicodeError):
            return False

    def sniff_head(self, path: Path, head: bytes) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        raise InputError(str(path), f"a {self.format} log is read in batches by the flows engine (`netvet flows "
                                    "audit`, or `netvet audit` with the format `flows`)")

    def parts(self, path: Path, options: ReadOptions) -> list[Part]:
        return [Part(str(path), self.format, options)]

    def split(self, part: Part) -> list[Part]:
        """``part`` cut as finely as the format allows (the single-node engine shares these among its
        threads); a format that cannot be cut returns it whole."""
        return [part]

    def read_part(self, part: Part, stats: ReadStats) -> Iterator:  # pragma: no cover - interface
        raise NotImplementedError


def flow_head(path: Path, head: bytes) -> bytes:
    """The bytes a flow format is judged on: the raw first bytes of a Parquet or nfcapd file; else the first
    :data:`HEAD_BYTES` decompressed (more than ``detect`` reads for every reader), or nothing when they hold a NUL
    (binary: none of the text formats)."""
    raw = raw_head(path, RAW_HEAD)
    if raw.startswith(BINARY_MAGIC):
        return raw
    head = head_of(path)
    if b"\x00" in head and not head.startswith(BINARY_MAGIC):
        return b""
    return head


def head_of(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of ``path``, decompressed."""
    try:
        with open_input(path) as fh:
            return fh.read(size)
    except InputError:
        raise
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise InputError(str(path), f"cannot decompress: {exc}") from None
    except Exception as exc:  # zstandard.ZstdError
        raise InputError(str(path), f"cannot decompress: {exc}") from None


def raw_head(path: Path, size: int = RAW_HEAD) -> bytes:
    """The first ``size`` bytes of ``path`` as stored (compressed or not)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot open: {exc.strerror or exc}") from None
