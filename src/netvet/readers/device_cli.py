"""Saved network-device CLI output, parsed with ntc-templates (format ``device-cli``).

Input: a text file holding the output of one command, or a capture of several commands where each command
line carries its prompt (``core1#show version``, ``core1(config)#...``, ``<HUAWEI>display version``,
``[H3C]display device manuinfo``, ``[~PE1]...``, ``user@mx1> show version``, ``[admin@MikroTik] > /system
resource print``). The capture is split on prompt lines and each section is parsed with a TextFSM template of
`ntc-templates <https://github.com/networktocode/ntc-templates>`_ (run through TextFSM directly for speed: the
records of ``ntc_templates.parse.parse_output``). Gzip, bz2, xz and zstd inputs are read transparently; CR/LF line
ends, ANSI cursor sequences, backspaces and pager prompts (``---- More ----``, ``--More--``) are cleaned up first.
Non-UTF-8 text is read as Latin-1 with a warning.

**The file name is never evidence** and never read: the same output gives the same observations whatever the
file is called. The platform and command of each section come from its content (see ``SPECS``):

1. a prompt line names the command (abbreviations such as ``sh ver`` or ``dis lldp nei`` are accepted, and
   trailing slot numbers as in ``display board 0``); text without a prompt may be any supported command;
2. the candidates (every platform whose ntc-templates index knows the command; only the declared platform's, if
   one is declared) are filtered by cheap content tests (``CommandSpec.fingerprint``: banners, table headers,
   ``key : value`` layouts; ``reject`` rules out look-alikes such as IOS XR text for IOS);
3. the templates of the remaining candidates are run on the first ``DETECT_LINES`` lines; a candidate is accepted
   when its records have their required fields; among those, the one with the most specific content test, then
   the best coverage (share of non-blank lines holding a parsed value) wins; ties keep the order of the
   platforms already seen in the capture, the declared platform, then the prompt style's usual platforms.
   Without a prompt and without a declared platform only candidates whose content test matched are tried;
   with a declared platform every command of that platform is tried and must explain ``MIN_COVERAGE`` of the
   text. ``DeviceCliReader.detected`` lists (line, platform, command) of each section of the last read.

Supported platform/commands: ``huawei_vrp`` display version / device / lldp neighbor / mac-address;
``huawei_smartax`` display version / board / board serial-number; ``zte_zxros`` show version; ``hp_comware``
display version (banner only: no template) / device manuinfo / lldp neighbor-information verbose /
mac-address; ``cisco_ios`` show version / inventory / lldp neighbors detail / mac address-table; ``cisco_nxos``
show version / inventory / lldp neighbors detail / mac address-table; ``cisco_xr`` show version / admin show
inventory / show lldp neighbors detail; ``cisco_asa`` show version / inventory; ``arista_eos`` show version / lldp
neighbors detail / mac address-table; ``juniper_junos`` show version; ``mikrotik_routeros`` system resource print /
system routerboard print. ``ruijie_os`` (no ntc-templates of its own) may be declared: every template is then
tried. The inventory format ``NAME: "..", DESCR: ".."`` is read as ``cisco_ios`` unless the text shows NX-OS
(Nexus PIDs), IOS XR (its timestamp line, ``Name: .. Descr:`` layout) or ASA.

``DeviceCliReader(platform=None)``: the operator may declare the platform (an ntc-templates platform name, e.g.
``huawei_vrp``; the ``--platform`` option). Its templates are used, and a platform that one maker ships names it
(``PLATFORM_VENDORS``: huawei_vrp/huawei_smartax -> Huawei, zte_zxros -> ZTE, cisco_* -> Cisco, juniper_junos ->
Juniper Networks, arista_eos -> Arista Networks, ruijie_os -> Ruijie, mikrotik_routeros -> MikroTik;
``hp_comware`` names none: H3C and HPE both ship Comware). An unknown platform raises ``ValueError``.

Observations (ids ``<file name>:<line>``, the line where the record starts, ``#2``... appended if two records
start on one line; the device is ``<file name>#device``):

- one ``device`` per capture (when at least one section was parsed), with attributes ``platform``, ``vendor``
  (for display: the first NAME identifier below, else a vendor a version banner names, see ``BANNER_VENDORS``;
  a banner alone is no NAME identifier), ``model``, ``serial``, ``software_version``, ``hostname`` (from the
  version output, else the prompt), ``software_image``, ``product_version``, ``patch_version``,
  ``hardware_version``, ``board_name`` where known. Model and serial come from the version output, else the
  first chassis entry of an inventory / manuinfo, else (model) the ``<model>'s Device status:`` header of VRP
  ``display device``. Identifiers:

  * NAME ``cli:declared-platform`` (STRONG: the operator declared it) for a declared one-maker platform;
  * NAME ``cli:manuinfo@VENDOR_NAME`` (STRONG: the chassis' own EEPROM) of the first chassis of
    ``display device manuinfo``;
  * NAME ``cli:output-format`` (MODERATE) when a section's output format is printed by one maker's OS only
    (``CommandSpec.maker``): VRP display version / device / lldp neighbor -> Huawei, SmartAX display version /
    board -> Huawei, ZXROS show version -> ZTE, Junos show version -> Juniper Networks, EOS show version / lldp
    neighbors detail -> Arista Networks, RouterOS prints -> MikroTik. Cisco formats (copied by other makers'
    Cisco-like CLIs), Comware (H3C and HPE) and plain MAC tables name none;
  * TEXT ``cli:version`` (STRONG, context ``cli-version``): each version output's non-blank lines, at most
    ``MAX_TEXT_CHARS`` characters: the device's own words, matched by the fingerprint database;
  * TEXT of the device model (MODERATE, context ``model``; field ``cli:version@<template field>``,
    ``cli:inventory@PID``, ``cli:manuinfo@DEVICE_NAME`` or ``cli:device@header``);
  * MAC ``cli:version@mac_address`` (MODERATE): MACs of the version output (IOS, EOS).
- ``component`` (``parent`` = the device): attributes ``component_type`` (chassis, board, module, psu, fan,
  transceiver), ``name``, ``model`` (a Cisco PID's trailing ``=``, the spare-part mark, is removed; ``pid``
  keeps it), ``serial``, ``description``, ``hardware_version``, ``slot``, ``chassis``, ``status``, ``ha_role``,
  ``subtype``, ``manufacturing_date``, ``vendor``, ``mac``. Identifiers: TEXT of the description (else the name)
  (MODERATE, context ``cli-inventory``, ``cli:inventory@DESCR``/``@NAME``); TEXT of the model / PID / board
  type (MODERATE, context ``model``: ``cli:inventory@PID``, ``cli:manuinfo@DEVICE_NAME``, ``cli:device@Type``,
  ``cli:board@BoardName``); Comware ``VENDOR_NAME`` -> NAME (MODERATE, ``cli:manuinfo@VENDOR_NAME``),
  ``MAC_ADDRESS`` -> MAC (MODERATE, ``cli:manuinfo@MAC_ADDRESS``). An empty SmartAX slot is skipped.
- ``mac-table-entry``: a MAC the device has learnt (a neighbour, not a part of it): MAC identifier (MODERATE,
  ``cli:mac-table``), attributes ``mac``, ``vlan``, ``port``, ``type``, ``seen_by`` (the device id).
- ``neighbor`` (LLDP): attributes ``hostname`` (system name), ``system_description``, ``chassis_id``,
  ``chassis_id_type``, ``port_id``, ``port_description``, ``local_interface``, ``ip`` (management address),
  ``capabilities``, ``model``, ``serial``, ``manufacturer``, ``seen_by``; a chassis id that is a MAC -> MAC
  (MODERATE, ``cli:lldp@chassis_id``); the system description -> TEXT (MODERATE, context ``lldp-sys-descr``,
  ``cli:lldp@system_description``: the neighbour's own declaration); an LLDP-MED manufacturer -> NAME
  (MODERATE, ``cli:lldp@manufacturer``) and model -> TEXT (MODERATE, context ``model``, ``cli:lldp@model``).

Counts: the unit is the record. ``stats.read`` = observations (the device counts as one record, however many
sections describe it) + ``malformed`` + ``skipped``, so ``malformed + skipped <= read`` always and, once the
pipeline has attributed the observations, ``read = attributed + unattributed + malformed + skipped``.

Problems (malformed records, each with its line):

- a line longer than ``MAX_LINE_CHARS`` (4,096 characters) is one malformed record and is blanked before any
  parser sees it (TextFSM is quadratic on long lines); the rest of the file is read;
- a section whose platform or command cannot be told (no prompt, no known output format) is malformed at the
  line where it starts; so is a supported command with no output, or whose output yields no record (every line
  rejected by the templates, or nothing recognised);
- each line the template rejects (TextFSM ``Error`` state) among good ones is malformed: it is reported and
  parsing resumes without it, so a truncated last row costs only that row; so is each entry line (``NAME:``
  line, ``DEVICE_NAME``, ``Neighbor index`` ...) that yields no record (e.g. truncated output); a MAC-table row
  the template does not read (e.g. a list of ports) is skipped with a warning;
- the work is bounded: at most ``MAX_SECTIONS`` sections and ``MAX_TEMPLATE_RUNS`` TextFSM runs per file
  (detection trials stop after ``MAX_TRIAL_REJECTS`` rejected lines, a section after ``MAX_REJECTED_LINES``);
  past a limit each section is malformed with the reason;
- a non-empty file that yields no observation and no other problem (only commands netvet does not read, only a
  login banner) gets one malformed record "nothing netvet reads": it never looks clean;
- a command netvet does not read (``show clock`` ...) and a command the device rejected (``% Invalid input``,
  ``Error: Unrecognized command``) are skipped with a warning; text before the first prompt that is not a known
  output (a login banner) is skipped with a warning; session commands (``terminal``, ``screen-length``,
  ``system-view``, ``enable``, ``quit`` ... see ``SESSION_VERBS``) and commands netvet does not read that printed
  nothing are ignored;
- a ``show inventory`` entry without its ``PID: ... SN:`` line (cut off) is kept with a warning;
- a serial number shared by several components, prompts naming several hosts, and sections of several platforms
  give warnings;
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
from functools import cached_property
from pathlib import Path

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength, TextContext
from .base import Progress, Reader, ReadResult, open_input, register
from .csv_inventory import parse_mac

MAX_BYTES = 256 * 1024 * 1024  # a capture larger than this is refused (read into memory)
MAX_LINE_CHARS = 4096  # a longer line is one malformed record, never given to a parser (TextFSM is quadratic on it)
COLLECT_HEADER = "# netvet-collect:"  # header lines of a file written by `netvet collect ssh`: blanked, never read
MAX_SECTIONS = 10_000  # sections (command outputs) parsed per file; the rest are malformed
MAX_TEMPLATE_RUNS = 2_000  # TextFSM runs per file (detection trials and re-runs past rejected lines)
MAX_REJECTED_LINES = 50  # per section: lines the template rejects before the section is given up
MAX_TRIAL_REJECTS = 3  # per detection trial: rejected lines before a candidate template is ruled out
DETECT_LINES = 300  # lines of a section a detection trial parses and scores
DETECT_CHARS = 64 * 1024  # characters of a section the content pre-filters search
MIN_COVERAGE = 0.25  # a candidate without a content pre-filter match must explain this share of the lines
MAX_TEXT_CHARS = 4096  # characters of one TEXT identifier (the version output is cut there)
SEARCH_AHEAD = 64  # entry lines searched ahead for the text of one record

# Platforms whose OS only one maker ships: a declared platform names it (STRONG, ``cli:declared-platform``).
# hp_comware names none (H3C and HPE both ship Comware).
PLATFORM_VENDORS = {
    "huawei_vrp": "Huawei", "huawei_smartax": "Huawei", "zte_zxros": "ZTE", "cisco_ios": "Cisco",
    "cisco_nxos": "Cisco", "cisco_xr": "Cisco", "cisco_asa": "Cisco", "juniper_junos": "Juniper Networks",
    "arista_eos": "Arista Networks", "ruijie_os": "Ruijie", "mikrotik_routeros": "MikroTik",
}

# Banner text -> vendor name. Only for the ``vendor`` attribute shown in reports: the evidence is the version
# text itself (a TEXT identifier that the fingerprint database matches).
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

_SLOT_ARGS = re.compile(r"(?:\s+\d+(?:/\d+)*)+$")
_MAC_DOTTED = r"\b[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\b"
_MAC_DASHED = r"^\s*[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}\s"


@dataclass(frozen=True)
class CommandSpec:
    """One supported platform/command: how to recognise its output and how to find its records in the text."""

    platform: str
    command: str  # as the ntc-templates index knows it
    patterns: tuple[str, ...]  # ntc-templates index syntax: "sh[[ow]] ver[[sion]]"
    handler: str  # version | inventory | manuinfo | vrp-device | board | mac-table | lldp
    fingerprint: tuple[str, ...] = ()  # content pre-filter: regexes (multi-line) that must all match
    reject: str | None = None  # a regex that rules this spec out (another OS printing a similar text)
    required: tuple[str, ...] = ()  # record fields: a record with none of them non-empty is no record
    entry: str | tuple[str, ...] | None = None  # a line that starts one record (of alternatives: the first
    # that matches some line)
    key: str | None = None  # record field whose value must appear in the record's lines
    complete: tuple[str, str] | None = None  # (regex, description) of a line every complete record has
    template: bool = True  # False: ntc-templates has none; only the banner is read
    maker: str | None = None  # the only maker whose OS prints this output format (``cli:output-format``)
    fields: tuple[tuple[str, tuple[str, ...]], ...] = ()  # version: attribute -> record fields, first non-empty

    @cached_property
    def command_regexes(self) -> tuple[re.Pattern[str], ...]:
        """``patterns`` as regexes (compiled once per spec; the specs are constants)."""
        return tuple(abbreviation_regex(p) for p in self.patterns)

    def matches(self, command: str) -> bool:
        """The command, or the command without trailing slot numbers (``display board 0``), fits the index."""
        command = command.strip()
        bare = _SLOT_ARGS.sub("", command)
        return any(rx.fullmatch(command) or rx.fullmatch(bare) for rx in self.command_regexes)

    def prefilter(self, text: str) -> bool:
        """The cheap content test: every fingerprint regex matches and the reject regex does not."""
        if not self.fingerprint:
            return False
        if self.reject and re.search(self.reject, text, re.MULTILINE):
            return False
        return all(re.search(rx, text, re.MULTILINE) for rx in self.fingerprint)


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


def _f(**kw: tuple[str, ...] | str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((k, (v,) if isinstance(v, str) else v) for k, v in kw.items())


_INVENTORY_FP = (r'^\s*(?:NAME|Name):\s*".*",\s*DESCR:',)
_INV = dict(entry=r"^\s*(?:NAME|Name):", key="name", required=("name", "descr", "pid", "sn"),
            complete=(r"^\s*PID:.*\bSN:", "PID/VID/SN line"))
_LLDP_REQ = ("chassis_id", "neighbor_name", "neighbor", "neighbor_port_id", "neighbor_interface")

SPECS: tuple[CommandSpec, ...] = (  # in this order when several fit equally well
    # ---- version outputs
    CommandSpec("huawei_vrp", "display version", ("dis[[play]] ver[[sion]]",), "version",
                (r"^\s*(?:Huawei Versatile Routing Platform Software|VRP \(R\) software)", r"uptime is"),
                required=("vrp_version", "model"), maker="Huawei",
                fields=_f(model="model", software_version="vrp_version", product_version="product_version",
                          patch_version="patch_version")),
    CommandSpec("hp_comware", "display version", ("dis[[play]] ver[[sion]]",), "version",
                (r"^(?:H3C|HPE?) Comware (?:Platform )?Software", r"uptime is"), template=False),
    CommandSpec("huawei_smartax", "display version", ("di[[splay]] ver[[sion]]",), "version",
                (r"^\s*VERSION\s*:", r"^\s*PRODUCT\s*:", r"Current Program Area"), required=("olt_version",),
                maker="Huawei", fields=_f(model="product", software_version="olt_version", patch_version="patch")),
    CommandSpec("zte_zxros", "show version", ("sh[[ow]] ver[[sion]]",), "version",
                (r"^ZTE .*Software, Version: .*Release software|^ZXCTN|^ZXR10|\bZXROS\b",), maker="ZTE",
                required=("hardware", "version"), fields=_f(model="hardware", software_version="version")),
    CommandSpec("cisco_xr", "show version", ("sh[[ow]] ver[[sion]]",), "version",
                (r"^\s*Cisco IOS XR Software",), required=("version", "hardware"),
                fields=_f(model="hardware", software_version="version")),
    CommandSpec("cisco_nxos", "show version", ("sh[[ow]] ver[[sion]]",), "version",
                (r"Cisco Nexus Operating System|\bNX-?OS\b|^\s*system:\s+version|^\s*NXOS: version",),
                required=("os", "platform"),
                fields=_f(model="platform", serial="serial", software_version="os", hostname="hostname",
                          software_image="boot_image")),
    CommandSpec("cisco_asa", "show version", ("sh[[ow]] ver[[sion]]",), "version",
                (r"^Cisco Adaptive Security Appliance Software Version",), required=("version", "hardware"),
                fields=_f(model=("model", "hardware"), serial="serial", software_version="version",
                          hostname="hostname", software_image="image")),
    CommandSpec("cisco_ios", "show version", ("sh[[ow]] ver[[sion]]",), "version",
                (r"^(?:Cisco IOS Software|Cisco IOS XE Software|Cisco Internetwork Operating System Software)",
                 r"uptime is"), reject=r"Cisco IOS XR Software|Cisco Nexus Operating System",
                required=("version", "hardware"),
                fields=_f(model="hardware", serial="serial", software_version="version",
                          software_image="software_image", hostname="hostname")),
    CommandSpec("arista_eos", "show version", ("sh[[ow]] ver[[sion]]",), "version",
                (r"^Software image version:", r"^(?:System|Hardware) MAC address:"), required=("image",),
                maker="Arista Networks",
                fields=_f(model="model", serial="serial_number", software_version="image",
                          hardware_version="hw_version")),
    CommandSpec("juniper_junos", "show version", ("sh[[ow]] ver[[sion]]",), "version",
                (r"^Hostname: \S", r"^Model: \S", r"^(?:Junos: |JUNOS )"), required=("model", "junos_version"),
                maker="Juniper Networks",
                fields=_f(model="model", hostname="hostname", software_version="junos_version",
                          serial="serial_number")),
    CommandSpec("mikrotik_routeros", "system resource print", ("[[/]]sy[[stem]] re[[source]] p[[rint]]",),
                "version", (r"^\s*uptime: \S", r"^\s*(?:board-name|architecture-name|cpu): \S"),
                required=("version", "board_name"), maker="MikroTik",
                fields=_f(model="board_name", software_version="version")),
    CommandSpec("mikrotik_routeros", "system routerboard print", ("[[/]]system routerboard print",), "version",
                (r"^\s*routerboard: (?:yes|no)\s*$",), required=("hardware_model", "serial_number"),
                maker="MikroTik", fields=_f(model="hardware_model", serial="serial_number",
                                            board_name="board_name")),
    # ---- inventories, boards
    CommandSpec("hp_comware", "display device manuinfo", ("di[[splay]] dev[[ice]] m[[anuinfo]]",), "manuinfo",
                (r"^\s*DEVICE_SERIAL_NUMBER\s*:|^\s*VENDOR_NAME\s*:",), required=("device_name", "slot_id"),
                entry=r"^\s*(?:DEVICE_NAME\s*:|The operation is not supported|The card does not support"
                      r"|Failed to display)", key="device_name"),
    CommandSpec("huawei_vrp", "display device", ("di[[splay]] de[[vice]]",), "vrp-device",
                (r"^\S+'s Device status:|^Slot\s+(?:#\s+)?Card\s+Type\s+Online|^Slot/Card\s+Card-Type\s+Online",),
                required=("slot", "pid"),
                entry=r"^\s*(?:\d+|[A-Za-z]+\d+)(?:/\S+)?\s+\S", key="pid", maker="Huawei"),
    CommandSpec("huawei_smartax", "display board", ("di[[splay]] bo[[ard]]",), "board",
                (r"^\s*SlotID\s+BoardName\s+Status\s+SubType0",), required=("slot_id",),
                entry=r"^\s+\d+(?:\s|$)", key="slot_id", maker="Huawei"),
    CommandSpec("huawei_smartax", "display board serial-number", ("di[[splay]] bo[[ard]] s[[erial-number]]",),
                "board", (r"^\s*(?:Solt|Slot) ?ID\s+Board Name\s+Serial Number",), required=("slot_id",),
                entry=r"^\s+\d+(?:\s|$)", key="slot_id", maker="Huawei"),
    # the NAME/DESCR/PID format is printed by IOS, NX-OS, IOS XR, ASA (and copied by others): IOS unless the
    # text shows one of the others (a second fingerprint regex; the most specific match wins)
    CommandSpec("cisco_ios", "show inventory", ("sh[[ow]] inven[[tory]]",), "inventory", _INVENTORY_FP, **_INV),
    CommandSpec("cisco_nxos", "show inventory", ("sh[[ow]] inv[[entory]]",), "inventory",
                (*_INVENTORY_FP, r'DESCR: "[^"]*\bNexus|^\s*PID: N\d+K-'), **_INV),
    CommandSpec("cisco_xr", "admin show inventory", ("(adm[[in]] )?sh[[ow]] inven[[tory]]",), "inventory",
                (r'^\s*(?:NAME: ".*",\s*DESCR:|Name: .*\S\s+Descr: )',
                 r'^\w{3} \w{3} +\d+ \d\d:\d\d:\d\d\.\d{3}\b|^\s*Name: .*\S\s+Descr: '
                 r'|DESCR: "[^"]*(?:ASR ?9|IOS[- ]?XR|NCS|CRS)'), **_INV),
    CommandSpec("cisco_asa", "show inventory", ("sh[[ow]] inven[[tory]]",), "inventory",
                (*_INVENTORY_FP, r'^Name: "|DESCR: "[^"]*\b(?:ASA|Firepower)'), **_INV),
    # ---- LLDP neighbours
    CommandSpec("huawei_vrp", "display lldp neighbor", ("dis[[play]] lldp nei[[ghbor]]",), "lldp",
                (r"^\S+ has \d+ neighbou?r\(?s?\)?:?\s*$|^Neighbou?r index\s*:",), required=_LLDP_REQ,
                entry=r"^\s*Neighbou?r index\s*:", key="chassis_id", maker="Huawei"),
    CommandSpec("hp_comware", "display lldp neighbor-information verbose",
                ("di[[splay]] ll[[dp]] n[[eighbor-information]] v[[erbose]]",), "lldp",
                (r"^LLDP neighbor-information of port",), required=_LLDP_REQ,
                entry=r"^LLDP neighbor-information of port", key="chassis_id"),
    CommandSpec("cisco_ios", "show lldp neighbors detail", ("sh[[ow]] lld[[p]] neig[[hbors]] det[[ail]]",), "lldp",
                (r"^Chassis id: ", r"^(?:Local Intf: \S|System Name: |Port id: )"), reject=r"^Local Port id: ",
                required=_LLDP_REQ, entry=(r"^Local Intf:", r"^Chassis id:"), key="chassis_id"),
    CommandSpec("cisco_xr", "show lldp neighbors detail", ("sh[[ow]] ll[[dp]] ne[[ighbors]] de[[tail]]",), "lldp",
                (r"^Local Interface: \S", r"^Chassis id: "), required=_LLDP_REQ, entry=r"^Local Interface:",
                key="chassis_id"),
    CommandSpec("cisco_nxos", "show lldp neighbors detail", ("sh[[ow]] ll[[dp]] nei[[ghbors]] d[[etail]]",),
                "lldp", (r"^Chassis id: ", r"^Local Port id: "), required=_LLDP_REQ, entry=r"^Chassis id:",
                key="chassis_id"),
    CommandSpec("arista_eos", "show lldp neighbors detail", ("sh[[ow]] ll[[dp]] nei[[ghbors]] d[[etail]]",),
                "lldp", (r"^Interface \S+ detected \d+ LLDP neighbors",), required=_LLDP_REQ,
                entry=r"^\s*Neighbor \S+, age ", key="chassis_id", maker="Arista Networks"),
    # ---- MAC tables
    CommandSpec("huawei_vrp", "display mac-address", ("disp[[lay]] mac[[-address]]",), "mac-table",
                (r"^\s*MAC Address\s+VLAN/VSI",), required=("destination_address",), entry=_MAC_DASHED,
                key="destination_address", maker="Huawei"),  # the VLAN/VSI/BD column is VRP's own layout
    CommandSpec("hp_comware", "display mac-address", ("di[[splay]] mac-ad[[dress]]",), "mac-table",
                (r"^\s*MAC ADDR\s+VLAN ID\s+STATE",), required=("mac_address",), entry=_MAC_DASHED,
                key="mac_address"),
    CommandSpec("cisco_nxos", "show mac address-table", ("sh[[ow]] m[[ac]] addr[[ess-table]]",), "mac-table",
                (r"^\s*VLAN\s+MAC Address\s+Type\s+age\s+Secure\s+NTFY",), required=("mac_address",),
                entry=_MAC_DOTTED, key="mac_address"),
    CommandSpec("arista_eos", "show mac address-table", ("sh[[ow]] m[[ac]] ad[[dress-table]]",), "mac-table",
                (r"(?i)^\s*vlan\s+mac address\s+type\s+ports\s+moves",), required=("mac_address",),
                entry=_MAC_DOTTED, key="mac_address"),
    CommandSpec("cisco_ios", "show mac address-table",
                ("sh[[ow]] mac[[-address-table]]", "sh[[ow]] mac add[[ress-table]]"), "mac-table",
                (r"(?i)^\s*vlan\s+mac address\s+type|^Destination Address\s+Address Type\s+VLAN",),
                reject=r"(?i)^\s*vlan\s+mac address\s+type\s+ports\s+moves",
                required=("destination_address",), entry=_MAC_DOTTED, key="destination_address"),
)
PLATFORMS = tuple(dict.fromkeys(s.platform for s in SPECS))
# Platform order tried for a prompt's command, by prompt style (a Cisco-like "host#" is printed by many OSes).
_STYLE_ORDER = {
    "cisco": ("cisco_ios", "cisco_nxos", "cisco_xr", "cisco_asa", "arista_eos", "juniper_junos", "zte_zxros",
              "huawei_vrp", "hp_comware", "huawei_smartax", "mikrotik_routeros"),
    "vrp": ("huawei_vrp", "hp_comware", "huawei_smartax", "mikrotik_routeros", "cisco_ios", "cisco_nxos",
            "cisco_xr", "cisco_asa", "arista_eos", "juniper_junos", "zte_zxros"),
}
# Prompt lines: Cisco style "host#cmd", "host(config-if)#cmd", "host>cmd"; Huawei/H3C "<host>cmd", "[~host]cmd".
_CISCO_PROMPT = re.compile(r"^(?P<host>[A-Za-z0-9][\w.\-@]*)(?:\((?P<mode>[\w\-/.:]+)\))?[#>] ?(?P<cmd>.*)$")
_VRP_PROMPT = re.compile(r"^(?P<open>[<\[])[~*]?(?P<host>[^\s<>\[\]]+)[>\]] ?(?P<cmd>.*)$")
_VERBS = frozenset({
    "show", "sh", "sho", "display", "dis", "disp", "displ", "displa", "terminal", "term", "screen-length",
    "enable", "en", "system-view", "sys", "quit", "return", "exit", "end", "dir", "more", "ping",
    "traceroute", "tracert", "configure", "conf", "undo", "copy", "write", "save", "admin", "/system",
})
# Commands that only set up the session: their output (a mode change, "Info: ...") is ignored.
SESSION_VERBS = frozenset({"terminal", "term", "screen-length", "system-view", "sys", "enable", "en", "quit",
                           "return", "exit", "end", "configure", "conf"})
_SNIFF_VERBS = frozenset({"show", "sh", "display", "dis", "disp", "admin", "/system"})
_REJECTED = re.compile(r"^\s*(?:%\s*(?:Invalid|Incomplete|Ambiguous|Unrecognized|Unknown)\b|Error:\s*\S)",
                       re.IGNORECASE)
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
        command = m["cmd"].strip()
        if command.startswith(">"):  # RouterOS: "[admin@MikroTik] > /system resource print"
            command = command[1:].strip()
        return Prompt(lineno, "vrp", m["host"], command, m["open"])
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
def find_spec(platform: str, command: str) -> CommandSpec | None:
    return next((s for s in SPECS if s.platform == platform and s.matches(command)), None)


def specs_for_command(command: str) -> list[CommandSpec]:
    """Every spec (of any platform) whose command the ntc-templates index syntax accepts."""
    return [s for s in SPECS if s.matches(command)]


def fingerprint(text: str) -> CommandSpec | None:
    """The first spec whose content pre-filter matches ``text`` (see ``detect_spec`` for the full test)."""
    return next((s for s in SPECS if s.prefilter(text)), None)


def banner_vendors(text: str) -> list[str]:
    """Vendor names whose banner strings occur in ``text``, in ``BANNER_VENDORS`` order (display only)."""
    return [vendor for rx, vendor in BANNER_VENDORS if rx.search(text)]


@dataclass
class Trial:
    """One candidate template tried on (the start of) a section."""

    spec: CommandSpec
    prefiltered: bool  # its content pre-filter matched
    records: list[dict]
    failure: str | None
    coverage: float

    @property
    def accepted(self) -> bool:
        if self.failure is not None:
            return False
        if not self.spec.template:
            return self.prefiltered
        if any(_has_required(self.spec, r) for r in self.records):
            return self.prefiltered or self.coverage >= MIN_COVERAGE
        return self.prefiltered and not self.records  # an empty table (header only)

    def rank(self) -> tuple:
        """Accepted first, then pre-filtered, then the more specific pre-filter, then coverage."""
        return (self.accepted, self.prefiltered, len(self.spec.fingerprint) if self.prefiltered else 0,
                round(self.coverage, 2))


def _has_required(spec: CommandSpec, rec: dict) -> bool:
    return not spec.required or any(_first(rec.get(k)) for k in spec.required)


def coverage(lines: list[str], records: list[dict]) -> float:
    """Share of the non-blank lines (of the first ``DETECT_LINES``) holding a value of some record: how much of
    the text a template explains."""
    values: set[str] = set()
    for rec in records[:100]:
        for v in rec.values():
            for x in v if isinstance(v, list) else (v,):
                x = str(x).strip()
                if len(x) >= 2:
                    values.add(x)
    text = [line for line in lines[:DETECT_LINES] if line.strip()]
    if not text or not values:
        return 0.0
    return sum(1 for line in text if any(v in line for v in values)) / len(text)


# ------------------------------------------------------------------ helpers
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


def _get(rec: dict, *keys: str) -> str:
    """The first non-empty of ``rec``'s fields ``keys`` (of a list: its first non-empty item)."""
    return next((v for v in (_first(rec.get(k)) for k in keys) if v), "")


