"""Saved network-device CLI output, parsed with ntc-templates (format ``device-cli``).

Input: a text file holding the output of one command, or a capture of several commands where each command
line carries its prompt (``core1#show version``, ``core1(config)#...``, ``<HUAWEI>display version``,
``[H3C]display device manuinfo``, ``[~PE1]...``). The capture is split on prompt lines and each section is
parsed with the TextFSM template that the `ntc-templates <https://github.com/networktocode/ntc-templates>`_
index names for the platform and command (the records of ``ntc_templates.parse.parse_output``, run through
TextFSM directly for speed). Gzip, bz2, xz and zstd inputs are read
transparently; CR/LF line ends, ANSI cursor sequences, backspaces and pager prompts (``---- More ----``,
``--More--``) are cleaned up first. Non-UTF-8 text is read as Latin-1 with a warning.

Supported platforms and commands (abbreviations such as ``sh ver`` or ``dis lldp nei`` are accepted):

=============  ============================  ====================================================
platform       command                       observations
=============  ============================  ====================================================
``cisco_ios``  ``show version``              the device: model, serial, software version, hostname
``cisco_ios``  ``show inventory``            one ``component`` per entry (chassis, modules, PSUs ...)
``cisco_ios``  ``show mac address-table``    one ``mac-table-entry`` per row
``huawei_vrp`` ``display version``           the device: model, VRP and product version
``huawei_vrp`` ``display device``            one ``component`` per slot row (boards, PSUs, fans)
``huawei_vrp`` ``display lldp neighbor``     one ``neighbor`` per LLDP neighbour
``huawei_vrp`` ``display mac-address``       one ``mac-table-entry`` per row
``hp_comware`` ``display device manuinfo``   one ``component`` per chassis/slot/fan/power entry
``hp_comware`` ``display version``           vendor, model, version from the banner (no template)
=============  ============================  ====================================================

Which platform and command produced a section: the prompt line names the command; its style names the
family (``host#``/``host>``: ``cisco_ios``; ``<host>``/``[host]``: ``huawei_vrp``, or ``hp_comware`` for
``display device manuinfo`` and for output mentioning Comware). Text without a prompt is recognised from a file
name ``<platform>_<command>[N][_anything].<ext>`` as in the ntc-templates test data (e.g.
``cisco_ios_show_version.raw``, ``huawei_vrp_display_lldp_neighbor4.raw``), else from its content (banners such
as "Cisco IOS Software" or "Huawei Versatile Routing Platform", table headers, ``VENDOR_NAME`` fields ...).

Observations (ids ``<file name>:<line>``, the line where the record starts; the device is ``<file name>#device``):

- one ``device`` per capture (when at least one section was parsed), with attributes ``platform``, ``vendor``,
  ``model``, ``serial``, ``software_version``, ``hostname`` (from ``show version``, else the prompt),
  ``software_image``, ``product_version``, ``patch_version`` where known. Model and serial come from the
  version output, else the first chassis entry of ``show inventory`` / ``display device manuinfo``, else (model)
  the ``<model>'s Device status:`` header of ``display device``. NAME identifiers, each value once:
  the vendor a version banner names (STRONG, ``cli:banner``, see ``BANNER_VENDORS``); the vendor of a platform
  named by the file name (STRONG, ``cli:platform``; ``cisco_ios`` -> Cisco, ``huawei_vrp`` -> Huawei,
  ``hp_comware`` names none: H3C and HPE both ship Comware); the ``VENDOR_NAME`` of the first chassis in
  ``display device manuinfo`` (STRONG, ``cli:manuinfo@VENDOR_NAME``: the chassis' own EEPROM). A platform
  inferred only from the prompt style names no vendor (many vendors copy the Cisco CLI). MACs of
  ``show version`` -> MAC identifiers (MODERATE, ``cli:version@mac_address``).
- ``component`` (``parent`` = the device): attributes ``component_type`` (chassis, board, module, psu, fan,
  transceiver), ``name``, ``model`` (a Cisco PID's trailing ``=``, the spare-part mark, is removed; ``pid``
  keeps it), ``serial``, ``description``, ``hardware_version``, ``slot``, ``chassis``, ``status``, ``ha_role``,
  ``manufacturing_date``, ``vendor``, ``mac``; Comware ``VENDOR_NAME`` -> NAME identifier (MODERATE,
  ``cli:manuinfo@VENDOR_NAME``), ``MAC_ADDRESS`` -> MAC identifier (MODERATE, ``cli:manuinfo@MAC_ADDRESS``).
  Cisco ``show inventory`` and VRP ``display device`` name no vendor: their components carry none.
- ``mac-table-entry``: a MAC the device has learnt (a neighbour, not a part of it): MAC identifier (MODERATE,
  ``cli:mac-table``), attributes ``mac``, ``vlan``, ``port``, ``type``, ``seen_by`` (the device id).
- ``neighbor`` (LLDP): attributes ``hostname`` (system name), ``system_description``, ``chassis_id``,
  ``chassis_id_type``, ``port_id``, ``port_description``, ``local_interface``, ``ip`` (management address),
  ``capabilities``, ``seen_by``; a chassis id that is a MAC -> MAC identifier (MODERATE, ``cli:lldp@chassis_id``);
  a known vendor string in the system description -> NAME identifier (WEAK, ``cli:lldp@system_description``);
  an LLDP-MED manufacturer -> NAME identifier (MODERATE, ``cli:lldp@manufacturer``).

``BANNER_VENDORS`` (banner text -> vendor name; used for version banners and LLDP system descriptions):
"Cisco IOS", "Cisco Internetwork Operating System", "Cisco NX-OS", "Cisco Nexus Operating System", "Cisco
Adaptive Security Appliance", "IOS-XE"/"IOS XR" -> Cisco; "Huawei Versatile Routing Platform", "Huawei
Technologies", "Huawei YunShan OS" -> Huawei; "H3C Comware", "New H3C Technologies", "Hangzhou H3C" -> H3C;
"HPE Comware", "HP Comware", "Hewlett Packard Enterprise" -> Hewlett Packard Enterprise; "ZXROS", "ZXR10",
"ZTE Corporation" -> ZTE; "JUNOS", "Juniper Networks" -> Juniper Networks; "Arista Networks EOS" -> Arista
Networks.

Problems (``stats.read`` counts records: parsed rows, plus every entry or section that yielded none):

- a section whose platform or command cannot be told (no prompt, file name or known content) is malformed at
  the line where it starts; so is a supported command with no output, or whose output yields no record (every
  line rejected by the template, or nothing recognised);
- each line the template rejects (TextFSM ``Error`` state) among good ones is malformed: it is reported and
  parsing resumes without it, so a truncated last row costs only that row; so is each entry line (a MAC row,
  ``NAME:`` line, ``DEVICE_NAME``, ``Neighbor index`` ...) that yields no record (e.g. truncated output);
- a command netvet does not read (``show clock``, ``show running-config`` ...) and a command the device rejected
  (``% Invalid input``, ``Error: Unrecognized command``) are skipped with a warning; text before the first
  prompt that is not a known output (a login banner) is skipped with a warning; session commands (``terminal``,
  ``screen-length``, ``system-view``, ``enable``, ``quit`` ... see ``SESSION_VERBS``) and commands netvet does
  not read that printed nothing are ignored;
- a ``show inventory`` entry without its ``PID: ... SN:`` line (cut off) is kept with a warning;
- a serial number shared by several components, and prompts naming several hosts, give warnings;
- an empty file gives a warning and no observation. Only an unreadable file raises ``InputError``.
"""

