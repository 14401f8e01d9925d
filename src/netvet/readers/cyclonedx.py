"""CycloneDX bills of materials in JSON (format ``cyclonedx-json``): SBOM, HBOM, firmware BOMs.

Spec versions 1.4, 1.5 and 1.6 are read fully; 1.2 and 1.3 are read with a warning (they lack
``manufacturer`` and ``address``); other versions are read by the 1.6 field names with a warning.
The document must have ``"bomFormat": "CycloneDX"``; other JSON raises ``InputError`` (and is not
sniffed), as does malformed JSON (with line and column).

One observation per component object, its kind the component ``type`` (device, firmware,
library, application, operating-system, framework, container, platform, device-driver, file,
machine-learning-model, data, cryptographic-asset; another value is kept, with a warning). Sources
are JSON pointers: ``/metadata/component``, ``/components/4``, ``/components/0/components/2``; ids
are ``<file name>:<pointer>``. ``parent`` is the id of the enclosing component for nested
``components``, and of ``/metadata/component`` (the thing the BOM describes) for top-level ones.

Per component:

- ``supplier.name`` -> NAME identifier (MODERATE, field ``cyclonedx:supplier``);
- ``manufacturer.name`` (1.6) -> NAME identifier (MODERATE, field ``cyclonedx:manufacturer``);
- for ``/metadata/component`` also ``metadata.manufacturer`` (1.6), ``metadata.manufacture``
  (1.5) and ``metadata.supplier`` -> NAME identifiers (MODERATE, fields
  ``cyclonedx:metadata.manufacturer`` / ``cyclonedx:metadata.supplier``);
- ``publisher`` -> NAME identifier (MODERATE, field ``cyclonedx:publisher``);
- ``author`` and ``authors[].name`` -> NAME identifiers (WEAK, field ``cyclonedx:author``: often a person);
- ``cpe`` -> CPE identifier (MODERATE, field ``cyclonedx:cpe``); a value that is not ``cpe:2.3:...``
  or ``cpe:/...`` is kept as attribute ``cpe`` with a warning;
- attributes ``name``, ``group``, ``version``, ``description``, ``purl``, ``bom_ref``, ``supplier``,
  ``manufacturer``, ``publisher``, ``supplier_url`` (first url), ``<role>_country`` from an
  organisational entity's ``address.country`` (1.6), and ``property:<name>`` per ``properties`` entry.

A component without ``type`` or ``name`` is malformed (recorded with its pointer, no observation;
its nested components are still read).

The BOM's subject: ``metadata.manufacturer`` (1.6; ``metadata.manufacture`` in 1.5) and
``metadata.supplier`` describe what the BOM is about. With a ``metadata.component`` they are added to
its observation (above); without one, and even when the BOM lists no components, they still make one
observation of kind ``bom-subject`` at pointer ``/metadata`` (id ``<file name>:/metadata``) with those
NAME identifiers (MODERATE, like every organisational entity of a BOM: fields
``cyclonedx:metadata.manufacturer`` / ``cyclonedx:metadata.supplier``) and the attributes
``metadata_manufacturer``, ``metadata_supplier`` and their ``_country``; it is the ``parent`` of the
top-level components.

Counts, in components (``stats.unit``): ``stats.read`` counts component objects (elements of a
``components`` array and ``metadata.component``), the ``bom-subject`` observation, and data after the
end of the JSON document (one malformed record, at its byte offset); ``read = attributed + unattributed
+ malformed`` (nothing is skipped).

Streaming (``stream``; ``read`` is the list of its stream): the file is read twice with ``ijson``
(``readers.jsonstream``), never held whole. The first pass, before ``stream`` returns, checks the JSON syntax of
the whole file and reads the small top-level fields wherever they stand (``bomFormat``, ``metadata``; JSON key
order is free, so they may follow ``components``), reading ``components`` past without building them. A file
that is not JSON, not CycloneDX or malformed anywhere (even in its last byte) is refused there, with
``InputError``, before any observation is yielded. The second pass yields the observations: those of
``/metadata`` first (built in the first pass), then each top-level component with its nested components as
soon as that element of ``components`` is complete (a component's ``type`` and ``name`` may follow its nested
``components``, and the parent comes before its children). Observations, their order, ids, parents and
pointers, the counts and the problems and warnings (in their order) are those of a single pass over the
whole document. Memory is bounded by the largest element of ``components`` (or ``metadata``) with its nested
components, not by the file; one component object is built at a time, without the fields this reader does not
use. A file that changes between the two passes is counted (one malformed record saying so), never read as
clean.

Hostile input: binary data (a NUL byte in the first 4 KiB) raises ``InputError``. A component nested
deeper than ``Limits.max_json_depth`` (100 levels of arrays and objects) is malformed, its sub-tree
read past; a number outside 64-bit integers or doubles (``"version": 9999...``) and every other syntax
error make the file malformed JSON (``InputError`` from the first pass, with line and column for files up to
8 MiB, else the byte offset of the 64 KiB buffer the parser failed in). Data after the end of the JSON document
is one malformed record (above), the rest of the file is read.
"""