def _text(lines: list[str] | str) -> str:
    """Non-blank lines, right-stripped, at most ``MAX_TEXT_CHARS`` characters: the value of a TEXT identifier."""
    if isinstance(lines, str):
        lines = lines.split("\n")
    return "\n".join(ln.rstrip() for ln in lines if ln.strip())[:MAX_TEXT_CHARS]


# ------------------------------------------------------------------ parsing one section
class Templates:
    """The TextFSM template texts the ntc-templates index names, read on first use and kept for one read (on its
    :class:`Budget`); textfsm keeps the parsed index itself."""

    def __init__(self) -> None:
        self._sources: dict[tuple[str, str], str | None] = {}

    def source(self, platform: str, command: str) -> str | None:
        """The text of the template the index names for ``platform``/``command`` (None when it names several,
        which ``parse_output`` then combines)."""
        key = (platform, command)
        if key not in self._sources:
            self._sources[key] = template_source(platform, command)
        return self._sources[key]


class Budget:
    """The TextFSM runs left for one file (``MAX_TEMPLATE_RUNS``) and the templates they use (one read's)."""

    def __init__(self, runs: int | None = None, templates: Templates | None = None):
        self.runs = MAX_TEMPLATE_RUNS if runs is None else runs
        self.templates = templates or Templates()

    def take(self) -> bool:
        if self.runs <= 0:
            return False
        self.runs -= 1
        return True


