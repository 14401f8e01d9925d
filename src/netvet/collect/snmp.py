"""``netvet collect snmp``: GETBULK walks of the subtrees netvet reads, written as ``.snmprec`` files.

Targets file: one target a line, ``HOST[:PORT]`` (``[v6addr]:PORT`` for IPv6) followed by optional
``community=NAME`` or ``profile=NAME`` (a named profile of the credentials file) and ``name=LABEL`` (names the
target and its file when several targets share one address); ``#`` starts a comment. A
targets file that names communities holds secrets: it must be readable by its owner only.

Walked (and nothing else): system ``1.3.6.1.2.1.1``, ENTITY-MIB entPhysicalTable ``1.3.6.1.2.1.47.1.1.1``,
ifPhysAddress ``1.3.6.1.2.1.2.2.1.6``, LLDP-MIB local ``1.0.8802.1.1.2.1.3`` and remote ``1.0.8802.1.1.2.1.4``
systems data, the private enterprise subtree of the sysObjectID (at most ``max_per_subtree`` records), and the
first record of each other enterprise arc the agent serves (netvet reads only which arcs are present). Each
walk is bounded (``max_per_subtree`` records); requests have a timeout and retries; at most ``concurrency``
targets are walked at once (asyncio). The ``.snmprec`` lines are exactly snmpsim's ``OID|type|value``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import CollectError, need
from .bundle import Bundle, safe_name
from .credentials import SECRETS, Profiles, from_env, from_keyring

SYSTEM = "1.3.6.1.2.1.1"
ENT_COLUMNS = (2, 4, 5, 7, 11, 12, 13)  # entPhysicalDescr, ContainedIn, Class, Name, SerialNum, MfgName, ModelName
SUBTREES = (
    SYSTEM,
    "1.3.6.1.2.1.2.2.1.6",  # ifPhysAddress
    *(f"1.3.6.1.2.1.47.1.1.1.1.{c}" for c in ENT_COLUMNS),  # ENTITY-MIB entPhysicalTable, the columns netvet reads
    "1.0.8802.1.1.2.1.3",  # LLDP-MIB lldpLocalSystemData
    "1.0.8802.1.1.2.1.4",  # LLDP-MIB lldpRemoteSystemsData
)
ENTERPRISES = "1.3.6.1.4.1"  # private MIBs: the sysObjectID's own arc (max_private records), one record of others
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
MAX_ARCS = 64  # enterprise arcs discovered per agent


@dataclass
class Target:
    host: str
    port: int = 161
    community: str | None = None
    profile: str | None = None
    line: int = 0
    label: str | None = None  # name=LABEL: names the target (and its file) when several share HOST:PORT

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def name(self) -> str:
        return f"{self.address} ({self.label})" if self.label else self.address


@dataclass
class Auth:
    """SNMP credentials: v2c community or v3 USM user."""

    version: str = "2c"
    community: str | None = None
    user: str | None = None
    auth_key: str | None = None
    priv_key: str | None = None
    auth_protocol: str = "sha"
    priv_protocol: str = "aes"
    context: str = ""  # SNMPv3 context name

    def describe(self) -> str:
        return f"v3 user {self.user}" if self.version == "3" else "v2c"


def parse_targets(path: Path) -> list[Target]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CollectError(f"targets file {path}: cannot read: {exc}") from None
    targets: list[Target] = []
    errors: list[str] = []
    has_secret = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        hostport, opts = parts[0], parts[1:]
        m = re.fullmatch(r"\[(?P<h6>[0-9A-Fa-f:.]+)\](?::(?P<p6>\d+))?|(?P<h>[^:\s]+)(?::(?P<p>\d+))?", hostport)
        if not m:
            errors.append(f"line {n}: not HOST[:PORT]: {hostport!r}")
            continue
        host = m["h6"] or m["h"]
        port = int(m["p6"] or m["p"] or 161)
        if not 0 < port < 65536:
            errors.append(f"line {n}: port {port} out of range")
            continue
        t = Target(host, port, line=n)
        for opt in opts:
            key, sep, value = opt.partition("=")
            if not sep or not value or key not in ("community", "profile", "name"):
                errors.append(f"line {n}: unknown option {key!r} (community=NAME, profile=NAME or name=LABEL)")
                continue
            if key == "name":
                t.label = value
            elif key == "community":
                t.community = SECRETS.add(value)
                has_secret = True
            else:
                t.profile = value
        targets.append(t)
    if errors:
        raise CollectError(f"targets file {path}: " + "; ".join(errors[:10]))
    if has_secret and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CollectError(f"targets file {path} names communities but is readable by group or others; "
                           f"run: chmod 600 {path}")
    if not targets:
        raise CollectError(f"targets file {path}: no targets")
    return targets


def auth_for(target: Target, default: Auth | None, profiles: Profiles) -> Auth:
    if target.community:
        return Auth("2c", community=target.community)
    if target.profile:
        p = profiles.get(target.profile)
        version = str(p.get("snmp_version", "3" if p.get("user") else "2c"))
        if version in ("3", "v3"):
            if not p.get("user"):
                raise CollectError(f"profile {target.profile!r}: SNMPv3 needs 'user'")
            return Auth("3", user=p["user"], auth_key=p.get("auth_key"), priv_key=p.get("priv_key"),
                        auth_protocol=p.get("auth_protocol", "sha"), priv_protocol=p.get("priv_protocol", "aes"),
                        context=p.get("context", ""))
        if not p.get("community"):
            raise CollectError(f"profile {target.profile!r}: SNMPv2c needs 'community'")
        return Auth("2c", community=p["community"])
    if default is None:
        raise CollectError(f"target {target.name} (line {target.line}): no credentials: give --community-env, "
                           "--v3-user, or community=/profile= on its line")
    return default


def default_auth(community_env: str | None, community_keyring: str | None, v3_user: str | None,
                 v3_auth_env: str | None, v3_priv_env: str | None, v3_auth_protocol: str,
                 v3_priv_protocol: str) -> Auth | None:
    if v3_user:
        return Auth("3", user=v3_user,
                    auth_key=from_env(v3_auth_env, "SNMPv3 auth key") if v3_auth_env else None,
                    priv_key=from_env(v3_priv_env, "SNMPv3 privacy key") if v3_priv_env else None,
                    auth_protocol=v3_auth_protocol, priv_protocol=v3_priv_protocol)
    if community_env:
        return Auth("2c", community=from_env(community_env, "SNMP community"))
    if community_keyring:
        return Auth("2c", community=from_keyring(community_keyring, "community", "SNMP community"))
    return None


# ---------------------------------------------------------------------- encoding
def _type_codes(rfc1902) -> dict:
    return {
        rfc1902.Integer32.tagSet: "2", rfc1902.Integer.tagSet: "2", rfc1902.OctetString.tagSet: "4",
        rfc1902.Null.tagSet: "5", rfc1902.ObjectIdentifier.tagSet: "6", rfc1902.IpAddress.tagSet: "64",
        rfc1902.Counter32.tagSet: "65", rfc1902.Gauge32.tagSet: "66", rfc1902.Unsigned32.tagSet: "66",
        rfc1902.TimeTicks.tagSet: "67", rfc1902.Opaque.tagSet: "68", rfc1902.Counter64.tagSet: "70",
    }


def encode_value(code: str, value) -> tuple[str, str]:
    """(type tag, value) as snmpsim writes them: printable OCTET STRINGs as text, others as ``4x`` hex."""
    if code in ("4", "68"):
        raw = bytes(value.asOctets())
        if raw and all(0x20 <= b < 0x7F for b in raw):
            return code, raw.decode("ascii")
        return (code + "x", raw.hex()) if raw else (code, "")
    if code == "6":
        return code, ".".join(str(x) for x in value.asTuple())
    if code == "64":
        return code, str(ipaddress.IPv4Address(bytes(value.asOctets())))
    if code == "5":
        return code, ""
    return code, str(int(value))


def oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.split("."))


def snmprec_text(records: dict[str, tuple[str, str]]) -> str:
    return "".join(f"{oid}|{code}|{value}\n" for oid, (code, value) in sorted(records.items(),
                                                                              key=lambda kv: oid_key(kv[0])))


# ---------------------------------------------------------------------- walking
@dataclass
class SnmpOptions:
    timeout: float = 2.0
    retries: int = 1
    concurrency: int = 32
    max_repetitions: int = 50
    max_per_subtree: int = 2000
    max_private: int = 200
    target_timeout: float = 120.0


@dataclass
class _Walker:
    hl: object
    engine: object
    auth: object
    transport: object
    codes: dict
    opts: SnmpOptions
    context: object = None
    records: dict[str, tuple[str, str]] = field(default_factory=dict)

    async def _bulk(self, oid: str, repetitions: int | None = None) -> list[tuple[str, object]]:
        hl = self.hl
        err, status, index, vbs = await hl.bulk_cmd(
            self.engine, self.auth, self.transport, self.context if self.context is not None else hl.ContextData(), 0,
            repetitions or self.opts.max_repetitions,
            hl.ObjectType(hl.ObjectIdentity(oid)), lookupMib=False)
        if err:
            raise CollectError(f"SNMP: {err}")
        if status and int(status) != 0:
            if str(status.prettyPrint() if hasattr(status, "prettyPrint") else status) == "noSuchName":
                return []
            text = status.prettyPrint() if hasattr(status, "prettyPrint") else status
            raise CollectError(f"SNMP error-status {text}")
        return [(str(vb[0]), vb[1]) for vb in vbs]

    def _keep(self, oid: str, value) -> bool:
        code = self.codes.get(value.tagSet)
        if code is None:  # endOfMibView, noSuchObject, noSuchInstance, unknown types
            return False
        self.records[oid] = encode_value(code, value)
        return True

    async def walk(self, root: str, limit: int) -> int:
        """Walk ``root`` with GETBULK, keeping at most ``limit`` records; returns how many were kept."""
        prefix = root + "."
        cur, kept = root, 0
        reps = 8  # small first: most subtrees are short or absent, and every varbind past the end is wasted
        while kept < limit:
            vbs = await self._bulk(cur, min(reps, self.opts.max_repetitions, limit - kept))
            reps *= 4
            if not vbs:
                return kept
            progressed = False
            for oid, value in vbs:
                if not oid.startswith(prefix) or oid_key(oid) <= oid_key(cur):
                    return kept
                if not self._keep(oid, value):
                    return kept
                cur, kept, progressed = oid, kept + 1, True
                if kept >= limit:
                    break
            if not progressed:
                return kept
        return kept

    async def first_after(self, oid: str) -> tuple[str, object] | None:
        vbs = await self._bulk(oid, 1)
        return vbs[0] if vbs else None


async def walk_target(hl, engine, target: Target, auth: Auth, codes: dict, opts: SnmpOptions) -> dict:
    if auth.version == "3":
        auth_proto = {"md5": hl.usmHMACMD5AuthProtocol, "sha": hl.usmHMACSHAAuthProtocol,
                      "sha256": hl.usmHMAC192SHA256AuthProtocol, "sha512": hl.usmHMAC384SHA512AuthProtocol}
        priv_proto = {"des": hl.usmDESPrivProtocol, "aes": hl.usmAesCfb128Protocol,
                      "aes256": hl.usmAesCfb256Protocol}
        if auth.auth_protocol not in auth_proto or auth.priv_protocol not in priv_proto:
            raise CollectError(f"unknown SNMPv3 protocol {auth.auth_protocol}/{auth.priv_protocol}")
        usm = hl.UsmUserData(
            auth.user, authKey=auth.auth_key, privKey=auth.priv_key,
            authProtocol=auth_proto[auth.auth_protocol] if auth.auth_key else hl.usmNoAuthProtocol,
            privProtocol=priv_proto[auth.priv_protocol] if auth.priv_key else hl.usmNoPrivProtocol)
    else:
        usm = hl.CommunityData(auth.community, mpModel=1)
    if ":" in target.host:
        transport = await hl.Udp6TransportTarget.create((target.host, target.port), timeout=opts.timeout,
                                                        retries=opts.retries)
    else:
        transport = await hl.UdpTransportTarget.create((target.host, target.port), timeout=opts.timeout,
                                                       retries=opts.retries)
    w = _Walker(hl, engine, usm, transport, codes, opts, hl.ContextData(contextName=auth.context)
                if auth.context else hl.ContextData())
    for root in SUBTREES:
        await w.walk(root, opts.max_per_subtree)
    own = None
    sysoid = w.records.get(SYS_OBJECT_ID)
    if sysoid and sysoid[0] == "6" and sysoid[1].startswith(ENTERPRISES + "."):
        own = sysoid[1].split(".")[6]
    cur = ENTERPRISES
    for _ in range(MAX_ARCS):
        nxt = await w.first_after(cur)
        if nxt is None or not nxt[0].startswith(ENTERPRISES + "."):
            break
        arc = nxt[0].split(".")[6]
        if arc == own:
            await w.walk(f"{ENTERPRISES}.{arc}", opts.max_private)
        elif not w._keep(*nxt):
            break
        cur = f"{ENTERPRISES}.{int(arc) + 1}"
    if not w.records:
        raise CollectError("the agent answered, but with no record of the subtrees netvet reads")
    return w.records


class _NoCompiler:
    """Stands in for pysmi's MIB compiler: netvet asks by numeric OID and never compiles a MIB."""

    def compile(self, *names, **kwargs):
        return {}


