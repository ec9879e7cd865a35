"""A licence reply carries the points alert (imported plus assessed points), within one segment."""

from __future__ import annotations

import pytest

from lookup.answers.text.gsm7 import fits_one_segment
from lookup.answers.text.replies import PersonFacts, person_reply

PHONE = "(571) 345-3146"


def facts(points: int, alert: str, family_name: str = "Ostrander") -> PersonFacts:
    return PersonFacts(
        family_name=family_name,
        given_names="Mirela",
        level="full",
        arrest="no",
        residence="no",
        credential="valid",
        licence="valid",
        points=points,
        points_alert=alert,
    )


@pytest.mark.parametrize(
    ("points", "alert", "shown"),
    [(10, "review", "10 pts-OFM REVIEW."), (13, "suspension", "13 pts-SUSPENSION ALERT.")],
)
def test_the_alert_is_in_the_reply(points: int, alert: str, shown: str) -> None:
    reply = person_reply("license", "OFM100200", facts(points, alert), "DC-7K3MQ-9XA4T", PHONE)
    assert shown in reply
    assert fits_one_segment(reply)


def test_a_long_name_squeezes_the_alert_but_keeps_it() -> None:
    reply = person_reply(
        "license",
        "OFM100200",
        facts(10, "review", "Vanderstraeten-Oyelaran" * 2),
        "DC-7K3MQ-9XA4T",
        PHONE,
    )
    assert fits_one_segment(reply)
    assert "10pts REVIEW" in reply or "10 pts-OFM REVIEW" in reply


def test_no_alert_no_points_text() -> None:
    reply = person_reply("license", "OFM100200", facts(3, "none"), "DC-7K3MQ-9XA4T", PHONE)
    assert "pts" not in reply
