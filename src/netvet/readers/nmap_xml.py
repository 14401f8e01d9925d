"""nmap XML reports, ``nmap -oX`` (format ``nmap-xml``).

Parsed as a stream with ``defusedxml``: entity declarations (billion laughs, external entities)
and DOCTYPEs naming an external DTD are refused with ``InputError``; the bare
``<!DOCTYPE nmaprun>`` nmap writes is accepted. A report cut short keeps every host completed
before the damage and records the parse error with its line. A root element other than
``<nmaprun>`` raises ``InputError``.

Streaming (``stream``; ``read`` is the list of its stream): the file is fed to the parser in 1 MiB chunks and
each ``<host>`` element is built, turned into its observation and dropped as soon as it is complete, so memory
does not grow with the file; the observations of a chunk are yielded once it is parsed. The file is read up to
its root element before ``stream`` returns, so that what is not an nmap report (another root element, a refused
DOCTYPE or entity declaration, not XML) raises ``InputError`` there, before any observation. Damage further on
ends the stream with the hosts before it and the counts below. The one ``InputError`` a stream can raise after
observations: a compressed input found past its decompression limits part-way (``read`` raises it too;
``pipeline.InputStream`` marks the input failed, saying how many of its observations were read).

One observation of kind ``host`` per ``<host>`` whose status is ``up``; other hosts are counted in
``stats.skipped``. The unit is the host: ``stats.read`` counts ``<host>`` elements (complete, or cut short
by damage: then malformed); damage outside any host is an error that loses no host (``stats.damaged``).
Source: the line of the ``<host>`` tag and the pointer ``/nmaprun/host[N]`` (1-based); the id is ``<file name>:<line>``.

What is taken from a host:

- ``address addrtype=ipv4|ipv6`` -> attribute ``ip`` (the first IPv4, else the first IPv6) and
  ``ipv6`` when both exist;
- ``address addrtype=mac`` -> MAC identifier (MODERATE, field ``nmap:mac``), attribute ``mac``;
  its ``vendor`` (nmap's OUI lookup) -> NAME identifier (MODERATE, field ``nmap:mac-vendor``),
  attribute ``mac_vendor``;
- ``hostnames/hostname`` -> attribute ``hostname`` (first), ``hostnames`` (all, comma-separated);
- ``port/service@product`` (with ``@version`` and ``@extrainfo``) -> TEXT identifier matched by the
  ``nmap-service`` fingerprints and ``port/service/cpe`` -> CPE identifier (MODERATE, field
  ``nmap:service:<port>/<proto>``); ``service@devicetype`` -> attribute ``kind`` (distinct values
  comma-separated, in port order); an ``http-server-header`` script -> TEXT identifier
  (``http-server`` fingerprints, MODERATE, field ``nmap:http-server-header:<port>/<proto>``);
- ``port/script[@id=ssl-cert]`` subject/issuer ``organizationName`` and ``countryName`` ->
  attributes ``ssl_subject_org``, ``ssl_subject_country``, ``ssl_issuer_org``,
  ``ssl_issuer_country`` (first certificate); each subject organisation -> NAME identifier (MODERATE,
  field ``nmap:ssl-cert:subject-org``) and the whole subject -> TEXT identifier (``tls-subject``
  fingerprints, MODERATE, field ``nmap:ssl-cert:subject``); an issuer organisation different from the subject's (a CA,
  possibly the maker's own) -> NAME identifier (WEAK, field ``nmap:ssl-cert:issuer-org``);
- OS guesses never decide a verdict (they are WEAK evidence and an attribution from them alone is not
  positive, so the host stays UNKNOWN):
  ``os//osclass@vendor`` -> NAME identifier (WEAK, field ``nmap:osclass@vendor (accuracy N%)`` with
  the best accuracy seen for that vendor); ``os//cpe`` -> CPE identifier (WEAK, field
  ``nmap:os:cpe``); the first ``osmatch`` -> attributes ``os_match`` and ``os_accuracy``.
"""

from __future__ import annotations

import ipaddress
import lzma
import os
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength, TextContext
from .base import Progress, Reader, ReadResult, ReadStream, input_position, open_input, register
from .csv_inventory import parse_mac

CHUNK = 1 << 20
REFUSED = "refused: XML entity declarations are not allowed (defusedxml)"
REFUSED_DTD = "refused: a DOCTYPE naming an external DTD is not allowed (defusedxml)"


