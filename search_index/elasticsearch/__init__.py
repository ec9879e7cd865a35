"""The Elasticsearch engine of the search index: client options, mappings, documents, queries."""