def collect_snmp(targets: list[Target], bundle: Bundle, default: Auth | None, profiles: Profiles,
                 opts: SnmpOptions, on_done: Callable[[str, bool], None] | None = None) -> None:
    """Walk every target (at most ``opts.concurrency`` at once) into ``bundle``; failures are recorded per
    target and never stop the others."""
    hl = need("pysnmp.hlapi.v3arch.asyncio", "pysnmp")
    rfc1902 = need("pysnmp.proto.rfc1902", "pysnmp")
    codes = _type_codes(rfc1902)
    # resolve every target's credentials first: a missing one is a usage error, before any packet is sent
    auths = {id(t): auth_for(t, default, profiles) for t in targets}
    used: dict[str, int] = {}

    def file_for(t: Target) -> str:
        base = safe_name(t.address.replace(":", "_") + (f"_{t.label}" if t.label else ""))
        used[base] = used.get(base, 0) + 1
        return f"snmp/{base}.snmprec" if used[base] == 1 else f"snmp/{base}-{used[base]}.snmprec"

    names = {id(t): file_for(t) for t in targets}

    async def main() -> None:
        engine = hl.SnmpEngine()
        # OIDs are numeric and no MIB is looked up: keep pysnmp from building its MIB compiler (seconds of
        # start-up, and it would look for MIB files)
        builder = engine.get_mib_builder() if hasattr(engine, "get_mib_builder") else None
        if builder is not None and hasattr(builder, "set_mib_compiler") and not builder.get_mib_compiler():
            builder.set_mib_compiler(_NoCompiler(), str(bundle.directory / ".pysnmp-mibs"))
        sem = asyncio.Semaphore(max(1, opts.concurrency))

        async def one(t: Target) -> None:
            async with sem:
                try:
                    records = await asyncio.wait_for(walk_target(hl, engine, t, auths[id(t)], codes, opts),
                                                     timeout=opts.target_timeout)
                except TimeoutError:
                    bundle.failed(t.name, f"no complete walk within {opts.target_timeout:g} s")
                    ok = False
                except CollectError as exc:
                    bundle.failed(t.name, SECRETS.redact(str(exc)))
                    ok = False
                except Exception as exc:  # noqa: BLE001 - one target's failure never stops the others
                    bundle.failed(t.name, SECRETS.redact(f"{type(exc).__name__}: {exc}"))
                    ok = False
                else:
                    bundle.add_file(names[id(t)], snmprec_text(records).encode("utf-8"), t.name, "snmp-walk")
                    bundle.ok(t.name)
                    ok = True
                if on_done:
                    on_done(t.name, ok)

        try:
            await asyncio.gather(*(one(t) for t in targets))
        finally:
            close = getattr(engine, "close_dispatcher", None) or getattr(engine, "closeDispatcher", None)
            if close:
                with contextlib.suppress(Exception):  # best effort at shutdown
                    close()

    asyncio.run(main())
