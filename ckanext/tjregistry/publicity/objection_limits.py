"""What keeps objections from stalling a publicity indefinitely (Art. 20).

Art. 20 lets "相关当事人" (a party concerned) object, under their real name and with
evidence. Three ways of holding up a registration with objections are closed here:

* **Statement of interest.** An objector says how they are concerned: a required choice
  (``INTEREST_LABELS``: their own data or rights are involved, a party to a contract
  about the data, the holder of a competing claim, other) and a required explanation of
  at least ``tjregistry.objection.interest_min_length`` characters. The registrant sees
  it with the statement; the institution weighs it when it decides.
* **Limits per identity.** Identity numbers are normalised (``objections.normalise_identity``)
  before they are counted: one identity document may have at most
  ``tjregistry.objection.open_per_identity`` pending objections across all applications,
  and may object to one application at most ``tjregistry.objection.per_identity_per_application``
  times, whatever became of the earlier objection. These come on top of the per-address
  limit (``common/ratelimit.py``, scope ``objection``). Nothing new is stored: the
  objection already keeps the document type and number for the institution, and the
  counts are read from it.
* **One withdrawal request per objection.** A registrant's withdrawal request (Art. 21)
  takes the application out of ``objection_pending`` until the institution consents or
  denies; a denial returns it there. While the request is open the objection cannot be
  decided and no further objection can be filed, so repeated requests would hold the
  procedure indefinitely. While objections are pending, the registrant may ask to
  withdraw once for each of them: the request marks every pending objection, and a
  further request is refused until a new objection is filed (the guard
  ``withdrawal_once_per_objection`` in ``procedure.py``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common.texts import field_error
from ckanext.tjregistry.model.objection import Objection
from ckanext.tjregistry.registration import workflow

L = workflow.L

PENDING = "pending"

INTEREST_LABELS = {
    "own_data_or_rights": L("本人(本单位)的数据或合法权益涉及其中",
                            "My (our) own data or lawful rights are involved"),
    "contract_party": L("与该数据有关的合同的当事方",
                        "A party to a contract about the data"),
    "competing_claim": L("对该数据享有或主张权利(权属争议)",
                         "Holder of a competing claim to the data"),
    "other": L("其他(请在说明中写明)", "Other (explain below)"),
}


def interest_min() -> int:
    return tk.asint(tk.config.get("tjregistry.objection.interest_min_length"))


def open_per_identity() -> int:
    return tk.asint(tk.config.get("tjregistry.objection.open_per_identity"))


def per_identity_per_application() -> int:
    return tk.asint(tk.config.get("tjregistry.objection.per_identity_per_application"))


def validate_interest(interest: str, statement: str, statement_max: int) -> dict[str, list[str]]:
    """Field errors of the statement of interest (empty if it is complete)."""
    errors: dict[str, list[str]] = {}
    if interest not in INTEREST_LABELS:
        errors.update(field_error(
            "interest", "请选择您与该登记事项的关系(相关当事人)",
            "say how you are concerned by this registration (party concerned)").error_dict)
    low, high = interest_min(), statement_max
    if len(statement) < low or len(statement) > high:
        errors.update(field_error(
            "interest_statement",
            f"请说明您与该数据的利害关系({low}–{high} 字)",
            f"explain how the data concerns you ({low}–{high} characters)").error_dict)
    return errors


def interest_label(key: str | None) -> dict[str, str]:
    return INTEREST_LABELS.get(key or "", L("", ""))


# ---------------------------------------------------------------------------
# Limits per identity


def _identity_lock_key(id_type: str, id_number: str) -> int:
    digest = hashlib.sha256(f"tjregistry-objection:{id_type}:{id_number}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def check_identity(session: Any, application_id: str, id_type: str, id_number: str) -> None:
    """Refuse a filing over the limits of its identity document (inside the filing's
    transaction, the application row locked).

    A transaction-scoped advisory lock on the identity serialises concurrent filings of
    the same person on different applications, so the counts cannot be raced.
    """
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": _identity_lock_key(id_type, id_number)})
    same = (Objection.id_type == id_type, Objection.id_number == id_number)
    on_application = (session.query(sa.func.count(Objection.id))
                      .filter(*same, Objection.application_id == application_id).scalar())
    if on_application and (session.query(sa.func.count(Objection.id))
                           .filter(*same, Objection.application_id == application_id,
                                   Objection.status == PENDING).scalar()):
        raise field_error("id_number", "您对该事项已有待处理的异议",
                          "you already have a pending objection to this application")
    per_application = per_identity_per_application()
    if per_application and on_application >= per_application:
        raise field_error(
            "id_number",
            f"同一证件对同一登记事项最多可提出 {per_application} 次异议,您已达到上限",
            f"one identity document may object to one application at most "
            f"{per_application} time(s); this limit is reached")
    limit = open_per_identity()
    if limit:
        open_count = (session.query(sa.func.count(Objection.id))
                      .filter(*same, Objection.status == PENDING).scalar())
        if open_count >= limit:
            raise field_error(
                "id_number",
                f"同一证件最多可同时有 {limit} 件待处理的异议,请待已提出的异议处理后再提出",
                f"one identity document may have at most {limit} pending objections at a "
                "time; file again when one of them has been decided")


# ---------------------------------------------------------------------------
# One withdrawal request per objection


def _pending(session: Any, application_id: str) -> list[Objection]:
    return (session.query(Objection)
            .filter(Objection.application_id == application_id, Objection.status == PENDING)
            .order_by(Objection.number).with_for_update().all())


def check_withdrawal_request(session: Any, application_id: str, state: str) -> None:
    """While objections are pending, a withdrawal request needs one not yet used."""
    if state != "objection_pending":
        return
    pending = _pending(session, application_id)
    if pending and all(row.withdrawal_requested_at is not None for row in pending):
        raise workflow.WorkflowError(
            "reasons",
            "异议处理期间已申请过撤回:每件异议只能申请一次撤回,请等待登记机构对异议作出决定 / "
            "Withdrawal was already requested while this objection is pending: the "
            "registrant may ask to withdraw once per objection; wait for the institution's "
            "decision on the objection")


def mark_withdrawal_request(session: Any, application_id: str, now: dt.datetime) -> list[str]:
    """Mark the pending objections whose one withdrawal request this is; their numbers."""
    marked = []
    for row in _pending(session, application_id):
        if row.withdrawal_requested_at is None:
            row.withdrawal_requested_at = now
            marked.append(row.number)
    session.flush()
    return marked
