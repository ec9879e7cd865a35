from __future__ import annotations

from lookup.answers.phone_links import tel_href


def test_north_american_number_gets_country_code() -> None:
    assert tel_href("(571) 345-3146") == "tel:+15713453146"
    assert tel_href("571.345.3146") == "tel:+15713453146"


def test_international_number_keeps_its_own_code() -> None:
    assert tel_href(" +44 20 7946 0000") == "tel:+442079460000"
    assert tel_href("+1 (571) 345-3146") == "tel:+15713453146"


def test_other_lengths_stay_local_digits() -> None:
    assert tel_href("345-3146") == "tel:3453146"
