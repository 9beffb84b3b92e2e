"""Demo registrations: drive the demo datasets through the real workflow actions.

Each registrant's datasets are spread over the workflow's states (pending, under
review, asked to supplement, approved — issued when the certificate subsystem is
installed, in publicity when the data is opened —, refused, withdrawn, rejected, and
some left unregistered). The clerks and reviewers of the demo act themselves, so
the history, deadlines, notifications and search facets are the real ones. Data under
authorised operation is evidenced (存证, Art. 15) by the clerk before it is submitted,
as the rules require. A dataset that already has an application is left alone, so
running the demo twice changes nothing.
"""
from __future__ import annotations

import hashlib
import logging
from collections import Counter
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import jurisdiction
from ckanext.tjregistry.model import Application
from ckanext.tjregistry.registration import evidence, workflow

log = logging.getLogger(__name__)

# Organization profile of the demo organizations.
PROFILES = {
    "tj-data-center": {"org_kind": "institution", "admin_level": "city",
                       "district_code": "120000", "qualification_status": "active"},
    "hp-registry": {"org_kind": "institution", "admin_level": "district",
                    "district_code": "120101", "qualification_status": "active"},
    "bh-registry": {"org_kind": "institution", "admin_level": "district",
                    "district_code": "120116", "qualification_status": "active"},
    "tj-transport": {"org_kind": "registrant", "admin_level": "city", "district_code": "120000",
                     "registrant_type": "party_gov", "verified": "true"},
    "tj-market": {"org_kind": "registrant", "admin_level": "city", "district_code": "120000",
                  "registrant_type": "party_gov", "verified": "true"},
    "tj-health": {"org_kind": "registrant", "admin_level": "city", "district_code": "120000",
                  "registrant_type": "party_gov", "verified": "true"},
    "hp-education": {"org_kind": "registrant", "admin_level": "district",
                     "district_code": "120101", "registrant_type": "party_gov",
                     "verified": "true"},
    "bh-ecology": {"org_kind": "registrant", "admin_level": "district",
                   "district_code": "120116", "registrant_type": "party_gov",
                   "verified": "true"},
    # An authorised operator registers itself; the city institution verifies it below.
    "tj-data-ops": {"org_kind": "registrant", "admin_level": "city", "district_code": "120000",
                    "registrant_type": "operator", "verified": "false"},
}

CLERKS = {
    "tj-transport": "transport_clerk", "tj-market": "market_clerk",
    "hp-education": "hp_edu_clerk", "bh-ecology": "bh_eco_clerk",
    "tj-data-ops": "operator_clerk",
}
REVIEWERS = {"tj-data-center": "reviewer_city", "hp-registry": "reviewer_hp",
             "bh-registry": "reviewer_bh"}
# Four eyes: who approves what the reviewer accepted.
APPROVERS = {institution: f"{reviewer}_2" for institution, reviewer in REVIEWERS.items()}

# The state each registrant's n-th dataset is driven to (cycled).
PLAN = ("registered", "pending", "accepted", "supplement", "registered", "refused",
        "withdrawn", "unregistered", "rejected")


def _ensure_profiles() -> None:
    for name, fields in PROFILES.items():
        group = model.Group.get(name)
        if group is None:
            continue
        for key, value in fields.items():
            if key == "verified" and str(group.extras.get(key)).lower() == "true":
                continue  # verified earlier (by the city institution, for the operator)
            group.extras[key] = value
    model.Session.commit()


def _act(user: str, action: str, **data: Any) -> dict[str, Any]:
    return tk.get_action(action)({"user": user}, data)


def _reviewer_for(app: dict[str, Any]) -> str:
    acting = app.get("acting_institution") or {}
    return REVIEWERS[acting.get("name") or "tj-data-center"]


def _approver_for(app: dict[str, Any]) -> str:
    acting = app.get("acting_institution") or {}
    return APPROVERS[acting.get("name") or "tj-data-center"]


def _demo_manifest(package: model.Package) -> list[dict[str, Any]]:
    """The manifest of the demo data's (notional) files: a quarter's extracts and the
    data dictionary, fingerprinted from their names."""
    names = [f"{package.name}/{period}.csv" for period in ("2025-q1", "2025-q2", "2025-q3")]
    names.append(f"{package.name}/数据字典.xlsx")
    return [{"path": name, "bytes": 4096 * (index + 1) * 97,
             "sha256": hashlib.sha256(name.encode("utf-8")).hexdigest()}
            for index, name in enumerate(names)]


def _ensure_evidence(package: model.Package, clerk: str) -> bool:
    """Record evidence of data under authorised operation before it is submitted."""
    dataset = tk.get_action("package_show")(workflow.site_context(), {"id": package.id})
    if not evidence.requires_evidence(dataset) or evidence.records_for(package.id):
        return False
    _act(clerk, "evidence_create", package_id=package.id, kind=evidence.FULL,
         manifest=_demo_manifest(package), note="演示数据:申请登记前的全量数据存证")
    return True


def _drive(package: model.Package, target: str, clerk: str) -> str:
    _ensure_evidence(package, clerk)
    app = _act(clerk, "registration_submit", package_id=package.id, pledge=True,
               internal_review=True, internal_review_note="处务会审核通过")
    reviewer = _reviewer_for(app)
    app_id = app["id"]
    if target == "pending":
        return app["state"]
    if target == "supplement":
        return _act(reviewer, "registration_request_supplement", id=app_id, items=[
            "补充数据字典(信息项名称、类型、说明)", "补充数据存储位置的具体说明"])["state"]
    if target == "refused":
        return _act(reviewer, "registration_refuse", id=app_id, ground="duplicate",
                    reasons="与已登记的同类数据资源重复。")["state"]
    if target == "withdrawn":
        _act(clerk, "registration_withdraw", id=app_id, reasons="数据需重新梳理后再申请登记。")
        return _act(reviewer, "registration_withdraw_decide", id=app_id, consent=True)["state"]
    _act(reviewer, "registration_accept", id=app_id)
    if target == "accepted":
        return "accepted"
    if target == "rejected":
        return _act(reviewer, "registration_reject", id=app_id,
                    reasons="数据来源说明不清,请核实后重新申请。")["state"]
    _act(_approver_for(app), "registration_approve", id=app_id)
    # Publicity, issued (certificate subsystem) or approved awaiting issuance.
    return _act(clerk, "registration_show", id=app_id)["state"]


def load() -> list[str]:
    """Drive the demo datasets into the workflow's states; returns summary lines."""
    _ensure_profiles()
    operator = jurisdiction.profile("tj-data-ops")
    if operator is not None and not operator.verified:
        _act("reviewer_city", "registrant_verify", id=operator.id, verified=True)
    reached: Counter[str] = Counter()
    for org_name, clerk in CLERKS.items():
        org = model.Group.get(org_name)
        if org is None or model.User.get(clerk) is None:
            continue
        packages = (model.Session.query(model.Package)
                    .filter(model.Package.owner_org == org.id,
                            model.Package.state == "active",
                            model.Package.type.in_(workflow.DATASET_TYPES))
                    .order_by(model.Package.name).all())
        for index, package in enumerate(packages):
            if model.Session.query(Application).filter_by(package_id=package.id).count():
                continue
            target = PLAN[index % len(PLAN)]
            if target == "unregistered":
                continue
            try:
                reached[_drive(package, target, clerk)] += 1
            except (tk.ValidationError, tk.NotAuthorized) as error:
                model.Session.rollback()
                log.warning("demo registration of %s stopped: %s", package.name, error)
                reached["stopped"] += 1
    return [f"registration applications {state}: {count}"
            for state, count in sorted(reached.items())]
