"""The public revocation list: exactly the documents the live scan calls revoked, as hashes that
name no one, recomputed when a new data set is published."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from lookup import create_app
from lookup.extensions import search_backend
from lookup.qr import revocations
from lookup.qr.tokens import Claims, TokenKind, sign
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE, small_dataset
from tests.lookup.qr.conftest import PUBLIC_URL, QrEnv

PATH = "/.well-known/dipcheck-revocations.json"


def test_entry_is_the_documented_hash() -> None:
    digest = hashlib.sha256(b"DipCheck revoked v1\x00C" + b"DA123456").hexdigest()
    assert revocations.entry("credential", "DA123456") == digest[:32]
    assert revocations.entry("vehicle", "DA123456") != revocations.entry("credential", "DA123456")


def _names() -> dict[str, str]:
    """Every card's and plate's entry, to the record it stands for."""
    found = {}
    dataset = small_dataset()
    for person in dataset.persons:
        if person.credential_number:
            found[revocations.entry("credential", person.credential_number)] = person.person_id
    for vehicle in dataset.vehicles:
        found[revocations.entry("vehicle", vehicle.plate)] = vehicle.plate
    return found


def test_lists_what_the_live_check_revokes_and_names_no_one(qr_env: QrEnv) -> None:
    response = qr_env.client.get(PATH)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    body = response.get_json()
    assert body["format"] == "dipcheck-qr-revocations/1"
    assert body["issuer"] == PUBLIC_URL
    with qr_env.app.app_context():
        published = search_backend().dataset_info()
    assert published is not None
    assert body["data_as_of"] == published.published_at.isoformat(timespec="seconds").replace(
        "+00:00", "Z"
    )
    # small_dataset: one card whose holder's accreditation is pending; every vehicle active.
    names = _names()
    assert [names[entry] for entry in body["revoked"]] == ["P-0005"]
    text = response.get_data(as_text=True)
    dataset = small_dataset()
    for person in dataset.persons:
        for value in (person.credential_number, person.family_name, person.person_id):
            assert not value or value not in text
    for vehicle in dataset.vehicles:
        assert vehicle.plate not in text


def test_a_newly_published_set_gives_a_new_list(qr_env: QrEnv) -> None:
    assert qr_env.client.get(PATH).get_json()["revoked"] == [
        revocations.entry("credential", "OF900001")
    ]
    base = small_dataset()
    persons = tuple(
        dataclasses.replace(p, credential_status="stolen")
        if p.credential_number == DIPLOMAT_CREDENTIAL
        else p
        for p in base.persons
    )
    vehicles = tuple(
        dataclasses.replace(v, registration_status="revoked") if v.plate == DIPLOMAT_PLATE else v
        for v in base.vehicles
    )
    with qr_env.app.app_context():
        search_backend().publish(dataclasses.replace(base, persons=persons, vehicles=vehicles))
    listed = qr_env.client.get(PATH).get_json()["revoked"]
    assert listed == sorted(
        [
            revocations.entry("credential", "OF900001"),
            revocations.entry("credential", DIPLOMAT_CREDENTIAL),
            revocations.entry("vehicle", DIPLOMAT_PLATE),
        ]
    )
    # The online scan says the same of these codes (issuing refuses them: signed by hand).
    now = int(datetime.now(UTC).timestamp())
    cases: tuple[tuple[TokenKind, str], ...] = (
        ("credential", DIPLOMAT_CREDENTIAL),
        ("vehicle", DIPLOMAT_PLATE),
    )
    for kind, subject in cases:
        with qr_env.app.app_context():
            token = sign(Claims(kind, subject, now - 60, now + 3600), qr_env.keys.signer())
        scan = qr_env.client.get(f"/v/{token}")
        assert "document no longer valid" in scan.get_data(as_text=True)


def test_no_data_published_is_a_503(tmp_path: Path) -> None:
    app = create_app(data_dir=tmp_path, TESTING=True)
    response = app.test_client().get(PATH)
    assert response.status_code == 503
    assert json.loads(response.get_data(as_text=True))["error"]["code"] == "unavailable"
