"""The registration procedure declared once (Chapter 4 of the Tianjin rules).

``STATES`` and ``TRANSITIONS`` are the single source of truth: the engine
(``workflow.py``) performs them; actions, auth functions, templates, indexing,
notifications and tests read them. A transition names the public API action that
performs it, the roles allowed to perform it, the inputs it requires, an optional
guard, its effects and who is notified; guards and effects are registered by the
features that own them (``workflow.guard`` / ``workflow.effect``).
"""
from __future__ import annotations

from dataclasses import dataclass

APPLICATION = "application"
REGISTRATION = "registration"

# Pseudo-states: an application before it exists, a dataset never registered, and
# "go back to the state the application was in before the withdrawal request".
NEW = "new"
UNREGISTERED = "unregistered"
RESUME = "(resume)"

# Roles. "system" is the platform itself (scheduled sweeps, the certificate subsystem).
REGISTRANT = "registrant"
REVIEWER = "reviewer"
CITY_REVIEWER = "city_reviewer"
SYSTEM = "system"
ROLES = (REGISTRANT, REVIEWER, CITY_REVIEWER, SYSTEM)
# The institution's roles: a transition open only to them is a decision, from which a
# person tied to the registrant is recused (duties.py).
DECIDING_ROLES = (REVIEWER, CITY_REVIEWER)
# How the history names the role an event was recorded in (the roles above, and those of
# evidence, repairs and supervision recorded in the same history).
ROLE_LABELS: dict[str, dict[str, str]] = {
    REGISTRANT: {"zh_Hans_CN": "登记主体", "en": "registrant"},
    REVIEWER: {"zh_Hans_CN": "登记机构", "en": "registration institution"},
    CITY_REVIEWER: {"zh_Hans_CN": "市登记机构", "en": "city registration institution"},
    SYSTEM: {"zh_Hans_CN": "平台", "en": "platform"},
    "agency": {"zh_Hans_CN": "代理机构", "en": "agency"},
    "operator": {"zh_Hans_CN": "平台运维", "en": "platform operator"},
    "authority": {"zh_Hans_CN": "数据主管部门", "en": "data authority"},
}

APPLICATION_TYPES = ("initial", "change", "correction", "cancellation")

# Art. 23 不予登记 grounds and Art. 29 撤销 grounds.
REFUSAL_GROUNDS = ("duplicate", "concealment_or_falsification", "ownership_dispute",
                   "other_legal_ground")
REVOCATION_GROUNDS = ("false_materials", "certificate_tampering", "certificate_misuse",
                      "other_violation")

# registration_status values (the cross-team contract).
REGISTRATION_STATUSES = ("unregistered", "pending", "publicity", "registered", "expired",
                         "revoked", "cancelled")


def L(zh: str, en: str) -> dict[str, str]:
    return {"zh_Hans_CN": zh, "en": en}


@dataclass(frozen=True)
class State:
    name: str
    subject: str
    label: dict[str, str]
    terminal: bool = False
    # What an application in this state makes the dataset show while it is not registered.
    dataset_status: str | None = None
    # The deadline that runs in this state (a column of the application).
    due_field: str | None = None


@dataclass(frozen=True)
class Transition:
    name: str
    action: str
    subject: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    api: str | None
    label: dict[str, str]
    inputs: tuple[str, ...] = ()
    guard: str | None = None
    effects: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    # Four eyes: whoever performed one of these transitions on the same application (or
    # registration) may not perform this one (``tjregistry.workflow.four_eyes``).
    second_person_after: tuple[str, ...] = ()

    @property
    def is_decision(self) -> bool:
        people = [role for role in self.roles if role != SYSTEM]
        return bool(people) and all(role in DECIDING_ROLES for role in people)


