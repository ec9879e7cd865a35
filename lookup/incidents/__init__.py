"""Incident reports from police agencies to OFM, OFM's review, and the licence points that
follow (DESIGN.md "Incidents and OFM review"): models, checks and storage calls shared by the API
(lookup/api/incidents.py) and the web pages."""