class _NotNmap(Exception):
    def __init__(self, tag: str):
        self.tag = tag


class _HostCollector:
    """Tree-builder target that hands each completed top-level ``<host>`` to a callback and drops it."""

    def __init__(self, on_host: Callable[[Element, int, int], None]):
        self._builder = TreeBuilder()
        self._on_host = on_host
        self._stack: list[Element] = []
        self._host_line = 0
        self.hosts = 0
        self.line_of: Callable[[], int] = lambda: 0
        self.root_seen = False
        self.open_host_line: int | None = None

    def start(self, tag: str, attrs: dict) -> Element:
        if not self._stack:
            if tag != "nmaprun":
                raise _NotNmap(tag)
            self.root_seen = True
        elif len(self._stack) == 1 and tag == "host":
            self.hosts += 1
            self._host_line = self.line_of()
            self.open_host_line = self._host_line
        elem = self._builder.start(tag, attrs)
        self._stack.append(elem)
        return elem

    def end(self, tag: str) -> Element:
        elem = self._builder.end(tag)
        self._stack.pop()
        if len(self._stack) == 1:  # a child of <nmaprun> is complete
            parent = self._stack[0]
            if tag == "host":
                self.open_host_line = None
                self._on_host(elem, self._host_line, self.hosts)
            parent.remove(elem)
        return elem

    def data(self, text: str) -> None:
        self._builder.data(text)

    def close(self) -> Element | None:
        return self._builder.close()


@register
class NmapXmlReader(Reader):
    format = "nmap-xml"
    description = "nmap XML report (nmap -oX)"
    extensions = (".xml",)

    def sniff(self, path: Path, head: bytes) -> bool:
        # by content only: nmap writes <nmaprun> (or <!DOCTYPE nmaprun>) within its first lines,
        # and other XML formats share the .xml extension
        return b"<nmaprun" in head or b"<!DOCTYPE nmaprun" in head

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        stream = self.stream(path, progress)
        return ReadResult(list(stream), stream.stats)

    def stream(self, path: Path, progress: Progress | None = None) -> ReadStream:
        """The hosts as they are parsed. The file is read up to its root element before this returns, so that
        what is not an nmap report (another root, a refused DOCTYPE or entity, not XML) raises ``InputError``
        here, before any observation; ``stats`` are final at the end."""
        parse = _Parse(Path(path), ReadStats(file=str(path), format=self.format, unit="host"), progress)
        try:
            while not parse.done and not parse.collector.root_seen:
                parse.step()
        except BaseException:
            parse.close()
            raise
        return ReadStream(parse.observations(), parse.stats)



class _Parse:
    """One nmap XML file being parsed: ``step`` feeds the parser one chunk (the hosts it completes wait in
    ``ready``); ``done`` once the file ended or was damaged. A file that is not an nmap report raises
    ``InputError`` from ``step``."""

    def __init__(self, path: Path, stats: ReadStats, progress: Progress | None) -> None:
        self.path = path
        self.file = str(path)
        self.stats = stats
        self.progress = progress
        self.total = os.path.getsize(path) if path.is_file() else 0
        self.ready: list[Observation] = []
        self.done = False
        self.collector = _HostCollector(self._on_host)
        self.parser = DefusedXMLParser(target=self.collector)
        self.expat = expat = self.parser.parser
        self.collector.line_of = lambda: expat.CurrentLineNumber

        def doctype(name, sysid, pubid, has_internal_subset):
            if sysid or pubid:
                raise DTDForbidden(name, sysid, pubid)

        expat.StartDoctypeDeclHandler = doctype
        self.fh = open_input(path)

    def _on_host(self, elem: Element, line: int, index: int) -> None:
        self.stats.read += 1
        obs = _host(elem, self.path, line, index, self.stats)
        if obs is not None:
            self.ready.append(obs)

    def close(self) -> None:
        self.done = True
        self.fh.close()

    def step(self) -> None:
        """Feed the next chunk; at the end of the file, or on damage, close."""
        file, stats, collector, expat = self.file, self.stats, self.collector, self.expat
        try:
            try:
                chunk = self.fh.read(CHUNK)
            except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                reason = f"cannot decompress the rest of the file: {exc}"
                self.close()
                _damaged(file, stats, collector, reason, expat.CurrentLineNumber)
                return
            if not chunk:
                self.close()
                self.parser.close()
                return
            self.parser.feed(chunk)
            if self.progress:
                self.progress(min(input_position(self.fh) or 0, self.total), self.total)
        except (EntitiesForbidden, ExternalReferenceForbidden):
            raise InputError(file, REFUSED) from None
        except DTDForbidden:
            raise InputError(file, REFUSED_DTD) from None
        except LookupError as exc:  # the XML declaration names an encoding Python does not know
            raise InputError(file, f"not readable XML: {exc}", line=1) from None
        except _NotNmap as exc:
            raise InputError(file, f"not an nmap XML report: the root element is <{exc.tag}>, not <nmaprun>",
                             line=expat.CurrentLineNumber) from None
        except ParseError as exc:
            self.close()
            line = exc.position[0] if getattr(exc, "position", None) else None
            _damaged(file, stats, collector, f"XML parse error: {_message(exc)}", line)

    def observations(self) -> Iterator[Observation]:
        """The observations of the hosts as the chunks are parsed (``InputError`` only for a compressed input
        past its decompression limits)."""
        try:
            while True:
                ready, self.ready = self.ready, []
                yield from ready
                if self.done:
                    break
                self.step()
        finally:
            self.close()
        if self.progress:
            self.progress(self.total, self.total)


