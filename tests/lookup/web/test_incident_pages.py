"""The incident pages: the report form from an answer, agency isolation, the analysts' queue
with its filters and CSV export, refusals, and no inline script anywhere (strict CSP)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from lookup.extensions import state_store
from lookup.identity import accounts
from lookup.store.incidents import IncidentFilter
from tests.factories import DIPLOMAT_LICENSE
from tests.lookup.web.conftest import (
    Clock,
    OfficerLogin,
    csrf_of,
    inline_scripts,
    make_officer,
    sign_in,
)


def signed_in(app: Flask, who: OfficerLogin, clock: Clock) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, who, clock).status_code == 303
    return client


def stored(app: Flask) -> int:
    with app.app_context():
        return state_store().incidents.page(IncidentFilter(), offset=0, limit=1)[1]


def file_report(client: FlaskClient, **fields: str) -> tuple[int, str, str | None]:
    csrf = csrf_of(client.get("/lookup").get_data(as_text=True))
    local = (datetime.now(UTC) - timedelta(hours=2)).astimezone(ZoneInfo("America/New_York"))
    data = {
        "csrf_token": csrf,
        "license_number": DIPLOMAT_LICENSE,
        "occurred_at": local.replace(tzinfo=None).isoformat(timespec="minutes"),
        "kind": "parking",
    } | fields
    response = client.post("/incidents", data=data)
    return response.status_code, response.get_data(as_text=True), response.headers.get("Location")


def test_the_answer_offers_a_report_form_holding_reference_and_subject(
    web_app: Flask, clock: Clock
) -> None:
    client = signed_in(web_app, make_officer(web_app, "jdoe"), clock)
    csrf = csrf_of(client.get("/lookup").get_data(as_text=True))
    posted = client.post(
        "/lookup", data={"csrf_token": csrf, "q": DIPLOMAT_LICENSE, "reason": "crash"}
    )
    assert posted.status_code == 303  # the answer page is POST -> redirect -> GET
    answer = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert 'action="/incidents/new"' in answer
    reference = re.search(r'name="lookup_reference" value="(DC-[^"]+)"', answer)
    assert reference
    form = client.post(
        "/incidents/new",
        data={
            "csrf_token": csrf,
            "lookup_reference": reference.group(1),
            "license_number": DIPLOMAT_LICENSE,
        },
    )
    page = form.get_data(as_text=True)
    assert form.status_code == 200
    assert reference.group(1) in page
    assert f'value="{DIPLOMAT_LICENSE}"' in page
    assert inline_scripts(page) == []
    assert "script-src" in form.headers["Content-Security-Policy"]


def test_bad_web_input_is_400_naming_the_field_and_stores_nothing(
    web_app: Flask, clock: Clock
) -> None:
    client = signed_in(web_app, make_officer(web_app, "jdoe"), clock)
    for fields, shown in (
        ({"narrative": "x" * 4001}, "narrative"),
        ({"latitude": "north", "longitude": "1"}, "latitude"),
        ({"latitude": "95", "longitude": "1"}, "latitude"),
        ({"kind": "speeding"}, "kind"),
        ({"license_number": "NOPE0000"}, "license_number"),
        ({"lookup_reference": "DC-00000-00000"}, "lookup_reference"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
    ):
        status, page, _ = file_report(client, **fields)
        assert status == 400, fields
        assert shown in page, fields
    assert stored(web_app) == 0


def test_agencies_see_only_their_reports_and_officers_cannot_assess(
    web_app: Flask, clock: Clock
) -> None:
    metro = signed_in(web_app, make_officer(web_app, "jdoe"), clock)
    county = signed_in(web_app, make_officer(web_app, "kroe", agency="County Sheriff"), clock)
    status, _page, location = file_report(metro, narrative="Blocked a hydrant")
    assert status == 303
    assert location
    incident_id = location.rsplit("/", 1)[-1]
    assert metro.get(location).status_code == 200
    refused = county.get(location)
    assert refused.status_code == 404
    assert "hydrant" not in refused.get_data(as_text=True)
    assert incident_id not in county.get("/incidents").get_data(as_text=True)
    csrf = csrf_of(metro.get("/lookup").get_data(as_text=True))
    assess = metro.post(
        f"/incidents/{incident_id}/assessment",
        data={"csrf_token": csrf, "decision": "no_action"},
    )
    assert assess.status_code == 403


def test_the_analyst_queue_filters_and_exports(web_app: Flask, clock: Clock) -> None:
    with web_app.app_context():
        accounts.create_agency(state_store(), "OFM", kind="ofm")
    metro = signed_in(web_app, make_officer(web_app, "jdoe"), clock)
    county = signed_in(web_app, make_officer(web_app, "kroe", agency="County Sheriff"), clock)
    analyst = signed_in(web_app, make_officer(web_app, "ana", agency="OFM", role="analyst"), clock)
    parking = file_report(metro, narrative="=cmd|' /C calc'!A0")[2]
    crash = file_report(county, kind="crash")[2]
    assert parking
    assert crash
    parking_id, crash_id = parking.rsplit("/", 1)[-1], crash.rsplit("/", 1)[-1]
    queue = analyst.get("/incidents").get_data(as_text=True)
    assert parking_id in queue
    assert crash_id in queue
    crashes = analyst.get("/incidents?kind=crash&country=valdoria").get_data(as_text=True)
    assert crash_id in crashes
    assert parking_id not in crashes
    today = datetime.now(ZoneInfo("America/New_York")).date()
    future = analyst.get(f"/incidents?since={today + timedelta(days=1)}").get_data(as_text=True)
    assert parking_id not in future
    assert analyst.get("/incidents?since=someday").status_code == 400
    export = analyst.get("/incidents?format=csv&kind=parking")
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [r["incident_id"] for r in rows] == [parking_id]
    assert rows[0]["narrative"].startswith("'=")
    report = analyst.get(f"/incidents/{parking_id}").get_data(as_text=True)
    assert 'name="decision"' in report
    bad = analyst.post(
        f"/incidents/{parking_id}/assessment",
        data={"csrf_token": csrf_of(report), "decision": "points_assessed", "points": "20"},
    )
    assert bad.status_code == 400
    assert "points" in bad.get_data(as_text=True)
    # An analyst runs no lookup and files no report.
    assert analyst.post("/incidents/new", data={"csrf_token": csrf_of(report)}).status_code == 403
