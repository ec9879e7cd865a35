"""The QR full record shows the licence with the points assessed from incident reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lookup.extensions import state_store
from lookup.identity.accounts import create_agency, create_api_key
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_LICENSE
from tests.lookup.qr.conftest import QrEnv

JSON = {"Accept": "application/json"}


def test_the_full_record_counts_assessed_points(qr_env: QrEnv) -> None:
    with qr_env.app.app_context():
        ofm = create_agency(state_store(), "OFM", kind="ofm")
        _key, analyst = create_api_key(state_store(), ofm, role="analyst")
    client = qr_env.client
    for points in (5, 4):
        filed = client.post(
            "/api/v1/incidents",
            json={
                "occurred_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
                "kind": "moving_violation",
                "subject": {"license_number": DIPLOMAT_LICENSE},
                "reporting_officer": {"name": "Ofc. Lane"},
            },
            headers=qr_env.auth(),
        )
        assert filed.status_code == 201
        client.post(
            f"/api/v1/incidents/{filed.get_json()['incident_id']}/assessment",
            json={"decision": "points_assessed", "points": points},
            headers={"Authorization": f"Bearer {analyst}"},
        )
    token = qr_env.token("credential", DIPLOMAT_CREDENTIAL)
    html = {"Accept": "text/html"} | qr_env.auth()
    page = client.get(f"/v/{token}?reason=crash", headers=html).get_data(as_text=True)
    assert "9 points (OFM review)" in page
    body = client.get(f"/v/{token}?reason=crash", headers=JSON | qr_env.auth()).get_json()
    licence = body["answer"]["matches"][0]["license"]
    assert (licence["points"], licence["points_from_reports"], licence["points_alert"]) == (
        9,
        9,
        "review",
    )