def parse_records(spec: CommandSpec, lines: list[str], max_rejected: int = MAX_REJECTED_LINES,
                  budget: Budget | None = None) -> tuple[list[dict], list[tuple[int, str]], str | None]:
    """TextFSM records of ``lines`` with ntc-templates, resuming past lines the template rejects.

    Returns (records, [(index of a rejected line, its text)], a reason when the section cannot be parsed).
    ``lines`` is modified: rejected lines are blanked."""
    rejected: list[tuple[int, str]] = []
    templates = budget.templates if budget is not None else Templates()
    start = 0
    while True:
        if budget is not None and not budget.take():
            return [], rejected, (f"not parsed: the limit of {MAX_TEMPLATE_RUNS} template runs per file was "
                                  "reached")
        try:
            return run_template(spec, "\n".join(lines) + "\n", templates), rejected, None
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
            if idx is None or len(rejected) >= max_rejected:
                return [], rejected, f"ntc-templates could not parse the {spec.command!r} output: {exc}"
            rejected.append((idx, lines[idx]))
            lines[idx] = ""
            start = idx


def template_source(platform: str, command: str) -> str | None:
    """The text of the TextFSM template the ntc-templates index names for ``platform``/``command`` (None when
    it names several, which ``parse_output`` then combines); read each time (:class:`Templates` keeps them)."""
    import ntc_templates
    from textfsm import clitable

    tdir = os.environ.get("NTC_TEMPLATES_DIR") or str(Path(ntc_templates.__file__).parent / "templates")
    index = clitable.CliTable("index", tdir).index  # textfsm parses an index file once per process
    row = index.GetRowMatch({"Platform": platform, "Command": command})
    if not row:
        return None
    names = index.index[row]["Template"].split(":")
    return (Path(tdir) / names[0].strip()).read_text(encoding="utf-8") if len(names) == 1 else None


