"""Applying a policy to route evidence: classify ASes through the policy engine, export BGP filters."""
