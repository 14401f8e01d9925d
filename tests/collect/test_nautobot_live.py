"""Collect -> audit -> publish -> collect again against a real Nautobot (opt-in: it needs PostgreSQL, Redis and
Nautobot's migrations, which take many minutes; see tests/collect/nautobot_server.sh).

Runs when NETVET_NAUTOBOT_URL and NETVET_NAUTOBOT_TOKEN (a token with write access) are set; under CI=true with
NETVET_NAUTOBOT_REQUIRED=1 a missing server is a failure. The objects it creates are named netvet-test-*."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from tests.collect.helpers import grep_tree, run_cli

URL = os.environ.get("NETVET_NAUTOBOT_URL", "")
TOKEN = os.environ.get("NETVET_NAUTOBOT_TOKEN", "")

pytestmark = pytest.mark.nautobot


@pytest.fixture(scope="module")
def nautobot():
    if not (URL and TOKEN):
        msg = "no Nautobot: set NETVET_NAUTOBOT_URL and NETVET_NAUTOBOT_TOKEN (tests/collect/nautobot_server.sh)"
        if os.environ.get("NETVET_NAUTOBOT_REQUIRED") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    import requests

    s = requests.Session()
    s.headers.update({"Authorization": f"Token {TOKEN}", "Accept": "application/json"})
    base = URL.rstrip("/") + "/api/"
    tag = uuid.uuid4().hex[:6]

    def get_or_create(path, lookup: dict, body: dict):
        r = s.get(base + path, params=lookup, timeout=30)
        r.raise_for_status()
        if r.json()["results"]:
            return r.json()["results"][0]
        r = s.post(base + path, json=body, timeout=30)
        assert r.status_code < 300, (path, r.text[:500])
        return r.json()

    active = get_or_create("extras/statuses/", {"name": "Active"}, {"name": "Active"})
    lt = get_or_create("dcim/location-types/", {"name": "netvet-test-site"},
                       {"name": "netvet-test-site", "content_types": ["dcim.device", "circuits.circuittermination"]})
    loc = get_or_create("dcim/locations/", {"name": "netvet-test-hq"},
                        {"name": "netvet-test-hq", "location_type": lt["id"], "status": active["id"]})
    role = get_or_create("extras/roles/", {"name": "netvet-test public-safety camera"},
                         {"name": "netvet-test public-safety camera", "content_types": ["dcim.device"]})
    hik = get_or_create("dcim/manufacturers/", {"name": "Hikvision"}, {"name": "Hikvision"})
    dt = get_or_create("dcim/device-types/", {"model": "DS-2CD2143G0-I"},
                       {"model": "DS-2CD2143G0-I", "manufacturer": hik["id"]})
    dev = get_or_create("dcim/devices/", {"name": f"netvet-test-cam-{tag}"},
                        {"name": f"netvet-test-cam-{tag}", "device_type": dt["id"], "role": role["id"],
                         "location": loc["id"], "status": active["id"]})
    get_or_create("dcim/interfaces/", {"device_id": dev["id"], "name": "eth0"},
                  {"device": dev["id"], "name": "eth0", "type": "1000base-t", "status": active["id"],
                   "mac_address": "44:19:B6:12:34:56"})
    prov = get_or_create("circuits/providers/", {"name": "China Telecom"}, {"name": "China Telecom", "asn": 4134})
    ctype = get_or_create("circuits/circuit-types/", {"name": "Internet"}, {"name": "Internet"})
    get_or_create("circuits/circuits/", {"cid": f"netvet-test-ckt-{tag}"},
                  {"cid": f"netvet-test-ckt-{tag}", "provider": prov["id"], "circuit_type": ctype["id"],
                   "status": active["id"]})
    return {"device": dev["name"], "circuit": f"netvet-test-ckt-{tag}"}


def test_collect_audit_publish_collect(nautobot, tmp_path):
    env = {"NB_TOKEN": TOKEN}
    out = tmp_path / "evidence"
    res = run_cli("collect", "nautobot", URL, "--token-env", "NB_TOKEN", "-o", out, env=env)
    assert res.exit_code == 0, res.output
    assert grep_tree(out, TOKEN) == []
    report = tmp_path / "report.json"
    run_cli("audit", out, "--policy", "fcc-covered-list", "--policy", "clean-network", "-f", "json", "-o", report,
            "--fail-on", "never")
    data = json.loads(report.read_text())
    cam = next(o for o in data["observations"] if o["attributes"].get("hostname") == nautobot["device"])
    assert {(f["policy"], f["verdict"]) for f in data["findings"] if f["subject"] == cam["id"]} >= {
        ("fcc-covered-list", "FAIL")}
    res = run_cli("publish", "nautobot", report, "--url", URL, "--token-env", "NB_TOKEN", env=env)
    assert res.exit_code == 0, res.output
    res = run_cli("publish", "nautobot", report, "--url", URL, "--token-env", "NB_TOKEN", env=env)
    assert "changed 0" in res.output, res.output
    again = tmp_path / "again"
    assert run_cli("collect", "nautobot", URL, "--token-env", "NB_TOKEN", "-o", again, env=env).exit_code == 0
    devices = {d["name"]: d for d in json.loads((again / "sot" / "nautobot.sot.json").read_text())["devices"]}
    assert "netvet-fail" in devices[nautobot["device"]]["tags"]
