"""NetFlow v5/v9 and IPFIX through nfdump: its CSV output (``nfdump -o csv``), and nfcapd capture files.

**nfdump CSV.** The first line names the fields: nfdump 1.6/1.7 write ``ts,te,td,sa,da,sp,dp,pr,flg,
fwd,stos,ipkt,ibyt,opkt,obyt,...``; newer releases write ``firstSeen,lastSeen,duration,...,srcAddr,
dstAddr,...,inPackets,inBytes,...`` (both are read, by name). ``ipkt``/``ibyt`` count source to
destination, ``opkt``/``obyt`` the reverse direction (bidirectional NSEL/IPFIX records). Times
(``2023-11-14 22:13:11`` or ``...11.553``) are taken as UTC: nfdump prints local time, so run it with
``TZ=UTC`` (netvet does when it runs nfdump itself). A trailing ``Summary`` block is not records; its
flow count is checked against the records read (a warning when they differ), and ``No matching flows``
is ignored.

**nfcapd files** (what ``nfcapd``/``sfcapd`` collect from NetFlow v5, v9 and IPFIX exporters; magic
0xA50C) are read by running Debian's ``nfdump -r FILE -o csv`` (package ``nfdump``) and reading its
output as above, streamed. nfdump's own complaints (stderr) become warnings on the file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ...model import InputError, InputIssue, ReadStats
from ..base import open_input
from . import problems
from .base import FlowLogReader, Part, raw_head, register
from .records import FlowChunk
from .text import Block, Converter, cut_fields, line_blocks

NFCAPD_MAGIC = b"\x0c\xa5"
NO_HEADER = "empty: no nfdump CSV header"
COLUMNS = {
    "src": ("sa", "srcAddr"),
    "dst": ("da", "dstAddr"),
    "packets": ("ipkt", "pkt", "inPackets", "packets"),
    "bytes": ("ibyt", "byt", "inBytes", "bytes"),
    "rpackets": ("opkt", "outPackets"),
    "rbytes": ("obyt", "outBytes"),
    "flows": ("fl", "flows"),
    "start": ("ts", "firstSeen"),
    "end": ("te", "lastSeen"),
    "duration": ("td", "duration"),
}


def _columns(header: list[str]) -> dict[str, str] | None:
    out = {}
    for field, names in COLUMNS.items():
        for n in names:
            if n in header:
                out[field] = n
                break
    return out if "src" in out and "dst" in out else None


def _is_nfdump_header(line: str) -> bool:
    names = [n.strip() for n in line.split(",")]
    return _columns(names) is not None and (("ts" in names and "sa" in names) or
                                            ("firstSeen" in names and "srcAddr" in names))


def _read_csv_stream(fh, name: str, stats: ReadStats) -> Iterator[FlowChunk]:
    header: list[str] | None = None
    cols: dict[str, str] = {}
    trailer: list[str] = []  # the lines from "Summary" on
    flows_read = 0
    for raw, first_line in line_blocks(fh, name):
        block = Block(raw, first_line)
        rows = np.flatnonzero(block.ends > block.starts)
        if header is None and len(rows):
            header = [n.strip() for n in block.line_text(int(rows[0])).split(",")]
            found = _columns(header)
            if found is None:
                raise InputError(name, "not nfdump CSV output (the first line does not name sa/da or "
                                       "srcAddr/dstAddr)", line=first_line)
            cols = found
            rows = rows[1:]
        # "Summary" ends the records; "No matching flows" is not one
        if trailer:  # the Summary started in an earlier block
            trailer.extend(block.line_text(r).strip() for r in rows[:10].tolist())
            continue
        letter = block.first_bytes()[rows]
        for r in rows[(letter == ord("S")) | (letter == ord("N"))].tolist():
            text = block.line_text(r).strip()
            if text == "No matching flows":
                rows = rows[rows != r]
            elif text == "Summary":
                trailer = [text] + [block.line_text(t).strip() for t in rows[rows > r][:10].tolist()]
                rows = rows[rows < r]
                break
        if not len(rows):
            continue
        stats.read += len(rows)
        frame, lines = cut_fields(block, rows, header, ",", stats, "comma-separated fields")
        conv = Converter(frame, lines, unset=("",))
        src_hi, src_lo = conv.address(cols["src"])
        dst_hi, dst_lo = conv.address(cols["dst"])
        start = conv.timestamp(cols.get("start"))
        end_t = conv.timestamp(cols.get("end"))
        if end_t is None and start is not None and "duration" in cols:
            dur = conv.duration(cols["duration"])
            end_t = np.where(start != np.iinfo(np.int64).min, start + dur, start)
        chunk = FlowChunk.build(len(frame), src_hi=src_hi, src_lo=src_lo, dst_hi=dst_hi, dst_lo=dst_lo,
                                bytes=conv.count(cols.get("bytes")), packets=conv.count(cols.get("packets")),
                                rbytes=conv.count(cols.get("rbytes")), rpackets=conv.count(cols.get("rpackets")),
                                flows=conv.count(cols.get("flows")), start=start, end=end_t, line=lines)
        good = conv.report(stats)
        chunk = chunk.take(np.flatnonzero(good))
        flows_read += int(chunk.flows.sum()) if chunk.flows is not None else len(chunk)
        yield chunk
    if header is None:
        raise InputError(name, NO_HEADER)
    summary = _summary_flows(trailer)
    flows_read += stats.malformed  # a malformed record is one flow nfdump printed
    if summary is not None and summary != flows_read:
        stats.warn(f"nfdump's summary counts {summary} flows; {flows_read} were read")


def _summary_flows(trailer: list[str]) -> int | None:
    """The flow count of nfdump's ``Summary`` block (``flows,bytes,...`` then the values), if any."""
    for i, line in enumerate(trailer[:-1]):
        if line.startswith("flows,"):
            try:
                return int(trailer[i + 1].split(",")[0])
            except ValueError:
                return None
    return None