from __future__ import annotations

import lzma
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength
from . import jsonstream
from .base import (
    TEXT_HEAD,
    Progress,
    Reader,
    ReadResult,
    ReadStream,
    input_position,
    open_input,
    refuse_binary,
    register,
)

FULL_VERSIONS = ("1.4", "1.5", "1.6")
REDUCED_VERSIONS = ("1.2", "1.3")
COMPONENT_TYPES = frozenset({
    "application", "framework", "library", "container", "platform", "operating-system", "device",
    "device-driver", "firmware", "file", "machine-learning-model", "data", "cryptographic-asset",
})
_CPE_RE = re.compile(r"^cpe:(?:2\.3:[aho*\-]:|/[aho]?:?)", re.IGNORECASE)
_SNIFF_FORMAT = re.compile(rb'"bomFormat"\s*:\s*"CycloneDX"')
PROGRESS_EVERY = 5000  # components
SUBJECT_KIND = "bom-subject"  # the observation for a BOM subject named only by metadata.manufacturer/supplier
SNIFF_HEAD = 4096  # bytes base.detect hands to sniff


def pointer(*parts: str | int) -> str:
    """JSON pointer (RFC 6901) of the given path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@register
class CycloneDxReader(Reader):
    format = "cyclonedx-json"
    description = "CycloneDX BOM in JSON (1.2-1.6): devices, firmware, hardware and software components"
    extensions = (".cdx.json", ".bom.json")

    def sniff(self, path: Path, head: bytes) -> bool:
        if _SNIFF_FORMAT.search(head):
            return True
        # bomFormat may come after a long metadata block: then trust the CycloneDX file name
        # convention, unless the head is the whole file or names another format
        if len(head) < SNIFF_HEAD or b'"bomFormat"' in head or b'"spdxVersion"' in head:
            return False
        return path.name.lower().endswith(self.extensions) and head.lstrip().startswith(b"{")

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        stream = self.stream(path, progress)
        return ReadResult(list(stream), stream.stats)

    def stream(self, path: Path, progress: Progress | None = None) -> ReadStream:
        """The components as they are read. The first pass (syntax of the whole file, ``bomFormat``,
        ``metadata``) runs before this returns, so that a file that cannot be read raises ``InputError`` here;
        the observations come from the second; ``stats`` are final at the end."""
        path = Path(path)
        file = str(path)
        stats = ReadStats(file=file, format=self.format, unit="component")
        total = os.path.getsize(path) if path.is_file() else 0
        try:
            with open_input(path) as fh:
                head = fh.read(jsonstream.EXACT_ERROR_MAX + 1)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise InputError(file, f"cannot decompress: {exc}") from None
        refuse_binary(file, head[:TEXT_HEAD], "CycloneDX BOM")
        small = head if len(head) <= jsonstream.EXACT_ERROR_MAX else None
        del head
        version = _version(path)
        scan = _Walker(path, ReadStats(file=file, format=self.format, unit="component"))
        try:
            with open_input(path) as fh:
                scan.events = jsonstream.Events(fh)
                if progress:  # the first pass is the first half of the progress
                    scan.progress = lambda: progress(min(input_position(fh) or 0, total) // 2, total)
                scan.prescan()
        except jsonstream.JsonSyntaxError as exc:
            if not exc.after_document:
                raise _syntax_error(file, exc, small) from None
            # data after the document: the second pass meets it again and counts it
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise InputError(file, f"cannot decompress: {exc}") from None
        return ReadStream(self._observations(path, scan, stats, version, total, progress), stats)

    def _observations(self, path: Path, scan: _Walker, stats: ReadStats, version: tuple | None, total: int,
                      progress: Progress | None) -> Iterator[Observation]:
        """The second pass: the observations of ``/metadata`` (from the first pass), then the components."""
        walker = _Walker(path, stats)
        walker.root_id = scan.root_id
        chunks = iter(scan.chunks)
        metadata = scan.meta_out
        del scan
        for obs in metadata:
            if obs is not None:
                yield obs
        del metadata
        try:
            with open_input(path) as fh:
                walker.events = jsonstream.Events(fh)
                if progress:
                    walker.progress = lambda: progress(total // 2 + min(input_position(fh) or 0, total) // 2,
                                                       total)
                yield from walker.document(chunks)
        except jsonstream.JsonSyntaxError as exc:
            if exc.after_document:
                stats.read += 1  # trailing data: counted as one more record, malformed
                stats.problem(f"data after the end of the JSON document ({exc.reason})", offset=exc.offset)
            else:
                _changed(stats, f"malformed JSON in the second pass: {exc.reason}", exc.offset)
        except _Changed as exc:
            _changed(stats, exc.reason, None)
        except InputError as exc:
            _changed(stats, exc.issue.reason, exc.issue.offset)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            _changed(stats, f"cannot decompress: {exc}", None)
        walker.finish()
        if _version(path) != version:
            _changed(stats, "the file was modified while it was read", None)
        if progress:
            progress(total, total)


class _Changed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _version(path: Path) -> tuple | None:
    """What tells that a file changed between the two passes: its size and modification time."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _changed(stats: ReadStats, reason: str, offset: int | None) -> None:
    """A second pass that does not meet what the first one checked: the file changed in between. One record,
    malformed, so that the input never looks clean."""
    stats.read += 1
    stats.problem(f"the file changed between the two passes of the reader ({reason}); its observations may "
                  "mix two versions of it", offset=offset)


