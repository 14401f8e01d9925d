"""The decompressed input of an MRT file, streamed in chunks; damage keeps every byte before it."""

from __future__ import annotations

import lzma
import queue
import threading
import zlib
from pathlib import Path

from ..base import bounded, open_input


class GzipStream:
    """Streamed gzip decompression that keeps every byte before a corruption or a truncation.

    ``gzip.GzipFile`` discards the output of the read call that hits damaged deflate data; here the
    input is fed in 64 KiB pieces and, when a piece fails, fed again from a saved decompressor state
    in 64-byte steps, so the data before the damage is still delivered. Concatenated members are read.
    """

    def __init__(self, path: Path, piece: int = 1 << 16) -> None:
        self.piece = piece  # compressed bytes fed per step (any multiple of 64 gives the same bytes)
        self.raw = open(path, "rb")  # noqa: SIM115 - closed by close(), like any stream open_input returns
        self.d = zlib.decompressobj(31)
        self.done = False  # the input is exhausted

    def close(self) -> None:
        self.raw.close()

    def read1(self, size: int) -> bytes:
        while not self.done:
            piece = self.raw.read(self.piece)
            if not piece:
                self.done = True
                if not self.d.eof:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                return b""
            out = self._feed(piece)
            if out:
                return out
        return b""

    def _feed(self, piece: bytes) -> bytes:
        saved = self.d.copy()
        try:
            return self._members(piece)
        except zlib.error:
            self.d = saved
        got: list[bytes] = []
        for i in range(0, len(piece), 64):
            try:
                got.append(self._members(piece[i : i + 64]))
            except zlib.error as exc:
                self.done = True
                self.error_data = b"".join(got)
                raise PartialError(str(exc), self.error_data) from None
        return b"".join(got)

    def _members(self, data: bytes) -> bytes:
        out = [self.d.decompress(data)]
        while self.d.eof and self.d.unused_data:
            rest = self.d.unused_data
            self.d = zlib.decompressobj(31)
            out.append(self.d.decompress(rest))
        return b"".join(out)


class PartialError(Exception):
    """Decompression failed; ``data`` is what was decompressed before the failure in this call."""

    def __init__(self, message: str, data: bytes) -> None:
        super().__init__(message)
        self.data = data


def open_stream(path: Path, piece: int = 1 << 16):
    """The decompressed stream of ``path`` (gzip through :class:`GzipStream` fed ``piece`` bytes at a time, the
    rest via open_input)."""
    fh = open_input(path)  # raises InputError for a missing file, a directory ...
    if getattr(fh, "compression", None) == "gzip":
        fh.close()
        stream = GzipStream(path, piece)
        return bounded(stream, stream.raw, path, "gzip")  # the decompression limits of open_input
    return fh


class InputBuffer:
    """Decompressed bytes of the file, read in chunks; ``data[i]`` is absolute offset ``base + i``."""

    CHUNK = 1 << 22

    def __init__(self, fh) -> None:
        self.fh = fh
        self._read = getattr(fh, "read1", None) or fh.read
        self.data = b""
        self.base = 0
        self.keep = 0  # absolute offset before which bytes may be discarded
        self.eof = False
        self.error: str | None = None

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def ensure(self, abs_end: int) -> bool:
        """Make the buffer reach ``abs_end``; False when the input ends (or fails) before that."""
        while self.end < abs_end and not self.eof:
            self._more(abs_end)
        return self.end >= abs_end

    def _more(self, abs_end: int) -> None:
        cut = self.keep - self.base
        if cut > 0:
            self.data = self.data[cut:]
            self.base = self.keep
        want = max(self.CHUNK, abs_end - self.end)
        parts = [self.data]
        got = 0
        while got < want:
            try:
                chunk = self._read(min(want - got, 1 << 24))
            except PartialError as exc:
                parts.append(exc.data)
                self.eof = True
                self.error = str(exc)
                break
            except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as exc:
                self.eof = True
                self.error = str(exc) or type(exc).__name__
                break
            if not chunk:
                self.eof = True
                break
            parts.append(chunk)
            got += len(chunk)
        self.data = b"".join(parts)


class ReadAhead:
    """``fh`` read on a thread, a few pieces ahead of the parser, so that decompression (zlib, bz2 and lzma
    release the GIL) runs beside the decoding on another core. The pieces, and any error, reach the reader in
    the order the stream gave them, so what is read (and where it fails) is the same as without it."""

    def __init__(self, fh, piece: int = 1 << 22, depth: int = 3) -> None:
        self.fh = fh
        self._read = getattr(fh, "read1", None) or fh.read
        self._piece = piece
        self._q: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._rest = b""
        self._ended = False
        self._thread = threading.Thread(target=self._pump, name="mrt-read-ahead", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _pump(self) -> None:
        try:
            while True:
                data = self._read(self._piece)
                if not self._put((data, None)) or not data:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there in stream order
            self._put((b"", exc))

    def read1(self, size: int = -1) -> bytes:
        if not self._rest:
            if self._ended:
                return b""
            data, exc = self._q.get()
            if exc is not None:
                self._ended = True
                raise exc
            if not data:
                self._ended = True
                return b""
            self._rest = data
        if size is None or size < 0 or size >= len(self._rest):
            out, self._rest = self._rest, b""
        else:
            out, self._rest = self._rest[:size], self._rest[size:]
        return out

    read = read1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.fh.close()
