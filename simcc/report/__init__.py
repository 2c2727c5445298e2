"""Reporting: readable tables and result files (no computation)."""
