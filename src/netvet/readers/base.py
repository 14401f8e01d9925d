"""Reader interface and the registry of readers, dispatched by format name or by sniffing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

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

if TYPE_CHECKING:
    from ..model.route import RouteTable

# progress callback: (bytes_done, bytes_total)
Progress = Callable[[int, int], None]


@dataclass
class ReadResult:
    """What a reader yields, by capability: ``observations`` (most readers); ``routes``, a ``RouteTable`` (the route
    readers: the pipeline turns it into one observation per AS, ``analyses.route_observations``); ``bundle``, the
    manifest (dict) of a ``netvet collect`` bundle, whose inventory drift the pipeline compares
    (``analyses.inventory_drift``) with the reference data of the run."""

    observations: list[Observation] = field(default_factory=list)
    stats: ReadStats | None = None
    routes: RouteTable | None = None
    bundle: dict | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # added to the observations made of ``routes``


@dataclass
class ReadStream:
    """The iterator form of a ReadResult (``Reader.stream``): the observations one at a time, and the input's
    ``stats``, final once the iterator is exhausted. The input was opened (and refused with ``InputError`` when
    it cannot be read at all) before the stream is returned; ``close`` releases it when not read to the end."""

    observations: Iterator[Observation]
    stats: ReadStats

    def __iter__(self) -> Iterator[Observation]:
        return self.observations

    def close(self) -> None:
        close = getattr(self.observations, "close", None)
        if close is not None:
            close()


@dataclass
class Reference:
    """Reference data for the readers that need it (the reader option ``reference``), loaded on first use.

    The pipeline makes one per batch of inputs (``pipeline.read_inputs``) so that every file of the batch shares
    what was loaded, and nothing outlives the batch: ``asn_db`` is the IP -> ASN file given on the command line
    (``--asn-db``; None: the active ``netvet data`` datasets); ``loaders`` are filled by the pipeline, by name
    (``prefix_index``: an IP -> ASN ``PrefixIndex`` or None, for traceroutes; ``sdk_signatures``: the SDK
    signatures, for APKs; ``inventory_context``: the Context a bundle's inventory drift is attributed with);
    ``loaded`` holds what was built, by name (also what readers keep for the batch: ``flow_sources``, IP -> AS,
    cloud and DNS data of flow logs; ``bundle_manifests``, the bundle manifests read), and a caller may fill it in
    advance. Readers never import the modules that build these."""

    asn_db: Path | None = None
    loaded: dict = field(default_factory=dict)
    loaders: dict[str, Callable[[], object]] = field(default_factory=dict)

    def get(self, name: str, load: Callable[[], object] | None = None):
        """The reference data ``name``: loaded before, else built by ``load`` or the loader of that name (once);
        None when there is neither."""
        if name not in self.loaded:
            load = load or self.loaders.get(name)
            if load is None:
                return None
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
    # What the reader yields: "observations" (``read``: ReadResult.observations), "routes" (``read``: a
    # RouteTable), "bundle" (``read``: a bundle manifest), "flow-batches" (``parts``/``read_part``: columnar chunks
    # of flow and DNS records for the flows engine, ``readers.flowlogs``). ``detect`` chooses among the readers
    # that yield what its caller asks for.
    yields: ClassVar[frozenset[str]] = frozenset({"observations"})

    def sniff(self, path: Path, head: bytes) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:  # pragma: no cover
        raise NotImplementedError

    def stream(self, path: Path, progress: Progress | None = None) -> ReadStream:
        """``read`` as a stream of observations. This default reads the whole input first; a reader whose memory
        must not grow with its input (CSV inventory) yields them as it reads and defines ``read`` as the list of
        its stream (see ``streams``)."""
        result = self.read(path, progress)
        return ReadStream(iter(result.observations), result.stats)

    @classmethod
    def streams(cls) -> bool:
        """True when this reader yields observations as it reads (it overrides ``stream``)."""
        return cls.stream is not Reader.stream


READERS: dict[str, type[Reader]] = {}


def register(cls: type[Reader]) -> type[Reader]:
    if not cls.format:
        raise ValueError(f"{cls.__name__} has no format name")
    READERS[cls.format] = cls
    return cls


# what ``Reader.read`` returns (a ReadResult): the capabilities ``detect`` chooses among unless told otherwise
READ_RESULT = frozenset({"observations", "routes", "bundle"})
# how ``detect`` names what it was looking for when nothing matched
WANTED = {"flow-batches": "a flow or DNS log"}


def sniff_order(yields: frozenset[str] | set[str] | None = None) -> list[type[Reader]]:
    """The registered readers that yield any of ``yields`` (default :data:`READ_RESULT`) in the order ``detect``
    tries them: by ``priority``, then format name."""
    wanted = READ_RESULT if yields is None else frozenset(yields)
    return sorted((c for c in READERS.values() if c.yields & wanted), key=lambda c: (c.priority, c.format))


def detect(path: str | Path, fmt: str | None = None, options: dict | None = None,
           yields: frozenset[str] | set[str] | None = None) -> Reader:
    """The reader for ``path`` among those that yield any of ``yields`` (default :data:`READ_RESULT`, what
    ``read`` returns): by explicit format name, else the first whose ``sniff`` accepts it (:func:`sniff_order`).

    ``options`` (e.g. ``{"platform": "huawei_vrp"}``) go to the constructor of a reader that declares them in its
    ``options``; readers that take none ignore them."""
    p = Path(path)
    candidates = sniff_order(yields)
    known = ", ".join(sorted(c.format for c in candidates))

    def make(cls: type[Reader]) -> Reader:
        given = {k: v for k, v in (options or {}).items() if k in cls.options and v is not None}
        return cls(**given)

    if fmt:
        if fmt not in READERS or READERS[fmt] not in candidates:
            raise InputError(str(path), f"unknown format {fmt!r} (known: {known})")
        return make(READERS[fmt])
    head = read_head(p)
    for cls in candidates:
        reader = make(cls)
        if reader.sniff(p, head):
            return reader
    wanted = next((WANTED[y] for y in sorted(yields or ()) if y in WANTED), None)
    if wanted is not None:
        raise InputError(str(path), f"not {wanted} netvet reads; name the format with --input-format ({known})")
    raise InputError(str(path), f"unrecognised input format; name it with --input-format ({known})")
