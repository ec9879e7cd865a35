"""What the answer card says about statuses and vehicles, in words that do not repeat themselves."""

from __future__ import annotations

import pytest

from lookup.screens import officer


@pytest.mark.parametrize(
    ("badge", "status", "label", "text"),
    [
        (officer.registration_badge, "expired", "Registration expired", "Registration expired"),
        (officer.registration_badge, "active", "Registered", "Registered"),
        (officer.licence_badge, "valid", "Licence valid", "Licence valid"),
        (officer.credential_badge, "revoked", "Card revoked", "Card revoked"),
    ],
)
def test_status_badges_say_it_once(badge: object, status: str, label: str, text: str) -> None:
    shown = badge({"status": status, "label": label})  # type: ignore[operator]
    assert shown.text == text
    assert shown.text.lower().count(text.split()[0].lower()) == 1


def test_an_uninsured_car_may_not_be_driven() -> None:
    shown = officer.insurance_badge(
        {"status": "lapsed", "label": "Not insured: policy lapsed", "may_be_driven": False}
    )
    assert (shown.tone, shown.text) == ("bad", "Not insured: policy lapsed: may not be driven")


@pytest.mark.parametrize(
    ("vehicle_type", "expected"),
    [
        ("trailer", "Trailer · grey 2019 Humbaur HA"),
        ("car", "Car · grey 2019 Humbaur HA"),
        ("motorcycle", "Motorcycle · grey 2019 Humbaur HA"),
        ("other", "Other vehicle · grey 2019 Humbaur HA"),
    ],
)
def test_the_vehicle_line_starts_with_the_recorded_type(vehicle_type: str, expected: str) -> None:
    vehicle = {
        "vehicle_type": vehicle_type,
        "color": "grey",
        "year": 2019,
        "make": "Humbaur",
        "model": "HA",
    }
    assert officer.vehicle_line(vehicle) == expected
    assert officer.vehicle_line({"vehicle_type": "trailer"}) == "Trailer"


@pytest.mark.parametrize(
    ("alert", "shown"),
    [
        ("none", "9 points"),
        ("review", "9 points (OFM review)"),
        ("suspension", "9 points (OFM suspension level)"),
    ],
)
def test_points_carry_the_ofm_alert_they_reach(alert: str, shown: str) -> None:
    assert officer.points_text({"points": 9, "points_alert": alert}) == shown
