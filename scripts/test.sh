#!/usr/bin/env bash
# Install netvet with its test extras and run ruff and the test suite (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e '.[test]'
python3 -m ruff check src tests bench
python3 -m pytest