def run_template(spec: CommandSpec, data: str, templates: Templates | None = None) -> list[dict]:
    """Records of ``data`` (dicts with lower-case keys, as ``ntc_templates.parse.parse_output`` gives them).

    The template is run with TextFSM directly: the same result as ``parse_output`` without its table copies
    (four times faster on large MAC tables)."""
    import textfsm

    source = (templates or Templates()).source(spec.platform, spec.command)
    if source is None:
        from ntc_templates.parse import parse_output

        return [dict(r) for r in parse_output(platform=spec.platform, command=spec.command, data=data)]
    fsm = textfsm.TextFSM(io.StringIO(source))
    return [{k.lower(): v for k, v in row.items()} for row in fsm.ParseTextToDicts(data)]


def trial(spec: CommandSpec, lines: list[str], text: str, budget: Budget | None = None) -> Trial:
    """``spec``'s template run on the first ``DETECT_LINES`` lines of a section, scored."""
    pre = spec.prefilter(text)
    if not spec.template:
        return Trial(spec, pre, [{}], None, 1.0 if pre else 0.0)
    head = list(lines[:DETECT_LINES])
    records, _, failure = parse_records(spec, head, MAX_TRIAL_REJECTS, budget)
    records = [r for r in records if _has_required(spec, r)] or records
    return Trial(spec, pre, records, failure, coverage(head, records) if failure is None else 0.0)


