"""An app with SMS configured, a small published data set, and enrolled officer phones.

Requests are signed the way Twilio signs them, with the twilio library's own RequestValidator,
over the public URL (not the test client's http://localhost), as behind a TLS-terminating proxy.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from lookup import create_app
from lookup.answers.text.gsm7 import fits_one_segment
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts, phones
from lookup.store.base import AuditFilter, AuditRecord
from search_index.records import Dataset
from tests.factories import make_license, make_mission, make_person, make_vehicle

PUBLIC_URL = "https://dipcheck.police.example.gov"
WEBHOOK_PATH = "/sms/twilio"
WEBHOOK_URL = PUBLIC_URL + WEBHOOK_PATH
AUTH_TOKEN = "f3a1c2d4e5b60718293a4b5c6d7e8f90"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TWILIO_NUMBER = "+12025550188"

OFFICER_PHONE = "+15715550101"
DISABLED_PHONE = "+15715550102"  # enrolment disabled
DISABLED_OFFICER_PHONE = "+15715550103"  # enrolment active, officer disabled
UNKNOWN_PHONE = "+15715550199"

DIPLOMAT_PLATE = "DVL1234"
DIPLOMAT_CREDENTIAL = "DA123456"
DIPLOMAT_LICENSE = "OFM100200"
DIPLOMAT_BIRTH_YEAR = "1975"
CONSUL_CREDENTIAL = "CC900001"
CONSUL_LICENSE = "OFM300400"  # suspended
PENDING_CREDENTIAL = "PX777001"  # accreditation pending: unverified
MISSION_PLATE = "CVL5678"  # mission car, no insurance, plates stolen
TWIN_PLATES = ("D0B5678", "DOB5678")  # differ only by 0/O: "DQB5678" matches both


def dataset() -> Dataset:
    missions = (
        make_mission(),
        make_mission(
            mission_id="M-COR",
            name="Consulate General of Corvania",
            country="Corvania",
            mission_type="consular_post",
        ),
    )
    persons = (
        make_person(),  # Ostrander, Mirela: diplomatic agent, born 1975-04-12
        make_person(
            person_id="P-0004",
            mission_id="M-COR",
            family_name="Çelik-Ñúñez",
            given_names="Émile",
            category="career_consular_officer",
            credential_number=CONSUL_CREDENTIAL,
            credential_type="consular",
        ),
        make_person(
            person_id="P-0006",
            family_name="Pending",
            given_names="Paz",
            accreditation_status="pending",
            credential_number=PENDING_CREDENTIAL,
        ),
    )
    vehicles = (
        make_vehicle(),  # DVL1234, owned by the diplomat, insured
        make_vehicle(
            plate=MISSION_PLATE,
            owner_person_id=None,
            owner_mission_id="M-COR",
            registration_status="stolen",
            insurer=None,
            policy_number=None,
            policy_effective=None,
            policy_expiry=None,
            coverage_csl=None,
        ),
        *(make_vehicle(plate=plate, owner_person_id="P-0004") for plate in TWIN_PLATES),
    )
    licenses = (
        make_license(),
        make_license(license_number=CONSUL_LICENSE, person_id="P-0004", status="suspended"),
    )
    return Dataset(missions, persons, vehicles, licenses)


_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def twilio_params(body: str, sender: str, sid: str) -> dict[str, str]:
    """The parameters Twilio posts for an inbound SMS (as of API version 2010-04-01)."""
    return {
        "ToCountry": "US",
        "ToState": "DC",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "WASHINGTON",
        "FromZip": "22201",
        "SmsSid": sid,
        "FromState": "VA",
        "SmsStatus": "received",
        "FromCity": "ARLINGTON",
        "Body": body,
        "FromCountry": "US",
        "To": TWILIO_NUMBER,
        "ToZip": "20001",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


@dataclass
class SmsEnv:
    app: Flask
    client: FlaskClient
    validator: RequestValidator = field(default_factory=lambda: RequestValidator(AUTH_TOKEN))
    audit_mark: int = 0

    def sign(self, params: Mapping[str, str], url: str = WEBHOOK_URL) -> str:
        return str(self.validator.compute_signature(url, params))

    def post_params(
        self,
        params: Mapping[str, str],
        *,
        signature: str | None = None,
        path: str = WEBHOOK_PATH,
        headers: Mapping[str, str] | None = None,
    ) -> TestResponse:
        sent = {"X-Twilio-Signature": signature} if signature is not None else {}
        return self.client.post(path, data=dict(params), headers={**sent, **(headers or {})})

    def text(
        self, body: str, *, sender: str = OFFICER_PHONE, sid: str | None = None
    ) -> TestResponse:
        """A genuine, correctly signed inbound message."""
        params = twilio_params(body, sender, sid or new_sid())
        return self.post_params(params, signature=self.sign(params))

    def close(self) -> None:
        with self.app.app_context():
            search_backend().close()
            state_store().close()

    def all_audit(self) -> list[AuditRecord]:
        """Every audit record, newest first."""
        with self.app.app_context():
            return list(state_store().iter_audit(AuditFilter()))

    def audit(self) -> list[AuditRecord]:
        """The audit records written since the test began, newest first."""
        records = self.all_audit()
        return records[: len(records) - self.audit_mark]

    def hashed(self, phone: str) -> str:
        return phones.phone_hash(self.app.secret_key or "", phone)

    def enrolment(self, phone: str) -> phones.Enrolment | None:
        with self.app.app_context():
            return phones.find(state_store(), self.hashed(phone))


def make_env(tmp_path: Path, **config: Any) -> SmsEnv:
    settings: dict[str, Any] = {"twilio_auth_token": AUTH_TOKEN, **config}
    app = create_app(
        data_dir=tmp_path / "data",
        secret_key="s" * 40,
        public_url=PUBLIC_URL,
        TESTING=True,
        **settings,
    )
    with app.app_context():
        search_backend().publish(dataset())
        agency = accounts.create_agency(state_store(), "Arlington County Police")
        store = state_store()
        for username, phone in (
            ("jdoe", OFFICER_PHONE),
            ("rroe", DISABLED_PHONE),
            ("xgone", DISABLED_OFFICER_PHONE),
        ):
            officer = accounts.create_officer(
                state_store(),
                agency,
                username=username,
                display_name=username,
                password="correct-horse-9",
            )
            enrolment = phones.enrol(
                store,
                phones.phone_hash(app.secret_key or "", phone),
                officer_id=officer.id,
                agency_id=agency.id,
            )
            if phone == DISABLED_PHONE:
                phones.set_disabled(store, enrolment, True)
            if phone == DISABLED_OFFICER_PHONE:
                accounts.update_officer(store, officer, {"disabled": True})
    return SmsEnv(app, app.test_client())


@pytest.fixture(scope="module")
def sms_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmsEnv]:
    # One app per test module (officer accounts are slow to create: scrypt); limits high enough
    # for a module's worth of messages. Rate-limit tests build their own app with make_env.
    env = make_env(
        tmp_path_factory.mktemp("sms"),
        SMS_RATELIMIT_PHONE="100000/minute",
        SMS_RATELIMIT_ALL="100000/minute",
    )
    yield env
    env.close()


@pytest.fixture
def sms(sms_module: SmsEnv) -> SmsEnv:
    """The module's app, with its audit log read from this test's first record on and the
    officer's phone opted in."""
    sms_module.audit_mark = len(sms_module.all_audit())
    with sms_module.app.app_context():
        enrolment = phones.find(state_store(), sms_module.hashed(OFFICER_PHONE))
        assert enrolment is not None
        phones.set_opted_out(state_store(), enrolment, False)
    return sms_module


def reply_text(response: TestResponse) -> str | None:
    """The one message of a TwiML reply (checked to fit one GSM-7 segment), or None when the
    reply sends nothing."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data(as_text=True))  # noqa: S314 - our own response
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1
    if not messages:
        return None
    text = messages[0].text or ""
    assert fits_one_segment(text), text
    return text