from __future__ import annotations

import importlib.util
import io
import ipaddress
import lzma
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength
from .base import Progress, Reader, ReadResult, open_input, register
from .csv_inventory import parse_mac

MAX_BYTES = 256 * 1024 * 1024  # a capture larger than this is refused (read into memory)
MAX_REJECTED_LINES = 50  # per section: lines the template rejects before the section is given up
SEARCH_AHEAD = 64  # entry lines searched ahead for the text of one record

PLATFORM_VENDORS = {"cisco_ios": "Cisco", "huawei_vrp": "Huawei"}  # hp_comware: H3C or HPE, not known

# Banner text -> vendor name (names as the registry's aliases spell them).
BANNER_VENDORS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), v) for p, v in (
    (r"\bCisco (?:IOS|Internetwork Operating System|NX-OS|Nexus Operating System|Adaptive Security Appliance)\b"
     r"|\bIOS[- ]X[ER]\b", "Cisco"),
    (r"\bHuawei (?:Versatile Routing Platform|Technologies|YunShan OS)\b", "Huawei"),
    (r"\bH3C Comware\b|\bNew H3C Technologies\b|\bHangzhou H3C\b", "H3C"),
    (r"\bHPE? Comware\b|\bHewlett Packard Enterprise\b", "Hewlett Packard Enterprise"),
    (r"\bZXROS\b|\bZXR10\b|\bZTE Corporation\b", "ZTE"),
    (r"\bJUNOS\b|\bJuniper Networks\b", "Juniper Networks"),
    (r"\bArista Networks EOS\b", "Arista Networks"),
))

PLACEHOLDERS = frozenset({"", "-", "--", "n/a", "na", "none", "null", "unknown", "?"})
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst")
_NAME_EXTENSIONS = (".raw", ".txt", ".log", ".out", ".cli")


@dataclass(frozen=True)
class CommandSpec:
    """One supported platform/command: how to recognise it and how to find its records in the text."""

    platform: str
    command: str  # as the ntc-templates index knows it
    patterns: tuple[str, ...]  # ntc-templates index syntax: "sh[[ow]] ver[[sion]]"
    handler: str  # version | inventory | manuinfo | vrp-device | mac-table | lldp
    fingerprint: tuple[str, ...] = ()  # regexes (multi-line) that must all match output without a command line
    entry: str | None = None  # a line that starts one record
    key: str | None = None  # record field whose value must appear in the record's lines
    complete: tuple[str, str] | None = None  # (regex, description) of a line every complete record has
    template: bool = True  # False: ntc-templates has none; only the banner is read

    def matches(self, command: str) -> bool:
        return any(rx.fullmatch(command.strip()) for rx in _compiled(self.patterns))


@lru_cache(maxsize=128)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(abbreviation_regex(p) for p in patterns)


def abbreviation_regex(pattern: str) -> re.Pattern[str]:
    """The ntc-templates index syntax as a regex for whole commands: ``sh[[ow]]`` accepts sh, sho, show."""
    out = []
    for part in re.split(r"(\[\[.+?\]\])", pattern):
        if part.startswith("[["):
            tail = ""
            for ch in reversed(part[2:-2]):
                tail = f"(?:{re.escape(ch)}{tail})?"
            out.append(tail)
        else:
            out.append(r"\s+".join(re.escape(w) for w in part.split(" ")))
    return re.compile("".join(out), re.IGNORECASE)


_MAC_DOTTED = r"\b[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\b"
_MAC_DASHED = r"^\s*[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}\s"

