"""A small NetBox 4.x / Nautobot 2.x REST API on 127.0.0.1 for the collector and publish tests.

Responses follow the shapes of NetBox 4.1's API documentation (brief nested objects with id/url/display/name,
paginated lists with count/next/previous/results, ``API-Version`` header) or, with ``flavour="nautobot"``,
Nautobot 2.x's with ``?depth=1`` (``location`` instead of ``site``, a provider with one ``asn``, UUID ids). State
is kept in memory, so that publishing can be checked (tags, journal entries) and repeated."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN = "0123456789abcdef0123456789abcdef01234567"


def _ref(base: str, path: str, id_, name: str, **extra) -> dict:
    return {"id": id_, "url": f"{base}/api/{path}/{id_}/", "display": name, "name": name, **extra}


def seed(base: str, flavour: str = "netbox") -> dict[str, dict]:
    nb = flavour == "netbox"

    def i(n: int):
        return n if nb else f"00000000-0000-4000-8000-{n:012d}"

    manufacturers = {"cisco": i(1), "hik": i(2)}
    mref = {k: _ref(base, "dcim/manufacturers", v, {"cisco": "Cisco", "hik": "Hikvision"}[k],
                    slug={"cisco": "cisco", "hik": "hikvision"}[k]) for k, v in manufacturers.items()}
    dtypes = {
        i(11): {"id": i(11), "url": f"{base}/api/dcim/device-types/{i(11)}/", "display": "C9300-48P",
                "model": "C9300-48P", "slug": "c9300-48p", "manufacturer": mref["cisco"]},
        i(12): {"id": i(12), "url": f"{base}/api/dcim/device-types/{i(12)}/", "display": "DS-2CD2143G0-I",
                "model": "DS-2CD2143G0-I", "slug": "ds-2cd2143g0-i", "manufacturer": mref["hik"]},
    }

    def dt_ref(n):
        t = dtypes[i(n)]
        if nb:
            return {k: t[k] for k in ("id", "url", "display", "manufacturer", "model", "slug")}
        return dict(t, manufacturer={"id": t["manufacturer"]["id"], "object_type": "dcim.manufacturer",
                                     "url": t["manufacturer"]["url"]})

    site_key = "site" if nb else "location"
    site_path = "dcim/sites" if nb else "dcim/locations"

    def device(n, name, dt, role, site, ip, serial, platform):
        d = {"id": i(n), "url": f"{base}/api/dcim/devices/{i(n)}/", "display": name, "name": name,
             "device_type": dt_ref(dt), "role": _ref(base, "dcim/device-roles" if nb else "extras/roles", i(50 + n),
                                                      role),
             "platform": _ref(base, "dcim/platforms", i(60), "Cisco IOS", slug="cisco-ios",
                              **({} if nb else {"network_driver": platform})) if platform else None,
             "serial": serial, site_key: _ref(base, site_path, i(70), site),
             "status": {"value": "active", "label": "Active"} if nb else {"id": i(80), "name": "Active"},
             "primary_ip4" if not nb else "primary_ip": {"id": i(90 + n), "url": f"{base}/api/ipam/ip-addresses/"
                                                         f"{i(90 + n)}/", "display": ip, "address": ip,
                                                         "family": {"value": 4, "label": "IPv4"}} if nb else
             {"id": i(90 + n), "address": ip},
             "tags": [_ref(base, "extras/tags", i(99), "prod", slug="prod", color="00ff00")],
             "custom_fields": {}}
        if nb:
            d["primary_ip4"] = d["primary_ip"]
        return d

    devices = {
        i(1): device(1, "core1", 11, "Core Router", "HQ", "10.0.0.1/24", "FOC1234X0AB", "cisco_ios"),
        i(2): device(2, "cam-lobby", 12, "Police HQ lobby camera", "HQ", "10.0.1.20/24", "DS123456", None),
        i(3): device(3, "sw-drift", 11, "Access Switch", "Branch", "10.0.2.3/24", "FOC9999", "cisco_ios"),
    }
    interfaces = {
        i(201): {"id": i(201), "url": f"{base}/api/dcim/interfaces/{i(201)}/", "name": "Gi1/0/1",
                 "device": {"id": i(1), "name": "core1"}, "mac_address": "00:1B:54:AA:BB:01"},
        i(202): {"id": i(202), "url": f"{base}/api/dcim/interfaces/{i(202)}/", "name": "eth0",
                 "device": {"id": i(2), "name": "cam-lobby"}, "mac_address": "44:19:B6:12:34:56"},
        i(203): {"id": i(203), "url": f"{base}/api/dcim/interfaces/{i(203)}/", "name": "mgmt0",
                 "device": {"id": i(3), "name": "sw-drift"}, "mac_address": None},
    }
    if nb:
        providers = {
            i(301): {"id": i(301), "url": f"{base}/api/circuits/providers/{i(301)}/", "display": "China Telecom",
                     "name": "China Telecom", "slug": "china-telecom",
                     "asns": [{"id": i(401), "url": f"{base}/api/ipam/asns/{i(401)}/", "display": "AS4134",
                               "asn": 4134}]},
            i(302): {"id": i(302), "url": f"{base}/api/circuits/providers/{i(302)}/", "display": "Lumen",
                     "name": "Lumen", "slug": "lumen",
                     "asns": [{"id": i(402), "url": f"{base}/api/ipam/asns/{i(402)}/", "display": "AS3356",
                               "asn": 3356}]},
        }
    else:
        providers = {
            i(301): {"id": i(301), "url": f"{base}/api/circuits/providers/{i(301)}/", "display": "China Telecom",
                     "name": "China Telecom", "asn": 4134},
            i(302): {"id": i(302), "url": f"{base}/api/circuits/providers/{i(302)}/", "display": "Lumen",
                     "name": "Lumen", "asn": 3356},
        }

    def circuit(n, cid, prov):
        p = providers[i(prov)]
        c = {"id": i(n), "url": f"{base}/api/circuits/circuits/{i(n)}/", "display": cid, "cid": cid,
             "provider": {k: p[k] for k in ("id", "url", "display", "name")} if nb else
             {"id": p["id"], "object_type": "circuits.provider", "url": p["url"]},
             ("type" if nb else "circuit_type"): {"id": i(500), "name": "Internet"},
             "status": {"value": "active", "label": "Active"} if nb else {"id": i(80), "name": "Active"},
             "tags": []}
        if nb:
            c["termination_a"] = {"id": i(600 + n), "termination_type": "dcim.site",
                                  "termination": _ref(base, "dcim/sites", i(70), "HQ")}
        return c

    circuits = {i(701): circuit(701, "CKT-CT-1", 301), i(702): circuit(702, "CKT-LUMEN-7", 302)}
    tags = {i(99): {"id": i(99), "url": f"{base}/api/extras/tags/{i(99)}/", "display": "prod", "name": "prod",
                    "slug": "prod", "color": "00ff00"}}
    return {"dcim/devices": devices, "dcim/device-types": dtypes, "dcim/interfaces": interfaces,
            "circuits/providers": providers, "circuits/circuits": circuits, "extras/tags": tags,
            ("extras/journal-entries" if nb else "extras/notes"): {}}


class FakeSot:
    """Serve the seeded API on 127.0.0.1 in a thread: ``with FakeSot() as sot: sot.url``."""

    def __init__(self, flavour: str = "netbox"):
        self.flavour = flavour
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)
        self.writes: list[tuple[str, str, dict]] = []
        self._lock = threading.Lock()
        self._next = 10_000
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.data = seed(self.url, flavour)

    def __enter__(self) -> FakeSot:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_id(self):
        self._next += 1
        return self._next if self.flavour == "netbox" else f"00000000-0000-4000-8000-{self._next:012d}"

    def _handler(self):
        sot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, code: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("API-Version", "4.1" if sot.flavour == "netbox" else "2.4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _auth(self) -> bool:
                auth = self.headers.get("Authorization", "")
                if auth not in (f"Token {TOKEN}", f"Bearer {TOKEN}"):
                    self._send(403, {"detail": "Invalid token"})
                    return False
                return True

            def _route(self):
                u = urlparse(self.path)
                parts = [p for p in u.path.split("/") if p]
                return parts, {k: v[0] for k, v in parse_qs(u.query).items()}

            def do_GET(self):  # noqa: N802
                sot.requests.append(("GET", self.path, dict(self.headers)))
                parts, q = self._route()
                if parts in (["api"], ["api", "status"]):
                    key = "netbox-version" if sot.flavour == "netbox" else "nautobot-version"
                    return self._send(200, {key: "4.1.3" if sot.flavour == "netbox" else "2.4.0"})
                if not self._auth():
                    return None
                if len(parts) < 3 or parts[0] != "api":
                    return self._send(404, {"detail": "Not found."})
                coll = sot.data.get(f"{parts[1]}/{parts[2]}")
                if coll is None:
                    return self._send(404, {"detail": "Not found."})
                if len(parts) == 4:
                    obj = coll.get(_key(parts[3], sot.flavour))
                    return self._send(200, obj) if obj else self._send(404, {"detail": "Not found."})
                rows = list(coll.values())
                for k, v in q.items():
                    if k in ("limit", "offset", "depth", "brief", "ordering"):
                        continue
                    rows = [r for r in rows if str(r.get(k, "")) == v]
                limit = int(q.get("limit", 50) or 50)
                offset = int(q.get("offset", 0))
                page = rows[offset:offset + limit] if limit else rows
                nxt = None
                if limit and offset + limit < len(rows):
                    nxt = f"{sot.url}/api/{parts[1]}/{parts[2]}/?limit={limit}&offset={offset + limit}"
                return self._send(200, {"count": len(rows), "next": nxt, "previous": None,
                                        "results": copy.deepcopy(page)})

            def _body(self) -> dict:
                n = int(self.headers.get("Content-Length", 0))
                return json.loads(self.rfile.read(n) or b"{}")

            def do_POST(self):  # noqa: N802
                sot.requests.append(("POST", self.path, dict(self.headers)))
                if not self._auth():
                    return None
                parts, _ = self._route()
                body = self._body()
                sot.writes.append(("POST", "/".join(parts[1:3]), body))
                coll = sot.data.get(f"{parts[1]}/{parts[2]}")
                if coll is None:
                    return self._send(404, {"detail": "Not found."})
                with sot._lock:
                    oid = sot.new_id()
                    obj = dict(body, id=oid, url=f"{sot.url}/api/{parts[1]}/{parts[2]}/{oid}/",
                               created=f"2026-12-07T00:00:{len(coll):02d}Z")
                    coll[oid] = obj
                return self._send(201, obj)

            def do_PATCH(self):  # noqa: N802
                sot.requests.append(("PATCH", self.path, dict(self.headers)))
                if not self._auth():
                    return None
                parts, _ = self._route()
                body = self._body()
                sot.writes.append(("PATCH", "/".join(parts[1:4]), body))
                coll = sot.data.get(f"{parts[1]}/{parts[2]}")
                obj = coll.get(_key(parts[3], sot.flavour)) if coll is not None and len(parts) == 4 else None
                if obj is None:
                    return self._send(404, {"detail": "Not found."})
                if "tags" in body:
                    tags = sot.data["extras/tags"]
                    obj["tags"] = [tags[t["id"] if isinstance(t, dict) else t] for t in body["tags"]]
                return self._send(200, obj)

        return Handler


def _key(text: str, flavour: str):
    return int(text) if flavour == "netbox" and text.isdigit() else text
