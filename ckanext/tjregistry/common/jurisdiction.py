"""Who handles what (Art. 7): routing of applications and the reviewers' jurisdiction.

Registrants of a district go to that district's registration institution, city-level
registrants to the city institution (市数据发展中心). Anything cross-level,
cross-district or undeterminable goes to the city institution, and so does a district
whose institution is missing or suspended: a suspended institution cannot act, so
the city institution also acts on applications already assigned to it.

Organizations describe themselves through the organization schema's fields
``org_kind``, ``admin_level``, ``district_code``, ``verified`` and
``qualification_status``; this module is the one place that reads them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import selectinload

import ckan.model as model
import ckan.plugins.toolkit as tk

CITY_CODE = "120000"
DISTRICTS = {
    "120101": "和平区", "120102": "河东区", "120103": "河西区", "120104": "南开区",
    "120105": "河北区", "120106": "红桥区", "120110": "东丽区", "120111": "西青区",
    "120112": "津南区", "120113": "北辰区", "120114": "武清区", "120115": "宝坻区",
    "120116": "滨海新区", "120117": "宁河区", "120118": "静海区", "120119": "蓟州区",
}
_AREA_CODE = re.compile(r"(?<!\d)(120000|1201\d\d)(?!\d)")
# Organization capacities that act for an organization (members may only read).
ACTING_CAPACITIES = ("admin", "editor")

# Routing reasons, recorded on the application.
ROUTE_CITY_LEVEL = "city_level"
ROUTE_DISTRICT = "district"
ROUTE_CROSS = "cross_level_or_district"
ROUTE_UNDETERMINED = "undeterminable"
ROUTE_NO_DISTRICT_INSTITUTION = "district_institution_unavailable"

# Qualification states in which an institution cannot act (supervision, Art. 27, 28):
# suspended (may be reinstated) and cancelled (取消登记机构资格, final).
INACTIVE_STATUSES = ("suspended", "cancelled")


class NoCityInstitution(tk.ValidationError):
    def __init__(self) -> None:
        super().__init__({"institution": [
            "未配置市级登记机构 / No city-level registration institution is configured"]})


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "on")


@dataclass(frozen=True)
class OrgProfile:
    id: str
    name: str
    title: str
    kind: str
    level: str
    district: str
    verified: bool
    active: bool
    registrant_type: str
    status: str = "active"

    @property
    def is_institution(self) -> bool:
        return self.kind == "institution"

    @property
    def is_city(self) -> bool:
        return self.level == "city"


def profile(org: model.Group | str) -> OrgProfile | None:
    group = org if isinstance(org, model.Group) else model.Group.get(org)
    if group is None or not group.is_organization or group.state != "active":
        return None
    extras = group.extras or {}
    status = str(extras.get("qualification_status") or "active")
    return OrgProfile(
        id=group.id,
        name=group.name,
        title=group.title or group.name,
        kind=str(extras.get("org_kind") or ""),
        level=str(extras.get("admin_level") or ""),
        district=str(extras.get("district_code") or ""),
        verified=_truthy(extras.get("verified")),
        active=status not in INACTIVE_STATUSES,
        registrant_type=str(extras.get("registrant_type") or ""),
        status=status,
    )


def organizations(kind: str) -> list[OrgProfile]:
    query = (model.Session.query(model.Group)
             .filter(model.Group.is_organization.is_(True))
             .filter(model.Group.state == "active"))
    extras = getattr(model.Group, "_extras", None)
    if extras is not None and hasattr(extras, "property"):
        # CKAN 2.11 keeps extras in their own table: load them in one query, not one per group.
        query = query.options(selectinload(extras))
    groups = query.all()
    found = [profile(group) for group in groups]
    return sorted((p for p in found if p and p.kind == kind), key=lambda p: p.name)


def institution(id_or_name: str) -> OrgProfile:
    """A registration institution by id or name; ``ObjectNotFound`` for anything else."""
    group = model.Group.get(id_or_name or "")
    org = profile(group) if group is not None else None
    if org is None or not org.is_institution:
        raise tk.ObjectNotFound("登记机构不存在 / Registration institution not found")
    return org


def city_institution() -> OrgProfile | None:
    for inst in organizations("institution"):
        if inst.is_city and inst.active:
            return inst
    return None


def district_institution(district: str) -> OrgProfile | None:
    for inst in organizations("institution"):
        if inst.level == "district" and inst.district == district:
            return inst
    return None


def area_codes(dataset: dict[str, Any]) -> set[str]:
    """GB/T 2260 codes of Tianjin areas the dataset's ``spatial`` field names."""
    spatial = dataset.get("spatial")
    if not spatial:
        return set()
    text = spatial if isinstance(spatial, str) else repr(spatial)
    return set(_AREA_CODE.findall(text))


