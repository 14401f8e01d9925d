"""The flows run's caches live on its FlowTables (never in a module), and travel empty to a worker."""

from __future__ import annotations

import pickle
import threading

import numpy as np

from netvet.flows.attribution import FlowTables, RunCaches, lookup
from tests.flows.helpers import fixture_sources


def test_caches_belong_to_the_tables_and_pickle_empty():
    a, b = FlowTables(), FlowTables()
    assert a.caches is not b.caches
    a.caches.entries.append("entry cache")
    a.caches.route.last_cells = 7
    copy = pickle.loads(pickle.dumps(a))
    assert isinstance(copy.caches, RunCaches) and copy.caches.entries == [] and copy.caches.route.last_cells == 0


def test_each_thread_has_its_own_route_cache():
    tables = FlowTables()
    tables.caches.route.last_cells = 5
    seen = []
    t = threading.Thread(target=lambda: seen.append(tables.caches.route.last_cells))
    t.start()
    t.join()
    assert (seen, tables.caches.route.last_cells) == ([0], 5)


def test_route_answers_through_the_tables_cache_match_a_fresh_lookup():
    src = fixture_sources()
    hi = np.zeros(3, np.uint64)
    # ::ffff:192.0.2.1 (AS4134), ::ffff:198.18.0.9 (AS15169), 192.0.2.1 again
    lo = np.array([0xFFFF00000000 | 0xC0000201, 0xFFFF00000000 | 0xC6120009, 0xFFFF00000000 | 0xC0000201],
                  np.uint64)
    tables = FlowTables(routes=src.routes)
    first = lookup(tables, hi, lo)
    again = lookup(tables, hi, lo)  # every address now cached
    fresh = lookup(FlowTables(routes=src.routes), hi, lo)
    assert tables.caches.route.routes is src.routes
    for name in ("key", "route_set", "route_len"):
        assert getattr(first, name).tolist() == getattr(again, name).tolist() == getattr(fresh, name).tolist()
    assert first.route_len.tolist() == [24 + 96, 16 + 96, 24 + 96]  # lengths in IPv6 terms
    assert [src.routes.origin_sets[i] for i in first.route_set.tolist()] == [(4134,), (15169,), (4134,)]
