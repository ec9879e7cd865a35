"""The audit record's fields, defined once, and every form of the record derived from them.

`FIELDS` says, for each field of lookup.store.base.AuditRecord, what it holds, whether it may be
empty, how SQLite stores it and how Elasticsearch maps it. From that one definition come:

- the JSON the audit API and the JSON-lines export show (`record_json`), and the CSV export's
  columns and cells (`CSV_COLUMNS`, `csv_cells`), in `SHOWN_ORDER`;
- the SQLite table, its insert and its rows, and the journal line that makes a row durable
  (`SQLITE_COLUMNS`, `sqlite_table`, `sqlite_row`, `from_sqlite_row`): rows are positional, so
  they follow the stored order, the order the fields were released in;
- the Elasticsearch mapping and documents (`elasticsearch_mappings`, `elasticsearch_doc`,
  `from_elasticsearch`).

The API schema (lookup.api.schemas.AuditEntry) is written as a pydantic model for the OpenAPI
document; tests/lookup/store/test_audit_record_shape.py checks it against `FIELDS`.

A field added after a release goes at the end of `FIELDS` with `added_later=True`: SQLite adds
its column to an old table, a journal line written without it is replayed as None, and an
existing Elasticsearch index gets its mapping (the index is `dynamic: strict`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Final, Literal

from lookup.store.base import AuditFilter, AuditRecord, iso_millis

FieldKind = Literal["text", "time", "object"]


@dataclass(frozen=True, slots=True)
class AuditField:
    """One field of the audit record: what it holds (`kind`: text, a time, or the detail object),
    whether it may be empty, and how each store keeps it."""

    name: str
    kind: FieldKind
    nullable: bool
    description: str
    # How Elasticsearch maps it: searched fields are indexed keywords.
    elasticsearch: Mapping[str, Any]
    unique: bool = False
    added_later: bool = False

    @property
    def sql_column(self) -> str:
        # A time is kept as integer milliseconds since the epoch, so it sorts and compares.
        return f"{self.name}_ms" if self.kind == "time" else self.name

    @property
    def sql_type(self) -> str:
        return "INTEGER" if self.kind == "time" else "TEXT"

    @property
    def sql_definition(self) -> str:
        required = "" if self.nullable else " NOT NULL"
        return f"{self.sql_column} {self.sql_type}{required}{' UNIQUE' if self.unique else ''}"


_KEYWORD: Final[Mapping[str, Any]] = {"type": "keyword"}

# In stored order: the order of SQLite's columns and of a journal line.
FIELDS: Final[tuple[AuditField, ...]] = (
    AuditField(
        "reference",
        "text",
        False,
        "What the officer quotes: DC- and two groups of five base-32 characters; unique.",
        _KEYWORD,
        unique=True,
    ),
    AuditField(
        "at",
        "time",
        False,
        "When, in UTC to the millisecond.",
        {"type": "date", "format": "strict_date_optional_time"},
    ),
    AuditField(
        "agency_id", "text", True, "The acting agency; None for an unknown login name.", _KEYWORD
    ),
    AuditField(
        "actor",
        "text",
        True,
        "officer:<id>, apikey:<key id>, training:<who> or cli:<OS user>; None for an unknown "
        "login name.",
        _KEYWORD,
    ),
    AuditField(
        "channel", "text", False, "api, web, sms or qr; login; cli for a command.", _KEYWORD
    ),
    AuditField(
        "action",
        "text",
        False,
        "The lookup kind (plate, plate_pattern, credential, license, person), login, qr, "
        "audit_read or an administrative action.",
        _KEYWORD,
    ),
    AuditField(
        "query",
        "text",
        False,
        "What was typed or acted on; the one place query values are kept.",
        # Kept for the record, never searched: not indexed, so no term dictionary of query values.
        {"type": "keyword", "index": False, "doc_values": False},
    ),
    AuditField("reason", "text", True, "The reason given for a lookup.", _KEYWORD),
    AuditField("outcome", "text", False, "match, no_match, denied or error.", _KEYWORD),
    AuditField(
        "client", "text", True, "The client's address, or the hashed phone for SMS.", _KEYWORD
    ),
    AuditField(
        "detail",
        "object",
        False,
        "The rest: normalized value, data set, ids and summary shown, why refused.",
        {"type": "object", "enabled": False},
    ),
    AuditField(
        "on_behalf_of",
        "text",
        True,
        "The agency's own officer behind an API key (X-On-Behalf-Of), if given.",
        _KEYWORD,
        added_later=True,
    ),
)
BY_NAME: Final = {field.name: field for field in FIELDS}
# The order the API, the exports and the OpenAPI schema show: who acted on behalf of whom, together.
SHOWN_ORDER: Final = (
    "reference",
    "at",
    "agency_id",
    "actor",
    "on_behalf_of",
    "channel",
    "action",
    "query",
    "reason",
    "outcome",
    "client",
    "detail",
)
# The fields an AuditFilter matches exactly (its times and limit are bounds, not fields).
EQUALITY_FILTERS: Final = tuple(f.name for f in fields(AuditFilter) if f.name in BY_NAME)

# -- JSON and CSV ------------------------------------------------------------------------------


def _shown(kind: FieldKind, value: Any) -> Any:
    """A value as JSON shows it: a time as UTC text to the millisecond, the detail as a dict."""
    if kind == "time":
        return iso_millis(value)
    if kind == "object":
        return dict(value)
    return value


def record_json(entry: AuditRecord) -> dict[str, Any]:
    """The record as the audit API and the JSON-lines export show it."""
    return {name: _shown(BY_NAME[name].kind, getattr(entry, name)) for name in SHOWN_ORDER}


CSV_COLUMNS: Final = SHOWN_ORDER


def csv_cells(entry: AuditRecord) -> list[Any]:
    """One CSV row's values in CSV_COLUMNS order, before any spreadsheet defusing: the detail is
    JSON with sorted keys."""
    row = record_json(entry)
    row["detail"] = json.dumps(row["detail"], sort_keys=True)
    return [row[column] for column in CSV_COLUMNS]


# -- SQLite and its journal -------------------------------------------------------------------

SQLITE_COLUMNS: Final = ", ".join(field.sql_column for field in FIELDS)
# Columns a table created by an earlier release lacks: added in this order (old rows read NULL).
SQLITE_MIGRATIONS: Final = tuple((f.sql_column, f.sql_type) for f in FIELDS if f.added_later)
ROW_FIELDS: Final = len(FIELDS)
# A journal line written before the fields added later: replayed with those as None.
OLDER_ROW_FIELDS: Final = ROW_FIELDS - len(SQLITE_MIGRATIONS)


def sqlite_table() -> str:
    columns = ",\n".join(f"    {field.sql_definition}" for field in FIELDS)
    return (
        "CREATE TABLE IF NOT EXISTS audit (\n"
        "    seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        f"{columns}\n"
        ");"
    )


def epoch_ms(moment: datetime) -> int:
    """A time as SQLite keeps it: integer milliseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return int(moment.timestamp() * 1000)