def _damaged(file: str, stats: ReadStats, collector: _HostCollector, reason: str, line: int | None) -> None:
    if not collector.root_seen:
        raise InputError(file, f"not well-formed XML: {reason}", line=line)
    complete = stats.read
    if collector.open_host_line is not None:  # a host was cut short: one unit lost
        stats.read += 1
        reason += f"; the host starting on line {collector.open_host_line} is incomplete"
        stats.problem(reason + f"; the {complete} complete hosts before it were read", line=line)
    else:  # damage outside any host: no host lost, but the input is not whole
        stats.damage(reason + f"; the {complete} complete hosts before it were read", line=line)


def _message(exc: ParseError) -> str:
    return re.sub(r":\s*line \d+, column \d+$", "", str(exc))


# ---------------------------------------------------------------------- host
class _Idents:
    def __init__(self):
        self.items: list[Identifier] = []
        self._seen: set[tuple] = set()

    def add(self, kind: IdKind, value: str, field: str, strength: Strength, context: str = "") -> None:
        value = value.strip()
        key = (kind, value, field)
        if value and key not in self._seen:
            self._seen.add(key)
            self.items.append(Identifier(kind, value, field, strength, context))


def _host(elem: Element, path: Path, line: int, index: int, stats: ReadStats) -> Observation | None:
    status = elem.find("status")
    state = status.get("state") if status is not None else None
    if state is None:
        stats.warn("host without <status>: read as up", line=line)
    elif state != "up":
        stats.skipped += 1
        return None
    ids = _Idents()
    attrs: dict[str, str] = {}
    ipv4: list[str] = []
    ipv6: list[str] = []
    for addr in elem.findall("address"):
        kind, value = addr.get("addrtype", ""), (addr.get("addr") or "").strip()
        if kind in ("ipv4", "ipv6"):
            try:
                (ipv4 if kind == "ipv4" else ipv6).append(str(ipaddress.ip_address(value)))
            except ValueError:
                stats.warn(f"invalid {kind} address {value!r}", line=line)
        elif kind == "mac":
            mac = parse_mac(value)
            if mac is None:
                stats.warn(f"invalid MAC address {value!r}", line=line)
                continue
            ids.add(IdKind.MAC, mac, "nmap:mac", Strength.MODERATE)
            attrs.setdefault("mac", mac)
            vendor = (addr.get("vendor") or "").strip()
            if vendor:
                ids.add(IdKind.NAME, vendor, "nmap:mac-vendor", Strength.MODERATE)
                attrs.setdefault("mac_vendor", vendor)
    if ipv4 or ipv6:
        attrs["ip"] = (ipv4 or ipv6)[0]
        if ipv4 and ipv6:
            attrs["ipv6"] = ipv6[0]
    else:
        stats.warn("host has no IP address", line=line)
    names = list(dict.fromkeys(h.get("name", "").strip() for h in elem.iterfind("hostnames/hostname")))
    names = [n for n in names if n]
    if names:
        attrs["hostname"] = names[0]
        if len(names) > 1:
            attrs["hostnames"] = ",".join(names)

    kinds: list[str] = []
    for port in elem.iterfind("ports/port"):
        where = f"{port.get('portid', '?')}/{port.get('protocol', '?')}"
        service = port.find("service")
        if service is not None:
            field = f"nmap:service:{where}"
            product = (service.get("product") or "").strip()
            if product:
                banner = " ".join(x for x in (product, (service.get("version") or "").strip(),
                                              (service.get("extrainfo") or "").strip()) if x)
                ids.add(IdKind.TEXT, banner, field, Strength.MODERATE, TextContext.NMAP_SERVICE)
            for cpe in service.iterfind("cpe"):
                ids.add(IdKind.CPE, cpe.text or "", field, Strength.MODERATE)
            devicetype = (service.get("devicetype") or "").strip()
            if devicetype and devicetype not in kinds:
                kinds.append(devicetype)
        for script in port.iterfind("script"):
            if script.get("id") == "ssl-cert":
                _ssl_cert(script, ids, attrs)
            elif script.get("id") == "http-server-header":
                for header in [e.text or "" for e in script.iter("elem")] or [script.get("output") or ""]:
                    ids.add(IdKind.TEXT, header, f"nmap:http-server-header:{where}", Strength.MODERATE,
                            TextContext.HTTP_SERVER)
    if kinds:
        attrs["kind"] = ",".join(kinds)

    os_elem = elem.find("os")
    if os_elem is not None:
        first = os_elem.find("osmatch")
        if first is not None and first.get("name"):
            attrs["os_match"] = first.get("name", "")
            if first.get("accuracy"):
                attrs["os_accuracy"] = first.get("accuracy", "")
        best: dict[str, int] = {}
        for osclass in os_elem.iter("osclass"):
            vendor = (osclass.get("vendor") or "").strip()
            if vendor:
                acc = _int(osclass.get("accuracy"))
                best[vendor] = max(best.get(vendor, -1), acc)
        for vendor, acc in sorted(best.items(), key=lambda kv: -kv[1]):
            field = f"nmap:osclass@vendor (accuracy {acc}%)" if acc >= 0 else "nmap:osclass@vendor"
            ids.add(IdKind.NAME, vendor, field, Strength.WEAK)
        for cpe in os_elem.iter("cpe"):
            ids.add(IdKind.CPE, cpe.text or "", "nmap:os:cpe", Strength.WEAK)

    return Observation(
        id=f"{path.name}:{line}",
        kind="host",
        source=SourceRef(file=str(path), line=line, pointer=f"/nmaprun/host[{index}]"),
        identifiers=ids.items,
        attributes=attrs,
    )


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        return -1


