"""Separation of duties: who may not decide on what.

Two rules, both applied by the workflow engine to every deciding transition (those
whose roles are the institution's, see ``declaration.DECIDING_ROLES``):

* **Recusal (回避).** A person never decides on a matter of a registrant they belong
  to (as a member in any capacity) or act for through an agency that holds a
  delegation for it (Art. 16 forbids the same overlap for agencies). Their reviewer
  roles simply do not apply to that registrant's matters; they may still read them
  as officials, but not the objector's identity.
* **Four eyes (双人审核).** The person who accepted an application does not approve
  it, and the person who revoked a registration does not review the revocation
  (``Transition.second_person_after``). On by default: ``tjregistry.workflow.four_eyes``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import jurisdiction
from ckanext.tjregistry.model import Event
from ckanext.tjregistry.model.agency import Delegation

MEMBER = "member"
DELEGATE = "delegate"

CAPACITY_LABELS = {
    "admin": {"zh_Hans_CN": "管理员", "en": "admin"},
    "editor": {"zh_Hans_CN": "编辑", "en": "editor"},
    "member": {"zh_Hans_CN": "成员", "en": "member"},
}


@dataclass(frozen=True)
class Recusal:
    """Why a person may not decide on a registrant's matters."""

    reason: str  # MEMBER or DELEGATE
    organization_title: str
    capacity: str

    def message(self, lang: str = "zh_Hans_CN") -> str:
        capacity = CAPACITY_LABELS.get(self.capacity, {}).get(lang, self.capacity)
        if self.reason == MEMBER:
            if lang == "en":
                return (f"You are a member ({capacity}) of the registrant "
                        f"“{self.organization_title}”: you are recused from deciding "
                        "on its matters.")
            return (f"您是登记主体“{self.organization_title}”的{capacity},"
                    "依回避规定不得对其登记事项作出决定。")
        if lang == "en":
            return (f"You are a member ({capacity}) of the agency "
                    f"“{self.organization_title}”, which acts for the registrant: you are "
                    "recused from deciding on its matters.")
        return (f"您是受该登记主体委托的代理机构“{self.organization_title}”的{capacity},"
                "依回避规定不得对其登记事项作出决定。")

    def bilingual(self) -> str:
        return f"{self.message('zh_Hans_CN')} / {self.message('en')}"


def recusal(user: model.User | None, registrant_id: str) -> Recusal | None:
    """The tie that recuses ``user`` from ``registrant_id``'s matters, or None."""
    if user is None or not registrant_id:
        return None
    capacity = jurisdiction.capacity(user, registrant_id)
    if capacity:
        registrant = jurisdiction.profile(registrant_id)
        return Recusal(MEMBER, registrant.title if registrant else registrant_id, capacity)
    # Any agency of the user's holding a delegation that has not been revoked, in force
    # or not: a conflict of interest stops the delegation from working, not the tie.
    memberships = (model.Session.query(model.Member.group_id, model.Member.capacity)
                   .filter(model.Member.table_name == "user",
                           model.Member.table_id == user.id,
                           model.Member.state == "active").all())
    for group_id, member_capacity in memberships:
        org = jurisdiction.profile(group_id)
        if org is None or org.kind != "agency":
            continue
        delegated = (model.Session.query(Delegation.id)
                     .filter(Delegation.agency_id == group_id,
                             Delegation.registrant_id == registrant_id,
                             Delegation.status == "active").first())
        if delegated is not None:
            return Recusal(DELEGATE, org.title, member_capacity)
    return None


def four_eyes() -> bool:
    return tk.asbool(tk.config.get("tjregistry.workflow.four_eyes", True))


def earlier_actor(session: Any, *, actions: tuple[str, ...], application_id: str | None,
                  package_id: str) -> str | None:
    """Who performed the latest of ``actions`` on the application (or, for registration
    transitions, on the dataset's registration)."""
    query = session.query(Event.actor_id).filter(Event.action.in_(actions))
    if application_id:
        query = query.filter(Event.application_id == application_id)
    else:
        query = query.filter(Event.package_id == package_id, Event.subject == "registration")
    row = query.order_by(Event.id.desc()).first()
    return row[0] if row else None


def second_person_texts(actions: tuple[str, ...]) -> dict[str, str]:
    if "accept" in actions:
        return {"zh_Hans_CN": "本申请由您受理,审核决定须由另一名审查人员作出(双人审核)。",
                "en": "You accepted this application: another reviewer must decide on it "
                      "(four eyes)."}
    return {"zh_Hans_CN": "该撤销由您作出,备案审查须由另一名审查人员进行(双人审核)。",
            "en": "You made this revocation: another reviewer must review it (four eyes)."}


def second_person_message(actions: tuple[str, ...]) -> str:
    texts = second_person_texts(actions)
    return f"{texts['zh_Hans_CN']} / {texts['en']}"
