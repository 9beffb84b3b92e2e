"""API actions of the public side: the publicity, objections and the registration query.

The behaviour lives in ``publicity.py``, ``objections.py`` and ``public_query.py``;
these functions validate the input, check access and shape the answer.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjregistry.common import ratelimit, registry
from ckanext.tjregistry.common.callers import user_of
from ckanext.tjregistry.common.validation import paging, validated
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.publicity import objections, public_query
from ckanext.tjregistry.publicity import period as publicity


def _v(name: str) -> Any:
    return tk.get_validator(name)


def _text() -> list[Any]:
    return [_v("ignore_missing"), _v("unicode_safe"), _v("strip_value")]


def _logged_in_user(context: Context) -> model.User:
    user = user_of(context)
    if user is None:
        raise tk.NotAuthorized("请先登录 / Log in first")
    return user


@registry.action
@tk.side_effect_free
def registration_publicity_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Applications in publicity now (Art. 20), newest first, with exactly the published
    items: registrant name, registration type, data name, content summary, start and end.

    :param q: optional text to find in the data name or summary
    :param limit: default 20, at most 100
    :param offset: default 0
    """
    tk.check_access("registration_publicity_list", context, data_dict)
    data = validated(data_dict, {"q": _text(), **paging(20, 100)}, context)
    return publicity.listing(q=data.get("q") or "", limit=data["limit"], offset=data["offset"])


@registry.action
def objection_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """File an objection to an application in publicity, under one's real name (Art. 20).

    :param application_id: the publicity item (the application)
    :param objector_name: real name (or an organization's name)
    :param id_type: resident_id | passport | hk_macao_permit | taiwan_permit |
        foreign_permanent_resident | uscc
    :param id_number: the document's number (resident ID numbers must pass the GB 11643
        check digit, credit codes the GB 32100 check character)
    :param contact_phone: required
    :param contact_email: optional; the decision is e-mailed there
    :param category: rights_dispute | inaccurate_information | infringement | other
    :param statement: the objection, 10 characters or more
    :param interest: how the objector is concerned (Art. 20 相关当事人): own_data_or_rights |
        contract_party | competing_claim | other
    :param interest_statement: the explanation of that interest
        (``tjregistry.objection.interest_min_length`` characters or more)
    :param truthful: the objector confirms the information is true (required)
    :param evidence: evidence file(s) (multipart; further files as ``evidence_2`` ...);
        PDF, JPEG or PNG by content, size-limited

    One identity document may object to one application at most
    ``tjregistry.objection.per_identity_per_application`` times and have at most
    ``tjregistry.objection.open_per_identity`` pending objections; over a limit the
    filing is refused with an ``id_number`` field error (see ``objection_limits.py``).

    Returns the objection's ``id``, ``number`` and ``token``: keep the token, it is
    shown once and is needed to follow the objection (``objection_show``).
    """
    tk.check_access("objection_create", context, data_dict)

    objection, token = objections.create(dict(data_dict), objections.uploads_in(data_dict),
                                         address=ratelimit.client_address())
    return {"id": objection.id, "number": objection.number, "token": token,
            "status": objection.status, "application_id": objection.application_id,
            "created": objection.created.isoformat()}


@registry.action
@tk.side_effect_free
def objection_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One objection as the caller may see it.

    The handling institution and sysadmins see everything (identity, contacts,
    evidence); the registrant sees the statement, its response and the decision; the
    objector, giving ``token``, sees their own objection and its decision.

    :param id: the objection's id or number
    :param token: the objector's token
    """
    data = validated(data_dict, {"id": [_v("not_empty"), _v("unicode_safe")],
                                 "token": _text()}, context)
    objection = objections.get(data["id"])
    tk.check_access("objection_show", context, data)
    view = objections.view_for(user_of(context), objection, data.get("token"))
    assert view is not None
    result = objections.as_dict(objection, view)
    result["view"] = view
    return result


@registry.action
@tk.side_effect_free
def objection_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Objections the caller handles (institution) or received (registrant), newest first.

    :param application_id: only those on this application
    :param status: pending | upheld | not_upheld | closed
    :param limit: default 50, at most 200
    :param offset: default 0
    """
    tk.check_access("objection_list", context, data_dict)
    data = validated(data_dict, {"application_id": _text(), "status": _text(),
                                 **paging(50, 200)}, context)
    user = user_of(context)
    query = objections.visible_query(user)
    if data.get("application_id"):
        query = query.filter(Objection.application_id == data["application_id"])
    if data.get("status"):
        if data["status"] not in objections.STATUS_LABELS:
            raise tk.ValidationError({"status": [
                "状态无效 / status must be pending, upheld, not_upheld or closed"]})
        query = query.filter(Objection.status == data["status"])
    count = query.count()
    rows = (query.order_by(sa.case((Objection.status == objections.PENDING, 0), else_=1),
                           Objection.created.desc(), Objection.id)
            .offset(data["offset"]).limit(data["limit"]).all())
    results = []
    for row in rows:
        view = objections.view_for(user, row)
        if view is not None:
            results.append({**objections.as_dict(row, view), "view": view})
    return {"count": count, "results": results}


@registry.action
def objection_respond(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The registrant answers an objection (once, while it is pending).

    :param id: the objection's id or number
    :param response: the answer, 10 characters or more
    """
    data = validated(data_dict, {"id": [_v("not_empty"), _v("unicode_safe")],
                                 "response": _text()}, context)
    objections.get(data["id"])
    tk.check_access("objection_respond", context, data)
    user = _logged_in_user(context)
    objection = objections.respond(data["id"], user, data.get("response") or "")
    return {**objections.as_dict(objection, "registrant"), "view": "registrant"}


@registry.action
def objection_decide(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The institution handling the application decides an objection, with a written finding.

    ``upheld`` terminates the registration (Art. 20); ``not_upheld`` lets it continue:
    once no objection is pending the application is back in publicity, and the
    certificate is issued when the period is over.

    :param id: the objection's id or number
    :param decision: upheld | not_upheld
    :param finding: the written finding of the investigation, 10 characters or more
    """
    data = validated(data_dict, {"id": [_v("not_empty"), _v("unicode_safe")],
                                 "decision": _text(), "finding": _text()}, context)
    objections.get(data["id"])
    tk.check_access("objection_decide", context, data)
    user = _logged_in_user(context)
    objection = objections.decide(data["id"], user, data.get("decision") or "",
                                  data.get("finding") or "")
    return {**objections.as_dict(objection, "institution"), "view": "institution"}


@registry.action
@tk.side_effect_free
def registration_query(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Query registration information (Art. 24): public fields only; callers entitled to a
    registrant's restricted fields also get them under ``restricted``.

    :param code: registration code (any grouping) or national unified code
    :param registrant: registrant organization (id, name, or part of its title)
    :param name: data name (phrase in the title)
    :param q: keywords anywhere
    :param status: registered | expired | revoked | cancelled (default: all of them)
    :param limit: default 20, at most 100
    :param offset: default 0
    """
    tk.check_access("registration_query", context, data_dict)
    schema = {key: _text() for key in ("code", "registrant", "name", "q", "status")}
    data = validated(data_dict, {**schema, **paging(20, 100)}, context)
    return public_query.query(
        dict(context), code=data.get("code") or "", registrant=data.get("registrant") or "",
        name=data.get("name") or "", q=data.get("q") or "", status=data.get("status") or "",
        limit=data["limit"], offset=data["offset"])
