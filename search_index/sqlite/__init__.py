"""The SQLite engine of the search index: one file per published data set, read in place."""
