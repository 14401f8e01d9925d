"""Stable subject keys (moved to ``netvet.model.keys``: reporters use them too); re-exported here."""

from ..model.keys import basename, finding_key, finding_keys, identity, observation_keys

__all__ = ["basename", "finding_key", "finding_keys", "identity", "observation_keys"]
