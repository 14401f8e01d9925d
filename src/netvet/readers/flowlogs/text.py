"""Delimited text logs read in blocks of whole lines, split into string columns, converted vectorised.

:func:`line_blocks` reads a (possibly compressed) stream in blocks of whole lines with their first
line number. :class:`Block` splits one into lines and cuts the lines with the expected number of
fields into a Polars frame of string columns (lines with too many or too few fields are reported
with their number). :class:`Converter` turns string columns into counters, times and addresses,
marking a record malformed when a value is neither valid nor the format's "unset" marker; each bad
record is reported once, with its line and the first field that is wrong.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import IO

import numpy as np
import polars as pl

from ...model import InputError, ReadStats
from . import addresses, problems
from .records import NO_TIME, US

BLOCK_SIZE = 8 << 20  # bytes per block


def line_blocks(fh: IO[bytes], name: str, block_size: int = BLOCK_SIZE) -> Iterator[tuple[bytes, int]]:
    """(block, number of its first line): blocks of whole lines, CRLF line ends made LF."""
    carry = b""
    line = 1
    while True:
        try:
            data = fh.read(block_size)
        except (OSError, EOFError, ValueError) as exc:
            raise InputError(name, f"cannot decompress or read: {exc}", line=line) from None
        except Exception as exc:  # zstandard raises its own ZstdError
            raise InputError(name, f"cannot decompress: {exc}", line=line) from None
        if not data:
            break
        data = carry + data
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        block, carry = data[:cut + 1], data[cut + 1:]
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n")
        yield block, line
        line += block.count(b"\n")
    if carry:
        yield carry.rstrip(b"\r") + b"\n", line


class Block:
    """The lines of one block: byte buffer, start and end (without the newline) of each line."""

    def __init__(self, block: bytes, first_line: int) -> None:
        self.data = block
        self.buf = np.frombuffer(block, dtype=np.uint8)
        nl = np.flatnonzero(self.buf == 10)
        self.starts = np.concatenate(([0], nl[:-1] + 1)) if len(nl) else np.zeros(0, np.int64)
        self.ends = nl
        self.lines = first_line + np.arange(len(nl), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.starts)

    def first_bytes(self) -> np.ndarray:
        """First byte of every line (0 for an empty line)."""
        empty = self.ends == self.starts
        return np.where(empty, 0, self.buf[np.minimum(self.starts, max(len(self.buf) - 1, 0))])

    def line_text(self, i: int) -> str:
        return self.data[self.starts[i]:self.ends[i]].decode("utf-8", errors="replace")

    def field_counts(self, sep: int) -> np.ndarray:
        """Number of fields on every line (separators + 1)."""
        pos = np.flatnonzero(self.buf == sep)
        owner = np.searchsorted(self.ends, pos)  # the line whose newline comes first at or after pos
        return np.bincount(owner, minlength=len(self)) + 1

    def contains(self, char: int) -> np.ndarray:
        pos = np.flatnonzero(self.buf == char)
        return np.bincount(np.searchsorted(self.ends, pos), minlength=len(self)) > 0

    def bytes_of(self, rows: np.ndarray) -> bytes:
        """The lines ``rows`` (sorted), each with its newline."""
        if len(rows) == len(self):
            return self.data
        keep = np.zeros(len(self), bool)
        keep[rows] = True
        return self.buf[np.repeat(keep, self.ends - self.starts + 1)].tobytes()

    def frame(self, rows: np.ndarray, names: Sequence[str], sep: str, quote: str | None = None) -> pl.DataFrame:
        """String columns ``names`` of the lines ``rows`` (each must have exactly ``len(names)`` fields)."""
        columns = frame_columns(names)
        if len(rows) == 0:
            return pl.DataFrame({n: pl.Series([], dtype=pl.String) for n in columns})
        data = self.bytes_of(rows)
        return pl.read_csv(io.BytesIO(data), has_header=False, separator=sep, quote_char=quote,
                           new_columns=columns, infer_schema=False, empty_string_is_null=False,
                           encoding="utf8-lossy", raise_if_empty=False)


def frame_columns(names: Sequence[str]) -> list[str]:
    """Column names for a frame of ``names``: an empty name becomes ``column_<n>`` and a repeated one
    ``<name>#<k>`` (Polars refuses duplicates and renames empty names itself, so every frame of a file gets the
    same names)."""
    seen: dict[str, int] = {}
    columns = []
    for i, n in enumerate(names):
        n = n or f"column_{i + 1}"
        seen[n] = seen.get(n, 0) + 1
        columns.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return columns


def cut_fields(block: Block, rows: np.ndarray, names: Sequence[str], sep: str, stats: ReadStats,
               what: str = "fields") -> tuple[pl.DataFrame, np.ndarray]:
    """Frame of the lines in ``rows`` that have ``len(names)`` fields, and their line numbers; the
    others are reported as malformed."""
    counts = block.field_counts(ord(sep))[rows]
    good = counts == len(names)
    bad = rows[~good]
    if len(bad):
        problems.add_each(stats, block.lines[bad], [f"expected {len(names)} {what}, found {c}"
                                                     for c in counts[~good][:problems.MAX_ITEMISED].tolist()])
    rows = rows[good]
    try:
        return block.frame(rows, names, sep), block.lines[rows]
    except pl.exceptions.PolarsError:  # e.g. a stray CR that Polars takes for a line end: find the lines
        pass
    frames: list[pl.DataFrame] = []
    kept: list[np.ndarray] = []

    def attempt(sub: np.ndarray) -> None:
        try:
            frames.append(block.frame(sub, names, sep))
            kept.append(sub)
        except pl.exceptions.PolarsError as exc:
            if len(sub) == 1:
                problems.add(stats, block.lines[sub], f"{what} cannot be split ({str(exc).splitlines()[0][:120]})")
                return
            attempt(sub[:len(sub) // 2])
            attempt(sub[len(sub) // 2:])

    attempt(rows)
    rows = np.concatenate(kept) if kept else rows[:0]
    frame = pl.concat(frames) if frames else block.frame(rows, names, sep)
    return frame, block.lines[rows]


# --------------------------------------------------------------------------- conversion
class Converter:
    """Typed arrays from the string columns of ``frame``; bad values mark their record malformed."""

    def __init__(self, frame: pl.DataFrame, lines: np.ndarray, unset: Sequence[str] = ("-",)) -> None:
        self.frame = frame
        self.lines = lines
        self.unset = list(unset)
        self.bad = np.zeros(len(frame), bool)
        self._why: list[tuple[np.ndarray, str]] = []

    def __len__(self) -> int:
        return len(self.frame)

    def _is_unset(self, col: pl.Series) -> np.ndarray:
        if not self.unset:
            return col.is_null().to_numpy()
        return (col.is_null() | col.is_in(self.unset)).to_numpy()

    def _mark(self, bad: np.ndarray, name: str) -> None:
        new = bad & ~self.bad
        if new.any():
            self._why.append((new, name))
            self.bad |= new

    def count(self, name: str | None, required: bool = False) -> np.ndarray | None:
        """Unsigned integer column; unset -> 0 (or malformed when ``required``)."""
        if name is None:
            return None
        col = self.frame[name]
        value = col.str.strip_chars().cast(pl.UInt64, strict=False)
        unset = self._is_unset(col)
        self._mark(value.is_null().to_numpy() & (~unset | required), name)
        return value.fill_null(0).to_numpy()

    def seconds(self, name: str | None, required: bool = False) -> np.ndarray | None:
        """Epoch seconds (integer or decimal) as microseconds; unset -> NO_TIME."""
        if name is None:
            return None
        col = self.frame[name]
        value = col.cast(pl.Float64, strict=False)
        v = value.to_numpy()
        finite = np.isfinite(v) & (np.abs(np.nan_to_num(v)) < 1e13)
        unset = self._is_unset(col)
        self._mark(~finite & (~unset | required), name)
        return np.where(finite, np.round(np.where(finite, v, 0.0) * US), NO_TIME).astype(np.int64)  # no overflow

    def duration(self, name: str | None) -> np.ndarray | None:
        """Seconds as microseconds; unset -> 0."""
        if name is None:
            return None
        col = self.frame[name]
        v = col.cast(pl.Float64, strict=False).to_numpy()
        ok = np.isfinite(v) & (np.nan_to_num(v) >= 0) & (np.nan_to_num(v) < 1e9)
        self._mark(~ok & ~self._is_unset(col), name)
        return np.where(ok, np.round(np.where(ok, v, 0.0) * US), 0).astype(np.int64)  # no overflow

    def timestamp(self, name: str | None, required: bool = False) -> np.ndarray | None:
        """A time column of any usual form (see :func:`parse_times`) as microseconds; unset -> NO_TIME."""
        if name is None:
            return None
        col = self.frame[name]
        us, ok = parse_times(col)
        unset = self._is_unset(col)
        self._mark(~ok & (~unset | required), name)
        return us

    def address(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """An address column (always required)."""
        ok, hi, lo = addresses.from_strings(self.frame[name])
        self._mark(~ok, name)
        return hi, lo

    def mark(self, bad: np.ndarray, reason: str) -> None:
        """Mark records malformed for a reason found by the caller."""
        self._mark(np.asarray(bad, bool), reason)

    def report(self, stats: ReadStats) -> np.ndarray:
        """Record the malformed records in ``stats`` (line order) and return the mask of good ones."""
        if self._why:
            rows = np.flatnonzero(self.bad)
            field = np.empty(len(self.frame), object)
            for mask, name in self._why:
                field[mask] = name
            reasons = []
            for r in rows[:problems.MAX_ITEMISED].tolist():
                name = field[r]
                if name in self.frame.columns:
                    value = self.frame[name][r]
                    reasons.append(f"bad {name} value {problems.shown(value)}" if value is not None
                                   else f"missing {name}")
                else:
                    reasons.append(str(name))
            problems.add_each(stats, self.lines[rows], reasons)
        return ~self.bad


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f%z",
                 "%Y-%m-%d %H:%M:%S%.f%z", "%Y/%m/%d %H:%M:%S%.f", "%Y/%m/%d.%H:%M:%S%.f")


def parse_times(col: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(microseconds, ok) of a string column of epoch numbers or date-times.

    Numbers are epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude (a
    value of at least 1e17 is nanoseconds, 1e14 microseconds, 1e11 milliseconds, else seconds: the
    ranges cannot be confused for dates between 1973 and 5138). Date-times are ISO 8601 or nfdump's
    ``YYYY-MM-DD hh:mm:ss[.fff]``; without a zone they are taken as UTC.
    """
    s = col.str.strip_chars()
    num = s.cast(pl.Float64, strict=False).to_numpy()
    finite = np.isfinite(num)
    us = epoch_to_us(np.where(finite, num, 0.0))
    ok = finite.copy()
    rest = ~finite & ~s.is_null().to_numpy()
    if rest.any():
        idx = np.flatnonzero(rest)
        part = s.gather(idx).str.replace(r"Z$", "+00:00")
        got = np.full(len(idx), NO_TIME, np.int64)
        have = np.zeros(len(idx), bool)
        # a date-time is ASCII: other text never reaches chrono's parser (it panics on some multi-byte input)
        ascii_ = (part.str.len_bytes() == part.str.len_chars()).fill_null(False).to_numpy()
        for fmt in _TIME_FORMATS:
            todo = np.flatnonzero(~have & ascii_)
            if not len(todo):
                break
            parsed = part.gather(todo).str.to_datetime(format=fmt, strict=False, time_unit="us")
            if parsed.dtype.time_zone is not None:  # type: ignore[union-attr]
                parsed = parsed.dt.convert_time_zone("UTC")
            vals = parsed.dt.epoch("us")
            hit = ~vals.is_null().to_numpy()
            got[todo[hit]] = vals.to_numpy()[hit]
            have[todo[hit]] = True
        us[idx] = got
        ok[idx] = have
    return np.where(ok, us, NO_TIME), ok


