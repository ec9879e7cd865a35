"""The SQLite state store (embedded, one machine): documents, incident reports, audit journal."""
