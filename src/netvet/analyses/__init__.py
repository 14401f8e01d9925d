"""Analyses over attributed evidence: vendor-neutral risk factors, supplier concentration, ..."""