def epoch_to_us(value: np.ndarray) -> np.ndarray:
    """Epoch numbers (s, ms, µs or ns, by magnitude) as integer microseconds."""
    v = np.asarray(value, dtype=np.float64)
    a = np.abs(v)
    scale = np.where(a >= 1e17, 1e-3, np.where(a >= 1e14, 1.0, np.where(a >= 1e11, 1e3, 1e6)))
    return np.round(v * scale).astype(np.int64)


def epoch_ints_to_us(value: np.ndarray) -> np.ndarray:
    """Like :func:`epoch_to_us` for integers, exactly (no float rounding of nanoseconds)."""
    v = np.asarray(value, dtype=np.int64)
    if not len(v):
        return v
    lo, hi = int(v.min()), int(v.max())
    for bound, f in ((10**17, lambda x: x // 1000), (10**14, lambda x: x), (10**11, lambda x: x * 1000)):
        if min(abs(lo), abs(hi)) >= bound and max(abs(lo), abs(hi)) >= bound and (lo >= 0) == (hi >= 0):
            return f(v)
    if max(abs(lo), abs(hi)) < 10**11:
        return v * US
    a = np.abs(v)
    return np.where(a >= 10**17, v // 1000, np.where(a >= 10**14, v, np.where(a >= 10**11, v * 1000, v * US)))
