"""The StateStore contract: every backend (see conftest.py `store`) must pass all of it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookup.store.base import (
    AuditFilter,
    AuditRecord,
    CollectionSpec,
    DuplicateKey,
    StateStore,
    VersionConflict,
)

OFFICERS = CollectionSpec("officers", unique=("username", "badge"), indexed=("agency_id",))


@pytest.fixture
def officers(store: StateStore) -> StateStore:
    store.ensure([OFFICERS])
    return store


def test_insert_then_get_round_trips_json_types(officers: StateStore) -> None:
    data = {
        "username": "jdoe",
        "agency_id": "A1",
        "failed": 0,
        "disabled": False,
        "roles": ["officer", "trainer"],
        "profile": {"unit": "7", "shift": None},
    }
    stored = officers.insert("officers", data)
    assert stored.version == 1
    assert stored.data == data
    assert officers.get("officers", stored.id) == stored
    assert officers.get("officers", "missing") is None


def test_insert_with_a_given_id_and_a_duplicate_id(officers: StateStore) -> None:
    officers.insert("officers", {"username": "a"}, id="o-1")
    with pytest.raises(DuplicateKey) as caught:
        officers.insert("officers", {"username": "b"}, id="o-1")
    assert caught.value.field_name == "id"
    # The refused insert claimed nothing: "b" is still free.
    officers.insert("officers", {"username": "b"})


def test_a_refused_duplicate_id_leaves_the_existing_document_whole(officers: StateStore) -> None:
    first = officers.insert("officers", {"username": "a", "badge": "1"}, id="o-1")
    with pytest.raises(DuplicateKey):
        officers.insert("officers", {"username": "a", "badge": "1"}, id="o-1")
    assert officers.find_one("officers", username="a") == first
    with pytest.raises(DuplicateKey):  # its values are still taken
        officers.insert("officers", {"username": "a"})


def test_unique_fields_are_enforced_and_a_refused_insert_leaves_no_trace(
    officers: StateStore,
) -> None:
    officers.insert("officers", {"username": "jdoe", "badge": "100"})
    with pytest.raises(DuplicateKey) as caught:
        officers.insert("officers", {"username": "other", "badge": "100"})
    assert caught.value.collection == "officers"
    assert caught.value.field_name == "badge"
    officers.insert("officers", {"username": "other", "badge": "200"})
    assert [s.data["username"] for s in officers.find("officers")] == ["jdoe", "other"]


def test_missing_unique_values_never_clash(officers: StateStore) -> None:
    officers.insert("officers", {"username": "a"})
    officers.insert("officers", {"username": "b", "badge": None})
    officers.insert("officers", {"username": "c"})
    assert len(officers.find("officers")) == 3


def test_find_matches_every_given_field_oldest_first(officers: StateStore) -> None:
    for n, (user, agency, disabled) in enumerate(
        [("u1", "A1", False), ("u2", "A2", False), ("u3", "A1", True), ("u4", "A1", False)]
    ):
        officers.insert(
            "officers", {"username": user, "agency_id": agency, "disabled": disabled, "n": n}
        )
    assert [s.data["username"] for s in officers.find("officers", agency_id="A1")] == [
        "u1",
        "u3",
        "u4",
    ]
    found = officers.find("officers", agency_id="A1", disabled=False)
    assert [s.data["username"] for s in found] == ["u1", "u4"]
    assert [s.data["username"] for s in officers.find("officers", n=2)] == ["u3"]
    assert officers.find("officers", agency_id="A3") == []
    one = officers.find_one("officers", username="u2")
    assert one is not None
    assert one.data["agency_id"] == "A2"
    assert officers.find_one("officers", username="u2", agency_id="A1") is None
    assert officers.find_one("officers", username="nobody") is None
    assert len(officers.find("officers")) == 4


def test_find_none_matches_missing_and_null(officers: StateStore) -> None:
    officers.insert("officers", {"username": "a", "totp": None})
    officers.insert("officers", {"username": "b"})
    officers.insert("officers", {"username": "c", "totp": "SECRET"})
    assert [s.data["username"] for s in officers.find("officers", totp=None)] == ["a", "b"]


def test_update_merges_and_counts_versions(officers: StateStore) -> None:
    stored = officers.insert("officers", {"username": "a", "failed": 0, "agency_id": "A1"})
    updated = officers.update("officers", stored.id, {"failed": 1})
    assert updated.version == 2
    assert updated.data == {"username": "a", "failed": 1, "agency_id": "A1"}
    again = officers.update("officers", stored.id, {"failed": 2}, expect_version=2)
    assert again.version == 3
    assert officers.get("officers", stored.id) == again
    assert [s.id for s in officers.find("officers", failed=2)] == [stored.id]


def test_update_with_a_stale_version_is_refused(officers: StateStore) -> None:
    stored = officers.insert("officers", {"username": "a", "failed": 0})
    officers.update("officers", stored.id, {"failed": 1})
    with pytest.raises(VersionConflict):
        officers.update("officers", stored.id, {"failed": 5}, expect_version=1)
    current = officers.get("officers", stored.id)
    assert current is not None
    assert current.data["failed"] == 1


def test_update_of_a_missing_document_raises_key_error(officers: StateStore) -> None:
    with pytest.raises(KeyError):
        officers.update("officers", "missing", {"failed": 1})


def test_update_keeps_unique_fields_unique_and_frees_old_values(officers: StateStore) -> None:
    a = officers.insert("officers", {"username": "a"})
    officers.insert("officers", {"username": "b"})
    with pytest.raises(DuplicateKey) as caught:
        officers.update("officers", a.id, {"username": "b"})
    assert caught.value.field_name == "username"
    unchanged = officers.get("officers", a.id)
    assert unchanged is not None
    assert unchanged.data["username"] == "a"
    assert unchanged.version == 1
    officers.update("officers", a.id, {"username": "a2"})
    officers.insert("officers", {"username": "a"})  # the old value is free again
    found = officers.find_one("officers", username="a2")
    assert found is not None
    assert found.id == a.id


def test_delete_removes_the_document_and_frees_its_unique_values(officers: StateStore) -> None:
    stored = officers.insert("officers", {"username": "a", "badge": "1"})
    assert officers.delete("officers", stored.id) is True
    assert officers.get("officers", stored.id) is None
    assert officers.delete("officers", stored.id) is False
    assert officers.find("officers", username="a") == []
    officers.insert("officers", {"username": "a", "badge": "1"})


def test_ensure_is_idempotent_and_keeps_data(officers: StateStore) -> None:
    officers.insert("officers", {"username": "a"})
    officers.ensure([OFFICERS])
    assert len(officers.find("officers")) == 1


def test_an_undeclared_collection_still_stores_documents(store: StateStore) -> None:
    stored = store.insert("notes", {"text": "hello"})
    assert store.find("notes", text="hello") == [stored]


def test_ping_answers(store: StateStore) -> None:
    store.ping()


# -- audit -------------------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


def audit(n: int, **fields: object) -> AuditRecord:
    values: dict[str, object] = {
        "reference": f"R{n:04d}-{secrets.token_hex(2)}",
        "at": T0 + timedelta(seconds=n),
        "agency_id": "A1",
        "actor": "officer:o1",
        "channel": "api",
        "action": "plate",
        "query": "D 0123A",
        "reason": "traffic_stop",
        "outcome": "match",
        "client": "203.0.113.9",
        "detail": {"matches": 1},
    }
    values.update(fields)
    return AuditRecord(**values)  # type: ignore[arg-type]


def test_audit_records_come_back_whole_newest_first(store: StateStore) -> None:
    records = [audit(1), audit(2, detail={"dataset": "x", "n": [1, 2]}), audit(3, reason=None)]
    for r in records:
        store.append_audit(r)
    assert list(store.iter_audit(AuditFilter())) == list(reversed(records))


def test_audit_keeps_millisecond_times_in_utc(store: StateStore) -> None:
    record = audit(
        1, at=datetime(2026, 3, 1, 7, 0, 0, 456000, tzinfo=timezone(timedelta(hours=-5)))
    )
    store.append_audit(record)
    (back,) = store.iter_audit(AuditFilter())
    assert back.at == datetime(2026, 3, 1, 12, 0, 0, 456000, tzinfo=UTC)
    assert back.at.utcoffset() == timedelta(0)


def test_audit_filters(store: StateStore) -> None:
    rows = [
        audit(1),
        audit(2, agency_id="A2"),
        audit(3, channel="sms", client="hash:ab"),
        audit(4, outcome="error"),
        audit(5, actor="apikey:k1"),
        audit(6, agency_id=None, actor=None, channel="login", action="login", outcome="denied"),
    ]
    for r in rows:
        store.append_audit(r)

    def refs(**f: object) -> list[str]:
        return [r.reference for r in store.iter_audit(AuditFilter(**f))]  # type: ignore[arg-type]

    assert refs(agency_id="A2") == [rows[1].reference]
    assert refs(channel="sms") == [rows[2].reference]
    assert refs(outcome="error") == [rows[3].reference]
    assert refs(actor="apikey:k1") == [rows[4].reference]
    assert refs(channel="login") == [rows[5].reference]
    # since is inclusive, until exclusive
    assert refs(since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=4)) == [
        rows[2].reference,
        rows[1].reference,
    ]
    assert refs(limit=2) == [rows[5].reference, rows[4].reference]
    assert refs(limit=0) == []
    assert refs(agency_id="A1", outcome="match") == [
        rows[4].reference,
        rows[2].reference,
        rows[0].reference,
    ]


def test_audit_by_reference_finds_exactly_that_record_however_old(store: StateStore) -> None:
    years_ago = audit(1, at=T0 - timedelta(days=5 * 366))
    rows = [years_ago, audit(2), audit(3, agency_id="A2")]
    for r in rows:
        store.append_audit(r)

    def refs(**f: object) -> list[str]:
        return [r.reference for r in store.iter_audit(AuditFilter(**f))]  # type: ignore[arg-type]

    assert list(store.iter_audit(AuditFilter(reference=years_ago.reference))) == [years_ago]
    assert refs(reference=rows[1].reference, agency_id="A1") == [rows[1].reference]
    # Combined with the other fields: another agency's reference is not found.
    assert refs(reference=rows[2].reference, agency_id="A1") == []
    assert refs(reference=years_ago.reference, since=T0) == []
    assert refs(reference=rows[1].reference[:-1]) == []  # exact, not a prefix
    assert refs(reference="R-NONE") == []


def test_audit_pages_through_many_records(store: StateStore) -> None:
    rows = [audit(n) for n in range(1, 1203)]
    for r in rows:
        store.append_audit(r)
    back = [r.reference for r in store.iter_audit(AuditFilter())]
    assert back == [r.reference for r in reversed(rows)]
    assert len(list(store.iter_audit(AuditFilter(limit=700)))) == 700


def test_audit_refuses_a_second_record_with_one_reference(store: StateStore) -> None:
    first = audit(1)
    store.append_audit(first)
    with pytest.raises(DuplicateKey):
        store.append_audit(audit(2, reference=first.reference))
    assert [r.reference for r in store.iter_audit(AuditFilter())] == [first.reference]


# -- properties ---------------------------------------------------------------------------------

# Integers stay clear of 0 and 1: SQLite's json_extract compares true/false as 1/0, Elasticsearch
# indexes them as "true"/"false"; no feature stores a flag in one document and a count in another.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=2, max_value=2**40) | st.integers(min_value=-(2**40), max_value=-1),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(docs=st.lists(st.fixed_dictionaries({"k": scalars, "v": scalars}), min_size=1, max_size=6))
def test_find_agrees_with_python_equality(store: StateStore, docs: list[dict[str, object]]) -> None:
    collection = f"prop_{secrets.token_hex(4)}"
    stored = [store.insert(collection, d) for d in docs]
    for probe in docs:
        value = probe["k"]
        expected = [
            s.id
            for s in stored
            if s.data.get("k") == value and type(s.data.get("k")) is type(value)
        ]
        found = [s.id for s in store.find(collection, k=value)]
        assert found == expected
