"""The OFM analysts' dashboard pages: analysts only, sortable compliance table, charts as SVG
images with their tables, the printable notice, audited reads, no inline script."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from lookup.audit.records import records
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts
from lookup.store.base import AuditFilter
from tests.compliance_data import AS_OF, compliance_dataset
from tests.factories import MISSION_ID, SECOND_MISSION_ID
from tests.lookup.conftest import AppFactory
from tests.lookup.web.conftest import (
    GENEROUS_LIMITS,
    Clock,
    OfficerLogin,
    inline_scripts,
    make_officer,
    sign_in,
)


def ofm_app(make_app: AppFactory, clock: Clock) -> Flask:
    app = make_app(publish=False, CLOCK=clock, **GENEROUS_LIMITS)
    with app.app_context():
        search_backend().publish(compliance_dataset())
        accounts.create_agency(state_store(), "OFM", kind="ofm")
    return app


def signed_in(app: Flask, who: OfficerLogin, clock: Clock) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, who, clock).status_code == 303
    return client


def test_compliance_page_sorts_and_shows_charts_with_tables(
    make_app: AppFactory, clock: Clock
) -> None:
    app = ofm_app(make_app, clock)
    analyst = signed_in(app, make_officer(app, "ana", agency="OFM", role="analyst"), clock)
    page = analyst.get(f"/ofm/compliance?as_of={AS_OF}&sort=vehicles&order=desc")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert inline_scripts(html) == []
    assert html.index(f"<td>{MISSION_ID}</td>") < html.index(f"<td>{SECOND_MISSION_ID}</td>")
    ascending = analyst.get(f"/ofm/compliance?as_of={AS_OF}&sort=vehicles&order=asc")
    text = ascending.get_data(as_text=True)
    assert text.index(f"<td>{SECOND_MISSION_ID}</td>") < text.index(f"<td>{MISSION_ID}</td>")
    assert 'aria-sort="descending"' in html
    charts = re.findall(r'<img src="([^"]+\.svg[^"]*)"', html)
    assert len(charts) == 5
    assert html.count("<caption>") == 6  # a table beside each chart, and the missions
    for src in charts:
        svg = analyst.get(src.replace("&amp;", "&"))
        assert svg.status_code == 200
        assert svg.mimetype == "image/svg+xml"
        assert "<svg" in svg.get_data(as_text=True)
        assert "script-src" not in svg.headers["Content-Security-Policy"]
    # embassy: 6 compliant of 12; consular post: 1 of 2 (the table beside the first chart)
    assert '<th scope="row">embassy</th><td>6</td><td>6</td>' in html
    with app.app_context():
        actions = [r.action for r in records(AuditFilter(channel="web"))]
    assert actions.count("ofm_compliance") == 2
    assert actions.count("ofm_chart") == 5


def test_notice_lists_what_must_be_fixed(make_app: AppFactory, clock: Clock) -> None:
    app = ofm_app(make_app, clock)
    analyst = signed_in(app, make_officer(app, "ana", agency="OFM", role="analyst"), clock)
    notice = analyst.get(f"/ofm/compliance/{MISSION_ID}/notice?as_of={AS_OF}")
    assert notice.status_code == 200
    html = notice.get_data(as_text=True)
    assert "8 vehicles of your mission" in html
    assert "<td>CMP012</td><td>Lapsed</td><td>2026-05-01</td><td>45</td>" in html
    assert "ofm.css" in html
    assert analyst.get(f"/ofm/compliance/M-NONE/notice?as_of={AS_OF}").status_code == 404
    assert analyst.get("/ofm/compliance?as_of=someday").status_code == 400


def test_only_analysts_see_the_dashboard(make_app: AppFactory, clock: Clock) -> None:
    app = ofm_app(make_app, clock)
    officer = signed_in(app, make_officer(app, "jdoe"), clock)
    for path in (
        "/ofm/compliance",
        f"/ofm/compliance/{MISSION_ID}/notice",
        "/ofm/charts/by-mission-type.svg",
    ):
        assert officer.get(path).status_code == 403, path
        assert app.test_client().get(path).status_code in (302, 303), path