STATES: tuple[State, ...] = (
    State(NEW, APPLICATION, L("新建", "New")),
    State("submitted", APPLICATION, L("待受理", "Awaiting acceptance"),
          dataset_status="pending", due_field="accept_due"),
    State("supplement_requested", APPLICATION, L("待补正", "Supplement requested"),
          dataset_status="pending"),
    State("accepted", APPLICATION, L("审查中", "Under review"),
          dataset_status="pending", due_field="review_due"),
    State("publicity", APPLICATION, L("公示中", "In publicity"),
          dataset_status="publicity", due_field="publicity_end"),
    # Art. 20: an undecided objection holds the application before issuance.
    State("objection_pending", APPLICATION, L("异议处理中", "Objection under investigation"),
          dataset_status="publicity"),
    State("approved", APPLICATION, L("待发放登记凭证", "Approved, awaiting issuance"),
          dataset_status="pending"),
    State("withdrawal_requested", APPLICATION, L("撤回待同意", "Withdrawal requested"),
          dataset_status="pending"),
    State("issued", APPLICATION, L("已发证", "Issued"), terminal=True),
    State("completed", APPLICATION, L("已办结", "Completed"), terminal=True),
    State("rejected", APPLICATION, L("审核未通过", "Not approved"), terminal=True),
    State("refused", APPLICATION, L("不予登记", "Refused"), terminal=True),
    State("withdrawn", APPLICATION, L("已撤回", "Withdrawn"), terminal=True),
    State("terminated", APPLICATION, L("已终止", "Terminated"), terminal=True),
    State(UNREGISTERED, REGISTRATION, L("未登记", "Unregistered")),
    State("registered", REGISTRATION, L("已登记", "Registered")),
    State("revoked", REGISTRATION, L("已撤销", "Revoked")),
    State("cancelled", REGISTRATION, L("已注销", "Cancelled")),
    State("expired", REGISTRATION, L("已过期", "Expired")),
)

_BEFORE_ISSUANCE = ("submitted", "supplement_requested", "accepted", "publicity",
                    "objection_pending", "approved")

