"""App state (agencies, officers, API keys, phones, audit, training results): a small document
store with one SQLite and one Elasticsearch implementation, so several app instances share it."""
