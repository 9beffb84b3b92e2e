"""Validity of registration certificates (TJ Art. 12 and 22).

* A certificate is valid for ``validity_years`` (3) years counted from the issue
  date: the *term* ends the day before the same calendar date that many years
  later (a term starting on 29 February ends on 28 February).
* A data product whose authorised operation ends earlier is valid only until the
  operation ends. Art. 12 says so for operation periods of three years or less;
  the same cap keeps a certificate from outliving its authorisation in any case.
* Renewal (续展) is allowed while the certificate is valid and at most
  ``renewal_window_days`` days before it ends, and, when
  ``renewal_after_expiry_days`` is set, that many days after it
  lapsed. The new term follows the old one without a gap, so a renewal never
  shortens or lengthens the time already granted.
* Statuses: ``valid``; ``expired`` (past the last valid day); ``revoked`` (撤销,
  Art. 29); ``cancelled`` (注销登记); ``superseded`` for an earlier version of the
  same registration, replaced by a renewal or by a change or correction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

VALID = "valid"
EXPIRED = "expired"
REVOKED = "revoked"
CANCELLED = "cancelled"
SUPERSEDED = "superseded"
STATUSES = (VALID, EXPIRED, REVOKED, CANCELLED, SUPERSEDED)
# Statuses that end a registration's certificate for good.
FINAL_STATUSES = (REVOKED, CANCELLED)

DEFAULT_YEARS = 3
DEFAULT_RENEWAL_WINDOW_DAYS = 90


class ValidityError(ValueError):
    """A validity rule forbids the requested issue or renewal."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar date ``years`` later; 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def term_end(term_start: dt.date, years: int = DEFAULT_YEARS) -> dt.date:
    """Last valid day of a term of ``years`` years starting on ``term_start``."""
    if years < 1:
        raise ValueError("a certificate term is at least one year")
    return add_years(term_start, years) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Validity of one certificate version; ``term_end`` is before any cap."""

    valid_from: dt.date
    valid_until: dt.date
    term_end: dt.date


def _cap(term_last_day: dt.date, authorization_end: dt.date | None) -> dt.date:
    if authorization_end is not None and authorization_end < term_last_day:
        return authorization_end
    return term_last_day


def first_period(
    issue_date: dt.date,
    authorization_end: dt.date | None = None,
    years: int = DEFAULT_YEARS,
) -> Period:
    """Validity of a newly registered object.

    ``authorization_end`` is the end of a data product's authorised operation;
    pass None for data resources and for products not in authorised operation.
    """
    if authorization_end is not None and authorization_end < issue_date:
        raise ValidityError(
            "authorization_end",
            "the authorised operation ended before the issue date",
        )
    last = term_end(issue_date, years)
    return Period(issue_date, _cap(last, authorization_end), last)


def amended_period(
    issue_date: dt.date,
    current_term_end: dt.date,
    authorization_end: dt.date | None = None,
) -> Period:
    """Validity of a new version after a change or correction: same term."""
    if authorization_end is not None and authorization_end < issue_date:
        raise ValidityError(
            "authorization_end",
            "the authorised operation ended before the issue date",
        )
    return Period(issue_date, _cap(current_term_end, authorization_end), current_term_end)


def renewal_window_opens(valid_until: dt.date, window_days: int) -> dt.date:
    return valid_until - dt.timedelta(days=window_days)


def renewed_period(
    today: dt.date,
    valid_until: dt.date,
    current_term_end: dt.date,
    authorization_end: dt.date | None = None,
    years: int = DEFAULT_YEARS,
    window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS,
    after_expiry_days: int = 0,
) -> Period:
    """Validity after a renewal requested on ``today``; raises :class:`ValidityError`.

    ``after_expiry_days``: how many days after the last valid day a lapsed certificate
    may still be renewed (0: not at all). The new term still follows the old one."""
    if today > valid_until + dt.timedelta(days=max(after_expiry_days, 0)):
        raise ValidityError("code", "the certificate has expired; it can no longer be renewed")
    opens = renewal_window_opens(valid_until, window_days)
    if today < opens:
        raise ValidityError(
            "code",
            f"renewal is possible from {opens.isoformat()}, {window_days} days before expiry",
        )
    next_last = term_end(current_term_end + dt.timedelta(days=1), years)
    new_until = _cap(next_last, authorization_end)
    if new_until <= valid_until:
        raise ValidityError(
            "authorization_end",
            "the authorised operation ends by the current expiry date; "
            "extend the authorisation (change registration) before renewing",
        )
    return Period(today, new_until, next_last)


def effective_status(stored_status: str, valid_until: dt.date, today: dt.date) -> str:
    """The status to show: a stored ``valid`` past its last day reads ``expired``."""
    if stored_status == VALID and today > valid_until:
        return EXPIRED
    return stored_status