SPECS: tuple[CommandSpec, ...] = (  # fingerprints are tried in this order
    CommandSpec("huawei_vrp", "display lldp neighbor", ("dis[[play]] lldp nei[[ghbor]]",), "lldp",
                (r"^\S+ has \d+ neighbou?r\(?s?\)?:?\s*$|^Neighbou?r index\s*:",),
                entry=r"^\s*Neighbou?r index\s*:", key="chassis_id"),
    CommandSpec("hp_comware", "display device manuinfo", ("di[[splay]] dev[[ice]] m[[anuinfo]]",), "manuinfo",
                (r"^\s*DEVICE_SERIAL_NUMBER\s*:|^\s*VENDOR_NAME\s*:",),
                entry=r"^\s*(?:DEVICE_NAME\s*:|The operation is not supported|The card does not support"
                      r"|Failed to display)", key="device_name"),
    CommandSpec("huawei_vrp", "display device", ("di[[splay]] de[[vice]]",), "vrp-device",
                (r"^\S+'s Device status:|^Slot\s+(?:#\s+)?Card\s+Type\s+Online",),
                entry=r"^\s*(?:\d+|[A-Za-z]+\d+)(?:/\S+)?\s+\S", key="pid"),
    CommandSpec("huawei_vrp", "display mac-address", ("disp[[lay]] mac[[-address]]",), "mac-table",
                (r"^\s*MAC Address\s+VLAN/VSI",), entry=_MAC_DASHED, key="destination_address"),
    CommandSpec("cisco_ios", "show mac address-table",
                ("sh[[ow]] mac[[-address-table]]", "sh[[ow]] mac add[[ress-table]]"), "mac-table",
                (r"(?i)^\s*vlan\s+mac address\s+type",), entry=_MAC_DOTTED, key="destination_address"),
    CommandSpec("cisco_ios", "show inventory", ("sh[[ow]] inven[[tory]]",), "inventory",
                (r'^NAME:\s*".*",\s*DESCR:',), entry=r"^\s*NAME:", key="name",
                complete=(r"^\s*PID:.*\bSN:", "PID/VID/SN line")),
    CommandSpec("huawei_vrp", "display version", ("dis[[play]] ver[[sion]]",), "version",
                (r"^Huawei Versatile Routing Platform Software", r"uptime is")),
    CommandSpec("hp_comware", "display version", ("dis[[play]] ver[[sion]]",), "version",
                (r"^(?:H3C|HPE?) Comware (?:Platform )?Software", r"uptime is"), template=False),
    CommandSpec("cisco_ios", "show version", ("sh[[ow]] ver[[sion]]",), "version",
                (r"^(?:Cisco IOS Software|Cisco IOS XE Software|Cisco Internetwork Operating System Software)",
                 r"uptime is")),
)
PLATFORMS = tuple(dict.fromkeys(s.platform for s in SPECS))

# Prompt lines: Cisco style "host#cmd", "host(config-if)#cmd", "host>cmd"; Huawei/H3C "<host>cmd", "[~host]cmd".
_CISCO_PROMPT = re.compile(r"^(?P<host>[A-Za-z0-9][\w.\-@]*)(?:\((?P<mode>[\w\-/.:]+)\))?[#>] ?(?P<cmd>.*)$")
_VRP_PROMPT = re.compile(r"^(?P<open>[<\[])[~*]?(?P<host>[^\s<>\[\]]+)[>\]] ?(?P<cmd>.*)$")
_VERBS = frozenset({
    "show", "sh", "sho", "display", "dis", "disp", "displ", "displa", "terminal", "term", "screen-length",
    "enable", "en", "system-view", "sys", "quit", "return", "exit", "end", "dir", "more", "ping",
    "traceroute", "tracert", "configure", "conf", "undo", "copy", "write", "save",
})
# Commands that only set up the session: their output (a mode change, "Info: ...") is ignored.
SESSION_VERBS = frozenset({"terminal", "term", "screen-length", "system-view", "sys", "enable", "en", "quit",
                           "return", "exit", "end", "configure", "conf"})
_SNIFF_VERBS = frozenset({"show", "sh", "display", "dis", "disp"})
_REJECTED = re.compile(r"^\s*(?:%\s*(?:Invalid|Incomplete|Ambiguous|Unrecognized|Unknown)\b|Error:\s*\S)",
                       re.IGNORECASE)
_COMWARE_HINT = re.compile(r"\bComware\b|\bH3C\b")
_ANSI = re.compile(r"\x1b\[(?P<n>[0-9;?]*)(?P<op>[A-Za-z])")
_MORE = re.compile(r"^\s*(?:-{2,4}\s*More\s*-{2,4}|<--- More --->)\s*", re.IGNORECASE)
_SPLITLINES_CHARS = str.maketrans({c: " " for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})
_MANUINFO_HEADER = re.compile(r"^\s*(?:Chassis|[sS]lot|Subslot|Fan|Power)\s+\S+")
_BANNER_MODEL = re.compile(r"^\s*(?:H3C|HPE?|Huawei|HUAWEI|Quidway)\s+(\S+)(?:\s+Router)?\s+uptime is", re.MULTILINE)
_BANNER_VERSION = re.compile(r"Software, Version ([^,\s]+)(?:, Release (\S+))?")
_VRP_DEVICE_HEADER = re.compile(r"^\s*(\S+)'s Device status:")
_INPUT_LINE = re.compile(r"Input Line: (.*)\Z", re.DOTALL)


@dataclass
class Prompt:
    line: int
    style: str  # cisco | vrp
    host: str
    command: str
    bracket: str = ""  # "<" or "[" for the vrp style


@dataclass
class Section:
    start: int  # line of the prompt, else of the first line
    first: int  # line number of lines[0]
    lines: list[str]
    prompt: Prompt | None = None

    @property
    def blank(self) -> bool:
        return not any(line.strip() for line in self.lines)

    def first_text_line(self) -> int:
        for i, line in enumerate(self.lines):
            if line.strip():
                return self.first + i
        return self.start

    def text(self) -> str:
        return "\n".join(self.lines)


