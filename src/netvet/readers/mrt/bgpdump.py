"""Fast path for MRT files: Debian's ``bgpdump -m`` decodes, Polars loads its text into a RouteTable.

``bgpdump`` (RIPE NCC, C) is run as a subprocess and its standard output is read in chunks straight
into :func:`~netvet.readers.bgpdump_text.read_text_table`, so neither the text nor the routes are held
twice. The result is the same :class:`RouteTable` netvet's own parser builds (tests assert it on the
bgpdump oracle files), except for what the text cannot carry: ``safi`` is 0 (unknown) and ``offset``
is -1. bgpdump also leaves out what it does not decode (TABLE_DUMP_V2 multicast RIBs, OpenBGPD
BGP4MP_ENTRY records) and says little about damage, so netvet's parser stays the reference.

The engine choice (``auto``, ``fast``, ``python``, ``bgpdump``) is made in :mod:`.engines` only.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
from pathlib import Path

from ...model import InputError, ReadStats
from ...model.route import RouteTable
from ..base import open_input
from ..bgpdump_text import read_text_table

_CHUNK = 8 << 20


class _Drain:
    """Reads a pipe on a thread so that bgpdump keeps decoding while Polars splits the previous chunk."""

    def __init__(self, fh, depth: int = 4) -> None:
        self._q: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._stop = False
        self._thread = threading.Thread(target=self._pump, args=(fh,), daemon=True)
        self._thread.start()
        self._done = False

    def _pump(self, fh) -> None:
        try:
            while not self._stop:
                block = fh.read(_CHUNK)
                if not block:
                    break
                self._q.put(block)
        except (OSError, ValueError):
            pass
        finally:
            self._q.put(None)

    def read(self, _size: int = -1) -> bytes:
        if self._done:
            return b""
        block = self._q.get()
        if block is None:
            self._done = True
            return b""
        return block

    def close(self) -> None:
        self._stop = True
        while not self._done:  # unblock the pump if it waits on a full queue
            if self._q.get() is None:
                self._done = True
        self._thread.join()


def bgpdump_path() -> str | None:
    """The ``bgpdump`` executable on PATH, or None."""
    return shutil.which("bgpdump")


def have_polars() -> bool:
    try:
        import polars  # noqa: F401
    except ImportError:
        return False
    return True


def bgpdump_route_table(path: str | Path, stats: ReadStats | None = None, exe: str | None = None) -> RouteTable:
    """Run ``bgpdump -m`` on ``path`` and load its output into a :class:`RouteTable`.

    bgpdump's own complaints (it writes them to stderr with ``-v``) become warnings in ``stats``.
    """
    exe = exe or bgpdump_path()
    if not exe:
        raise InputError(str(path), "bgpdump is not installed (Debian/Ubuntu: apt-get install bgpdump)")
    p = Path(path)
    with open_input(p):  # the same 'file not found' / 'is a directory' errors as the python engine
        pass
    stats = stats if stats is not None else ReadStats(str(path), "bgpdump")
    proc = subprocess.Popen([exe, "-m", "-v", str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    pipe = _Drain(proc.stdout)  # type: ignore[arg-type]
    try:
        table = read_text_table(pipe, stats, chunk_bytes=_CHUNK)  # type: ignore[arg-type]
    except BaseException:
        proc.kill()
        raise
    finally:
        pipe.close()
        proc.stdout.close()  # type: ignore[union-attr]
        rc = proc.wait()
        reader.join()
    for line in errors:
        text = line.decode("utf-8", "replace").strip()
        if text and "logging to syslog" not in text:
            stats.warn(f"bgpdump: {text.split('] ', 1)[-1]}")
    if rc != 0:
        raise InputError(str(path), f"bgpdump exited with status {rc}")
    return table
