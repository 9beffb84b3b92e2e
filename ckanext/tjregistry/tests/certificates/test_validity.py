"""Validity rules: three-year terms, the Art. 12 cap, renewal and statuses."""
from __future__ import annotations

import datetime as dt

import pytest

from ckanext.tjregistry.certificates import validity

D = dt.date


def test_term_is_three_years_to_the_day_before():
    assert validity.term_end(D(2026, 11, 27)) == D(2029, 11, 26)
    assert validity.term_end(D(2026, 1, 1)) == D(2028, 12, 31)
    assert validity.term_end(D(2026, 11, 27), years=5) == D(2031, 11, 26)


def test_term_starting_on_29_february():
    assert validity.term_end(D(2024, 2, 29)) == D(2027, 2, 28)
    assert validity.term_end(D(2028, 2, 29), years=4) == D(2032, 2, 28)


def test_resource_validity_is_the_full_term():
    period = validity.first_period(D(2026, 11, 27))
    assert period == validity.Period(D(2026, 11, 27), D(2029, 11, 26), D(2029, 11, 26))


def test_product_with_shorter_operation_is_valid_for_the_operation_period():
    period = validity.first_period(D(2026, 11, 27), authorization_end=D(2028, 6, 30))
    assert period.valid_until == D(2028, 6, 30)
    assert period.term_end == D(2029, 11, 26)


def test_product_with_longer_operation_gets_three_years():
    period = validity.first_period(D(2026, 11, 27), authorization_end=D(2031, 12, 31))
    assert period.valid_until == D(2029, 11, 26)


def test_operation_already_ended_cannot_be_certified():
    with pytest.raises(validity.ValidityError) as caught:
        validity.first_period(D(2026, 11, 27), authorization_end=D(2026, 11, 26))
    assert caught.value.field == "authorization_end"


def test_change_keeps_the_term_and_recaps_by_the_new_authorisation():
    amended = validity.amended_period(D(2027, 5, 1), D(2029, 11, 26), D(2029, 1, 31))
    assert amended == validity.Period(D(2027, 5, 1), D(2029, 1, 31), D(2029, 11, 26))
    extended = validity.amended_period(D(2027, 5, 1), D(2029, 11, 26), D(2033, 1, 1))
    assert extended.valid_until == D(2029, 11, 26)


def test_renewal_inside_the_window_continues_without_gap():
    period = validity.renewed_period(
        today=D(2029, 10, 1), valid_until=D(2029, 11, 26), current_term_end=D(2029, 11, 26)
    )
    assert period.valid_from == D(2029, 10, 1)
    assert period.valid_until == D(2032, 11, 26)
    assert period.term_end == D(2032, 11, 26)


def test_renewal_window_boundaries():
    valid_until = D(2029, 11, 26)
    opens = validity.renewal_window_opens(valid_until, 90)
    assert opens == D(2029, 8, 28)
    validity.renewed_period(opens, valid_until, valid_until)
    validity.renewed_period(valid_until, valid_until, valid_until)
    with pytest.raises(validity.ValidityError, match="renewal is possible from 2029-08-28"):
        validity.renewed_period(opens - dt.timedelta(days=1), valid_until, valid_until)
    with pytest.raises(validity.ValidityError, match="expired"):
        validity.renewed_period(valid_until + dt.timedelta(days=1), valid_until, valid_until)


def test_renewal_of_a_product_is_capped_and_needs_a_later_authorisation():
    capped = validity.renewed_period(
        D(2029, 10, 1), D(2029, 11, 26), D(2029, 11, 26), authorization_end=D(2030, 12, 31)
    )
    assert capped.valid_until == D(2030, 12, 31)
    with pytest.raises(validity.ValidityError) as caught:
        validity.renewed_period(
            D(2028, 5, 1), D(2028, 6, 30), D(2029, 11, 26), authorization_end=D(2028, 6, 30)
        )
    assert caught.value.field == "authorization_end"


def test_effective_status():
    assert validity.effective_status("valid", D(2029, 11, 26), D(2029, 11, 26)) == "valid"
    assert validity.effective_status("valid", D(2029, 11, 26), D(2029, 11, 27)) == "expired"
    assert validity.effective_status("revoked", D(2029, 11, 26), D(2026, 1, 1)) == "revoked"
    assert validity.effective_status("cancelled", D(2029, 11, 26), D(2030, 1, 1)) == "cancelled"
