"""The Elasticsearch state store (several app instances share it): documents, incident reports."""