def detect_spec(lines: list[str], candidates: list[CommandSpec], budget: Budget | None = None,
                prefiltered_only: bool = False) -> tuple[CommandSpec | None, list[Trial]]:
    """The candidate whose template parses ``lines`` best: pre-filter matches first (cheap regexes), then
    the templates of the matching candidates (or of every candidate when none matches and
    ``prefiltered_only`` is false) are run on the start of the text; a candidate is accepted when its records
    have their required fields and it explains enough of the text. Ties keep the candidates' order."""
    text = "\n".join(lines[:DETECT_LINES * 4])[:DETECT_CHARS]
    first = [s for s in candidates if s.prefilter(text)]
    pool = first or ([] if prefiltered_only else list(candidates))
    trials = [trial(s, lines, text, budget) for s in pool]
    best = None
    for t in trials:
        if t.accepted and (best is None or t.rank() > best.rank()):
            best = t
    return (best.spec if best else None), trials


Span = tuple[int, int]  # [start, end) line indexes of one record's text


def locate(spec: CommandSpec, lines: list[str], records: list[dict]) -> tuple[list[Span | None], list[int]]:
    """The lines of each record (None if not found) and the entry lines without a record."""
    if spec.entry is None:
        first = next((i for i, line in enumerate(lines) if line.strip()), 0)
        return [(first, len(lines))] * len(records), []
    entries: list[int] = []
    for pattern in (spec.entry,) if isinstance(spec.entry, str) else spec.entry:
        rx = re.compile(pattern)
        entries = [i for i, line in enumerate(lines) if rx.search(line)]
        if entries:
            break
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
KNOWN_PLATFORMS = tuple(dict.fromkeys((*PLATFORMS, *PLATFORM_VENDORS, "hp_comware")))


