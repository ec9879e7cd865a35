"""The audit record's every form, pinned byte for byte: the JSON the API and the JSON-lines export
show, the CSV row, the SQLite row and its journal line, the Elasticsearch document and mapping,
and the API schema. The record's fields are defined once (lookup/store/audit_record.py); these
golden values make sure that deriving each form from that definition changed none of them."""

from __future__ import annotations

import dataclasses
import io
import sqlite3
import typing
from datetime import UTC, datetime
from pathlib import Path

from lookup.api.schemas import AuditEntry
from lookup.cli import _write_audit
from lookup.store.audit_record import (
    FIELDS,
    SHOWN_ORDER,
    elasticsearch_doc,
    from_elasticsearch,
    record_json,
)
from lookup.store.base import AuditFilter, AuditRecord
from lookup.store.elasticsearch.store import AUDIT_MAPPINGS
from lookup.store.sqlite.store import JOURNAL_SUFFIX, SQLiteStateStore

ENTRY = AuditRecord(
    reference="DC-0A1B2-C3D4E",
    at=datetime(2026, 11, 23, 14, 5, 6, 789000, tzinfo=UTC),
    agency_id="agency-1",
    actor="officer:o-1",
    channel="web",
    action="person",
    query='=Ünïcode, "quoted"',
    reason="crash",
    outcome="match",
    client="10.0.0.1",
    detail={"z": 1, "a": ["x", 2], "normalized": "UNICODE"},
    on_behalf_of="-badge 7",
)
# A login attempt for an unknown name: every optional field empty.
BARE = AuditRecord(
    reference="DC-11111-22222",
    at=datetime(2026, 11, 23, 14, 5, 7, tzinfo=UTC),
    agency_id=None,
    actor=None,
    channel="login",
    action="login",
    query="nobody",
    reason=None,
    outcome="denied",
    client=None,
)
ENTRY_JSON = {
    "reference": "DC-0A1B2-C3D4E",
    "at": "2026-11-23T14:05:06.789Z",
    "agency_id": "agency-1",
    "actor": "officer:o-1",
    "on_behalf_of": "-badge 7",
    "channel": "web",
    "action": "person",
    "query": '=Ünïcode, "quoted"',
    "reason": "crash",
    "outcome": "match",
    "client": "10.0.0.1",
    "detail": {"z": 1, "a": ["x", 2], "normalized": "UNICODE"},
}
CSV = (
    "reference,at,agency_id,actor,on_behalf_of,channel,action,query,reason,outcome,client,detail\r\n"
    "DC-0A1B2-C3D4E,2026-11-23T14:05:06.789Z,agency-1,officer:o-1,'-badge 7,web,person,"
    '"\'=Ünïcode, ""quoted""",crash,match,10.0.0.1,'
    '"{""a"": [""x"", 2], ""normalized"": ""UNICODE"", ""z"": 1}"\r\n'
    "DC-11111-22222,2026-11-23T14:05:07.000Z,,,,login,login,nobody,,denied,,{}\r\n"
)
JSONL = (
    '{"reference": "DC-0A1B2-C3D4E", "at": "2026-11-23T14:05:06.789Z", "agency_id": "agency-1", '
    '"actor": "officer:o-1", "on_behalf_of": "-badge 7", "channel": "web", "action": "person", '
    '"query": "=Ünïcode, \\"quoted\\"", "reason": "crash", "outcome": "match", '
    '"client": "10.0.0.1", "detail": {"z": 1, "a": ["x", 2], "normalized": "UNICODE"}}\n'
    '{"reference": "DC-11111-22222", "at": "2026-11-23T14:05:07.000Z", "agency_id": null, '
    '"actor": null, "on_behalf_of": null, "channel": "login", "action": "login", '
    '"query": "nobody", "reason": null, "outcome": "denied", "client": null, "detail": {}}\n'
)
SQLITE_ROW = (
    1,
    "DC-0A1B2-C3D4E",
    1795442706789,
    "agency-1",
    "officer:o-1",
    "web",
    "person",
    '=Ünïcode, "quoted"',
    "crash",
    "match",
    "10.0.0.1",
    '{"z":1,"a":["x",2],"normalized":"UNICODE"}',
    "-badge 7",
)
JOURNAL_LINE = (
    '["DC-0A1B2-C3D4E",1795442706789,"agency-1","officer:o-1","web","person",'
    '"=Ünïcode, \\"quoted\\"","crash","match","10.0.0.1",'
    '"{\\"z\\":1,\\"a\\":[\\"x\\",2],\\"normalized\\":\\"UNICODE\\"}","-badge 7"]\n'
).encode()
SQLITE_TABLE = """CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    at_ms INTEGER NOT NULL,
    agency_id TEXT,
    actor TEXT,
    channel TEXT NOT NULL,
    action TEXT NOT NULL,
    query TEXT NOT NULL,
    reason TEXT,
    outcome TEXT NOT NULL,
    client TEXT,
    detail TEXT NOT NULL,
    on_behalf_of TEXT
)"""
ES_DOC = {
    "reference": "DC-0A1B2-C3D4E",
    "at": "2026-11-23T14:05:06.789Z",
    "agency_id": "agency-1",
    "actor": "officer:o-1",
    "channel": "web",
    "action": "person",
    "query": '=Ünïcode, "quoted"',
    "reason": "crash",
    "outcome": "match",
    "client": "10.0.0.1",
    "detail": {"z": 1, "a": ["x", 2], "normalized": "UNICODE"},
    "on_behalf_of": "-badge 7",
}
ES_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "reference": {"type": "keyword"},
        "at": {"type": "date", "format": "strict_date_optional_time"},
        "agency_id": {"type": "keyword"},
        "actor": {"type": "keyword"},
        "channel": {"type": "keyword"},
        "action": {"type": "keyword"},
        "query": {"type": "keyword", "index": False, "doc_values": False},
        "reason": {"type": "keyword"},
        "outcome": {"type": "keyword"},
        "client": {"type": "keyword"},
        "detail": {"type": "object", "enabled": False},
        "appended": {"type": "long"},
        "on_behalf_of": {"type": "keyword"},
    },
}
NULLABLE = {"anyOf": [{"type": "string"}, {"type": "null"}]}
API_SCHEMA = {
    "properties": {
        "reference": {"title": "Reference", "type": "string"},
        "at": {"format": "date-time", "title": "At", "type": "string"},
        "agency_id": {**NULLABLE, "title": "Agency Id"},
        "actor": {
            **NULLABLE,
            "description": "officer:<id> or apikey:<key id, as listed>",
            "title": "Actor",
        },
        "on_behalf_of": {
            **NULLABLE,
            "description": "The agency's officer an API key named (X-On-Behalf-Of), if any.",
            "title": "On Behalf Of",
        },
        "channel": {"title": "Channel", "type": "string"},
        "action": {"title": "Action", "type": "string"},
        "query": {"title": "Query", "type": "string"},
        "reason": {**NULLABLE, "title": "Reason"},
        "outcome": {
            "enum": ["match", "no_match", "denied", "error"],
            "title": "Outcome",
            "type": "string",
        },
        "client": {**NULLABLE, "title": "Client"},
        "detail": {"additionalProperties": True, "title": "Detail", "type": "object"},
    },
    "required": list(ENTRY_JSON),
    "title": "AuditEntry",
    "type": "object",
}