@dataclass(frozen=True)
class Routing:
    institution_id: str
    reason: str


def route(registrant: OrgProfile, dataset: dict[str, Any]) -> Routing:
    """The institution an application of ``registrant`` about ``dataset`` goes to."""
    city = city_institution()
    if city is None:
        raise NoCityInstitution()
    if registrant.level == "city":
        return Routing(city.id, ROUTE_CITY_LEVEL)
    if registrant.level != "district" or registrant.district not in DISTRICTS:
        return Routing(city.id, ROUTE_UNDETERMINED)
    areas = area_codes(dataset)
    if areas and areas != {registrant.district}:
        return Routing(city.id, ROUTE_CROSS)
    district = district_institution(registrant.district)
    if district is None or not district.active:
        return Routing(city.id, ROUTE_NO_DISTRICT_INSTITUTION)
    return Routing(district.id, ROUTE_DISTRICT)


def acting_institution(institution_id: str) -> OrgProfile | None:
    """The institution that acts on matters assigned to ``institution_id`` today."""
    assigned = profile(institution_id)
    if assigned is not None and assigned.is_institution and assigned.active:
        return assigned
    return city_institution()


def capacity(user: model.User | None, org_id: str) -> str | None:
    if user is None:
        return None
    member = (model.Session.query(model.Member)
              .filter(model.Member.group_id == org_id)
              .filter(model.Member.table_name == "user")
              .filter(model.Member.table_id == user.id)
              .filter(model.Member.state == "active").first())
    return member.capacity if member else None


def acts_for(user: model.User | None, org_id: str) -> bool:
    return capacity(user, org_id) in ACTING_CAPACITIES


def user_orgs(user: model.User | None, kind: str, acting: bool = True) -> list[OrgProfile]:
    if user is None:
        return []
    query = (model.Session.query(model.Member.group_id, model.Member.capacity)
             .filter(model.Member.table_name == "user")
             .filter(model.Member.table_id == user.id)
             .filter(model.Member.state == "active"))
    result = []
    for group_id, member_capacity in query.all():
        if acting and member_capacity not in ACTING_CAPACITIES:
            continue
        org = profile(group_id)
        if org is not None and org.kind == kind:
            result.append(org)
    return sorted(result, key=lambda p: p.name)


def reviewer_institutions(user: model.User | None) -> list[OrgProfile]:
    """Active institutions the user reviews for (suspended ones cannot act)."""
    return [inst for inst in user_orgs(user, "institution") if inst.active]


def is_reviewer_for(user: model.User | None, institution_id: str) -> bool:
    acting = acting_institution(institution_id)
    return acting is not None and acts_for(user, acting.id)


def is_city_reviewer(user: model.User | None) -> bool:
    city = city_institution()
    return city is not None and acts_for(user, city.id)


def institutions_in_jurisdiction(user: model.User | None) -> list[str]:
    """Ids of every institution whose assigned matters the user may act on."""
    mine = {inst.id for inst in reviewer_institutions(user)}
    if not mine:
        return []
    result = set(mine)
    city = city_institution()
    if city is not None and city.id in mine:
        # The city institution also acts for suspended or missing district institutions.
        result.update(inst.id for inst in organizations("institution") if not inst.active)
    return sorted(result)


def authority_scope(user: model.User | None) -> str | None:
    """``city`` or a district code for data-authority officers (read-only oversight)."""
    scopes = [org for org in user_orgs(user, "authority", acting=False)]
    if any(org.is_city for org in scopes):
        return "city"
    for org in scopes:
        if org.district in DISTRICTS:
            return org.district
    return None


def oversees(user: model.User | None, institution_id: str) -> bool:
    """Whether ``user`` reads matters assigned to ``institution_id`` as an official.

    Reviewers of the institution acting on them, the city institution's reviewers (it
    manages all registration information, Art. 7) and data-authority officers whose
    area is the city or the institution's district. Registration records, evidence and
    delegations are read under this one rule.
    """
    if user is None:
        return False
    if is_reviewer_for(user, institution_id) or is_city_reviewer(user):
        return True
    scope = authority_scope(user)
    if scope == "city":
        return True
    if scope:
        institution = profile(institution_id) if institution_id else None
        return institution is not None and institution.district == scope
    return False


def home_institution(registrant: OrgProfile) -> str:
    """The institution the registrant's applications go to when nothing else (the
    data's area) decides: its district's, or the city institution ("" if none)."""
    try:
        return route(registrant, {}).institution_id
    except NoCityInstitution:
        return ""