@register
class DeviceCliReader(Reader):
    format = "device-cli"
    description = "Saved network-device CLI output (show/display commands), parsed with ntc-templates"
    extensions = (".raw",)
    options = ("platform",)

    def __init__(self, platform: str | None = None):
        """``platform``: the ntc-templates platform the operator declares the output comes from (e.g.
        ``huawei_vrp``); its templates are tried first, and a platform with one maker names it."""
        if platform is not None:
            platform = platform.strip().lower()
            if platform not in KNOWN_PLATFORMS:
                raise ValueError(f"unknown device CLI platform {platform!r} (known: {', '.join(KNOWN_PLATFORMS)})")
        self.platform = platform
        self.detected: list[tuple[int, str, str]] = []  # the last read: (line, platform, command) per section

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.decode("utf-8", errors="replace")
        raw = text.split("\n")[:-1] or text.split("\n")
        lines = [clean_line(line) if len(line) <= MAX_LINE_CHARS and not line.startswith(COLLECT_HEADER) else ""
                 for line in raw]
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
        lines, long_lines = self._load(path, stats)
        capture = _Capture(path, stats, self.platform)
        for lineno, length in long_lines:
            stats.problem(f"line of {length:,} characters, longer than {MAX_LINE_CHARS:,}: not parsed", line=lineno)
        if not any(line.strip() for line in lines):
            if not long_lines:
                stats.warn("empty file: no command output")
        else:
            sections, prompts = split_sections(lines)
            capture.prompts(prompts)
            for n, section in enumerate(sections):
                if n >= MAX_SECTIONS:
                    rest = [s for s in sections[n:] if not s.blank]
                    for s in rest:
                        stats.problem(f"not parsed: more than {MAX_SECTIONS:,} command outputs in one file",
                                      line=s.start)
                    break
                capture.section(section, preamble=n == 0 and section.prompt is None and bool(prompts))
        observations = capture.finish()
        self.detected = capture.detected
        if (observations == [] and stats.malformed == 0 and (long_lines or any(line.strip() for line in lines))):
            stats.problem("no device, component, neighbour or MAC-table record found: nothing netvet reads")
        stats.read = len(observations) + stats.malformed + stats.skipped
        if progress:
            progress(total, total)
        return ReadResult(observations, stats)

    @staticmethod
    def _load(path: Path, stats: ReadStats) -> tuple[list[str], list[tuple[int, int]]]:
        """The cleaned lines, and (line number, length) of each line longer than ``MAX_LINE_CHARS`` (blanked)."""
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
        long_lines = [(i + 1, len(line)) for i, line in enumerate(raw) if len(line) > MAX_LINE_CHARS]
        for i, _ in long_lines:
            raw[i - 1] = ""
        return [clean_line(line) if not line.startswith(COLLECT_HEADER) else "" for line in raw], long_lines


@dataclass
class _DeviceFacts:
    line: int | None = None  # line of the version record
    first_section: int | None = None
    platform: str | None = None
    attrs: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # name -> (priority, value, field)
    vendors: list[tuple[str, str, Strength]] = field(default_factory=list)  # (vendor, identifier field, strength)
    macs: list[tuple[str, str]] = field(default_factory=list)  # (MAC, identifier field)
    texts: list[str] = field(default_factory=list)  # version outputs
    display_vendor: str = ""  # from a version banner: shown, not evidence

    def put(self, name: str, value: str, priority: int, source: str = "") -> None:
        if value and (name not in self.attrs or self.attrs[name][0] < priority):
            self.attrs[name] = (priority, value, source)

    def vendor(self, name: str, source: str, strength: Strength) -> None:
        if name and all(v.lower() != name.lower() or s != source for v, s, _ in self.vendors):
            self.vendors.append((name, source, strength))

    def mac(self, mac: str, source: str) -> None:
        if mac and all(m != mac for m, _ in self.macs):
            self.macs.append((mac, source))


