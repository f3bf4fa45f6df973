"""Helpers shared by several test tiers (no fixtures here: those live in tests/conftest.py)."""
