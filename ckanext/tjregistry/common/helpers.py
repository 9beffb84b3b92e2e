"""Template helpers shared by every page: dates and times, error pages."""
from __future__ import annotations

from typing import Any

from werkzeug.exceptions import default_exceptions

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import dates, registry, texts


def N_(message: str) -> str:
    """Marks a message for extraction (``make i18n``); it is translated where shown."""
    return message


def _language() -> str:
    return tk.h.lang() or "zh_Hans_CN"


@registry.helper
def tjregistry_in_page_language(message: Any) -> str:
    """The page language's half of an inline bilingual action message (common/texts.py)."""
    return texts.in_language(message, _language())


@registry.helper
def tjregistry_datetime(value: Any, with_time: bool = True) -> str:
    """A timestamp in Tianjin's time zone: 2026年12月7日 10:34 / 7 Dec 2026, 10:34."""
    return dates.format_datetime(value, _language(), with_time=with_time)


@registry.helper
def tjregistry_date(value: Any) -> str:
    """A calendar date (or the local date of a timestamp): 2026年12月7日 / 7 Dec 2026."""
    return dates.format_datetime(value, _language(), with_time=False)


# The title of an error page and what to say when the view gave no message of its own.
_ERROR_TITLES = {
    400: N_("Bad request"),
    403: N_("Not authorised"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Upload too large"),
    429: N_("Too many requests"),
    500: N_("Internal server error"),
    503: N_("Service unavailable"),
}
_ERROR_EXPLANATIONS = {
    400: N_("The request could not be understood. Go back, reload the page and try again."),
    403: N_("You are not allowed to see this page or to do this."),
    404: N_("The page you asked for does not exist, or it was moved or deleted."),
    405: N_("This address cannot be used this way."),
    413: N_("The file is larger than the platform accepts."),
    429: N_("Too many requests in a short time. Wait a moment and try again."),
    500: N_("Something went wrong on the platform. The error has been recorded; "
              "try again later."),
    503: N_("The platform is temporarily unavailable. Try again later."),
}
_CSRF_EXPLANATION = N_(
    "The form expired or was sent from another page, so it was not accepted "
    "(security check). Go back, reload the page and send the form again.")


@registry.helper
def tjregistry_error_page(code: Any, content: Any = None, name: Any = None) -> dict[str, Any]:
    """Title and message of an error page in the user's language.

    CKAN passes the exception's ``description``: a view's own ``abort`` message is shown
    as it is (the views translate theirs), while werkzeug's stock English descriptions,
    the CSRF check's and CKAN's "Internal server error" are replaced by translations.
    Nothing of an exception other than its message reaches the page.
    """
    if isinstance(code, list | tuple):  # CKAN passes [500] for an unhandled exception
        code = code[0] if code else 500
    try:
        status = int(code)
    except (TypeError, ValueError):
        status = 500
    message = str(content or "").strip()
    stock = default_exceptions.get(status)
    is_stock = bool(stock) and message == (stock.description or "").strip()
    csrf = status == 400 and "CSRF" in message
    if csrf:
        message = tk._(_CSRF_EXPLANATION)
    elif status >= 500:  # whatever the exception said stays in the log
        message = tk._(_ERROR_EXPLANATIONS.get(status, _ERROR_EXPLANATIONS[500]))
    elif not message or is_stock or message == str(name or ""):
        explanation = _ERROR_EXPLANATIONS.get(status)
        message = tk._(explanation) if explanation else ""
    # A status without a title of its own gets a plain "Error", never werkzeug's English.
    title = tk._(_ERROR_TITLES[status]) if status in _ERROR_TITLES else tk._("Error")
    return {"code": status, "title": title, "message": message, "csrf": csrf}
