"""GET /api/v1/audit: supervisors read their own agency's trail; no one reads another's."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.extensions import state_store
from lookup.store.base import AuditFilter, AuditRecord
from tests.lookup.conftest import AgencyKeys, bearer

PLATE_URL = "/api/v1/plates/DVL1234?reason=traffic_stop"


def audit(client: FlaskClient, key: str, query: str = "") -> Any:
    return client.get(f"/api/v1/audit{query}", headers=bearer(key))


def test_supervisor_sees_own_agency_only(
    client: FlaskClient, metro: AgencyKeys, county: AgencyKeys
) -> None:
    mine = client.get(PLATE_URL, headers=bearer(metro.officer_key)).get_json()["reference"]
    theirs = client.get(PLATE_URL, headers=bearer(county.officer_key)).get_json()["reference"]
    response = audit(client, metro.supervisor_key)
    assert response.status_code == 200
    body = response.get_json()
    references = [entry["reference"] for entry in body["records"]]
    assert mine in references
    assert theirs not in references
    assert {entry["agency_id"] for entry in body["records"]} == {metro.agency.id}
    [lookup] = [entry for entry in body["records"] if entry["reference"] == mine]
    assert lookup["query"] == "DVL1234"
    assert lookup["reason"] == "traffic_stop"
    assert lookup["at"].endswith("Z")


def test_no_parameter_widens_the_agency(
    client: FlaskClient, metro: AgencyKeys, county: AgencyKeys
) -> None:
    client.get(PLATE_URL, headers=bearer(county.officer_key))
    response = audit(client, metro.supervisor_key, f"?agency_id={county.agency.id}")
    assert all(entry["agency_id"] == metro.agency.id for entry in response.get_json()["records"])


def test_officer_is_refused_and_the_attempt_audited(client: FlaskClient, metro: AgencyKeys) -> None:
    assert audit(client, metro.officer_key).status_code == 403
    body = audit(client, metro.supervisor_key).get_json()
    reads = [entry for entry in body["records"] if entry["action"] == "audit_read"]
    assert [entry["outcome"] for entry in reads] == ["denied"]
    assert reads[0]["actor"] == f"apikey:{metro.officer_key_id}"


def test_filters_and_paging(client: FlaskClient, metro: AgencyKeys) -> None:
    for _ in range(3):
        client.get(PLATE_URL, headers=bearer(metro.officer_key))
        # Records of one millisecond are never split across pages (see the tests below), so
        # two answered within one (a cached answer takes less) would make a page of 1.
        time.sleep(0.002)
    client.get("/api/v1/credentials/ZZ000000?reason=crash", headers=bearer(metro.officer_key))
    no_match = audit(client, metro.supervisor_key, "?outcome=no_match").get_json()["records"]
    assert [entry["action"] for entry in no_match] == ["credential"]
    page = audit(client, metro.supervisor_key, "?outcome=match&limit=2").get_json()
    assert len(page["records"]) == 2
    assert page["next_until"] is not None
    newest_first = [entry["at"] for entry in page["records"]]
    assert newest_first == sorted(newest_first, reverse=True)
    actor = f"apikey:{metro.officer_key_id}"
    by_actor = audit(client, metro.supervisor_key, f"?actor={actor}&channel=api").get_json()
    assert {entry["actor"] for entry in by_actor["records"]} == {actor}


def test_bad_filter_is_400(client: FlaskClient, metro: AgencyKeys) -> None:
    for query in ("?limit=0", "?limit=5000", "?outcome=maybe", "?since=yesterday"):
        response = audit(client, metro.supervisor_key, query)
        assert response.status_code == 400, query
        assert response.get_json()["error"]["field"] in ("limit", "outcome", "since")


def test_each_read_is_itself_audited(app: Flask, client: FlaskClient, metro: AgencyKeys) -> None:
    audit(client, metro.supervisor_key, "?limit=5")
    body = audit(client, metro.supervisor_key).get_json()
    # A read lists what was there before it: the first read, not itself.
    reads = [entry for entry in body["records"] if entry["action"] == "audit_read"]
    assert [(entry["query"], entry["outcome"]) for entry in reads] == [("limit=5", "no_match")]
    with app.app_context():
        stored = list(records(AuditFilter(agency_id=metro.agency.id)))
    assert [entry.action for entry in stored] == ["audit_read", "audit_read"]


def _stored(app: Flask, agency_id: str, milliseconds: list[int]) -> set[str]:
    """Records of the agency at these milliseconds past a fixed time (several may share one)."""
    start = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    written = set()
    with app.app_context():
        for n, offset in enumerate(milliseconds):
            reference = f"DC-PAGE{n:03d}-00000"
            state_store().append_audit(
                AuditRecord(reference, start + timedelta(milliseconds=offset), agency_id,
                            "apikey:k", "api", "plate", "DVL1234", "crash", "match", None)
            )  # fmt: skip
            written.add(reference)
    return written


def _pages(client: FlaskClient, key: str, limit: int) -> list[list[str]]:
    pages, query = [], f"?limit={limit}&until=2026-11-24T07:00:00Z"
    while True:
        body = audit(client, key, query).get_json()
        pages.append([entry["reference"] for entry in body["records"]])
        if body["next_until"] is None:
            return pages
        query = f"?limit={limit}&until={body['next_until']}"


def test_paging_never_splits_a_millisecond(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    # Pages of 3 over 3 + 3 + 2 records that share milliseconds across every page boundary.
    written = _stored(app, metro.agency.id, [9, 9, 7, 7, 7, 5, 5, 1])
    pages = _pages(client, metro.supervisor_key, 3)
    seen = [reference for page in pages for reference in page]
    assert sorted(seen) == sorted(written)  # every record once: none skipped, none repeated
    assert [len(page) for page in pages] == [2, 3, 3]


def test_a_millisecond_fuller_than_a_page_comes_whole(
    app: Flask, client: FlaskClient, metro: AgencyKeys
) -> None:
    written = _stored(app, metro.agency.id, [4, 4, 4, 4, 2])
    pages = _pages(client, metro.supervisor_key, 2)
    assert [len(page) for page in pages] == [4, 1]
    assert sorted(r for page in pages for r in page) == sorted(written)
