"""Lookup receipts: built from the audit record, authorized per agency, checked by the page and
by the offline verifier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lookup.audit.records import record
from lookup.cli import cli
from lookup.extensions import state_store
from lookup.identity.principal import Principal
from lookup.qr.receipts import (
    ReceiptNotFound,
    describe_summary,
    find_lookup,
    summary_code,
)
from lookup.qr.views import receipt_for
from tests.factories import DIPLOMAT_PLATE, make_audit_record
from tests.lookup.qr.conftest import PUBLIC_URL, QrEnv
from tests.lookup.qr.zbar import decode_png


def _lookup(env: QrEnv, path: str, key: str | None = None) -> str:
    response = env.client.get(path, headers=env.auth(key))
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["reference"])


def _receipt(env: QrEnv, reference: str, key: str | None = None):  # type: ignore[no-untyped-def]
    return env.client.get(f"/api/v1/receipts/{reference}", headers=env.auth(key))


def test_summary_codes_round_trip() -> None:
    code = summary_code({"levels": ["full", "none", "unverified"], "insurance": "lapsed"})
    assert code == "FNU/L"
    assert describe_summary(code) == (["full", "none", "unverified"], "lapsed")
    assert summary_code({"levels": ["full"] * 20, "insurance": None}) == "FFFFFF"
    assert summary_code(None) == ""
    assert summary_code({"levels": ["bogus"], "insurance": "bogus"}) == ""


def test_plate_lookup_receipt_verifies_on_the_page(qr_env: QrEnv) -> None:
    reference = _lookup(qr_env, f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop")
    response = _receipt(qr_env, reference)
    assert response.status_code == 200
    body = response.get_json()
    assert body["reference"] == reference
    assert body["url"] == f"{PUBLIC_URL}/v/{body['token']}"
    assert body["svg"].startswith("<svg")
    # The same receipt twice: deterministic signature over the same audit facts.
    assert _receipt(qr_env, reference).get_json()["token"] == body["token"]

    page = qr_env.client.get(f"/v/{body['token']}", headers={"Accept": "application/json"})
    shown = page.get_json()
    assert shown["result"] == "valid"
    receipt = shown["receipt"]
    assert receipt["reference"] == reference
    assert receipt["query"] == DIPLOMAT_PLATE
    assert receipt["query_kind"] == "plate"
    assert receipt["channel"] == "api"
    assert receipt["outcome"] == "match"
    assert receipt["matches"] >= 1
    assert receipt["immunity_levels"][0] == "full"
    assert receipt["insurance"] is not None
    html = qr_env.client.get(f"/v/{body['token']}", headers={"Accept": "text/html"})
    assert "Lookup receipt" in html.get_data(as_text=True)


def test_receipt_is_only_for_the_agency_that_looked_up(qr_env: QrEnv) -> None:
    reference = _lookup(qr_env, f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash")
    other = _receipt(qr_env, reference, qr_env.other_api_key)
    assert other.status_code == 404
    assert other.get_json()["error"]["code"] == "not_found"
    unknown = _receipt(qr_env, "DC-00000-00000")
    assert unknown.status_code == 404
    anonymous = qr_env.client.get(f"/api/v1/receipts/{reference}")
    assert anonymous.status_code == 401


@pytest.mark.parametrize("bad", ["x", "DC-ABCDE", "DC-ABCDE-FGHIU", "'; drop table audit"])
def test_malformed_reference_is_400_naming_the_field(qr_env: QrEnv, bad: str) -> None:
    response = _receipt(qr_env, bad)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "reference"


def test_reference_is_accepted_in_lower_case(qr_env: QrEnv) -> None:
    reference = _lookup(qr_env, f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=crash")
    assert _receipt(qr_env, reference.lower()).status_code == 200


def test_login_records_are_not_receipts(qr_env: QrEnv) -> None:
    with qr_env.app.test_request_context():
        agency_id = _principal(qr_env).agency_id
        entry = record(
            None,
            channel="login",
            action="login",
            query="someone",
            outcome="denied",
            agency_id=agency_id,
        )
        with pytest.raises(ReceiptNotFound):
            receipt_for(entry.reference, _principal(qr_env))


def test_a_receipt_for_a_lookup_years_old_is_found_by_its_reference(qr_env: QrEnv) -> None:
    from datetime import UTC, datetime, timedelta

    from lookup.audit.records import new_reference

    with qr_env.app.test_request_context():
        old = make_audit_record(
            reference=new_reference(),
            at=datetime.now(UTC).replace(microsecond=0) - timedelta(days=3 * 366),
            agency_id=_principal(qr_env).agency_id,
            detail={"matches": 1, "summary": {"levels": ["full"], "insurance": "active"}},
        )
        state_store().append_audit(old)
        assert find_lookup(state_store(), old.reference, old.agency_id or "") == old
    body = _receipt(qr_env, old.reference).get_json()
    assert body["reference"] == old.reference
    assert _receipt(qr_env, old.reference, qr_env.other_api_key).status_code == 404


def _principal(env: QrEnv) -> Principal:
    from lookup.identity.auth import principal_for_api_key

    return principal_for_api_key(env.api_key)


def test_receipt_qr_svg_for_the_answer_page(qr_env: QrEnv) -> None:
    reference = _lookup(qr_env, "/api/v1/credentials/DA123456?reason=investigation")
    with qr_env.app.test_request_context():
        svg = receipt_for(reference, _principal(qr_env)).svg
        assert svg.startswith("<svg")
        found = find_lookup(state_store(), reference, _principal(qr_env).agency_id)
        assert found.action == "credential"
        assert found.detail["summary"]["levels"] == ["full"]


def test_receipt_png_decodes_and_verifies_offline(qr_env: QrEnv, tmp_path: Path) -> None:
    from lookup.qr import render

    reference = _lookup(qr_env, f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop")
    body = _receipt(qr_env, reference).get_json()
    (scanned,) = decode_png(render.png(body["url"]))
    assert scanned == body["url"]
    keys_file = tmp_path / "keys.json"
    keys_file.write_bytes(qr_env.client.get("/.well-known/dipcheck-keys.json").data)
    result = CliRunner().invoke(cli, ["qr", "verify", scanned, "--keys", str(keys_file), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["result"] == "valid"
    assert out["subject"] == reference
    assert out["receipt"]["query"] == DIPLOMAT_PLATE


def test_receipt_page_for_officers(qr_env: QrEnv) -> None:
    reference = _lookup(qr_env, f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop")
    page = qr_env.client.get(f"/qr/receipts/{reference}", headers=qr_env.auth())
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Lookup receipt {reference}" in html
    assert "<svg" in html
    assert "<script" not in html
    assert qr_env.client.get(f"/qr/receipts/{reference}").status_code == 401
    other = qr_env.client.get(
        f"/qr/receipts/{reference}", headers=qr_env.auth(qr_env.other_api_key)
    )
    assert other.status_code == 404
    assert "<svg" not in other.get_data(as_text=True)
    bad = qr_env.client.get("/qr/receipts/nonsense", headers=qr_env.auth())
    assert bad.status_code == 400


def test_old_receipt_verifies_against_the_archived_key_set_as_of_its_time(
    qr_env: QrEnv, tmp_path: Path
) -> None:
    from datetime import datetime, timedelta

    reference = _lookup(qr_env, f"/api/v1/plates/{DIPLOMAT_PLATE}?reason=traffic_stop")
    body = _receipt(qr_env, reference).get_json()
    qr_env.keys.rotate(timedelta(seconds=1))
    # The key set as published during the old key's overlap, kept with the case file; then the
    # old key is retired.
    looked_up_at = datetime.fromisoformat(body["looked_up_at"])
    archived = tmp_path / "keys-archived.json"
    archived.write_text(json.dumps(qr_env.keys.keyset().to_json(looked_up_at)))
    statuses = {key["kid"]: key["status"] for key in json.loads(archived.read_text())["keys"]}
    assert statuses[body["kid"]] == "verifying"
    qr_env.keys.retire(body["kid"])

    page = qr_env.client.get(f"/v/{body['token']}", headers={"Accept": "application/json"})
    assert page.get_json()["result"] == "unknown_key"
    runner = CliRunner()

    def offline(at: str) -> Result:
        return runner.invoke(
            cli, ["qr", "verify", body["url"], "--keys", str(archived), "--at", at]
        )

    later = offline((looked_up_at + timedelta(days=1)).isoformat())
    assert later.exit_code == 1
    assert "unknown_key" in later.output
    then = offline(body["looked_up_at"])
    assert then.exit_code == 0, then.output
    assert f"subject: {reference}" in then.output
    bad = offline("yesterday")
    assert bad.exit_code == 1
    assert "--at must be an ISO time" in bad.output
    # A fresh receipt for the same reference is signed by the new key and verifies on the page.
    fresh = _receipt(qr_env, reference).get_json()
    assert fresh["kid"] != body["kid"]
    again = qr_env.client.get(f"/v/{fresh['token']}", headers={"Accept": "application/json"})
    assert again.get_json()["result"] == "valid"


def test_long_query_is_cut_to_keep_the_code_within_version_12(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from lookup.qr import render
    from lookup.qr.keys import KeyStore
    from lookup.qr.receipts import issue_receipt
    from lookup.store.base import AuditRecord

    store = KeyStore(tmp_path)
    store.create()
    entry = AuditRecord(
        reference="DC-7K2QM-9XR4B",
        at=datetime(2026, 3, 1, 10, 15, tzinfo=UTC),
        agency_id="a1",
        actor="officer:o1",
        channel="web",
        action="person",
        query="Wolfeschlegelsteinhausenbergerdorff Hubert Blaine",
        reason="investigation",
        outcome="match",
        client="10.0.0.9",
        detail={"matches": 3, "summary": {"levels": ["full", "none", "unverified"]}},
    )
    short_base = issue_receipt(entry, store.signer(), "https://dc.example")
    long_base = issue_receipt(
        entry, store.signer(), "https://dipcheck.metropolitan-police.example.gov"
    )
    for receipt in (short_base, long_base):
        assert render.build(receipt.url).version <= 12
        assert receipt.claims.receipt is not None
        assert receipt.claims.receipt.summary == "FNU"
        assert entry.query.startswith(receipt.claims.receipt.query)
    assert short_base.claims.receipt is not None
    assert long_base.claims.receipt is not None
    assert len(long_base.claims.receipt.query) < len(short_base.claims.receipt.query)