class _Capture:
    """Turns the sections of one capture into observations."""

    def __init__(self, path: Path, stats: ReadStats, platform: str | None = None):
        self.path = path
        self.stats = stats
        self.declared = platform
        self.device_id = f"{path.name}#device"
        self.device = _DeviceFacts()
        self.observations: list[Observation] = []
        self.serials: dict[str, list[int]] = {}
        self.platforms: list[str] = []
        self.detected: list[tuple[int, str, str]] = []  # (line, platform, command) of each section parsed
        self.parsed = False
        self.chassis_seen = False  # the first chassis entry gives the device's model and serial
        self.vrp_header_seen = False
        self.budget = Budget()
        self.ids: set[str] = set()

    def _id(self, line: int) -> str:
        oid = f"{self.path.name}:{line}"
        n = 1
        while oid in self.ids:
            n += 1
            oid = f"{self.path.name}:{line}#{n}"
        self.ids.add(oid)
        return oid

    # -------------------------------------------------------------- candidates
    def _candidates(self, command: str | None, style: str | None) -> list[CommandSpec]:
        """Specs a section may be: those of the command (any platform) or every spec, the declared platform's
        only (when it has templates), ordered by the declared platform, the platforms already seen in this
        capture, then the prompt style's usual platforms."""
        pool = list(SPECS) if command is None else specs_for_command(command)
        if self.declared in PLATFORMS:
            pool = [s for s in pool if s.platform == self.declared]
        order = list(_STYLE_ORDER.get(style or "", PLATFORMS))
        for p in reversed([*self.platforms, *([self.declared] if self.declared else [])]):
            if p in order:
                order.remove(p)
            order.insert(0, p)
        rank = {p: i for i, p in enumerate(order)}
        return sorted(pool, key=lambda s: rank.get(s.platform, len(rank)))  # stable: SPECS order within one

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
            where = sec.first_text_line()
            candidates = self._candidates(None, None)
            spec, _ = detect_spec(sec.lines, candidates, self.budget,
                                  prefiltered_only=self.declared not in PLATFORMS)
            if spec is None:
                if preamble:
                    st.skipped += 1
                    st.warn("text before the first prompt is not a known command output: skipped", line=where)
                else:
                    st.problem("cannot tell which device command produced this output (no prompt line and no "
                               "known output format" + (f" of {self.declared}" if self.declared else "") + ")",
                               line=where)
                return
            self._parse(sec, spec)
            return
        command = sec.prompt.command
        rejected = self._rejected(sec)
        if rejected is not None:
            st.skipped += 1
            st.warn(f"the device rejected {command!r}: {rejected}", line=sec.start)
            return
        candidates = self._candidates(command, sec.prompt.style)
        if not candidates:
            if not sec.blank and _verb(command) not in SESSION_VERBS:
                st.skipped += 1
                st.warn(f"command {command!r} is not one netvet reads: its output is skipped", line=sec.start)
            return
        if sec.blank:
            st.problem(f"no output for {command!r}", line=sec.start)
            return
        spec = candidates[0]
        if len(candidates) > 1:
            best, trials = detect_spec(sec.lines, candidates, self.budget)
            # none fits: report against the first pre-filter match, else the likeliest platform
            spec = best or next((t.spec for t in trials if t.prefiltered), candidates[0])
        self._parse(sec, spec)

    @staticmethod
    def _rejected(sec: Section) -> str | None:
        shown = [line.strip() for line in sec.lines if line.strip()][:3]
        for text in shown:
            if _REJECTED.match(text):
                return text
        return None

    def _parse(self, sec: Section, spec: CommandSpec) -> None:
        st = self.stats
        lines = list(sec.lines)
        if spec.template:
            records, rejected, failure = parse_records(spec, lines, budget=self.budget)
        else:
            records, rejected, failure = [{}], [], None
        if failure is None and not records and rejected:
            failure = (f"output not understood by the ntc-templates {spec.platform} {spec.command!r} template "
                       f"({len(rejected)} line(s) rejected, the first: {rejected[0][1].strip()[:60]!r})")
        if failure is not None:
            st.problem(failure, line=sec.start)
            return
        for idx, text in rejected:
            st.problem(f"line not understood by the ntc-templates {spec.platform} {spec.command!r} template: "
                       f"{text.strip()[:80]!r}", line=sec.first + idx)
        where, orphans = locate(spec, lines, records)
        if not records and not orphans and not spec.prefilter(sec.text()):
            st.problem(f"no {spec.command!r} record found in the output", line=sec.start)
            return
        for idx in orphans:
            if spec.handler == "mac-table":  # a valid row the template does not read (e.g. a list of ports)
                st.skipped += 1
                st.warn(f"MAC-table row not read by the ntc-templates {spec.platform} {spec.command!r} template: "
                        f"{lines[idx].strip()[:80]!r}", line=sec.first + idx)
                continue
            st.problem(f"{spec.command!r} entry without a parsed record (truncated or not understood): "
                       f"{lines[idx].strip()[:80]!r}", line=sec.first + idx)
        handler = getattr(self, "_" + spec.handler.replace("-", "_"))
        used = not records  # an empty table (header only) still shows the device
        complete = re.compile(spec.complete[0]) if spec.complete else None
        for rec, span in zip(records, where, strict=True):
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
        self.detected.append((sec.start, spec.platform, spec.command))
        if spec.platform not in self.platforms:
            self.platforms.append(spec.platform)
        if spec.maker:
            self.device.vendor(spec.maker, "cli:output-format", Strength.MODERATE)
        if self.device.first_section is None:
            self.device.first_section = sec.start

    # -------------------------------------------------------------- handlers
    def _version(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        dev = self.device
        text = _text(lines)
        if spec.template:
            values = {name: _get(rec, *keys) for name, keys in spec.fields}
            if not any(values.values()):
                self.stats.problem(f"no model or version found in the {spec.command!r} output", line=line)
                return False
            for key in ("mac_address", "sys_mac"):
                value = rec.get(key)
                for item in value if isinstance(value, list) else [value]:
                    norm = fast_mac(_clean(item)) if _clean(item) else None
                    if norm:
                        dev.mac(norm, "cli:version@mac_address")
            sources = {name: f"cli:version@{keys[0]}" for name, keys in spec.fields}
        else:  # no template: the banner's model and version
            if not spec.prefilter("\n".join(lines)):
                self.stats.skipped += 1
                self.stats.warn(f"{spec.command!r} on {spec.platform}: no template and no known banner: skipped",
                                line=line)
                return False
            model = _BANNER_MODEL.search("\n".join(lines))
            version = _BANNER_VERSION.search("\n".join(lines[:12]))
            values = {"model": model.group(1) if model else "",
                      "software_version": " Release ".join(v for v in version.groups() if v) if version else ""}
            sources = {"model": "cli:version@banner", "software_version": "cli:version@banner"}
        if dev.line is None:
            dev.line = line
            dev.platform = spec.platform
        for name, value in values.items():
            dev.put(name, value, 3, sources.get(name, ""))
        if text and text not in dev.texts:
            dev.texts.append(text)
        if not dev.display_vendor:
            dev.display_vendor = next(iter(banner_vendors(text)), "")
        return True

    def _component(self, line: int, attrs: dict[str, str], idents: list[Identifier]) -> None:
        attrs = {k: v for k, v in attrs.items() if v}
        if attrs.get("serial"):
            self.serials.setdefault(attrs["serial"], []).append(line)
        seen: set[tuple] = set()
        idents = [i for i in idents if i.value and not ((i.kind, i.value, i.context) in seen
                                                        or seen.add((i.kind, i.value, i.context)))]
        self.observations.append(Observation(
            id=self._id(line), kind="component", source=SourceRef(str(self.path), line=line),
            identifiers=idents, attributes=attrs, parent=self.device_id))

    @staticmethod
    def _model_text(value: str, source: str) -> Identifier:
        return Identifier(IdKind.TEXT, value, source, Strength.MODERATE, TextContext.MODEL)

    @staticmethod
    def _inventory_text(value: str, source: str) -> Identifier:
        return Identifier(IdKind.TEXT, value[:MAX_TEXT_CHARS], source, Strength.MODERATE, TextContext.CLI_INVENTORY)

    def _chassis(self, model: str, serial: str, source: str) -> None:
        if not self.chassis_seen:
            self.chassis_seen = True
            self.device.put("model", model, 2, source)
            self.device.put("serial", serial, 2)

    def _inventory(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        name, descr, pid = _clean(rec.get("name")), _clean(rec.get("descr")), _clean(rec.get("pid"))
        model = pid.rstrip("=")
        ctype = _cisco_component_type(f"{name} {descr}")
        attrs = {"component_type": ctype, "name": name, "description": descr, "model": model,
                 "pid": pid if pid != model else "", "hardware_version": _clean(rec.get("vid")),
                 "serial": _clean(rec.get("sn"))}
        if ctype == "chassis":
            self._chassis(model, attrs["serial"], "cli:inventory@PID")
        idents = [self._inventory_text(descr, "cli:inventory@DESCR") if descr
                  else self._inventory_text(name, "cli:inventory@NAME"), self._model_text(model, "cli:inventory@PID")]
        self._component(line, attrs, idents)
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
        idents.append(self._model_text(model, "cli:manuinfo@DEVICE_NAME"))
        mac_text = _clean(rec.get("mac_address"))
        if mac_text:
            mac = fast_mac(mac_text)
            if mac is None:
                self.stats.warn(f"{label}: invalid MAC_ADDRESS {mac_text!r}", line=line)
            else:
                idents.append(Identifier(IdKind.MAC, mac, "cli:manuinfo@MAC_ADDRESS", Strength.MODERATE))
                attrs["mac"] = mac
        # the device: its first chassis entry, or (a box or stack member with no chassis entry) its first slot
        if not self.chassis_seen and (ctype == "chassis" or slot_type.lower() == "slot"):
            self._chassis(model, attrs["serial"], "cli:manuinfo@DEVICE_NAME")
            if vendor:
                self.device.vendor(vendor, "cli:manuinfo@VENDOR_NAME", Strength.STRONG)
        self._component(line, attrs, idents)
        return True

    def _vrp_device(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        if not self.vrp_header_seen:
            self.vrp_header_seen = True
            for text in lines[:5]:
                m = _VRP_DEVICE_HEADER.match(text)
                if m:
                    self.device.put("model", m.group(1), 1, "cli:device@header")
                    break
        slot = _clean(rec.get("slot"))
        upper = slot.upper()
        ctype = "psu" if upper.startswith(("PWR", "POWER", "PSU")) else "fan" if upper.startswith("FAN") else "board"
        card = _clean(rec.get("card"))
        model = _clean(rec.get("pid"))
        attrs = {"component_type": ctype, "name": f"slot {slot}" + (f"/{card}" if card else ""), "slot": slot,
                 "model": model, "status": _clean(rec.get("online_status")),
                 "ha_role": _clean(rec.get("ha_status"))}
        self._component(line, attrs, [self._model_text(model, "cli:device@Type")])
        return True

    def _board(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        slot = _clean(rec.get("slot_id"))
        model = _get(rec, "boardname", "board_name")
        if not model:
            self.stats.skipped += 1  # an empty slot: read, not a component
            return False
        attrs = {"component_type": "board", "name": f"slot {slot}", "slot": slot, "model": model,
                 "status": _clean(rec.get("status")), "serial": _clean(rec.get("serial_number")),
                 "subtype": ", ".join(v for v in (_clean(rec.get("subtype_0")), _clean(rec.get("subtype_1"))) if v),
                 "online": _clean(rec.get("online_offline"))}
        self._component(line, attrs, [self._model_text(model, "cli:board@BoardName")])
        return True

    def _mac_table(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        text = _get(rec, "destination_address", "mac_address")
        mac = fast_mac(text)
        if mac is None:
            self.stats.problem(f"invalid MAC address {text!r} in the MAC table", line=line)
            return False
        attrs = {"mac": mac, "vlan": _clean(rec.get("vlan_id")),
                 "port": _clean(rec.get("destination_port") or rec.get("ports") or rec.get("interface")),
                 "type": _get(rec, "type", "state"), "seen_by": self.device_id}
        self.observations.append(Observation(
            id=self._id(line), kind="mac-table-entry", source=SourceRef(str(self.path), line=line),
            identifiers=[Identifier(IdKind.MAC, mac, "cli:mac-table", Strength.MODERATE)],
            attributes={k: v for k, v in attrs.items() if v}))
        return True

    def _lldp(self, spec: CommandSpec, rec: dict, line: int, sec: Section, lines: list[str]) -> bool:
        descr = rec.get("neighbor_description") or rec.get("system_description") or []
        descr_text = "\n".join(d.strip() for d in descr) if isinstance(descr, list) else _clean(descr)
        descr_text = "" if descr_text.lower() in PLACEHOLDERS else descr_text.strip().strip('"')
        chassis = _clean(rec.get("chassis_id"))
        port_id = _get(rec, "neighbor_port_id") or _get(rec, "neighbor_interface")
        port_descr = _get(rec, "neighbor_port_description", "neighbor_interface_description") or (
            _get(rec, "neighbor_interface") if _get(rec, "neighbor_port_id") else "")
        attrs = {"hostname": _get(rec, "neighbor_name", "neighbor").strip('"'), "system_description": descr_text,
                 "chassis_id": chassis, "chassis_id_type": _clean(rec.get("chassis_type")),
                 "port_id": port_id.strip('"'), "port_description": port_descr,
                 "local_interface": _clean(rec.get("local_interface")),
                 "capabilities": _clean(rec.get("capabilities")),
                 "model": _get(rec, "model_name", "platform"), "serial": _clean(rec.get("serial")),
                 "seen_by": self.device_id}
        idents: list[Identifier] = []
        mac = fast_mac(chassis) if chassis else None
        if mac:
            idents.append(Identifier(IdKind.MAC, mac, "cli:lldp@chassis_id", Strength.MODERATE))
            attrs["mac"] = mac
        elif attrs["chassis_id_type"].lower().startswith("mac"):
            self.stats.warn(f"LLDP chassis id {chassis!r} is said to be a MAC address but is not one", line=line)
        if descr_text:  # the neighbour's own declaration, matched by the fingerprints
            idents.append(Identifier(IdKind.TEXT, descr_text[:MAX_TEXT_CHARS], "cli:lldp@system_description",
                                     Strength.MODERATE, TextContext.LLDP_SYS_DESCR))
        manufacturer = _clean(rec.get("manufacturer"))
        if manufacturer:
            attrs["manufacturer"] = manufacturer
            idents.append(Identifier(IdKind.NAME, manufacturer, "cli:lldp@manufacturer", Strength.MODERATE))
        if attrs["model"]:
            idents.append(self._model_text(attrs["model"], "cli:lldp@model"))
        mgmt = _get(rec, "mgmt_address", "management_ip")
        if mgmt:
            try:
                attrs["ip"] = str(ipaddress.ip_address(mgmt))
            except ValueError:
                attrs["mgmt_address"] = mgmt
        self.observations.append(Observation(
            id=self._id(line), kind="neighbor", source=SourceRef(str(self.path), line=line),
            identifiers=idents, attributes={k: v for k, v in attrs.items() if v}))
        return True

    # -------------------------------------------------------------- the device
    def finish(self) -> list[Observation]:
        if not self.parsed:
            return self.observations
        dev = self.device
        platform = self.declared or dev.platform or self.platforms[0]
        if len(self.platforms) > 1:
            self.stats.warn(f"sections of several platforms ({', '.join(self.platforms)}): read as one device")
        if self.declared and PLATFORM_VENDORS.get(self.declared):
            dev.vendors.insert(0, (PLATFORM_VENDORS[self.declared], "cli:declared-platform", Strength.STRONG))
        order = {"cli:declared-platform": 0, "cli:manuinfo@VENDOR_NAME": 1, "cli:output-format": 2}
        vendors = sorted(dev.vendors, key=lambda v: order.get(v[1], 3))
        idents = [Identifier(IdKind.NAME, v, src, strength) for v, src, strength in vendors]
        idents += [Identifier(IdKind.TEXT, t, "cli:version", Strength.STRONG, TextContext.CLI_VERSION)
                   for t in dev.texts]
        if "model" in dev.attrs:
            _, model, source = dev.attrs["model"]
            idents.append(self._model_text(model, source or "cli:version@model"))
        idents += [Identifier(IdKind.MAC, m, src, Strength.MODERATE) for m, src in dev.macs]
        attrs = {"platform": platform}
        vendor = vendors[0][0] if vendors else dev.display_vendor
        if vendor:
            attrs["vendor"] = vendor
        for name in ("model", "serial", "software_version", "hostname", "software_image", "product_version",
                     "patch_version", "hardware_version", "board_name"):
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
