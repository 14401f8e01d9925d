"""Flow tables: CSV (``,`` ``;`` tab or ``|`` delimited, with a header row) and Parquet, one flow per row.

Columns are found by well-known names or the user's ``--map`` (see :mod:`.mapping`). Addresses may be
text (IPv4/IPv6), unsigned 32-bit integers (IPv4) or 4/16-byte binaries. Parquet text columns are
read as Arrow dictionaries and, with 4/16-byte binary columns, interned in the run's address books (the
reader's ``session``, lent by the flows run that owns them), so each distinct address is parsed once
per run. Times may be epoch numbers (seconds, milliseconds, microseconds or nanoseconds, told apart by
magnitude), Parquet timestamps or ISO 8601 text (UTC unless a zone is given). Counters must be
non-negative integers; empty, null and ``-`` count 0.

Parquet files are read a row group at a time with Arrow and split into parts at row-group boundaries,
so threads or workers read one file side by side; a Parquet "line" in a problem report is the 1-based row number.
CSV lines that contain a double quote are split by Python's ``csv`` module (quoted delimiters); a
quoted field may not span lines.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from ...model import InputError, ReadStats
from ..base import open_input
from . import addresses, mapping, problems
from .base import Books, FlowLogReader, Part, ReadOptions, no_books, register
from .records import NO_TIME, Coded, FlowChunk
from .text import Block, Converter, epoch_ints_to_us, epoch_to_us, line_blocks, parse_times

DELIMITERS = (",", ";", "\t", "|")


def _split_header(line: str) -> tuple[str, list[str]] | None:
    best = None
    if "\x00" in line or "\r" in line.rstrip("\r"):
        return None
    for d in DELIMITERS:
        if d not in line:
            continue
        try:
            cols = next(csv.reader([line], delimiter=d))
        except csv.Error:
            continue
        if mapping.looks_like_flow_table(cols) and (best is None or len(cols) > len(best[1])):
            best = (d, [c.strip() for c in cols])
    return best


@register
class CsvFlowTable(FlowLogReader):
    format = "csv-flows"
    priority = 85
    description = "CSV flow table with a header row (columns by name or --map)"

    def sniff_head(self, path: Path, head: bytes) -> bool:
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        return _split_header(text.split("\n", 1)[0].strip("\r")) is not None

    def read_part(self, part: Part, stats: ReadStats) -> Iterator[FlowChunk]:
        header: list[str] | None = None
        delim = ","
        cols: dict[str, str] = {}
        with open_input(part.path) as fh:
            for raw, first_line in line_blocks(fh, part.path):
                block = Block(raw, first_line)
                rows = np.flatnonzero(block.ends > block.starts)
                if header is None and len(rows):
                    line = block.line_text(int(rows[0])).lstrip("\ufeff")
                    found = _split_header(line)
                    if found is None:
                        delim = next((d for d in DELIMITERS if d in line), ",")
                        try:
                            cols_any = next(csv.reader([line], delimiter=delim))
                        except csv.Error as exc:  # a stray CR or NUL in the first line
                            raise InputError(part.path, f"bad header row: {exc}", line=first_line) from None
                        mapping.resolve(cols_any, part.options.map, part.path)  # raises with the reason
                        found = (delim, [c.strip() for c in cols_any])
                    delim, header = found
                    cols = mapping.resolve(header, part.options.map, part.path)
                    rows = rows[1:]
                if not len(rows):
                    continue
                stats.read += len(rows)
                frame, lines = self._frame(block, rows, header, delim, stats)
                yield from _text_chunk(frame, lines, cols, stats)
        if header is None:
            raise InputError(part.path, "empty: no header row")

    @staticmethod
    def _frame(block: Block, rows: np.ndarray, header: list[str], delim: str,
               stats: ReadStats) -> tuple[pl.DataFrame, np.ndarray]:
        quoted = block.contains(ord('"'))[rows]
        counts = block.field_counts(ord(delim))[rows]
        plain = rows[~quoted & (counts == len(header))]
        bad = rows[~quoted & (counts != len(header))]
        frames = [block.frame(plain, header, delim)]
        lines = [block.lines[plain]]
        slow_rows, slow_lines, slow_bad, reasons = [], [], [], []
        for r in rows[quoted].tolist():
            try:
                fields = next(csv.reader([block.line_text(r)], delimiter=delim, strict=True))
            except csv.Error as exc:
                slow_bad.append(r)
                reasons.append(f"bad quoting: {exc}")
                continue
            if len(fields) != len(header):
                slow_bad.append(r)
                reasons.append(f"expected {len(header)} fields, found {len(fields)}")
                continue
            slow_rows.append(fields)
            slow_lines.append(block.lines[r])
        if slow_rows:
            frames.append(pl.DataFrame(slow_rows, schema=frames[0].columns, orient="row"))
            lines.append(np.array(slow_lines, np.int64))
        all_bad = np.concatenate((bad, np.array(slow_bad, np.int64)))
        if len(all_bad):
            why = {int(r): f"expected {len(header)} fields, found {int(c)}" for r, c in
                   zip(bad.tolist(), counts[~quoted & (counts != len(header))].tolist(), strict=True)}
            why.update({r: w for r, w in zip(slow_bad, reasons, strict=True)})
            order = np.sort(all_bad)
            problems.add_each(stats, block.lines[order], [why[int(r)] for r in order[:problems.MAX_ITEMISED]])
        frame = pl.concat(frames) if len(frames) > 1 else frames[0]
        line_arr = np.concatenate(lines)
        if len(frames) > 1:
            order = np.argsort(line_arr, kind="stable")
            frame, line_arr = frame[order.tolist()], line_arr[order]
        return frame, line_arr


def _text_chunk(frame: pl.DataFrame, lines: np.ndarray, cols: dict[str, str], stats: ReadStats) -> Iterator[FlowChunk]:
    conv = Converter(frame, lines, unset=("", "-"))
    src_hi, src_lo = conv.address(cols["src"])
    dst_hi, dst_lo = conv.address(cols["dst"])
    start = conv.timestamp(cols.get("start"))
    end = conv.timestamp(cols.get("end"))
    if "duration" in cols and start is not None:
        dur = conv.duration(cols["duration"])
        derived = np.where(start != NO_TIME, start + dur, NO_TIME)
        end = derived if end is None else np.where(end == NO_TIME, derived, end)
    chunk = FlowChunk.build(len(frame), src_hi=src_hi, src_lo=src_lo, dst_hi=dst_hi, dst_lo=dst_lo,
                            bytes=conv.count(cols.get("bytes")), packets=conv.count(cols.get("packets")),
                            rbytes=conv.count(cols.get("rbytes")), rpackets=conv.count(cols.get("rpackets")),
                            flows=_flows(conv, cols), start=start, end=end, line=lines)
    good = conv.report(stats)
    yield chunk.take(np.flatnonzero(good))


def _flows(conv: Converter, cols: dict[str, str]) -> np.ndarray | None:
    if "flows" not in cols:
        return None
    col = conv.frame[cols["flows"]]
    v = conv.count(cols["flows"])
    unset = (col.is_null() | col.is_in(["", "-"])).to_numpy()
    return np.where(unset, 1, v)


# --------------------------------------------------------------------------- Parquet
class _SeriesColumns:
    """Typed arrays from the Polars columns of a batch, with bad values marking their row malformed."""

    def __init__(self, batch: pl.DataFrame, rows: np.ndarray, books: Books = no_books) -> None:
        self.batch = batch
        self.books = books
        self.rows = rows
        self.bad = np.zeros(len(rows), bool)
        self.why: list[tuple[np.ndarray, str]] = []
        self.coded: dict = {}  # column name -> its Arrow dictionary array (for the values of bad rows)

    def _mark(self, bad: np.ndarray, name: str) -> None:
        new = bad & ~self.bad
        if new.any():
            self.why.append((new, name))
            self.bad |= new

    def address(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        s = self.batch[name]
        if s.dtype == pl.Binary:  # 16 or 4 bytes, network order
            fast = _binary16(s)
            if fast is not None:
                return fast
            ok, hi, lo = addresses.from_binary(s.to_arrow())
            self._mark(~ok, f"{name}#len")
            return hi, lo
        if s.dtype == pl.Categorical or s.dtype == pl.Enum:
            s = s.cast(pl.String)
        ok, hi, lo = addresses.from_column(s.to_arrow())
        self._mark(~ok, name)
        return hi, lo

    def coded_address(self, name: str, arr) -> Coded:
        """Codes and distinct addresses of a text or binary column (Arrow dictionary-encodes a column that
        did not come as one); each distinct value is parsed once, bad values mark their rows."""
        import pyarrow as pa

        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if not pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_encode()
        values = arr.dictionary
        text = pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
        indices = arr.indices
        codes = _values(indices, np.dtype(f"i{indices.type.bit_width // 8}")).astype(np.int32, copy=False)
        nulls = None
        if indices.null_count:  # a null's slot holds any value: code 0, and the row is bad
            nulls = ~_valid(indices)
            codes = np.where(nulls, 0, codes).astype(np.int32)
        outside = (codes < 0) | (codes >= len(values))  # a damaged file's index past its dictionary (not checked
        if outside.any():  # by Arrow): code 0, and the row is bad
            nulls = outside if nulls is None else nulls | outside
            codes = np.where(outside, 0, codes).astype(np.int32)
        book = self.books("text") if text and len(values) else None
        ids = None
        if book is not None:  # ids in the run's address book: each distinct string parsed once per run
            found = book.lookup(values)
            entry_ok = found.ok.take(found.ids)
            hi, lo, ids = found.hi, found.lo, found.ids
            bad = None if entry_ok.all() else ~entry_ok.take(codes)
        else:
            ok, hi, lo = addresses.from_distinct_strings(values) if text else addresses.from_column(values)
            if not len(ok):
                ok, hi, lo = np.zeros(1, bool), np.zeros(1, np.uint64), np.zeros(1, np.uint64)
            bad = ~ok.take(codes)
        if nulls is not None:
            bad = nulls if bad is None else bad | nulls
        if bad is not None and bad.any():
            self._mark(bad, name if text else f"{name}#coded")
            self.coded[name] = arr
        return Coded(codes, hi, lo, book, ids)

    def coded_binary(self, name: str, arr) -> Coded:
        """Book ids of a 4- or 16-byte binary address column (see :func:`_fixed`): each distinct address is
        converted and attributed once per run."""
        import pyarrow as pa

        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        book = self.books("binary")
        found = book.lookup_fixed(arr)
        return Coded(found.ids, found.hi, found.lo, book)

    def _ints(self, s: pl.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(int64 or uint64 values, nulls) of an integer, float or text column."""
        nulls = s.is_null().to_numpy() if s.null_count() else np.zeros(len(s), bool)
        if s.dtype.is_unsigned_integer():
            return s.fill_null(0).to_numpy().astype(np.uint64, copy=False), nulls
        if s.dtype.is_integer():
            v = s.fill_null(0).to_numpy().astype(np.int64, copy=False)
            self._mark(v < 0, name)
            return np.where(v < 0, 0, v).astype(np.uint64), nulls
        if s.dtype.is_float():
            f = s.fill_null(0).to_numpy()
            ok = np.isfinite(f) & (f >= 0) & (np.floor(np.nan_to_num(f)) == f)
            self._mark(~ok, name)
            return np.where(ok, f, 0).astype(np.uint64), nulls
        text = s.cast(pl.String)
        parsed = text.str.strip_chars().cast(pl.UInt64, strict=False)
        unset = (text.is_null() | text.is_in(["", "-"])).to_numpy()
        self._mark(parsed.is_null().to_numpy() & ~unset, name)
        return parsed.fill_null(0).to_numpy(), unset

    def count(self, name: str | None, default: int = 0) -> np.ndarray | None:
        if name is None:
            return None
        v, nulls = self._ints(self.batch[name], name)
        return np.where(nulls, np.uint64(default), v) if nulls.any() else v

    def time(self, name: str | None) -> np.ndarray | None:
        if name is None:
            return None
        s = self.batch[name]
        nulls = s.is_null().to_numpy() if s.null_count() else None
        if isinstance(s.dtype, pl.Datetime):
            us = s.dt.epoch("us").fill_null(0).to_numpy()
        elif s.dtype == pl.Date:
            us = s.cast(pl.Datetime("us")).dt.epoch("us").fill_null(0).to_numpy()
        elif s.dtype.is_integer():
            us = epoch_ints_to_us(s.fill_null(0).to_numpy())
        elif s.dtype.is_float():
            f = s.fill_null(0).to_numpy()
            ok = np.isfinite(f)
            self._mark(~ok, name)
            us = epoch_to_us(np.where(ok, f, 0))
        else:
            text = s.cast(pl.String)
            us, ok = parse_times(text)
            unset = (text.is_null() | text.is_in(["", "-"])).to_numpy()
            self._mark(~ok & ~unset, name)
            nulls = unset
        us = us.astype(np.int64, copy=False)
        return us if nulls is None or not nulls.any() else np.where(nulls, NO_TIME, us)

    def duration(self, name: str) -> np.ndarray:
        s = self.batch[name]
        if isinstance(s.dtype, pl.Duration):
            return s.dt.total_microseconds().fill_null(0).to_numpy().astype(np.int64)
        f = s.cast(pl.Float64, strict=False).fill_null(0).to_numpy()
        ok = np.isfinite(f) & (f >= 0)
        self._mark(~ok, name)
        return np.round(np.where(ok, f, 0) * 1e6).astype(np.int64)

    def report(self, stats: ReadStats) -> np.ndarray:
        if self.why:
            rows = np.flatnonzero(self.bad)
            field = np.empty(len(self.bad), object)
            for mask, name in self.why:
                field[mask] = name
            reasons = []
            for r in rows[:problems.MAX_ITEMISED].tolist():
                name = field[r]
                if name.endswith(("#len", "#coded")):
                    reasons.append(f"bad {name.split('#')[0]} value: not a 4- or 16-byte address (or missing)")
                    continue
                if name.endswith("#utf8"):
                    reasons.append(f"bad {name[:-5]} value: not UTF-8 text")
                    continue
                value = _arrow_value(self.coded[name], r) if name in self.coded else self.batch[name][r]
                if isinstance(value, pl.Series):  # a list or array cell: quoted as a Python list (Polars' own
                    value = value.to_list()        # formatting of a Series can panic on multi-byte text)
                reasons.append(f"bad {name} value {problems.shown(value)}" if value is not None else f"missing {name}")
            problems.add_each(stats, self.rows[rows], reasons)
        return ~self.bad


