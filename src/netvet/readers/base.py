"""Reader interface and the registry of readers, dispatched by format name or by sniffing."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar

from ..model import InputError, Observation, ReadStats

# progress callback: (bytes_done, bytes_total)
Progress = Callable[[int, int], None]


@dataclass
class ReadResult:
    observations: list[Observation] = field(default_factory=list)
    stats: ReadStats | None = None


class Reader:
    """Base class: subclasses set ``format``/``description`` and implement ``sniff`` and ``read``.

    ``read`` is lenient: a malformed record is counted and described in ``stats`` (file, line or
    byte offset, reason) and reading goes on. Only an input that cannot be read at all raises
    ``InputError``.
    """

    format: ClassVar[str] = ""
    description: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()

    def sniff(self, path: Path, head: bytes) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:  # pragma: no cover
        raise NotImplementedError


READERS: dict[str, type[Reader]] = {}


def register(cls: type[Reader]) -> type[Reader]:
    if not cls.format:
        raise ValueError(f"{cls.__name__} has no format name")
    READERS[cls.format] = cls
    return cls


_MAGIC = (
    (b"\x1f\x8b", gzip.open),
    (b"BZh", bz2.open),
    (b"\xfd7zXZ\x00", lzma.open),
)


def open_input(path: str | Path) -> IO[bytes]:
    """Open a file for binary reading, transparently decompressing gzip, bz2, xz and zstd."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(6)
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot open: {exc.strerror or exc}") from None
    for magic, opener in _MAGIC:
        if head.startswith(magic):
            return opener(p, "rb")
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        try:
            import zstandard
        except ImportError:
            raise InputError(str(path), "zstd-compressed input needs the 'zstandard' package") from None
        return zstandard.ZstdDecompressor().stream_reader(open(p, "rb"))
    return open(p, "rb")


def read_head(path: Path, size: int = 4096) -> bytes:
    with open_input(path) as fh:
        try:
            return fh.read(size)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InputError(str(path), f"cannot decompress: {exc}") from None


def text_lines(fh: IO[bytes], encoding: str = "utf-8") -> io.TextIOWrapper:
    return io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="")


def detect(path: str | Path, fmt: str | None = None) -> Reader:
    """The reader for ``path``: by explicit format name, else the first whose ``sniff`` accepts it."""
    p = Path(path)
    if fmt:
        if fmt not in READERS:
            raise InputError(str(path), f"unknown format {fmt!r} (known: {', '.join(sorted(READERS))})")
        return READERS[fmt]()
    head = read_head(p)
    for cls in READERS.values():
        reader = cls()
        if reader.sniff(p, head):
            return reader
    raise InputError(str(path), "unrecognised input format; name it with --input-format "
                                f"({', '.join(sorted(READERS))})")


def input_position(fh: IO[bytes]) -> int | None:
    """Bytes consumed so far from the file on disk behind ``fh`` (the compressed position for
    gzip/bz2/xz inputs), for progress reports; None when it cannot be told."""
    raw = getattr(fh, "fileobj", None) or getattr(fh, "_fp", None) or fh
    try:
        return raw.tell()
    except (OSError, AttributeError, ValueError):
        return None
