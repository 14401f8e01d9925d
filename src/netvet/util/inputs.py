"""Opening inputs safely: transparent decompression within documented limits, binary refusal, first bytes.

Shared by the readers and by the modules that load reference data files (attribution, flows); re-exported by
``netvet.readers.base``."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..model import InputError

# --------------------------------------------------------------------------------------------- limits
# Hostile or huge input must never crash, hang or exhaust the machine. These are the documented limits
# (docs/inputs.md, "Limits"); each can be changed with the environment variable in brackets.
MAX_DECOMPRESSED_BYTES = 64 << 30  # [NETVET_MAX_DECOMPRESSED_BYTES] one compressed input, decompressed
MAX_COMPRESSION_RATIO = 200  # [NETVET_MAX_COMPRESSION_RATIO] decompressed / compressed bytes ...
RATIO_CHECK_AFTER = 64 << 20  # ... checked once this much has been decompressed (small files may be denser)
MAX_JSON_DEPTH = 100  # [NETVET_MAX_JSON_DEPTH] nesting of arrays and objects in JSON inputs
MAX_LINE_BYTES = 1 << 20  # [NETVET_MAX_LINE_BYTES] one line of a line-based input (CSV row, JSON Lines record)
MAX_NUMBER_DIGITS = 4300  # digits of an integer in JSON inputs (Python's own limit for int())
TEXT_HEAD = 4096  # a text input whose first bytes hold a NUL is refused as binary


@dataclass(frozen=True)
class Limits:
    """The limits in force; :func:`limits` reads them (module constants, overridden by the environment)."""

    max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES
    max_compression_ratio: float = MAX_COMPRESSION_RATIO
    ratio_check_after: int = RATIO_CHECK_AFTER
    max_json_depth: int = MAX_JSON_DEPTH
    max_line_bytes: int = MAX_LINE_BYTES


_ENV = {
    "max_decompressed_bytes": ("NETVET_MAX_DECOMPRESSED_BYTES", int),
    "max_compression_ratio": ("NETVET_MAX_COMPRESSION_RATIO", float),
    "max_json_depth": ("NETVET_MAX_JSON_DEPTH", int),
    "max_line_bytes": ("NETVET_MAX_LINE_BYTES", int),
}


def limits() -> Limits:
    """The limits in force: the defaults above, each overridden by its environment variable if set to a
    positive number (an unusable value is ignored)."""
    values = {}
    for name, (var, conv) in _ENV.items():
        text = os.environ.get(var, "").strip()
        if not text:
            continue
        try:
            value = conv(text)
        except ValueError:
            continue
        if value > 0:
            values[name] = value
    return Limits(**values)


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:g} {unit}" if unit == "bytes" else f"{n:.4g} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


class BoundedStream(io.BufferedIOBase):
    """A decompressing stream that counts what it delivers and raises :class:`InputError` when the
    decompressed size passes ``max_decompressed_bytes``, or the ratio decompressed / compressed passes
    ``max_compression_ratio`` (checked after ``ratio_check_after`` bytes): a decompression bomb is
    refused within a fraction of a second instead of filling memory or disk for minutes."""

    def __init__(self, inner, raw: IO[bytes], path: str | Path, compression: str,
                 lim: Limits | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.fileobj = raw  # the compressed file (input_position reads its position)
        self.compression = compression
        self.path = str(path)
        self.limits = lim or limits()
        self.delivered = 0

    def _count(self, n: int) -> None:
        self.delivered += n
        lim = self.limits
        if self.delivered > lim.max_decompressed_bytes:
            raise InputError(self.path, f"{self.compression}-compressed input decompresses to more than "
                                        f"{_size(lim.max_decompressed_bytes)} (limit max_decompressed_bytes, "
                                        "NETVET_MAX_DECOMPRESSED_BYTES); refused as a possible decompression bomb")
        if self.delivered > lim.ratio_check_after:
            try:
                consumed = max(1, self.fileobj.tell())
            except (OSError, ValueError):
                return
            ratio = self.delivered / consumed
            if ratio > lim.max_compression_ratio:
                raise InputError(self.path, f"{self.compression}-compressed input expands more than "
                                            f"{lim.max_compression_ratio:g} times ({_size(self.delivered)} from "
                                            f"{_size(consumed)}; limit max_compression_ratio, "
                                            "NETVET_MAX_COMPRESSION_RATIO); refused as a possible "
                                            "decompression bomb")

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:  # everything: in pieces, so that a bomb is stopped early
            parts = []
            while True:
                piece = self.read(1 << 20)
                if not piece:
                    return b"".join(parts)
                parts.append(piece)
        data = self.inner.read(size)
        self._count(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        reader = getattr(self.inner, "read1", None)
        if reader is None:
            return self.read(size if size is not None and size >= 0 else 1 << 16)
        data = reader(size if size is not None and size >= 0 else 1 << 16)
        self._count(len(data))
        return data

    def readinto(self, b) -> int:
        reader = getattr(self.inner, "readinto", None)
        if reader is None:
            data = self.read(len(b))
            b[:len(data)] = data
            return len(data)
        n = reader(b)
        self._count(n or 0)
        return n

    def readline(self, size: int | None = -1) -> bytes:
        line = self.inner.readline(-1 if size is None else size)
        self._count(len(line))
        return line

    def tell(self) -> int:
        return self.delivered

    def close(self) -> None:
        if not self.closed:
            try:
                self.inner.close()
            finally:
                self.fileobj.close()
        super().close()


def bounded(inner, raw: IO[bytes], path: str | Path, compression: str) -> BoundedStream:
    """``inner`` (a decompressing stream reading ``raw``) with the decompression limits applied."""
    return BoundedStream(inner, raw, path, compression)


_MAGIC = (
    (b"\x1f\x8b", "gzip", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    (b"BZh", "bz2", lambda raw: bz2.BZ2File(raw, "rb")),
    (b"\xfd7zXZ\x00", "xz", lambda raw: lzma.LZMAFile(raw, "rb")),  # noqa: SIM115
)


def compression_of(head: bytes) -> str | None:
    """``gzip``, ``bz2``, ``xz``, ``zstd`` or None from the first bytes of a file."""
    for magic, name, _ in _MAGIC:
        if head.startswith(magic):
            return name
    return "zstd" if head.startswith(b"\x28\xb5\x2f\xfd") else None


def open_input(path: str | Path) -> IO[bytes]:
    """Open a file for binary reading, transparently decompressing gzip, bz2, xz and zstd.

    A compressed input is returned as a :class:`BoundedStream`: past the decompression limits
    (:class:`Limits`) reading it raises :class:`InputError`."""
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
    for magic, name, opener in _MAGIC:
        if head.startswith(magic):
            raw = open(p, "rb")  # noqa: SIM115 - closed with the returned stream
            return BoundedStream(opener(raw), raw, p, name)
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        try:
            import zstandard
        except ImportError:
            raise InputError(str(path), "zstd-compressed input needs the 'zstandard' package") from None
        raw = open(p, "rb")  # noqa: SIM115 - closed with the returned stream
        reader = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=False), 1 << 16)
        return BoundedStream(reader, raw, p, "zstd")
    return open(p, "rb")


def refuse_binary(path: str | Path, head: bytes, what: str) -> None:
    """Raise :class:`InputError` when ``head`` (the first decompressed bytes of a text input) holds a NUL
    byte: binary data (or UTF-16 text) is refused at once instead of being read as one endless bad line."""
    pos = head.find(b"\x00", 0, TEXT_HEAD)
    if pos >= 0:
        raise InputError(str(path), f"not a {what}: binary data (a NUL byte in the first {TEXT_HEAD} bytes; "
                                    "netvet reads UTF-8 text)", offset=pos)


def read_head(path: Path, size: int = 4096) -> bytes:
    with open_input(path) as fh:
        try:
            return fh.read(size)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise InputError(str(path), f"cannot decompress: {exc}") from None


def text_lines(fh: IO[bytes], encoding: str = "utf-8") -> io.TextIOWrapper:
    return io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="")


def input_position(fh: IO[bytes]) -> int | None:
    """Bytes consumed so far from the file on disk behind ``fh`` (the compressed position for
    gzip/bz2/xz inputs), for progress reports; None when it cannot be told."""
    raw = getattr(fh, "fileobj", None) or getattr(fh, "_fp", None) or fh
    try:
        return raw.tell()
    except (OSError, AttributeError, ValueError):
        return None