def _merge(stats: ReadStats, chunk: ReadStats | None) -> None:
    """Add the counts and issues of a ``metadata`` value read in the first pass, at the place of that value in the
    second (so the issues keep the document's order and the cap on itemised issues applies as in one pass)."""
    if chunk is None:
        return
    stats.read += chunk.read
    stats.malformed += chunk.malformed
    for issue in chunk.issues:
        if len(stats.issues) < stats.max_issues:
            stats.issues.append(issue)
        else:
            stats.problems_not_shown += 1
    stats.problems_not_shown += chunk.problems_not_shown


def _syntax_error(file: str, exc: jsonstream.JsonSyntaxError, small: bytes | None) -> InputError:
    """The InputError for malformed JSON: line and column from Python's ``json`` when the file is small
    enough to re-parse (a few MiB), else the parser's reason and the buffer offset it failed in."""
    if small is not None:
        exact = jsonstream.exact_error(small)
        if exact is not None:
            msg, line, col = exact
            return InputError(file, f"malformed JSON: {msg} (line {line}, column {col})", line=line)
        return InputError(file, f"malformed JSON: {exc.reason} (line {jsonstream.line_of(small, exc.offset)} "
                                f"or after)", line=jsonstream.line_of(small, exc.offset))
    return InputError(file, f"malformed JSON: {exc.reason} (at or after byte offset {exc.offset})",
                      offset=exc.offset)