def _ssl_cert(script: Element, ids: _Idents, attrs: dict[str, str]) -> None:
    parts: dict[str, dict[str, str]] = {}
    for table in script.iterfind("table"):
        if table.get("key") in ("subject", "issuer"):
            parts[table.get("key", "")] = {
                e.get("key", ""): (e.text or "").strip() for e in table.iterfind("elem")}
    if not parts:  # old nmap: only the text output, "Subject: commonName=x/organizationName=y/..."
        for line in (script.get("output") or "").splitlines():
            head, _, rest = line.partition(":")
            if head.strip().lower() in ("subject", "issuer"):
                parts[head.strip().lower()] = dict(
                    kv.split("=", 1) for kv in rest.strip().split("/") if "=" in kv)
    subject, issuer = parts.get("subject", {}), parts.get("issuer", {})
    s_org, i_org = subject.get("organizationName", "").strip(), issuer.get("organizationName", "").strip()
    for key, value in (("ssl_subject_org", s_org), ("ssl_subject_country", subject.get("countryName", "")),
                       ("ssl_issuer_org", i_org), ("ssl_issuer_country", issuer.get("countryName", ""))):
        if value.strip():
            attrs.setdefault(key, value.strip())
    if s_org:
        ids.add(IdKind.NAME, s_org, "nmap:ssl-cert:subject-org", Strength.MODERATE)
    if subject:
        text = ", ".join(f"{k}={v}" for k, v in subject.items() if v)
        ids.add(IdKind.TEXT, text, "nmap:ssl-cert:subject", Strength.MODERATE, TextContext.TLS_SUBJECT)
    if i_org and i_org != s_org:
        ids.add(IdKind.NAME, i_org, "nmap:ssl-cert:issuer-org", Strength.WEAK)