def _read_footer(path: str):
    import pyarrow.parquet as pq

    return pq.read_metadata(path)


def _arrow_value(arr, row: int):
    """The value of ``arr`` at ``row`` for a problem report: text, or its bytes when they are not UTF-8."""
    import pyarrow as pa

    value = arr[row]
    try:
        return value.as_py()
    except UnicodeDecodeError:
        if isinstance(value, pa.DictionaryScalar):
            value = value.value
        return value.cast(pa.large_binary()).as_py()


def _polars_frame(batch, names: list[str]) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """The columns ``names`` of an Arrow batch as a Polars frame, and per column the rows whose text is not UTF-8.

    Polars takes Arrow data as it is and panics (a ``PanicException``, not an ``Exception``) on what is not
    UTF-8 where it wants text: names and key-value metadata of the schema and its fields (it imports them on
    the way in), type parameters (a time zone, nested field names), and string values (when it formats or
    parses them). So only the names (Python strings, UTF-8 by construction) and the arrays cross, never the
    file's metadata; a type that names non-UTF-8 text refuses the file (ValueError, which ``read_part`` reports
    as an InputError), and a text cell that is not UTF-8 is nulled and its row reported by the caller."""
    import pyarrow as pa

    if not names:
        return pl.DataFrame(), {}
    arrays, not_text = [], {}
    for name in names:
        arr = batch.column(name)
        if isinstance(arr.type, pa.ExtensionType):
            arr = arr.storage
        if not _names_text(arr.type):
            raise ValueError(f"column {name!r}: its type names text that is not UTF-8")
        try:
            arr.validate(full=True)
        except pa.ArrowInvalid:
            arr, bad = _utf8_nulled(arr)
            if bad is None:
                raise ValueError(f"column {name!r}: invalid values") from None
            not_text[name] = bad
        arrays.append(arr)
    return pl.from_arrow(pa.RecordBatch.from_arrays(arrays, names=names)), not_text