# ------------------------------------------------------------------ text clean-up and splitting
def clean_line(raw: str) -> str:
    """A captured line as the terminal showed it: backspaces, CR and ANSI cursor-left applied, other ANSI
    sequences and pager prompts removed."""
    line = raw.rstrip("\r").translate(_SPLITLINES_CHARS)
    if "\b" in line or "\x1b" in line or "\r" in line:
        buf: list[str] = []
        pos = 0
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\x1b":
                m = _ANSI.match(line, i)
                if m:
                    if m["op"] == "D":  # cursor left: the pager erasing its prompt
                        pos = max(0, pos - (int(m["n"]) if m["n"].isdigit() else 1))
                    i = m.end()
                    continue
                i += 1
                continue
            if ch == "\b":
                pos = max(0, pos - 1)
            elif ch == "\r":
                pos = 0
            else:
                if pos < len(buf):
                    buf[pos] = ch
                else:
                    buf.extend(" " * (pos - len(buf)))
                    buf.append(ch)
                pos += 1
            i += 1
        line = "".join(buf).rstrip()
    return _MORE.sub("", line)


def parse_prompt(line: str, lineno: int) -> Prompt | None:
    m = _VRP_PROMPT.match(line)
    if m:
        return Prompt(lineno, "vrp", m["host"], m["cmd"].strip(), m["open"])
    m = _CISCO_PROMPT.match(line)
    if m:
        return Prompt(lineno, "cisco", m["host"], m["cmd"].strip())
    return None


def _verb(command: str) -> str:
    return command.split(maxsplit=1)[0].lower() if command.strip() else ""


def split_sections(lines: list[str]) -> tuple[list[Section], list[Prompt]]:
    """Sections of a capture (the text before the first prompt, if any, has ``prompt`` None) and its prompts.

    A line is a prompt when it looks like one and either its command starts with a CLI verb (show, display,
    terminal ...) or its host is that of such a prompt, so output lines like ``[1]`` do not split sections."""
    candidates = [(i, parse_prompt(line, i + 1)) for i, line in enumerate(lines)]
    hosts = {p.host for _, p in candidates if p is not None and _verb(p.command) in _VERBS}
    prompts = [(i, p) for i, p in candidates
               if p is not None and hosts and (p.host in hosts or _verb(p.command) in _VERBS)]
    sections: list[Section] = []
    if not prompts:
        return [Section(1, 1, lines)], []
    if prompts[0][0] > 0:
        sections.append(Section(1, 1, lines[:prompts[0][0]]))
    for k, (i, p) in enumerate(prompts):
        end = prompts[k + 1][0] if k + 1 < len(prompts) else len(lines)
        sections.append(Section(i + 1, i + 2, lines[i + 1:end], p))
    return sections, [p for _, p in prompts]


# ------------------------------------------------------------------ detection
def name_hint(path: Path) -> tuple[str | None, CommandSpec | None, str | None]:
    """(platform, spec, command) told by a file name ``<platform>_<command words>[N][_more].<ext>``."""
    name = path.name.lower()
    for ext in _COMPRESSED:
        name = name.removesuffix(ext)
    for ext in _NAME_EXTENSIONS:
        name = name.removesuffix(ext)
    platform = next((p for p in PLATFORMS if name.startswith(p + "_")), None)
    if platform is None or "." in name:  # another extension: another format
        return None, None, None
    words = name[len(platform) + 1:].split("_")
    for n in range(len(words), 0, -1):
        command = " ".join(words[:n - 1] + [words[n - 1].rstrip("0123456789")]).strip()
        spec = find_spec(platform, command)
        if spec is not None:
            return platform, spec, command
    return platform, None, " ".join(words)


def find_spec(platform: str, command: str) -> CommandSpec | None:
    return next((s for s in SPECS if s.platform == platform and s.matches(command)), None)


def fingerprint(text: str) -> CommandSpec | None:
    for spec in SPECS:
        if spec.fingerprint and all(re.search(rx, text, re.MULTILINE) for rx in spec.fingerprint):
            return spec
    return None


def banner_vendors(text: str) -> list[str]:
    """Vendor names whose banner strings occur in ``text``, in ``BANNER_VENDORS`` order."""
    return [vendor for rx, vendor in BANNER_VENDORS if rx.search(text)]


_MAC_GROUPED = re.compile(r"^[0-9a-fA-F]{4}([.-])[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}$")


def fast_mac(text: str) -> str | None:
    """``parse_mac`` with a fast path for the ``aabb.ccdd.eeff`` / ``aabb-ccdd-eeff`` forms of MAC tables."""
    if _MAC_GROUPED.match(text):
        digits = text.replace(".", "").replace("-", "").upper()
        return ":".join(digits[i:i + 2] for i in range(0, 12, 2))
    return parse_mac(text)


def _clean(value) -> str:
    if isinstance(value, list):
        value = ", ".join(v for v in (str(x).strip() for x in value) if v)
    v = str(value or "").strip()
    return "" if v.lower() in PLACEHOLDERS else v


def _first(value) -> str:
    if isinstance(value, list):
        return next((c for c in (_clean(v) for v in value) if c), "")
    return _clean(value)