TRANSITIONS: tuple[Transition, ...] = (
    # Art. 18: after internal review (业务审核) and the pledge, the registrant applies.
    Transition("submit", "submit", APPLICATION, (NEW,), "submitted", (REGISTRANT,),
               "registration_submit", L("提交登记申请", "Submit application"),
               inputs=("package_id", "application_type", "pledge", "internal_review"),
               guard="may_apply",
               effects=("route", "snapshot", "find_duplicates", "check_late",
                        "start_acceptance_clock"),
               notify=("reviewers",)),
    # Art. 18: defects are returned once, with the complete list (一次性告知).
    Transition("request_supplement", "request_supplement", APPLICATION, ("submitted",),
               "supplement_requested", (REVIEWER,), "registration_request_supplement",
               L("一次性告知补正", "Request supplement"),
               inputs=("items",), guard="no_supplement_this_round",
               effects=("record_supplement",), notify=("registrant",)),
    Transition("resubmit", "resubmit", APPLICATION, ("supplement_requested",), "submitted",
               (REGISTRANT,), "registration_resubmit", L("补正后重新提交", "Resubmit"),
               inputs=("pledge", "internal_review"),
               effects=("snapshot", "find_duplicates", "next_round", "start_acceptance_clock"),
               notify=("reviewers",)),
    # Art. 7: an application sent to an institution without jurisdiction is transferred,
    # with reasons, to the competent one (district <-> city); acceptance restarts there.
    Transition("transfer", "transfer", APPLICATION, ("submitted",), "submitted", (REVIEWER,),
               "registration_transfer",
               L("移送有管辖权的登记机构", "Transfer to the competent institution"),
               inputs=("to_institution", "reasons"), guard="transfer_target",
               effects=("transfer",), notify=("registrant", "reviewers")),
    Transition("accept", "accept", APPLICATION, ("submitted",), "accepted", (REVIEWER,),
               "registration_accept", L("受理", "Accept"),
               effects=("start_review_clock",), notify=("registrant",)),
    # Art. 19/20/22: approval leads to publicity, to issuance, or ends a cancellation.
    Transition("approve_to_publicity", "approve", APPLICATION, ("accepted",), "publicity",
               (REVIEWER,), "registration_approve", L("审核通过并公示", "Approve (publicity)"),
               guard="publicity_required", effects=("record_decision", "start_publicity"),
               notify=("registrant",),
               second_person_after=("accept",)),
    Transition("approve_to_issuance", "approve", APPLICATION, ("accepted",), "approved",
               (REVIEWER,), "registration_approve", L("审核通过", "Approve"),
               guard="issuance_without_publicity", effects=("record_decision",),
               notify=("registrant",),
               second_person_after=("accept",)),
    Transition("approve_cancellation", "approve", APPLICATION, ("accepted",), "completed",
               (REVIEWER,), "registration_approve", L("准予注销", "Approve cancellation"),
               guard="is_cancellation",
               effects=("record_decision", "cancel_registration", "cancel_certificate"),
               notify=("registrant",),
               second_person_after=("accept",)),
    # Art. 19: a negative decision states its reasons.
    Transition("reject", "reject", APPLICATION, ("accepted",), "rejected", (REVIEWER,),
               "registration_reject", L("审核不通过", "Reject"),
               inputs=("reasons",), effects=("record_decision",), notify=("registrant",)),
    # Art. 23: refusal on one of its grounds.
    Transition("refuse", "refuse", APPLICATION, ("submitted", "accepted"), "refused",
               (REVIEWER,), "registration_refuse", L("不予登记", "Refuse"),
               inputs=("ground", "reasons"), effects=("record_refusal",),
               notify=("registrant",)),
    Transition("close_publicity", "close_publicity", APPLICATION, ("publicity",), "approved",
               (SYSTEM,), None, L("公示期满", "Publicity ended"),
               guard="publicity_over", notify=("registrant", "reviewers")),
    # Art. 20 covers every application involving opened or authorised-operation data: a
    # cancellation made public ends, when its period is over, as an approved one does.
    Transition("close_cancellation_publicity", "close_publicity", APPLICATION, ("publicity",),
               "completed", (SYSTEM,), None, L("公示期满,准予注销", "Publicity ended: cancelled"),
               guard="cancellation_publicity_over",
               effects=("cancel_registration", "cancel_certificate"),
               notify=("registrant", "reviewers")),
    # Art. 20: an upheld objection terminates the registration.
    Transition("terminate", "terminate", APPLICATION, ("publicity", "objection_pending"),
               "terminated", (REVIEWER, SYSTEM), None,
               L("异议成立,终止登记", "Terminate (objection upheld)"), inputs=("reasons",),
               effects=("record_decision", "note_objection", "close_objections"),
               notify=("registrant",)),
    # Art. 20: objections (objections.py). Anyone may object, so the platform records it.
    Transition("receive_objection", "receive_objection", APPLICATION,
               ("publicity", "objection_pending"), "objection_pending", (SYSTEM,), None,
               L("收到异议", "Objection received"), effects=("note_objection",),
               notify=("registrant", "reviewers")),
    Transition("respond_objection", "respond_objection", APPLICATION, ("objection_pending",),
               "objection_pending", (REGISTRANT,), None,
               L("登记主体答复异议", "Registrant responded to an objection"),
               effects=("note_objection",), notify=("reviewers",)),
    Transition("dismiss_objection", "dismiss_objection", APPLICATION, ("objection_pending",),
               "objection_pending", (REVIEWER,), None,
               L("异议不成立(另有异议待处理)", "Objection not upheld (others pending)"),
               inputs=("reasons",), guard="objections_still_pending",
               effects=("note_objection",), notify=("registrant",)),
    Transition("resume_publicity", "dismiss_objection", APPLICATION, ("objection_pending",),
               "publicity", (REVIEWER,), None,
               L("异议不成立,继续登记", "Objection not upheld: registration continues"),
               inputs=("reasons",), guard="no_objection_pending",
               effects=("note_objection",), notify=("registrant",)),
    # Art. 22: issuance by the certificate subsystem.
    Transition("issue", "issue", APPLICATION, ("approved",), "issued", (SYSTEM,), None,
               L("发放登记凭证", "Issue"), effects=("register",), notify=("registrant",)),
    # Art. 21: withdrawal before issuance, with written reasons and the institution's consent.
    Transition("request_withdrawal", "withdraw", APPLICATION, _BEFORE_ISSUANCE,
               "withdrawal_requested", (REGISTRANT,), "registration_withdraw",
               L("申请撤回", "Request withdrawal"), inputs=("reasons",),
               # While objections are pending: once per objection (publicity/objection_limits.py).
               guard="withdrawal_once_per_objection",
               effects=("record_withdrawal_request", "note_withdrawal_request"),
               notify=("reviewers",)),
    Transition("consent_withdrawal", "withdraw_decide", APPLICATION, ("withdrawal_requested",),
               "withdrawn", (REVIEWER,), "registration_withdraw_decide",
               L("同意撤回", "Consent to withdrawal"), guard="consent",
               effects=("close_objections",), notify=("registrant",)),
    Transition("deny_withdrawal", "withdraw_decide", APPLICATION, ("withdrawal_requested",),
               RESUME, (REVIEWER,), "registration_withdraw_decide",
               L("不同意撤回", "Deny withdrawal"), inputs=("reasons",), guard="no_consent",
               notify=("registrant",)),
    # Registrations.
    Transition("register", "register", REGISTRATION,
               (UNREGISTERED, "cancelled", "revoked", "expired"), "registered", (SYSTEM,),
               None, L("登记", "Register")),
    Transition("amend", "amend", REGISTRATION, ("registered",), "registered", (SYSTEM,), None,
               L("变更/更正生效", "Change applied")),
    Transition("cancel", "cancel", REGISTRATION, ("registered",), "cancelled", (SYSTEM,), None,
               L("注销", "Cancel")),
    Transition("expire", "expire", REGISTRATION, ("registered",), "expired", (SYSTEM,), None,
               L("凭证到期", "Expire")),
    # Art. 29: revocation; a district institution's revocation is filed with the city.
    Transition("revoke", "revoke", REGISTRATION, ("registered",), "revoked", (REVIEWER,),
               "registration_revoke", L("撤销登记", "Revoke"), inputs=("ground", "reasons"),
               effects=("record_revocation", "revoke_certificate"),
               notify=("registrant", "city_reviewers")),
    Transition("uphold_revocation", "revocation_review", REGISTRATION, ("revoked",), "revoked",
               (CITY_REVIEWER,), "registration_revocation_review",
               L("撤销备案无异议", "Uphold revocation"), guard="filing_pending_uphold",
               effects=("close_filing",), notify=("registrant", "reviewers"),
               second_person_after=("revoke",)),
    Transition("reverse_revocation", "revocation_review", REGISTRATION, ("revoked",),
               "registered", (CITY_REVIEWER,), "registration_revocation_review",
               L("纠正撤销", "Reverse revocation"), inputs=("reasons",),
               guard="filing_pending_reverse", effects=("close_filing", "reinstate_certificate"),
               notify=("registrant", "reviewers"),
               second_person_after=("revoke",)),
)

STATE_BY_NAME = {state.name: state for state in STATES}
TRANSITION_BY_NAME = {transition.name: transition for transition in TRANSITIONS}
OPEN_STATES = tuple(s.name for s in STATES
                    if s.subject == APPLICATION and not s.terminal and s.name != NEW)
API_ACTIONS = tuple(sorted({t.api for t in TRANSITIONS if t.api}))


def transitions_for(action: str, subject: str = APPLICATION) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action == action and t.subject == subject]


def state_label(name: str | None, lang: str = "zh_Hans_CN") -> str:
    state = STATE_BY_NAME.get(name or "")
    if state is None:
        return name or ""
    return state.label.get(lang) or state.label["zh_Hans_CN"]