def _names_text(t) -> bool:
    """Whether every name and parameter of Arrow type ``t`` (nested field names, time zone) is UTF-8."""
    import pyarrow as pa

    try:
        if pa.types.is_timestamp(t):
            _ = t.tz
        elif pa.types.is_dictionary(t):
            return _names_text(t.value_type)
        elif isinstance(t, pa.ExtensionType):
            return _names_text(t.storage_type)
        fields = [t.field(i) for i in range(t.num_fields)]
        for f in fields:
            _ = f.name
            for k, v in (f.metadata or {}).items():
                k.decode("utf-8"), v.decode("utf-8")
        return all(_names_text(f.type) for f in fields)
    except UnicodeDecodeError:
        return False


def _utf8_nulled(arr):
    """(``arr`` with its non-UTF-8 values null, mask of those rows) for a text or dictionary-of-text column;
    (``arr``, None) for any other column (its invalid values are not bad text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def texts(t) -> bool:
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)

    values = arr.dictionary if pa.types.is_dictionary(arr.type) else arr
    if not texts(values.type):
        return arr, None
    raw = values.cast(pa.large_binary() if not pa.types.is_string_view(values.type) else pa.binary_view())
    bad = np.array([v is not None and not _is_utf8(v) for v in raw.to_pylist()], bool)
    if pa.types.is_dictionary(arr.type):
        codes = _values(arr.indices, np.dtype(f"i{arr.indices.type.bit_width // 8}")).astype(np.intp)
        bad = bad[np.clip(codes, 0, max(len(bad) - 1, 0))] & _valid(arr.indices) if len(bad) else \
            np.zeros(len(arr), bool)
        arr = arr.dictionary_decode()
    plain = pc.if_else(pa.array(bad), pa.scalar(None, arr.type), arr)
    try:
        plain.validate(full=True)
    except pa.ArrowInvalid:
        return arr, None
    return plain, bad


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _binary16(s: pl.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(hi, lo) of a binary column whose values are all 16 bytes, read from Polars' own memory (Arrow
    binary views into one data buffer: two gathers, no copy of the values); None when the column is not
    laid out so (nulls, other lengths, several buffers) and needs the general path."""
    import pyarrow as pa

    if s.null_count() or not len(s):
        return None
    arr = s.to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return None
        arr = arr.chunk(0)
    if not pa.types.is_binary_view(arr.type):
        return None
    bufs = arr.buffers()
    if len(bufs) != 3 or bufs[2] is None:
        return None
    n = len(arr)
    views = np.frombuffer(bufs[1], np.int32).reshape(-1, 4)[arr.offset:arr.offset + n]
    if not ((views[:, 0] == 16).all() and (views[:, 2] == 0).all()):
        return None
    off = views[:, 3]
    if (off & 7).any():
        return None
    words = np.frombuffer(bufs[2], np.uint64, count=bufs[2].size // 8)
    at = off.astype(np.intp) >> 3
    if len(words) == 0 or int(at.max()) + 1 >= len(words):
        return None
    hi = words.take(at)
    lo = words.take(at + 1)
    if np.little_endian:
        hi.byteswap(inplace=True)
        lo.byteswap(inplace=True)
    return hi, lo


@register
class ParquetFlowTable(FlowLogReader):
    format = "parquet-flows"
    priority = 11
    description = "Parquet flow table (columns by name or --map)"

    def sniff_head(self, path: Path, head: bytes) -> bool:
        return head.startswith(b"PAR1")

    def _meta(self, path: str, options: ReadOptions):
        """(footer, columns by field) of ``path``; the footer is read once per run (the session's file cache),
        though every part and piece of the file asks for it."""
        import pyarrow as pa

        try:
            meta = self.session.file(path, _read_footer)
            names = meta.schema.to_arrow_schema().names
        except (OSError, ValueError, pa.ArrowException) as exc:  # ValueError: a damaged footer (bad UTF-8 names)
            raise InputError(path, f"cannot read Parquet: {exc}") from None
        cols = mapping.resolve(names, options.map, path)
        return meta, cols

    def parts(self, path: Path, options: ReadOptions) -> list[Part]:
        meta, _cols = self._meta(str(path), options)
        parts: list[Part] = []
        group: list[int] = []
        rows = first = 0
        for i in range(meta.num_row_groups):
            n = meta.row_group(i).num_rows
            if group and rows + n > options.part_rows:
                parts.append(Part(str(path), self.format, options, tuple(group), first, rows))
                first += rows
                group, rows = [], 0
            group.append(i)
            rows += n
        if group or not parts:
            parts.append(Part(str(path), self.format, options, tuple(group), first, rows))
        return parts

    def split(self, part: Part) -> list[Part]:
        """One part per row group."""
        meta, _cols = self._meta(part.path, part.options)
        groups = part.row_groups if part.row_groups is not None else tuple(range(meta.num_row_groups))
        first = part.first_row if part.row_groups is not None else 0
        out = []
        for g in groups:
            n = meta.row_group(g).num_rows
            out.append(Part(part.path, part.format, part.options, (g,), first, n))
            first += n
        return out or [part]

    def read_part(self, part: Part, stats: ReadStats) -> Iterator[FlowChunk]:
        """Arrow reads the part a row group at a time (a large row group in batches of ``chunk_rows``),
        which keeps memory to about one row group. Text and binary address columns are read as their
        dictionary (Parquet dictionary pages are kept as they are, other pages encoded on the way), so each
        distinct address is parsed and attributed once per chunk and records carry codes."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        meta, cols = self._meta(part.path, part.options)
        groups = part.row_groups if part.row_groups is not None else tuple(range(meta.num_row_groups))
        first = part.first_row if part.row_groups is not None else 0
        schema = meta.schema.to_arrow_schema()
        names = sorted(set(cols.values()))
        coded = [cols[f] for f in ("src", "dst") if _codable(schema.field(cols[f]).type)]
        row = first
        try:
            pf = pq.ParquetFile(part.path, read_dictionary=coded or None, memory_map=True, metadata=meta)
            for g in groups:
                for batch in pf.iter_batches(batch_size=part.options.chunk_rows, row_groups=[g], columns=names,
                                             use_threads=False):
                    n = batch.num_rows
                    stats.read += n
                    lines = np.arange(row + 1, row + n + 1, dtype=np.int64)
                    chunk = self._chunk(batch, cols, lines, stats, coded)
                    row += n
                    yield chunk
        except (OSError, ValueError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
            raise InputError(part.path, f"cannot read Parquet: {exc}", line=row + 1) from None

    def _chunk(self, batch, cols: dict[str, str], lines: np.ndarray, stats: ReadStats,
               coded: list[str]) -> FlowChunk:
        fast = {f: v for f in _FIELDS if f in cols and (v := _arrow_fast(batch.column(cols[f]), f)) is not None}
        if "duration" in cols:
            fast.pop("end", None)
        fixed = {cols[f] for f in ("src", "dst") if cols[f] not in coded and _fixed(batch.column(cols[f]), self.books)}
        slow = {cols[f] for f in cols if f not in fast and f not in ("src", "dst")}
        slow |= {cols[f] for f in ("src", "dst") if cols[f] not in coded and cols[f] not in fixed}
        plain = [name for name in batch.schema.names if name in slow]
        frame, not_text = _polars_frame(batch, plain)
        c = _SeriesColumns(frame, lines, self.books)
        for name, bad in not_text.items():
            c._mark(bad, f"{name}#utf8")
        sides = {}
        for side in ("src", "dst"):
            name = cols[side]
            if name in coded:
                sides[f"{side}_coded"] = c.coded_address(name, batch.column(name))
            elif name in fixed:
                sides[f"{side}_coded"] = c.coded_binary(name, batch.column(name))
            else:
                sides[f"{side}_hi"], sides[f"{side}_lo"] = c.address(name)
        start = fast["start"] if "start" in fast else c.time(cols.get("start"))
        end = fast["end"] if "end" in fast else c.time(cols.get("end"))
        if "duration" in cols and start is not None:
            derived = np.where(start != NO_TIME, start + c.duration(cols["duration"]), NO_TIME)
            end = derived if end is None else np.where(end == NO_TIME, derived, end)
        counts = {f: fast[f] if f in fast else c.count(cols.get(f), default=1 if f == "flows" else 0)
                  for f in ("bytes", "packets", "rbytes", "rpackets", "flows")}
        chunk = FlowChunk.build(len(lines), **sides, **counts, start=start, end=end, line=lines)
        good = c.report(stats)
        return chunk if good.all() else chunk.take(np.flatnonzero(good))


_FIELDS = ("bytes", "packets", "rbytes", "rpackets", "flows", "start", "end")
_TIME_SCALE = {"s": 1_000_000, "ms": 1_000, "us": 1}


def _arrow_fast(arr, field: str) -> np.ndarray | None:
    """The values of a counter or time column straight from Arrow when nothing needs checking (integers
    without nulls or negatives, timestamps in s/ms/µs without nulls); None sends it down the general path."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return None
        arr = arr.chunk(0)
    if arr.null_count:
        return None
    t = arr.type
    if field in ("start", "end"):
        if not pa.types.is_timestamp(t) or t.unit not in _TIME_SCALE:
            return None
        us = _values(arr, np.int64)
        scale = _TIME_SCALE[t.unit]
        return us if scale == 1 else us * np.int64(scale)
    if pa.types.is_unsigned_integer(t):
        return _values(arr, np.dtype(f"u{t.bit_width // 8}")).astype(np.uint64, copy=False)
    if pa.types.is_integer(t):
        v = _values(arr, np.dtype(f"i{t.bit_width // 8}"))
        return None if len(v) and v.min() < 0 else v.astype(np.uint64)
    return None


def _valid(arr) -> np.ndarray:
    """Per value of an Arrow array, whether it is not null (from its validity bitmap)."""
    bitmap = arr.buffers()[0]
    if bitmap is None:
        return np.ones(len(arr), bool)
    bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), bitorder="little")
    return bits[arr.offset:arr.offset + len(arr)].astype(bool)


def _values(arr, dtype: np.dtype) -> np.ndarray:
    """The values buffer of a fixed-width Arrow array as NumPy, without a copy (a null's slot holds any
    value). Arrow's own ``to_numpy`` would import pandas the first time, a third of a second."""
    dtype = np.dtype(dtype)
    return np.frombuffer(arr.buffers()[1], dtype, count=len(arr), offset=arr.offset * dtype.itemsize)


def _fixed(arr, books: Books) -> bool:
    """A 4- or 16-byte binary address column without nulls, which the binary address book takes as it is."""
    import pyarrow as pa

    t = arr.type
    return pa.types.is_fixed_size_binary(t) and t.byte_width in (4, 16) and not arr.null_count \
        and books("binary") is not None


def _codable(t) -> bool:
    """Address columns Arrow reads as a dictionary: text and variable-length binary."""
    import pyarrow as pa

    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) \
        or pa.types.is_large_binary(t) or pa.types.is_dictionary(t)
