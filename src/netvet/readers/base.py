"""Reader interface and the registry of readers, dispatched by format name or by sniffing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..model import InputError, Observation, ReadStats
from ..util.inputs import (  # noqa: F401 - re-exported: the readers' API
    MAX_COMPRESSION_RATIO,
    MAX_DECOMPRESSED_BYTES,
    MAX_JSON_DEPTH,
    MAX_LINE_BYTES,
    MAX_NUMBER_DIGITS,
    RATIO_CHECK_AFTER,
    TEXT_HEAD,
    BoundedStream,
    Limits,
    bounded,
    compression_of,
    input_position,
    limits,
    open_input,
    read_head,
    refuse_binary,
    text_lines,
)

# progress callback: (bytes_done, bytes_total)
Progress = Callable[[int, int], None]


@dataclass
class ReadResult:
    observations: list[Observation] = field(default_factory=list)
    stats: ReadStats | None = None


@dataclass
class Reference:
    """Reference data for the readers that need it (the reader option ``reference``), loaded on first use.

    One is made per batch of inputs (``pipeline.read_inputs``) so that every file of the batch shares what was
    loaded, and nothing outlives the batch: ``asn_db`` is the IP -> ASN file given on the command line
    (``--asn-db``; None: the active ``netvet data`` datasets); ``loaded`` holds what was built from it by name
    (e.g. ``prefix_index`` for traceroutes, ``flow_sources`` for flow logs), and a caller may fill it in
    advance."""

    asn_db: Path | None = None
    loaded: dict = field(default_factory=dict)

    def get(self, name: str, load: Callable[[], object]):
        if name not in self.loaded:
            self.loaded[name] = load()
        return self.loaded[name]


class Reader:
    """Base class: subclasses set ``format``/``description`` and implement ``sniff`` and ``read``.

    ``read`` is lenient: a malformed record is counted and described in ``stats`` (file, line or
    byte offset, reason) and reading goes on. Only an input that cannot be read at all raises
    ``InputError``.
    """

    format: ClassVar[str] = ""
    description: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[tuple[str, ...]] = ()  # constructor keywords the reader accepts (see ``detect``)
    # Sniff order (lower first, then by format name): specific formats before generic ones, so the answer never
    # depends on which modules happened to be imported first. Generic text formats (any CSV, any
    # "prefix asn" list) come last.
    priority: ClassVar[int] = 50

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


def sniff_order() -> list[type[Reader]]:
    """The registered readers in the order ``detect`` tries them: by ``priority``, then format name."""
    return sorted(READERS.values(), key=lambda c: (c.priority, c.format))


def detect(path: str | Path, fmt: str | None = None, options: dict | None = None) -> Reader:
    """The reader for ``path``: by explicit format name, else the first whose ``sniff`` accepts it.

    ``options`` (e.g. ``{"platform": "huawei_vrp"}``) go to the constructor of a reader that declares them in its
    ``options``; readers that take none ignore them."""
    p = Path(path)

    def make(cls: type[Reader]) -> Reader:
        given = {k: v for k, v in (options or {}).items() if k in cls.options and v is not None}
        return cls(**given)

    if fmt:
        if fmt not in READERS:
            raise InputError(str(path), f"unknown format {fmt!r} (known: {', '.join(sorted(READERS))})")
        return make(READERS[fmt])
    head = read_head(p)
    for cls in sniff_order():
        reader = make(cls)
        if reader.sniff(p, head):
            return reader
    raise InputError(str(path), "unrecognised input format; name it with --input-format "
                                f"({', '.join(sorted(READERS))})")