@register
class NfdumpCsv(FlowLogReader):
    format = "nfdump-csv"
    priority = 31
    description = "nfdump CSV output (nfdump -o csv), NetFlow v5/v9 and IPFIX records"

    def sniff_head(self, path: Path, head: bytes) -> bool:
        first = head.decode("utf-8", errors="replace").split("\n", 1)[0].strip()
        return _is_nfdump_header(first)

    def read_part(self, part: Part, stats: ReadStats) -> Iterator[FlowChunk]:
        with open_input(part.path) as fh:
            yield from _read_csv_stream(fh, part.path, stats)


def nfdump_binary() -> str | None:
    return shutil.which("nfdump")


@register
class Nfcapd(FlowLogReader):
    format = "nfcapd"
    priority = 10
    description = "nfcapd/sfcapd capture files (NetFlow v5/v9, IPFIX, sFlow), read with Debian's nfdump"

    def sniff_head(self, path: Path, head: bytes) -> bool:
        return head.startswith(NFCAPD_MAGIC) and len(head) >= 4 and head[2] in (1, 2)

    def read_part(self, part: Part, stats: ReadStats) -> Iterator[FlowChunk]:
        exe = nfdump_binary()
        if exe is None:
            raise InputError(part.path, "an nfcapd file needs the nfdump program (Debian: apt-get install nfdump), "
                                        "or convert it yourself with `nfdump -r FILE -o csv`")
        if not raw_head(Path(part.path), 2).startswith(NFCAPD_MAGIC):
            raise InputError(part.path, "not an nfcapd file (bad magic)")
        env = {**os.environ, "TZ": "UTC", "LC_ALL": "C"}
        proc = subprocess.Popen([exe, "-r", part.path, "-o", "csv"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        guard = _Guard(proc, STALL_SECONDS, STDERR_BYTES, STDERR_LIMIT)
        failure = None
        try:
            yield from _read_csv_stream(guard.output(proc.stdout), part.path, stats)
        except InputError as exc:
            if exc.issue.reason != NO_HEADER:
                raise
            failure = exc
        finally:
            proc.stdout.close()
            if proc.poll() is None:  # the reader stopped early (an error, a closed stream)
                proc.kill()
            code = proc.wait()
            err = guard.stop()
        # what stopped nfdump first, then its complaints about the damage (it still exits 0): each an error on the file
        if guard.flooded:
            stopped = [f"nfdump wrote more than {STDERR_LIMIT >> 20} MB of complaints about this file and was stopped; "
                       "the records after that point were not read"]
        elif guard.stalled:
            stopped = [f"nfdump wrote nothing for {STALL_SECONDS} s and was stopped; the records after that point "
                       "were not read"]
        else:
            stopped = [f"nfdump exited with status {code}"] if code != 0 else []
        messages = [m.strip() for m in err.splitlines() if m.strip()]
        for m in stopped + [f"nfdump: {m}" for m in messages[:problems.MAX_ITEMISED - len(stopped)]]:
            stats.issues.append(InputIssue(part.path, m))
        if failure is not None:  # nothing nfdump wrote was CSV: the file is unreadable, say why in nfdump's words
            why = "; ".join(stopped + [f"nfdump: {m}" for m in messages[:1]]) or failure.issue.reason
            raise InputError(part.path, f"nfdump could not read it ({why})")


STALL_SECONDS = 30  # nfdump silent this long on a file it has not finished is stopped (a damaged file must not hang)
STDERR_BYTES = 64 << 10  # of nfdump's complaints, the first this many bytes are kept
STDERR_LIMIT = 1 << 20  # nfdump complaining more than this is stopped (on some damage it repeats one line forever)


class _Guard:
    """Bounds an nfdump run: its stderr is drained on a thread (a pipe it fills would block it), the first
    ``keep`` bytes kept; past ``limit`` bytes of complaints, or when its output has not moved for ``seconds`` (reads
    of :meth:`output` are the progress), it is killed."""

    def __init__(self, proc: subprocess.Popen, seconds: float, keep: int, limit: int) -> None:
        self.proc, self.seconds, self.keep, self.limit = proc, seconds, keep, limit
        self.last = time.monotonic()
        self.stalled = self.flooded = False
        self._err = bytearray()
        self._done = threading.Event()
        self._threads = [threading.Thread(target=self._watch, name="nfdump-watchdog", daemon=True),
                         threading.Thread(target=self._drain, name="nfdump-stderr", daemon=True)]
        for t in self._threads:
            t.start()

    def output(self, fh):
        """``fh`` read in chunks, each read counted as progress."""
        guard = self

        class _Tracked:
            def read(self, n: int = -1) -> bytes:
                data = fh.read(n)
                guard.last = time.monotonic()
                return data

        return _Tracked()

    def _drain(self) -> None:
        total = 0
        while chunk := self.proc.stderr.read1(1 << 16):
            if len(self._err) < self.keep:
                self._err += chunk[: self.keep - len(self._err)]
            total += len(chunk)
            if total > self.limit and not self.flooded and self.proc.poll() is None:
                self.flooded = True
                self.proc.kill()

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, self.seconds)):
            if time.monotonic() - self.last > self.seconds and self.proc.poll() is None:
                self.stalled = True
                self.proc.kill()
                return

    def stop(self) -> str:
        """End the watch (the process has exited); nfdump's complaints kept, as text."""
        self._done.set()
        for t in self._threads:
            t.join()
        self.proc.stderr.close()
        return self._err.decode("utf-8", errors="replace")
