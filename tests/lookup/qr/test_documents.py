"""Issuing document tokens from the published data, and the live check behind every scan."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lookup.qr.documents import MAX_LIFETIME, NotIssuable, issue, live_check
from lookup.qr.keys import KeyStore, SigningKey
from lookup.qr.tokens import Claims
from search_index.backend import Snapshot
from search_index.sqlite.backend import SQLiteBackend
from tests.factories import (
    DIPLOMAT_CREDENTIAL,
    DIPLOMAT_PLATE,
    make_person,
    make_vehicle,
    small_dataset,
)

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def snapshot(tmp_path: Path) -> Iterator[Snapshot]:
    data = small_dataset()
    extra_persons = (
        make_person(person_id="P-0101", credential_number="RV000001", credential_status="revoked"),
        make_person(person_id="P-0102", credential_number="NE000001", credential_expiry=None),
        make_person(
            person_id="P-0103", credential_number="TM000001", accreditation_status="terminated"
        ),
    )
    extra_vehicles = (
        make_vehicle(plate="STL001", registration_status="stolen"),
        make_vehicle(plate="OLD001", registration_expiry=date(2026, 1, 31)),
        make_vehicle(plate="NOEXP1", registration_expiry=None),
    )
    data = dataclasses.replace(
        data, persons=data.persons + extra_persons, vehicles=data.vehicles + extra_vehicles
    )
    backend = SQLiteBackend(tmp_path / "index")
    backend.publish(data)
    with backend.snapshot() as pinned:
        yield pinned
    backend.close()


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    store = KeyStore(tmp_path_factory.mktemp("ring"))
    store.create()
    return store.signer()


def _end_of(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + 86400


def test_credential_token_expires_with_the_card(snapshot: Snapshot, key: SigningKey) -> None:
    issued = issue(snapshot, "credential", " da-123 456 ", key, zone=UTC, now=NOW)
    assert issued.subject == DIPLOMAT_CREDENTIAL
    assert issued.claims.issued_at == int(NOW.timestamp())
    assert issued.claims.expires_at == _end_of(date(2027, 9, 1))  # good all of the last day


def test_a_token_is_good_to_the_end_of_the_last_day_in_the_local_zone(
    snapshot: Snapshot, key: SigningKey
) -> None:
    # The card's last day is 2027-09-01: in New York it ends at 04:00 UTC the next day (EDT).
    issued = issue(snapshot, "credential", DIPLOMAT_CREDENTIAL, key, zone=NEW_YORK, now=NOW)
    assert issued.claims.expires_at == int(datetime(2027, 9, 2, 4, tzinfo=UTC).timestamp())
    # 21:00 on 31 January in New York is already 1 February in UTC: the registration's last day
    # (31 January) is still today where the officers are, so a code is issued, good until the
    # end of that local day.
    evening = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)
    old = issue(snapshot, "vehicle", "OLD001", key, zone=NEW_YORK, now=evening)
    assert old.claims.expires_at == int(datetime(2026, 2, 1, 5, tzinfo=UTC).timestamp())


def test_vehicle_token_expires_with_the_registration(snapshot: Snapshot, key: SigningKey) -> None:
    issued = issue(snapshot, "vehicle", "dvl 1234", key, zone=UTC, now=NOW)
    assert issued.subject == DIPLOMAT_PLATE
    assert issued.claims.expires_at == _end_of(date(2027, 3, 31))


def test_shorter_lifetime_and_defaults(snapshot: Snapshot, key: SigningKey) -> None:
    short = issue(
        snapshot, "credential", DIPLOMAT_CREDENTIAL, key, zone=UTC, now=NOW, lifetime=timedelta(7)
    )
    assert short.claims.expires_at == int((NOW + timedelta(days=7)).timestamp())
    no_expiry = issue(snapshot, "credential", "NE000001", key, zone=UTC, now=NOW)
    assert no_expiry.claims.expires_at == int((NOW + timedelta(days=366)).timestamp())
    capped = issue(
        snapshot, "vehicle", "NOEXP1", key, zone=UTC, now=NOW, lifetime=timedelta(days=9999)
    )
    assert capped.claims.expires_at == int((NOW + MAX_LIFETIME).timestamp())


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("credential", "RV000001", "recorded as revoked"),
        ("credential", "TM000001", "accreditation is terminated"),
        ("credential", "ZZ999999", "no person holds"),
        ("credential", "", "credential number"),
        ("vehicle", "STL001", "recorded as stolen"),
        ("vehicle", "OLD001", "registration has expired"),
        ("vehicle", "NOPE12", "no vehicle"),
        ("vehicle", "!!", "plate"),
    ],
)
def test_not_issued_for_invalid_documents(
    snapshot: Snapshot, key: SigningKey, kind: str, value: str, message: str
) -> None:
    with pytest.raises(NotIssuable, match=message):
        issue(snapshot, kind, value, key, zone=UTC, now=NOW)  # type: ignore[arg-type]


def _claims(kind: str, subject: str) -> Claims:
    start = int(NOW.timestamp())
    return Claims(kind, subject, start, start + 86400)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "subject", "state", "reason"),
    [
        ("credential", DIPLOMAT_CREDENTIAL, "valid", ""),
        ("credential", "RV000001", "revoked", "the credential is recorded as revoked"),
        ("credential", "TM000001", "revoked", "the accreditation is terminated"),
        ("credential", "GONE0001", "revoked", "the credential is no longer on record"),
        ("vehicle", "STL001", "revoked", "the registration is recorded as stolen"),
        ("vehicle", "OLD001", "expired", "the registration has expired"),
        ("vehicle", "GONE01", "revoked", "the registration is no longer on record"),
    ],
)
def test_live_check(snapshot: Snapshot, kind: str, subject: str, state: str, reason: str) -> None:
    checked = live_check(snapshot, _claims(kind, subject), NOW.date())
    assert (checked.state, checked.reason) == (state, reason)
    assert bool(checked.facts) == (state == "valid")


def test_vehicle_facts_name_the_owner_mission(snapshot: Snapshot) -> None:
    facts = dict(live_check(snapshot, _claims("vehicle", "CCR0581"), NOW.date()).facts)
    assert facts["Mission"] == "Consulate General of Corvania"
    person_owned = dict(live_check(snapshot, _claims("vehicle", DIPLOMAT_PLATE), NOW.date()).facts)
    assert person_owned["Mission"] == "Embassy of Valdoria"
    assert "VIN" not in person_owned  # the minimum to compare with the plate, nothing more