# ------------------------------------------------------------------ parsing one section
def parse_records(spec: CommandSpec, lines: list[str]) -> tuple[list[dict], list[tuple[int, str]], str | None]:
    """TextFSM records of ``lines`` with ntc-templates, resuming past lines the template rejects.

    Returns (records, [(index of a rejected line, its text)], a reason when the section cannot be parsed).
    ``lines`` is modified: rejected lines are blanked."""
    rejected: list[tuple[int, str]] = []
    start = 0
    while True:
        try:
            return run_template(spec, "\n".join(lines) + "\n"), rejected, None
        except Exception as exc:  # TextFSMError, ParsingException, or a template bug: never a traceback
            m = _INPUT_LINE.search(str(exc))
            idx = None
            if m:
                text = m.group(1)
                for cand in (text, text[:-1] if text.endswith(".") else None):
                    if cand is None:
                        continue
                    idx = next((i for i in range(start, len(lines)) if lines[i] == cand), None)
                    if idx is not None:
                        break
            if idx is None or len(rejected) >= MAX_REJECTED_LINES:
                return [], rejected, f"ntc-templates could not parse the {spec.command!r} output: {exc}"
            rejected.append((idx, lines[idx]))
            lines[idx] = ""
            start = idx


@lru_cache(maxsize=64)
def template_source(platform: str, command: str) -> str | None:
    """The text of the TextFSM template the ntc-templates index names for ``platform``/``command`` (None when
    it names several, which ``parse_output`` then combines)."""
    import ntc_templates
    from textfsm import clitable

    tdir = os.environ.get("NTC_TEMPLATES_DIR") or str(Path(ntc_templates.__file__).parent / "templates")
    index = clitable.CliTable("index", tdir).index
    row = index.GetRowMatch({"Platform": platform, "Command": command})
    if not row:
        return None
    names = index.index[row]["Template"].split(":")
    return (Path(tdir) / names[0].strip()).read_text(encoding="utf-8") if len(names) == 1 else None


def run_template(spec: CommandSpec, data: str) -> list[dict]:
    """Records of ``data`` (dicts with lower-case keys, as ``ntc_templates.parse.parse_output`` gives them).

    The template is run with TextFSM directly: the same result as ``parse_output`` without its table copies
    (four times faster on large MAC tables)."""
    import textfsm

    source = template_source(spec.platform, spec.command)
    if source is None:
        from ntc_templates.parse import parse_output

        return [dict(r) for r in parse_output(platform=spec.platform, command=spec.command, data=data)]
    fsm = textfsm.TextFSM(io.StringIO(source))
    return [{k.lower(): v for k, v in row.items()} for row in fsm.ParseTextToDicts(data)]


Span = tuple[int, int]  # [start, end) line indexes of one record's text


def locate(spec: CommandSpec, lines: list[str], records: list[dict]) -> tuple[list[Span | None], list[int]]:
    """The lines of each record (None if not found) and the entry lines without a record."""
    if spec.entry is None:
        first = next((i for i, line in enumerate(lines) if line.strip()), 0)
        return [(first, len(lines))] * len(records), []
    rx = re.compile(spec.entry)
    entries = [i for i, line in enumerate(lines) if rx.search(line)]
    where: list[Span | None] = []
    orphans: list[int] = []
    j = 0
    for rec in records:
        key = _first(rec.get(spec.key or "", "")) if spec.key else ""
        found = None
        for k in range(j, min(len(entries), j + SEARCH_AHEAD)):
            end = entries[k + 1] if k + 1 < len(entries) else len(lines)
            if not key or any(key in line for line in lines[entries[k]:end]):
                found = (entries[k], end)
                break
        if found is None:
            where.append(None)
            continue
        k = entries.index(found[0], j)
        orphans.extend(entries[j:k])
        where.append(found)
        j = k + 1
    orphans.extend(entries[j:])
    return where, orphans


# ------------------------------------------------------------------ the reader
@register
class DeviceCliReader(Reader):
    format = "device-cli"
    description = "Saved network-device CLI output (show/display commands), parsed with ntc-templates"
    extensions = (".raw",)

    def sniff(self, path: Path, head: bytes) -> bool:
        platform, _, _ = name_hint(Path(path))
        if platform is not None:
            return True
        text = head.decode("utf-8", errors="replace")
        lines = [clean_line(line) for line in text.split("\n")[:-1] or text.split("\n")]
        for i, line in enumerate(lines):  # a prompt with "show x" / "display x"
            p = parse_prompt(line, i + 1)
            if p is not None and _verb(p.command) in _SNIFF_VERBS and len(p.command.split()) >= 2:
                return True
        return fingerprint("\n".join(lines)) is not None

    def read(self, path: Path, progress: Progress | None = None) -> ReadResult:
        path = Path(path)
        stats = ReadStats(file=str(path), format=self.format)
        if importlib.util.find_spec("ntc_templates") is None:  # pragma: no cover - depends on the environment
            raise InputError(str(path), "reading device CLI output needs the 'ntc-templates' package")
        total = os.path.getsize(path) if path.is_file() else 0
        lines = self._load(path, stats)
        capture = _Capture(path, stats)
        if not any(line.strip() for line in lines):
            stats.warn("empty file: no command output")
        else:
            sections, prompts = split_sections(lines)
            capture.prompts(prompts)
            for n, section in enumerate(sections):
                capture.section(section, preamble=n == 0 and section.prompt is None and bool(prompts))
        if progress:
            progress(total, total)
        return ReadResult(capture.finish(), stats)

    @staticmethod
    def _load(path: Path, stats: ReadStats) -> list[str]:
        with open_input(path) as fh:
            try:
                data = fh.read(MAX_BYTES + 1)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise InputError(str(path), f"cannot decompress: {exc}") from None
        if len(data) > MAX_BYTES:
            raise InputError(str(path), f"larger than {MAX_BYTES // 2**20} MiB: not a saved command output")
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            stats.warn("not valid UTF-8: read as Latin-1", line=line)
            text = data.decode("latin-1")
        raw = text.split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        return [clean_line(line) for line in raw]


