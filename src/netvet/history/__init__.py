"""Audit history: recorded runs in an embedded DuckDB database, and drift between runs.

``keys`` (stable subject keys) is plain Python; ``store`` opens the database (DuckDB is imported only there).
"""
