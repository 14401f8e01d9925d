"""Collectors: readers whose input is a live endpoint.

A collector asks a source of truth (NetBox, Nautobot), SNMP agents or devices over SSH, and writes an evidence
*bundle*: a folder of files in formats netvet already reads (``.snmprec`` walks, device CLI captures, a
source-of-truth export in the ``sot-json`` format) plus ``manifest.json`` (what was asked, when, from where, by
which collector version, the sha256 of every file, and every target that failed and why). Collecting is separate
from judging: ``netvet audit BUNDLE/`` audits a bundle like any other folder of evidence.

Nothing here imports pysnmp, netmiko, pynetbox or keyring at import time; :func:`need` names the extra to
install when one is missing.
"""

from __future__ import annotations

import importlib

from .. import __version__

COLLECTOR_VERSION = __version__
EXTRA_HINT = "pip install 'netvet[collect]'"


class CollectError(Exception):
    """A collection that cannot start (bad targets file, missing credentials, missing package)."""


def need(module: str, package: str | None = None):
    """Import ``module`` or raise :class:`CollectError` naming the ``collect`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise CollectError(f"this collector needs the '{package or module.split('.')[0]}' package: "
                           f"{EXTRA_HINT}") from None
