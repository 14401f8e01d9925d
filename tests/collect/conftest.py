"""Fixtures of the collector tests: real snmpsim, fakenos and a local NetBox-like API, all on 127.0.0.1."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import shared_file

SNMP_WALKS = ("librenms_comware_h3c", "librenms_iosxe_c9300", "librenms_vrp_s5328c-ei", "librenms_hikvision-cam",
              "librenms_airos_airos8", "librenms_routeros_crs317")
V3 = ("netvetv3", "authkey-s3cret-1", "privkey-s3cret-2")


def need_module(name: str) -> None:
    """The `collect` extra is part of the `test` extra: missing under CI is a failure, elsewhere a skip."""
    import os

    if importlib.util.find_spec(name) is None:
        msg = f"module {name} missing: pip install -e '.[test]'"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def snmp_walks():
    out = {}
    for name in SNMP_WALKS:
        try:
            out[name] = shared_file(f"inputs/snmp/{name}.snmprec")
        except pytest.skip.Exception:
            continue
    if not out:
        shared_file("inputs/snmp/librenms_comware_h3c.snmprec")
    return out


@pytest.fixture(scope="session")
def snmp_agent(snmp_walks):
    """snmpsim serving the real walks (community = file name), with an SNMPv3 user; yields the UDP port."""
    need_module("snmpsim")
    need_module("pysnmp")
    from tests.collect.snmpsim_server import snmpsim

    with snmpsim(snmp_walks, v3=V3) as port:
        yield port


def pytest_configure(config):
    config.addinivalue_line("markers", "nautobot: needs a real Nautobot (NETVET_NAUTOBOT_URL / _TOKEN); opt-in")
