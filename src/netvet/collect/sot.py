"""``netvet collect netbox|nautobot``: a source-of-truth export in the ``sot-json`` format.

NetBox is read through pynetbox, Nautobot through its REST API (``?depth=1``); both give plain JSON objects that
one mapping (:func:`map_device`, :func:`map_circuit`) turns into the export's records, so that the two paths
cannot drift apart. Read: manufacturers (through device types), device types, platforms, serials, interfaces
with MACs, primary IPs, sites (Nautobot: locations), roles, statuses, tags, circuits and their providers with
the providers' ASNs. Nothing is ever written by a collector.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import CollectError, need
from .bundle import Bundle

Fetch = Callable[[str], Iterable[dict]]  # endpoint ("dcim/devices") -> records as JSON objects


def _name(ref) -> str:
    """The name of a nested object (NetBox brief / Nautobot depth-1 form), or a plain value."""
    if isinstance(ref, dict):
        for key in ("name", "model", "display", "label", "value", "address"):
            if isinstance(ref.get(key), (str, int)) and str(ref[key]).strip():
                return str(ref[key]).strip()
        return ""
    return str(ref).strip() if isinstance(ref, (str, int)) and str(ref).strip() else ""


def _id(ref) -> str:
    if isinstance(ref, dict):
        return str(ref.get("id", "")) or ""
    return str(ref) if isinstance(ref, (str, int)) else ""


def _mac(iface: dict) -> str:
    for value in (iface.get("mac_address"), (iface.get("primary_mac_address") or {}).get("mac_address")
                  if isinstance(iface.get("primary_mac_address"), dict) else None):
        if isinstance(value, str) and value.strip():
            return value.strip()
    for m in iface.get("mac_addresses") or []:
        if isinstance(m, dict) and m.get("mac_address"):
            return str(m["mac_address"])
    return ""


def map_device(d: dict, device_types: dict[str, dict], interfaces: dict[str, list[dict]]) -> dict:
    dt = d.get("device_type") or {}
    full_dt = device_types.get(_id(dt), {})
    manuf = _name(dt.get("manufacturer") if isinstance(dt, dict) else None) \
        or _name(full_dt.get("manufacturer")) or ""
    model = (dt.get("model") if isinstance(dt, dict) and dt.get("model") else "") or full_dt.get("model") or ""
    platform = d.get("platform")
    plat = ""
    if isinstance(platform, dict):
        plat = str(platform.get("network_driver") or platform.get("slug") or platform.get("name") or "")
    ip = d.get("primary_ip") or d.get("primary_ip4") or d.get("primary_ip6")
    site = d.get("site") or d.get("location")
    role = d.get("role") or d.get("device_role")
    status = d.get("status")
    rec = {
        "id": _id(d), "url": d.get("url") or "", "name": d.get("name") or "", "manufacturer": manuf,
        "model": model, "platform": plat, "serial": d.get("serial") or "", "role": _name(role),
        "site": _name(site), "status": (status.get("value") or status.get("name") or "") if isinstance(status, dict)
        else _name(status), "primary_ip": _name(ip) if isinstance(ip, dict) else "",
        "tags": sorted(_name(t) for t in d.get("tags") or [] if _name(t)),
        "interfaces": [{"name": i.get("name") or "", "mac": _mac(i)} for i in interfaces.get(_id(d), [])
                       if _mac(i)],
    }
    return rec


def map_circuit(c: dict, providers: dict[str, dict]) -> dict:
    prov = c.get("provider") or {}
    full = providers.get(_id(prov), {})
    asns: list[int] = []
    for a in (full.get("asns") or (prov.get("asns") if isinstance(prov, dict) else None) or []):
        v = a.get("asn") if isinstance(a, dict) else a
        if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
            asns.append(int(v))
    single = full.get("asn") or (prov.get("asn") if isinstance(prov, dict) else None)  # Nautobot: one ASN
    if isinstance(single, int) and single not in asns:
        asns.append(single)
    site = ""
    for key in ("termination_a", "circuit_termination_a"):
        t = c.get(key)
        if isinstance(t, dict):
            site = _name(t.get("termination") or t.get("site") or t.get("location")) or site
    status = c.get("status")
    return {
        "id": _id(c), "url": c.get("url") or "", "cid": c.get("cid") or "",
        "provider": _name(prov) or _name(full), "provider_asns": sorted(set(asns)),
        "type": _name(c.get("type") or c.get("circuit_type")), "site": site,
        "status": (status.get("value") or status.get("name") or "") if isinstance(status, dict) else _name(status),
    }


@dataclass
class SotExport:
    kind: str
    url: str
    version: str
    devices: list[dict]
    circuits: list[dict]

    def to_json(self) -> bytes:
        doc = {"format": "netvet-sot", "schema": 1,
               "source": {"kind": self.kind, "url": self.url, "version": self.version},
               "devices": self.devices, "circuits": self.circuits}
        return json.dumps(doc, indent=1, sort_keys=False).encode("utf-8") + b"\n"


def export(kind: str, url: str, version: str, fetch: Fetch) -> SotExport:
    """Read everything the export needs through ``fetch``; the mapping is the same for NetBox and Nautobot."""
    device_types = {_id(t): t for t in fetch("dcim/device-types")}
    interfaces: dict[str, list[dict]] = {}
    for i in fetch("dcim/interfaces"):
        interfaces.setdefault(_id(i.get("device")), []).append(i)
    devices = [map_device(d, device_types, interfaces) for d in fetch("dcim/devices")]
    providers = {_id(p): p for p in fetch("circuits/providers")}
    circuits = [map_circuit(c, providers) for c in fetch("circuits/circuits")]
    devices.sort(key=lambda r: (r["name"], r["id"]))
    circuits.sort(key=lambda r: (r["cid"], r["id"]))
    return SotExport(kind, url, version, devices, circuits)


# ---------------------------------------------------------------------- clients
def netbox_fetcher(url: str, token: str, timeout: float = 30.0) -> tuple[Fetch, str]:
    pynetbox = need("pynetbox")
    api = pynetbox.api(url.rstrip("/"), token=token)
    api.http_session.headers["Accept"] = "application/json"
    try:
        version = str(api.version)
    except Exception as exc:  # noqa: BLE001 - any transport failure
        raise CollectError(f"NetBox {url}: {type(exc).__name__}: {exc}") from None

    def fetch(endpoint: str) -> Iterable[dict]:
        app, name = endpoint.split("/")
        ep = getattr(getattr(api, app), name.replace("-", "_"))
        try:
            return [_record_dict(r) for r in ep.all()]
        except Exception as exc:  # noqa: BLE001
            raise CollectError(f"NetBox {url}: {endpoint}: {type(exc).__name__}: {exc}") from None

    return fetch, version


def _record_dict(record) -> dict:
    """A pynetbox Record as the JSON object NetBox sent (nested records included)."""
    return json.loads(json.dumps(dict(record), default=lambda o: dict(o) if hasattr(o, "keys") else str(o)))


def rest_fetcher(url: str, token: str, flavour: str, timeout: float = 30.0) -> tuple[Fetch, str]:
    """Nautobot's (or NetBox's) REST API with ``requests``: token auth, pagination by ``next``."""
    requests = need("requests")
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
    base = url.rstrip("/") + "/api/"
    try:
        r = session.get(base + "status/", timeout=timeout)
        r.raise_for_status()
        status = r.json()
    except Exception as exc:  # noqa: BLE001 - any transport or HTTP failure
        raise CollectError(f"{flavour} {url}: {type(exc).__name__}: {_short(exc)}") from None
    version = str(status.get("nautobot-version") or status.get("netbox-version") or r.headers.get("API-Version", ""))

    def fetch(endpoint: str) -> Iterable[dict]:
        nxt: str | None = base + endpoint + "/?limit=500" + ("&depth=1" if flavour == "Nautobot" else "")
        out: list[dict] = []
        pages = 0
        while nxt and pages < 10_000:
            pages += 1
            try:
                resp = session.get(nxt, timeout=timeout)
                resp.raise_for_status()
                page = resp.json()
            except Exception as exc:  # noqa: BLE001
                raise CollectError(f"{flavour} {url}: {endpoint}: {type(exc).__name__}: {_short(exc)}") from None
            out.extend(r for r in page.get("results", []) if isinstance(r, dict))
            nxt = page.get("next")
        return out

    return fetch, version


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300]


def collect_sot(kind: str, url: str, token: str, bundle: Bundle) -> SotExport:
    if kind == "netbox":
        fetch, version = netbox_fetcher(url, token)
    else:
        fetch, version = rest_fetcher(url, token, "Nautobot")
    exp = export(kind, url, version, fetch)
    bundle.add_file(f"sot/{kind}.sot.json", exp.to_json(), url, "sot-export")
    bundle.ok(url)
    return exp