def _check_version(spec: Any, stats: ReadStats) -> None:
    if not isinstance(spec, str):
        stats.warn("no specVersion: read by the CycloneDX 1.6 field names")
    elif spec in REDUCED_VERSIONS:
        stats.warn(f"CycloneDX {spec} is read with reduced support (netvet reads 1.4-1.6 fully; "
                   f"{spec} has no manufacturer or address fields)")
    elif spec not in FULL_VERSIONS:
        stats.warn(f"unknown CycloneDX specVersion {spec!r}: read by the 1.6 field names")


def _metadata_identifiers(metadata: dict, stats: ReadStats) -> tuple[list[Identifier], dict[str, str]]:
    idents: list[Identifier] = []
    attrs: dict[str, str] = {}
    for key, field in (("manufacturer", "cyclonedx:metadata.manufacturer"),
                       ("manufacture", "cyclonedx:metadata.manufacturer"),
                       ("supplier", "cyclonedx:metadata.supplier")):
        entity = metadata.get(key)
        if entity is None:
            continue
        if not isinstance(entity, dict):
            stats.warn(f"{pointer('metadata', key)}: not an organisational entity; ignored")
            continue
        name = _text(entity.get("name"))
        if name and not any(i.value == name and i.field == field for i in idents):
            idents.append(Identifier(IdKind.NAME, name, field, Strength.MODERATE))
        role = "metadata_" + ("supplier" if key == "supplier" else "manufacturer")
        if name:
            attrs.setdefault(role, name)
        country = _country(entity)
        if country:
            attrs.setdefault(f"{role}_country", country)
    return idents, attrs


def _country(entity: dict) -> str:
    address = entity.get("address")
    return _text(address.get("country")) if isinstance(address, dict) else ""


class _Pending:
    """The parent of components read before their enclosing component is complete (a component's ``type``
    and ``name`` may come after its nested ``components``): patched when it is known."""

    __slots__ = ("children",)

    def __init__(self) -> None:
        self.children: list[Observation] = []

    def resolve(self, parent: str | _Pending | None) -> None:
        if isinstance(parent, _Pending):
            parent.children.extend(self.children)
        else:
            for obs in self.children:
                obs.parent = parent
        self.children = []


_KEEP = frozenset({"type", "name", "group", "version", "description", "purl", "bom-ref", "supplier",
                   "manufacturer", "publisher", "author", "authors", "cpe", "properties"})


