"""Stores the published set of mission records and finds them.

Knows nothing of Flask, of today's date or of immunity law (DESIGN.md)."""