def _to_sql(kind: FieldKind, value: Any) -> Any:
    if kind == "time":
        return epoch_ms(value)
    if kind == "object":
        return json.dumps(dict(value), separators=(",", ":"), default=str)
    return value


def _from_sql(kind: FieldKind, value: Any) -> Any:
    if kind == "time":
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if kind == "object":
        return json.loads(value)
    return value


def sqlite_row(entry: AuditRecord) -> tuple[Any, ...]:
    """The row as inserted into SQLite and written to the journal, in stored order."""
    return tuple(_to_sql(field.kind, getattr(entry, field.name)) for field in FIELDS)


def from_sqlite_row(row: Sequence[Any]) -> AuditRecord:
    return AuditRecord(
        **{
            field.name: _from_sql(field.kind, value)
            for field, value in zip(FIELDS, row, strict=True)
        }
    )


# -- Elasticsearch ---------------------------------------------------------------------------

# Not a field of the record: the append time in ns since the epoch, which orders the records of
# one millisecond. It was part of the first index, so it sits before the fields added later.
APPENDED: Final = "appended"


def elasticsearch_mappings() -> dict[str, Any]:
    properties: dict[str, Any] = {
        f.name: dict(f.elasticsearch) for f in FIELDS if not f.added_later
    }
    properties[APPENDED] = {"type": "long"}
    properties.update({f.name: dict(f.elasticsearch) for f in FIELDS if f.added_later})
    return {"dynamic": "strict", "properties": properties}


ELASTICSEARCH_ADDED: Final = tuple(field.name for field in FIELDS if field.added_later)


def elasticsearch_doc(entry: AuditRecord) -> dict[str, Any]:
    """The record's document (without APPENDED), in stored order."""
    return {field.name: _shown(field.kind, getattr(entry, field.name)) for field in FIELDS}


def from_elasticsearch(source: Mapping[str, Any]) -> AuditRecord:
    """A record from its document; one indexed before a field was added lacks it (None), and a
    missing detail reads as empty."""
    values: dict[str, Any] = {}
    for field in FIELDS:
        optional = field.added_later or field.kind == "object"
        value: Any = source.get(field.name) if optional else source[field.name]
        if field.kind == "time":
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif field.kind == "object":
            value = value or {}
        values[field.name] = value
    return AuditRecord(**values)
