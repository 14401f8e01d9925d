"""Small helpers shared by every layer (no netvet imports)."""
