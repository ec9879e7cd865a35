"""The audit log (one record per lookup, login and administrative action) and the alerts raised
when it cannot be written. Imports no channel."""
