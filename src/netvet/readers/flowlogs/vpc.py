"""AWS VPC Flow Logs (versions 2 to 5 and later), as delivered to S3 or exported from CloudWatch.

Records are space-separated in the field order of the log's format. S3 files start with a header line
naming the fields (``version account-id interface-id srcaddr dstaddr ...``; ``_`` and ``-`` are both
accepted); a file without one is read in the default version 2 format (14 fields). ``-`` marks a field
with no value.

Each record becomes one flow record ``srcaddr`` -> ``dstaddr`` with ``bytes``, ``packets``, ``start``
and ``end`` (epoch seconds). Where version 3+ fields ``pkt-srcaddr``/``pkt-dstaddr`` are present and set,
they are used instead: they carry the original packet's addresses when traffic passes a NAT gateway or
another middlebox, and the remote party is what netvet attributes. Records with ``log-status`` NODATA
(no traffic in the window) are counted as skipped; SKIPDATA records (AWS dropped records during the
window) are counted as skipped and each gets a warning, since traffic went unlogged.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from ...model import InputError, ReadStats
from ..base import open_input
from . import problems
from .base import FlowLogReader, Part, register
from .records import FlowChunk
from .text import Block, Converter, cut_fields, line_blocks

DEFAULT_V2 = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
              "packets", "bytes", "start", "end", "action", "log-status")
KNOWN = set(DEFAULT_V2) | {
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region", "az-id",
    "sublocation-type", "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction",
    "traffic-path", "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
    "ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn", "ecs-task-arn",
    "ecs-task-id", "reject-reason", "resource-id", "encryption-status",
}


def _header(line: str) -> list[str] | None:
    names = [n.replace("_", "-") for n in line.split()]
    have = set(names)
    if len(names) >= 2 and have <= KNOWN and have & {"srcaddr", "pkt-srcaddr"} and have & {"dstaddr", "pkt-dstaddr"}:
        return names
    return None


def _headerless_v2(line: str) -> bool:
    parts = line.split()
    return len(parts) == 14 and parts[0] == "2" and parts[13] in ("OK", "NODATA", "SKIPDATA")


@register
class VpcFlowLog(FlowLogReader):
    format = "aws-vpc"
    priority = 30
    description = "AWS VPC Flow Logs, versions 2-5+ (header line names the fields; default v2 without one)"

    def sniff_head(self, path: Path, head: bytes) -> bool:
        first = head.decode("utf-8", errors="replace").split("\n", 1)[0].strip()
        return _header(first) is not None or _headerless_v2(first)

    def read_part(self, part: Part, stats: ReadStats) -> Iterator[FlowChunk]:
        fields: list[str] | None = None
        with open_input(part.path) as fh:
            for raw, first_line in line_blocks(fh, part.path):
                block = Block(raw, first_line)
                rows = np.flatnonzero(block.ends > block.starts)
                if fields is None and len(rows):
                    first = block.line_text(int(rows[0]))
                    fields = _header(first)
                    if fields is not None:
                        rows = rows[1:]
                    elif _headerless_v2(first):
                        fields = list(DEFAULT_V2)
                    else:
                        raise InputError(part.path, "not an AWS VPC flow log (no header line naming the fields, "
                                                    "and not the default version 2 format)", line=first_line)
                # a header line further on (files concatenated) starts a new field list
                letters = rows[(block.first_bytes()[rows] >= ord("a")) & (block.first_bytes()[rows] <= ord("z"))]
                cuts = [(int(i), h) for i in letters.tolist() if (h := _header(block.line_text(int(i))))]
                start = 0
                for cut, new_fields in cuts + [(None, None)]:
                    seg = rows[start:] if cut is None else rows[start:np.searchsorted(rows, cut)]
                    if len(seg):
                        stats.read += len(seg)
                        yield from self._rows(block, seg, fields, stats)
                    if cut is not None:
                        fields = new_fields
                        start = int(np.searchsorted(rows, cut)) + 1

    def _rows(self, block: Block, rows: np.ndarray, fields: list[str], stats: ReadStats) -> Iterator[FlowChunk]:
        frame, lines = cut_fields(block, rows, fields, " ", stats, "space-separated fields")
        if "log-status" in frame.columns:
            status = frame["log-status"].to_numpy()
            nodata = status == "NODATA"
            skipdata = status == "SKIPDATA"
            stats.skipped += int(nodata.sum() + skipdata.sum())
            if skipdata.any():
                problems.add(stats, lines[skipdata], "SKIPDATA: AWS skipped flow records in this capture window "
                             "(traffic went unlogged)", severity="warning")
            keep = np.flatnonzero(~(nodata | skipdata))
            frame, lines = frame[keep.tolist()], lines[keep]
            bad_status = ~frame["log-status"].is_in(["OK", "-"]).to_numpy()
        else:
            bad_status = np.zeros(len(frame), bool)
        frame, src_col, dst_col = self._address_columns(frame)
        conv = Converter(frame, lines, unset=("-",))
        conv.mark(bad_status, "bad log-status value")
        if "version" in frame.columns:
            v = frame["version"].cast(pl.Int64, strict=False)
            conv.mark((v.is_null() | (v < 2)).to_numpy(), "bad version value")
        src_hi, src_lo = conv.address(src_col)
        dst_hi, dst_lo = conv.address(dst_col)
        start = conv.seconds("start" if "start" in frame.columns else None)
        end = conv.seconds("end" if "end" in frame.columns else None)
        chunk = FlowChunk.build(len(frame), src_hi=src_hi, src_lo=src_lo, dst_hi=dst_hi, dst_lo=dst_lo,
                                bytes=conv.count("bytes" if "bytes" in frame.columns else None),
                                packets=conv.count("packets" if "packets" in frame.columns else None),
                                start=start, end=end, line=lines)
        good = conv.report(stats)
        yield chunk.take(np.flatnonzero(good))

    @staticmethod
    def _address_columns(frame: pl.DataFrame) -> tuple[pl.DataFrame, str, str]:
        """srcaddr/dstaddr, replaced per record by pkt-srcaddr/pkt-dstaddr where those are set."""
        names = []
        for plain, pkt in (("srcaddr", "pkt-srcaddr"), ("dstaddr", "pkt-dstaddr")):
            if pkt in frame.columns and plain in frame.columns:
                name = f"{pkt}/{plain}"
                frame = frame.with_columns(
                    pl.when(pl.col(pkt) != "-").then(pl.col(pkt)).otherwise(pl.col(plain)).alias(name))
                names.append(name)
            else:
                names.append(plain if plain in frame.columns else pkt)
        return frame, names[0], names[1]
