"""Fuzz tests: ``NETVET_FUZZ_LONG=1`` runs >= 10,000 inputs per reader (``NETVET_FUZZ_EXAMPLES`` to change);
the default run is small and derandomised (see docs/reliability.md, "Fuzzing")."""

from __future__ import annotations

import pytest

from tests.fuzz.mutations import LONG, LONG_EXAMPLES


def pytest_report_header(config):
    return f"netvet fuzz: {'long mode, ' + str(LONG_EXAMPLES) + ' inputs per test' if LONG else 'CI budget'}"


@pytest.fixture(scope="session")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")