@dataclass
class _DeviceFacts:
    line: int | None = None  # line of the version record
    first_section: int | None = None
    platform: str | None = None
    attrs: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (priority, value)
    vendors: list[tuple[str, str]] = field(default_factory=list)  # (vendor, identifier field)
    macs: list[str] = field(default_factory=list)

    def put(self, name: str, value: str, priority: int) -> None:
        if value and (name not in self.attrs or self.attrs[name][0] < priority):
            self.attrs[name] = (priority, value)

    def vendor(self, name: str, source: str) -> None:
        if name and all(v.lower() != name.lower() for v, _ in self.vendors):
            self.vendors.append((name, source))


class _Capture:
    """Turns the sections of one capture into observations."""

    def __init__(self, path: Path, stats: ReadStats):
        self.path = path
        self.stats = stats
        self.device_id = f"{path.name}#device"
        self.device = _DeviceFacts()
        self.observations: list[Observation] = []
        self.serials: dict[str, list[int]] = {}
        self.platforms: list[str] = []
        self.name_platform, self.name_spec, self.name_command = name_hint(path)
        self.parsed = False
        self.comware_hint = False
        self.chassis_seen = False  # the first chassis entry gives the device's model and serial
        self.vrp_header_seen = False

    # -------------------------------------------------------------- sections
    def prompts(self, prompts: list[Prompt]) -> None:
        hosts = list(dict.fromkeys(p.host for p in prompts if p.style == "cisco" or p.bracket == "<"))
        if hosts:
            self.device.put("hostname", hosts[0], 1)
        if len(hosts) > 1:
            self.stats.warn(f"prompts name several hosts ({', '.join(hosts)}): the capture is read as one device "
                            f"({hosts[0]})", line=prompts[0].line)

    def section(self, sec: Section, preamble: bool = False) -> None:
        st = self.stats
        if sec.prompt is None or not sec.prompt.command:
            if sec.blank:
                return
            spec = self.name_spec or fingerprint(sec.text())
            if spec is None:
                st.read += 1
                where = sec.first_text_line()
                if preamble:
                    st.skipped += 1
                    st.warn("text before the first prompt is not a known command output: skipped", line=where)
                elif self.name_platform and self.name_command:
                    st.skipped += 1
                    st.warn(f"command {self.name_command!r} ({self.name_platform}, from the file name) is not one "
                            "netvet reads: skipped", line=where)
                else:
                    st.problem("cannot tell which device command produced this output (no prompt line, no "
                               "<platform>_<command> file name, no known content)", line=where)
                return
            self._parse(sec, spec)
            return
        command = sec.prompt.command
        rejected = self._rejected(sec)
        if rejected is not None:
            st.read += 1
            st.skipped += 1
            st.warn(f"the device rejected {command!r}: {rejected}", line=sec.start)
            return
        spec = self._spec_for(sec.prompt, sec)
        if spec is None:
            if not sec.blank and _verb(command) not in SESSION_VERBS:
                st.read += 1
                st.skipped += 1
                st.warn(f"command {command!r} is not one netvet reads: its output is skipped", line=sec.start)
            return
        if sec.blank:
            st.read += 1
            st.problem(f"no output for {command!r}", line=sec.start)
            return
        self._parse(sec, spec)

    @staticmethod
    def _rejected(sec: Section) -> str | None:
        shown = [line.strip() for line in sec.lines if line.strip()][:3]
        for text in shown:
            if _REJECTED.match(text):
                return text
        return None

    def _spec_for(self, prompt: Prompt, sec: Section) -> CommandSpec | None:
        if prompt.style == "cisco":
            candidates = ["cisco_ios"]
        elif self.comware_hint or _COMWARE_HINT.search(sec.text()):
            candidates = ["hp_comware", "huawei_vrp"]
        else:
            candidates = ["huawei_vrp", "hp_comware"]
        if self.name_platform in candidates:
            candidates.remove(self.name_platform)
            candidates.insert(0, self.name_platform)
        for platform in candidates:
            spec = find_spec(platform, prompt.command)
            if spec is not None:
                return spec
        return None

    def _parse(self, sec: Section, spec: CommandSpec) -> None:
        st = self.stats
        lines = list(sec.lines)
        if spec.template:
            records, rejected, failure = parse_records(spec, lines)
        else:
            records, rejected, failure = [{}], [], None
        if failure is None and not records and rejected:
            failure = (f"output not understood by the ntc-templates {spec.platform} {spec.command!r} template "
                       f"({len(rejected)} line(s) rejected, the first: {rejected[0][1].strip()[:60]!r})")
        if failure is not None:
            st.read += 1
            st.problem(failure, line=sec.start)
            return
        for idx, text in rejected:
            st.read += 1
            st.problem(f"line not understood by the ntc-templates {spec.platform} {spec.command!r} template: "
                       f"{text.strip()[:80]!r}", line=sec.first + idx)
        where, orphans = locate(spec, lines, records)
        looks_right = bool(spec.fingerprint) and re.search(spec.fingerprint[0], sec.text(), re.MULTILINE)
        if not records and not orphans and not looks_right:
            st.read += 1
            st.problem(f"no {spec.command!r} record found in the output", line=sec.start)
            return
        for idx in orphans:
            st.read += 1
            st.problem(f"{spec.command!r} entry without a parsed record (truncated or not understood): "
                       f"{lines[idx].strip()[:80]!r}", line=sec.first + idx)
        handler = getattr(self, "_" + spec.handler.replace("-", "_"))
        used = not records  # an empty table (header only) still shows the device
        complete = re.compile(spec.complete[0]) if spec.complete else None
        for rec, span in zip(records, where, strict=True):
            st.read += 1
            if span is None:
                st.warn(f"a {spec.command!r} record could not be located in the text; reported at the section",
                        line=sec.start)
                line = sec.start
            else:
                line = sec.first + span[0]
                if complete and spec.complete and not any(complete.search(t) for t in lines[span[0]:span[1]]):
                    st.warn(f"incomplete {spec.command!r} entry (truncated output?): no {spec.complete[1]}",
                            line=line)
            used = handler(spec, rec, line, sec, lines) or used
        if used:
            self._used(spec, sec)

    def _used(self, spec: CommandSpec, sec: Section) -> None:
        self.parsed = True
        if spec.platform not in self.platforms:
            self.platforms.append(spec.platform)
        if spec.platform == "hp_comware":
            self.comware_hint = True
        if self.device.first_section is None:
            self.device.first_section = sec.start

    # -------------------------------------------------------------- handlers
    def _version(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        dev = self.device
        head = "\n".join(ln for ln in lines[:12])
        vendors = banner_vendors(head)
        if spec.template:
            if spec.platform == "cisco_ios":
                values = {"model": _first(rec.get("hardware")), "serial": _first(rec.get("serial")),
                          "software_version": _clean(rec.get("version")),
                          "software_image": _clean(rec.get("software_image"))}
                for mac in rec.get("mac_address") or []:
                    norm = parse_mac(_clean(mac))
                    if norm and norm not in dev.macs:
                        dev.macs.append(norm)
            else:
                values = {"model": _clean(rec.get("model")), "software_version": _clean(rec.get("vrp_version")),
                          "product_version": _clean(rec.get("product_version")),
                          "patch_version": _clean(rec.get("patch_version"))}
            if spec.platform == "cisco_ios":
                self.device.put("hostname", _clean(rec.get("hostname")), 3)
            if not any(values.values()):
                self.stats.problem(f"no model or version found in the {spec.command!r} output", line=line)
                return False
        else:  # no template: the banner's vendor, model and version
            model = _BANNER_MODEL.search("\n".join(lines))
            version = _BANNER_VERSION.search(head)
            values = {"model": model.group(1) if model else "",
                      "software_version": " Release ".join(v for v in version.groups() if v) if version else ""}
            if not vendors:
                self.stats.skipped += 1
                self.stats.warn(f"{spec.command!r} on {spec.platform}: no template and no known banner: skipped",
                                line=line)
                return False
        if dev.line is None:
            dev.line = line
            dev.platform = spec.platform
        for name, value in values.items():
            dev.put(name, value, 3)
        for vendor in vendors:
            dev.vendor(vendor, "cli:banner")
        return True

    def _component(self, line: int, attrs: dict[str, str], idents: list[Identifier]) -> None:
        attrs = {k: v for k, v in attrs.items() if v}
        if attrs.get("serial"):
            self.serials.setdefault(attrs["serial"], []).append(line)
        self.observations.append(Observation(
            id=f"{self.path.name}:{line}", kind="component", source=SourceRef(str(self.path), line=line),
            identifiers=idents, attributes=attrs, parent=self.device_id))

    def _inventory(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        name, descr, pid = _clean(rec.get("name")), _clean(rec.get("descr")), _clean(rec.get("pid"))
        model = pid.rstrip("=")
        ctype = _cisco_component_type(f"{name} {descr}")
        attrs = {"component_type": ctype, "name": name, "description": descr, "model": model,
                 "pid": pid if pid != model else "", "hardware_version": _clean(rec.get("vid")),
                 "serial": _clean(rec.get("sn"))}
        if ctype == "chassis" and not self.chassis_seen:
            self.chassis_seen = True
            self.device.put("model", model, 2)
            self.device.put("serial", attrs["serial"], 2)
        self._component(line, attrs, [])
        return True

    def _manuinfo(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        slot_type, slot_id = _clean(rec.get("slot_type")), _clean(rec.get("slot_id"))
        label = f"{slot_type} {slot_id}".strip()
        model = _clean(rec.get("device_name"))
        idx = line - sec.first
        if idx > 0 and _MANUINFO_HEADER.match(lines[idx - 1]):
            line -= 1  # the entry's "Slot 0" / "Chassis self" / "Fan 1:" header
        if not model:
            self.stats.skipped += 1
            self.stats.warn(f"{label or 'an entry'}: the device reported no manufacturing information", line=line)
            return False
        ctype = {"chassis": "chassis", "slot": "board", "subslot": "board", "fan": "fan",
                 "power": "psu"}.get(slot_type.lower(), "module")
        vendor = _clean(rec.get("vendor_name"))
        attrs = {"component_type": ctype, "name": label, "chassis": _clean(rec.get("chassis_id")),
                 "model": model, "serial": _clean(rec.get("device_serial_number")),
                 "manufacturing_date": _clean(rec.get("manufacturing_date")), "vendor": vendor}
        idents = []
        if vendor:
            idents.append(Identifier(IdKind.NAME, vendor, "cli:manuinfo@VENDOR_NAME", Strength.MODERATE))
        mac_text = _clean(rec.get("mac_address"))
        if mac_text:
            mac = fast_mac(mac_text)
            if mac is None:
                self.stats.warn(f"{label}: invalid MAC_ADDRESS {mac_text!r}", line=line)
            else:
                idents.append(Identifier(IdKind.MAC, mac, "cli:manuinfo@MAC_ADDRESS", Strength.MODERATE))
                attrs["mac"] = mac
        if ctype == "chassis" and not self.chassis_seen:
            self.chassis_seen = True
            self.device.put("model", model, 2)
            self.device.put("serial", attrs["serial"], 2)
            if vendor:
                self.device.vendor(vendor, "cli:manuinfo@VENDOR_NAME")
        self._component(line, attrs, idents)
        return True

    def _vrp_device(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        if not self.vrp_header_seen:
            self.vrp_header_seen = True
            for text in lines[:5]:
                m = _VRP_DEVICE_HEADER.match(text)
                if m:
                    self.device.put("model", m.group(1), 1)
                    break
        slot = _clean(rec.get("slot"))
        upper = slot.upper()
        ctype = "psu" if upper.startswith(("PWR", "POWER", "PSU")) else "fan" if upper.startswith("FAN") else "board"
        card = _clean(rec.get("card"))
        attrs = {"component_type": ctype, "name": f"slot {slot}" + (f"/{card}" if card else ""), "slot": slot,
                 "model": _clean(rec.get("pid")), "status": _clean(rec.get("online_status")),
                 "ha_role": _clean(rec.get("ha_status"))}
        self._component(line, attrs, [])
        return True

    def _mac_table(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        text = _clean(rec.get("destination_address"))
        mac = fast_mac(text)
        if mac is None:
            self.stats.problem(f"invalid MAC address {text!r} in the MAC table", line=line)
            return False
        attrs = {"mac": mac, "vlan": _clean(rec.get("vlan_id")), "port": _clean(rec.get("destination_port")),
                 "type": _clean(rec.get("type")), "seen_by": self.device_id}
        self.observations.append(Observation(
            id=f"{self.path.name}:{line}", kind="mac-table-entry", source=SourceRef(str(self.path), line=line),
            identifiers=[Identifier(IdKind.MAC, mac, "cli:mac-table", Strength.MODERATE)],
            attributes={k: v for k, v in attrs.items() if v}))
        return True

    def _lldp(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        descr = rec.get("neighbor_description") or []
        descr_text = "\n".join(d.strip() for d in descr) if isinstance(descr, list) else _clean(descr)
        chassis = _clean(rec.get("chassis_id"))
        attrs = {"hostname": _clean(rec.get("neighbor_name")), "system_description": descr_text,
                 "chassis_id": chassis, "chassis_id_type": _clean(rec.get("chassis_type")),
                 "port_id": _clean(rec.get("neighbor_port_id")),
                 "port_description": _clean(rec.get("neighbor_interface")),
                 "local_interface": _clean(rec.get("local_interface")),
                 "capabilities": _clean(rec.get("capabilities")),
                 "model": _clean(rec.get("model_name")), "serial": _clean(rec.get("serial")),
                 "seen_by": self.device_id}
        idents: list[Identifier] = []
        mac = fast_mac(chassis) if chassis else None
        if mac:
            idents.append(Identifier(IdKind.MAC, mac, "cli:lldp@chassis_id", Strength.MODERATE))
            attrs["mac"] = mac
        elif attrs["chassis_id_type"].lower().startswith("mac"):
            self.stats.warn(f"LLDP chassis id {chassis!r} is said to be a MAC address but is not one", line=line)
        manufacturer = _clean(rec.get("manufacturer"))
        if manufacturer:
            attrs["manufacturer"] = manufacturer
            idents.append(Identifier(IdKind.NAME, manufacturer, "cli:lldp@manufacturer", Strength.MODERATE))
        for vendor in banner_vendors(descr_text):
            if all(i.value.lower() != vendor.lower() for i in idents if i.kind == IdKind.NAME):
                idents.append(Identifier(IdKind.NAME, vendor, "cli:lldp@system_description", Strength.WEAK))
        mgmt = _clean(rec.get("mgmt_address"))
        if mgmt:
            try:
                attrs["ip"] = str(ipaddress.ip_address(mgmt))
            except ValueError:
                attrs["mgmt_address"] = mgmt
        self.observations.append(Observation(
            id=f"{self.path.name}:{line}", kind="neighbor", source=SourceRef(str(self.path), line=line),
            identifiers=idents, attributes={k: v for k, v in attrs.items() if v}))
        return True

    # -------------------------------------------------------------- the device
    def finish(self) -> list[Observation]:
        if not self.parsed:
            return self.observations
        dev = self.device
        platform = dev.platform or self.platforms[0]
        if len(self.platforms) > 1:
            self.stats.warn(f"sections of several platforms ({', '.join(self.platforms)}): read as one device")
        if self.name_platform and PLATFORM_VENDORS.get(self.name_platform):
            dev.vendor(PLATFORM_VENDORS[self.name_platform], "cli:platform")
        # the chassis' VENDOR_NAME was recorded when seen; keep the documented order banner, platform, chassis
        order = {"cli:banner": 0, "cli:platform": 1}
        vendors = sorted(dev.vendors, key=lambda v: order.get(v[1], 2))
        idents = [Identifier(IdKind.NAME, v, src, Strength.STRONG) for v, src in vendors]
        idents += [Identifier(IdKind.MAC, m, "cli:version@mac_address", Strength.MODERATE) for m in dev.macs]
        attrs = {"platform": platform}
        if vendors:
            attrs["vendor"] = vendors[0][0]
        for name in ("model", "serial", "software_version", "hostname", "software_image", "product_version",
                     "patch_version"):
            if name in dev.attrs:
                attrs[name] = dev.attrs[name][1]
        line = dev.line or dev.first_section or 1
        device = Observation(id=self.device_id, kind="device", source=SourceRef(str(self.path), line=line),
                             identifiers=idents, attributes=attrs)
        for serial, lines in self.serials.items():
            if len(lines) > 1:
                self.stats.warn(f"serial {serial!r} appears on {len(lines)} components (lines "
                                f"{', '.join(map(str, lines))})", line=lines[0])
        return [device, *self.observations]


def _cisco_component_type(text: str) -> str:
    low = text.lower()
    if "chassis" in low:
        return "chassis"
    if re.search(r"power|\bpsu\b|\bpem\b", low):
        return "psu"
    if re.search(r"\bfan", low):
        return "fan"
    if re.search(r"transceiver|\bsfp|\bgbic\b|\bxfp\b|\bqsfp|\bcfp", low):
        return "transceiver"
    return "module"
