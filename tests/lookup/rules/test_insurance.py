"""Insurance status on its boundary days, minimums by vehicle type, and who may drive."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.rules.insurance import CoverageMinimum, InsuranceRules, insurance_on
from search_index.records import Vehicle
from tests.factories import make_vehicle

TODAY = date(2026, 3, 15)
RULES = InsuranceRules()
NO_POLICY = {
    "insurer": None,
    "policy_number": None,
    "policy_effective": None,
    "policy_expiry": None,
    "coverage_csl": None,
}
SPLIT_ONLY = {"coverage_csl": None}


def status(**fields: object) -> str:
    return insurance_on(make_vehicle(**fields), TODAY, RULES).status


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [
        (days(-1), "lapsed"),  # ended yesterday
        (days(0), "expiring"),  # ends today: still in force today
        (days(1), "expiring"),
        (days(30), "expiring"),
        (days(31), "active"),
    ],
)
def test_expiry_boundaries(expiry: date, expected: str) -> None:
    assert status(policy_expiry=expiry) == expected


@pytest.mark.parametrize(
    ("effective", "expected"),
    [(days(1), "not_yet_effective"), (days(0), "active"), (days(-1), "active")],
)
def test_effective_boundaries(effective: date, expected: str) -> None:
    assert status(policy_effective=effective, policy_expiry=days(200)) == expected


def test_days_left_while_in_force() -> None:
    assert insurance_on(make_vehicle(policy_expiry=days(12)), TODAY, RULES).days_left == 12
    assert insurance_on(make_vehicle(policy_expiry=days(-1)), TODAY, RULES).days_left is None


def test_cancelled_policy_is_lapsed_even_within_its_dates() -> None:
    result = insurance_on(make_vehicle(policy_cancelled=True), TODAY, RULES)
    assert result.status == "lapsed"
    assert "The policy was cancelled." in result.notes
    assert result.may_be_driven is False


def test_no_policy_on_record() -> None:
    result = insurance_on(make_vehicle(**NO_POLICY), TODAY, RULES)
    assert result.status == "none"
    assert result.may_be_driven is False
    assert any("may not be driven" in n for n in result.notes)


@pytest.mark.parametrize("vehicle_type", ["car", "motorcycle", "trailer", "other"])
def test_trailer_needs_no_policy(vehicle_type: str) -> None:
    result = insurance_on(make_vehicle(vehicle_type=vehicle_type, **NO_POLICY), TODAY, RULES)
    if vehicle_type == "trailer":
        assert result.status == "not_required"
        assert result.may_be_driven is True
        assert result.minimum is None
    else:
        assert result.status == "none"


@pytest.mark.parametrize(
    ("csl", "expected"), [(300_000, "active"), (299_999, "below_minimum"), (1_000_000, "active")]
)
def test_car_csl(csl: int, expected: str) -> None:
    assert status(coverage_csl=csl) == expected


@pytest.mark.parametrize(
    ("split", "expected"),
    [
        ((100_000, 300_000, 100_000), "active"),
        ((99_999, 300_000, 100_000), "below_minimum"),
        ((100_000, 299_999, 100_000), "below_minimum"),
        ((100_000, 300_000, 99_999), "below_minimum"),
        ((100_000, 300_000, 50_000), "below_minimum"),  # a motorcycle's split is not a car's
    ],
)
def test_car_split(split: tuple[int, int, int], expected: str) -> None:
    bi_person, bi_accident, pd = split
    fields = {"coverage_bi_person": bi_person, "coverage_bi_accident": bi_accident}
    assert status(**SPLIT_ONLY, **fields, coverage_pd=pd) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"coverage_csl": 300_000}, "active"),
        ({"coverage_csl": 250_000}, "below_minimum"),
        (
            {
                "coverage_csl": None,
                "coverage_bi_person": 100_000,
                "coverage_bi_accident": 300_000,
                "coverage_pd": 50_000,
            },
            "active",
        ),
        (
            {
                "coverage_csl": None,
                "coverage_bi_person": 100_000,
                "coverage_bi_accident": 300_000,
                "coverage_pd": 49_999,
            },
            "below_minimum",
        ),
    ],
)
def test_motorcycle_minimum(fields: dict[str, object], expected: str) -> None:
    assert status(vehicle_type="motorcycle", **fields) == expected


def test_other_vehicle_type_uses_car_minimum() -> None:
    low_pd = {
        "coverage_csl": None,
        "coverage_bi_person": 100_000,
        "coverage_bi_accident": 300_000,
        "coverage_pd": 50_000,
    }
    assert status(vehicle_type="other", **low_pd) == "below_minimum"


def test_either_csl_or_split_satisfies() -> None:
    # A low CSL beside a sufficient split still meets the minimum.
    fields = {
        "coverage_csl": 100_000,
        "coverage_bi_person": 100_000,
        "coverage_bi_accident": 300_000,
        "coverage_pd": 100_000,
    }
    assert status(**fields) == "active"


def test_missing_limits_are_judged_on_dates_with_a_note() -> None:
    result = insurance_on(make_vehicle(coverage_csl=None), TODAY, RULES)
    assert result.status == "active"
    assert result.meets_minimum is None
    assert any("limits are not on record" in n for n in result.notes)


def test_incomplete_split_below_minimum_is_below() -> None:
    assert status(coverage_csl=None, coverage_bi_person=50_000) == "below_minimum"


def test_date_rules_come_before_the_minimum() -> None:
    assert status(coverage_csl=1, policy_expiry=days(-1)) == "lapsed"
    assert status(coverage_csl=1, policy_effective=days(3)) == "not_yet_effective"
    assert status(coverage_csl=1, policy_expiry=days(3)) == "below_minimum"


@pytest.mark.parametrize(
    ("fields", "may_drive"),
    [
        ({}, True),
        ({"policy_expiry": days(5)}, True),
        ({"policy_expiry": days(-1)}, False),
        ({"policy_effective": days(1)}, False),
        ({"coverage_csl": 1}, False),
        (NO_POLICY, False),
        ({"vehicle_type": "trailer"}, True),
    ],
)
def test_may_be_driven(fields: dict[str, object], may_drive: bool) -> None:
    assert insurance_on(make_vehicle(**fields), TODAY, RULES).may_be_driven is may_drive


def test_minimums_and_window_are_configuration() -> None:
    strict = InsuranceRules(
        car=CoverageMinimum(500_000, 250_000, 500_000, 100_000), expiring_within_days=60
    )
    assert insurance_on(make_vehicle(), TODAY, strict).status == "below_minimum"
    vehicle = make_vehicle(coverage_csl=600_000, policy_expiry=days(45))
    assert insurance_on(vehicle, TODAY, strict).status == "expiring"
    assert insurance_on(vehicle, TODAY, RULES).status == "active"


@given(
    offset=st.integers(min_value=-400, max_value=400),
    csl=st.one_of(st.none(), st.integers(min_value=0, max_value=2_000_000)),
    cancelled=st.booleans(),
)
def test_status_is_always_one_of_seven_and_consistent(
    offset: int, csl: int | None, cancelled: bool
) -> None:
    vehicle: Vehicle = make_vehicle(
        policy_expiry=days(offset), coverage_csl=csl, policy_cancelled=cancelled
    )
    result = insurance_on(vehicle, TODAY, RULES)
    assert result.may_be_driven is (result.status in ("active", "expiring"))
    if cancelled or offset < 0:
        assert result.status == "lapsed"
    elif result.status in ("active", "expiring"):
        assert result.days_left == offset
        assert (result.status == "expiring") is (offset <= 30)