class _Walker:
    """Walks the JSON events of a BOM; builds one component object at a time (its nested ``components``
    are walked, not built), keeping only the fields it reads. ``prescan`` is the first pass (syntax, ``bomFormat``,
    ``metadata``), ``document`` the second (the components, as a generator)."""

    def __init__(self, path: Path, stats: ReadStats):
        self.path = path
        self.stats = stats
        self.events: jsonstream.Events | None = None
        self.progress = None
        self.meta_out: list[Observation | None] = []  # the observations of /metadata (first pass)
        self.out = self.meta_out  # where _collect reserves the slot of each component, in document order
        self.chunks: list[ReadStats] = []  # the counts and issues of each ``metadata`` value (first pass)
        self.root_id: str | None = None  # parent of the top-level components: /metadata/component (or /metadata)
        self.bom_format: Any = None
        self.spec_seen = False
        self.count = 0

    # ------------------------------------------------------------------ document
    def prescan(self) -> None:
        """The first pass: the whole file's syntax, ``bomFormat`` and ``metadata`` (its observations in
        ``meta_out``, its counts and issues in ``chunks``, one per ``metadata`` key); ``components`` read past."""
        ev = self.events
        first = ev.expect()
        if first[0] != "start_map":
            ev.skip(first)
            raise InputError(str(self.path), 'not a CycloneDX BOM: no "bomFormat": "CycloneDX"')
        for key, vev in ev.keys(first):
            if key == "bomFormat":
                self.bom_format = self._scalar(vev)
                if self.bom_format != "CycloneDX":
                    break
            elif key == "metadata":
                self.stats = ReadStats(file=self.stats.file, format=self.stats.format, unit=self.stats.unit)
                self.chunks.append(self.stats)
                self.metadata(vev)
            elif key == "components" and vev[0] == "start_array":
                for i, item in ev.items(vev):
                    ev.skip(item)
                    if self.progress and i % PROGRESS_EVERY == PROGRESS_EVERY - 1:
                        self.progress()
            else:
                ev.skip(vev)
        if self.bom_format != "CycloneDX":
            raise InputError(str(self.path), 'not a CycloneDX BOM: no "bomFormat": "CycloneDX"')
        if ev.next() is not None:  # a second JSON value after the document
            raise jsonstream.JsonSyntaxError("a second JSON value", ev.offset, after_document=True)

    def document(self, chunks: Iterator[ReadStats]) -> Iterator[Observation]:
        """The second pass over a document ``prescan`` accepted: the components of each element of the
        top-level ``components`` once it is complete; ``chunks`` (the first pass's metadata counts) are merged
        where their ``metadata`` stands."""
        ev = self.events
        first = ev.expect()
        if first[0] != "start_map":
            raise _Changed("the document is no longer a JSON object")
        for key, vev in ev.keys(first):
            if key == "bomFormat":
                self.bom_format = self._scalar(vev)
            elif key == "specVersion":
                self.spec_seen = True
                _check_version(self._scalar(vev), self.stats)
            elif key == "metadata":
                ev.skip(vev)
                _merge(self.stats, next(chunks, None))
            elif key == "components":
                yield from self.top_components(vev)
            else:
                ev.skip(vev)
        if ev.next() is not None:  # a second JSON value after the document
            raise jsonstream.JsonSyntaxError("a second JSON value", ev.offset, after_document=True)

    def finish(self) -> None:
        if self.bom_format == "CycloneDX" and not self.spec_seen:
            self.stats.warn("no specVersion: read by the CycloneDX 1.6 field names")

    def _scalar(self, vev) -> Any:
        """The value of a scalar field; an array or object (never a valid ``bomFormat`` or ``specVersion``) is
        read past, not built: None."""
        if vev[0] in ("start_map", "start_array"):
            self.events.skip(vev)
            return None
        return vev[1]

    def metadata(self, vev) -> None:
        ev, stats = self.events, self.stats
        if vev[0] == "null":
            return
        if vev[0] != "start_map":
            ev.skip(vev)
            stats.warn("/metadata: not an object; ignored")
            return
        entities: dict[str, Any] = {}
        state = None
        mark = (0, 0, 0)  # the counts and output slot before the last "component" was read
        comp_seen = False
        for key, kev in ev.keys(vev):
            if key == "component":
                if kev[0] == "null":
                    continue
                comp_seen = True
                if kev[0] == "start_map":
                    if state is not None:  # "component" given again: the last one is read, as a JSON parser does
                        self._superseded(state, mark)
                    mark = (stats.read, stats.malformed, len(self.out))
                    state = self._collect(kev, ("metadata", "component"))
                else:
                    ev.skip(kev)
                    stats.read += 1
                    stats.problem(f"{pointer('metadata', 'component')}: not an object")
            elif key in ("manufacturer", "manufacture", "supplier"):
                try:
                    entities[key] = ev.value(kev)
                except jsonstream.JsonDepthError as exc:
                    stats.warn(f"{pointer('metadata', key)}: {exc.reason}; ignored")
            else:
                ev.skip(kev)
        extra = _metadata_identifiers(entities, stats)
        if state is not None:
            self.root_id = self._finish(state, None, extra)
        elif not comp_seen and (extra[0] or extra[1]):
            # the BOM names who made or supplies its subject but not the subject itself: the subject is
            # still evidence, one observation at /metadata
            stats.read += 1
            ptr = "/metadata"
            obs = Observation(id=f"{self.path.name}:{ptr}", kind=SUBJECT_KIND,
                              source=SourceRef(file=str(self.path), pointer=ptr),
                              identifiers=list(extra[0]), attributes=dict(extra[1]))
            self.meta_out.append(obs)
            self.root_id = obs.id

    def _superseded(self, state: tuple, mark: tuple[int, int, int]) -> None:
        """An earlier ``/metadata/component`` that a later one replaces: it and its nested components (from ``mark``:
        the counts and the output slot before it was read) are malformed, their observations dropped, so that
        nothing read goes uncounted."""
        read0, malformed0, slot0 = mark
        stats = self.stats
        good = (stats.read - read0) - (stats.malformed - malformed0)
        for i in range(slot0, len(self.out)):
            self.out[i] = None
        stats.problem(f"{state[0]}: given more than once in /metadata; the last one is read, this one and the "
                      f"{good - 1} components nested in it are not")
        stats.malformed += good - 1

    # ------------------------------------------------------------------ components
    def top_components(self, vev) -> Iterator[Observation]:
        """The top-level ``components``: each element's observations (the element's, then its nested
        components', in document order) once the element is complete."""
        if vev[0] != "start_array":
            self.components(vev, ("components",), self.root_id)
            return
        for i, item in self._objects(vev, ("components",)):
            self.out = out = []
            self._finish(self._collect(item, ("components", i)), self.root_id)
            self.out = self.meta_out
            for obs in out:
                if obs is not None:
                    yield obs

    def components(self, vev, at: tuple, parent) -> None:
        ev, stats = self.events, self.stats
        if vev[0] == "null":
            return
        if vev[0] != "start_array":
            ev.skip(vev)
            stats.warn(f"{pointer(*at)}: not an array; ignored")
            return
        for i, item in self._objects(vev, at):
            self._finish(self._collect(item, (*at, i)), parent)

    def _objects(self, vev, at: tuple) -> Iterator[tuple[int, Any]]:
        """(index, first event) of each object in the ``components`` array that starts with ``vev``; an element that
        is not an object is read past and counted, malformed."""
        ev, stats = self.events, self.stats
        for i, item in ev.items(vev):
            if item[0] != "start_map":
                ev.skip(item)
                stats.read += 1
                stats.problem(f"{pointer(*at, i)}: component is not an object")
                continue
            yield i, item

    def _collect(self, first, at: tuple) -> tuple:
        """Read one component object: (pointer, fields kept, why it is unusable, slot, pending)."""
        ev, stats = self.events, self.stats
        stats.read += 1
        self.count += 1
        if self.progress and self.count % PROGRESS_EVERY == 0:
            self.progress()
        ptr = pointer(*at)
        slot = len(self.out)
        self.out.append(None)
        out = self.out
        if ev.depth > ev.max_depth:
            ev.skip(first)
            return ptr, {}, f"{ptr}: nested deeper than {ev.max_depth} levels (limit max_json_depth)", (out, slot), None
        pending = _Pending()
        comp: dict[str, Any] = {}
        bad = None
        for key, kev in ev.keys(first):
            if key == "components":
                self.components(kev, (*at, "components"), pending)
            elif key in _KEEP:
                try:
                    comp[key] = ev.value(kev)
                except jsonstream.JsonDepthError as exc:
                    bad = bad or f"{pointer(*at, key)}: {exc.reason}"
            else:
                ev.skip(kev)
        return ptr, comp, bad, (out, slot), pending

    def _finish(self, state: tuple, parent, extra: tuple[list[Identifier], dict[str, str]] | None = None
                ) -> str | None:
        ptr, comp, bad, (out, slot), pending = state
        stats = self.stats
        obs_id = None
        if bad:
            stats.problem(bad)
        else:
            ctype, name = _text(comp.get("type")), _text(comp.get("name"))
            missing = [k for k, v in (("type", ctype), ("name", name)) if not v]
            if missing:
                stats.problem(f"{ptr}: component has no {' or '.join(repr(m) for m in missing)}")
            else:
                if ctype not in COMPONENT_TYPES:
                    stats.warn(f"{ptr}: unknown component type {ctype!r}")
                obs = self._observation(comp, ptr, ctype, name, None, extra)
                if isinstance(parent, _Pending):
                    parent.children.append(obs)
                else:
                    obs.parent = parent
                out[slot] = obs
                obs_id = obs.id
        if pending is not None:
            pending.resolve(obs_id if obs_id is not None else parent)
        return obs_id

    def _observation(self, comp: dict, ptr: str, ctype: str, name: str, parent: str | None,
                     extra: tuple[list[Identifier], dict[str, str]] | None) -> Observation:
        idents: list[Identifier] = []
        attrs: dict[str, str] = {"name": name}

        def add(kind: IdKind, value: str, field: str, strength: Strength) -> None:
            if value and not any(i.value == value and i.field == field for i in idents):
                idents.append(Identifier(kind, value, field, strength))

        for key in ("group", "version", "description", "purl", "bom-ref"):
            if _text(comp.get(key)):
                attrs[key.replace("-", "_")] = _text(comp[key])
        for role in ("supplier", "manufacturer"):
            entity = comp.get(role)
            if entity is None:
                continue
            if not isinstance(entity, dict):
                self.stats.warn(f"{ptr}/{role}: not an organisational entity; ignored")
                continue
            org = _text(entity.get("name"))
            if org:
                add(IdKind.NAME, org, f"cyclonedx:{role}", Strength.MODERATE)
                attrs[role] = org
            if country := _country(entity):
                attrs[f"{role}_country"] = country
            urls = entity.get("url")
            if role == "supplier" and isinstance(urls, list) and urls and _text(urls[0]):
                attrs["supplier_url"] = _text(urls[0])
        if publisher := _text(comp.get("publisher")):
            add(IdKind.NAME, publisher, "cyclonedx:publisher", Strength.MODERATE)
            attrs["publisher"] = publisher
        add(IdKind.NAME, _text(comp.get("author")), "cyclonedx:author", Strength.WEAK)
        authors = comp.get("authors")
        if isinstance(authors, list):
            for a in authors:
                if isinstance(a, dict):
                    add(IdKind.NAME, _text(a.get("name")), "cyclonedx:author", Strength.WEAK)
        if cpe := _text(comp.get("cpe")):
            if _CPE_RE.match(cpe):
                add(IdKind.CPE, cpe, "cyclonedx:cpe", Strength.MODERATE)
            else:
                self.stats.warn(f"{ptr}/cpe: not a CPE name: {cpe[:60]!r}")
                attrs["cpe"] = cpe
        props = comp.get("properties")
        if isinstance(props, list):
            for p in props:
                if isinstance(p, dict) and _text(p.get("name")) and isinstance(p.get("value"), str):
                    attrs.setdefault(f"property:{_text(p['name'])}", p["value"])
        if extra:
            for ident in extra[0]:
                add(ident.kind, ident.value, ident.field, ident.strength)
            for k, v in extra[1].items():
                attrs.setdefault(k, v)
        return Observation(
            id=f"{self.path.name}:{ptr}",
            kind=ctype,
            source=SourceRef(file=str(self.path), pointer=ptr),
            identifiers=idents,
            attributes=attrs,
            parent=parent,
        )