def test_the_json_form() -> None:
    shown = record_json(ENTRY)
    assert shown == ENTRY_JSON
    assert list(shown) == list(ENTRY_JSON)  # the order the API and the export write


def test_the_csv_and_json_lines_exports() -> None:
    as_csv, as_jsonl = io.StringIO(), io.StringIO()
    assert _write_audit(iter([ENTRY, BARE]), "csv", as_csv) == 2
    assert _write_audit(iter([ENTRY, BARE]), "jsonl", as_jsonl) == 2
    assert as_csv.getvalue() == CSV
    assert as_jsonl.getvalue() == JSONL


def test_the_sqlite_row_and_journal_line(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    # One row a batch, so the row is in SQLite as soon as it is journaled.
    store = SQLiteStateStore(path, audit_batch_rows=1)
    try:
        store.append_audit(ENTRY)
        [journal] = path.with_name(path.name + JOURNAL_SUFFIX).glob("*.jsonl")
        assert journal.read_bytes().rstrip(b"\0") == JOURNAL_LINE
        with sqlite3.connect(path) as connection:
            assert connection.execute("SELECT * FROM audit").fetchall() == [SQLITE_ROW]
            (table,) = connection.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'audit'"
            ).fetchone()
        assert table == SQLITE_TABLE
        store.append_audit(BARE)
        assert list(store.iter_audit(AuditFilter())) == [BARE, ENTRY]
    finally:
        store.close()


def test_the_elasticsearch_document_and_mapping() -> None:
    document = elasticsearch_doc(ENTRY)
    assert document == ES_DOC
    assert list(document) == list(ES_DOC)
    assert AUDIT_MAPPINGS == ES_MAPPINGS
    assert list(AUDIT_MAPPINGS["properties"]) == list(ES_MAPPINGS["properties"])
    assert from_elasticsearch(document) == ENTRY
    assert from_elasticsearch(elasticsearch_doc(BARE)) == BARE


def test_the_api_schema() -> None:
    assert AuditEntry.model_json_schema() == API_SCHEMA
    assert list(AuditEntry.model_fields) == list(ENTRY_JSON)
    assert AuditEntry.model_validate(ENTRY_JSON).model_dump(mode="json")["at"] == (
        "2026-11-23T14:05:06.789000Z"
    )


def test_the_definition_names_every_field_of_the_record_once() -> None:
    assert tuple(field.name for field in FIELDS) == tuple(
        f.name for f in dataclasses.fields(AuditRecord)
    )
    assert sorted(SHOWN_ORDER) == sorted(field.name for field in FIELDS)


def test_the_api_schema_follows_the_definition() -> None:
    """AuditEntry is written out for the OpenAPI document; it names every field of the
    definition, in the shown order, and is nullable exactly where the definition is."""
    assert tuple(AuditEntry.model_fields) == SHOWN_ORDER
    for field in FIELDS:
        annotation = AuditEntry.model_fields[field.name].annotation
        assert (type(None) in typing.get_args(annotation)) == field.nullable, field.name
