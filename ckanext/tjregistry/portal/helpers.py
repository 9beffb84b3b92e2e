"""Template helpers of the home page, the header menus and the optional CKAN groups."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from markupsafe import Markup

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import jurisdiction, registry
from ckanext.tjregistry.portal import home
from ckanext.tjregistry.registration import agencies

GROUPS_OPTION = "tjregistry.ui.groups"


@dataclass(frozen=True)
class Roles:
    """What the logged-in user does on the platform; the menus follow it."""

    registrant: bool = False  # files for a registrant (member, or an agency acting for one)
    reviewer: bool = False  # acts for a registration institution
    city_institution: bool = False  # acts for the city institution (accounts, organizations)
    authority: bool = False  # data-authority officer (read-only oversight)
    sysadmin: bool = False

    @property
    def any(self) -> bool:
        return any(asdict(self).values())


def roles_of(user: model.User | None) -> Roles:
    if user is None or not isinstance(user, model.User):
        return Roles()
    return Roles(
        registrant=bool(jurisdiction.user_orgs(user, "registrant", acting=False)
                        or agencies.represented_registrants(user)),
        reviewer=bool(jurisdiction.reviewer_institutions(user)),
        city_institution=jurisdiction.is_city_reviewer(user),
        authority=jurisdiction.authority_scope(user) is not None,
        sysadmin=bool(user.sysadmin),
    )


@registry.helper
def tjregistry_portal_roles() -> Roles:
    """The logged-in user's roles (all false for anonymous visitors)."""
    if not getattr(tk.current_user, "is_authenticated", False):
        return Roles()
    return roles_of(tk.g.userobj or None)


@registry.helper
def tjregistry_portal_register_url() -> str:
    """Where 我要登记 leads: a registrant's 我的登记, the registrant sign-up for a user
    without a role, the workflow pages for officials; an anonymous visitor logs in first
    and then lands where a login lands (``tjregistry_workflow.landing``)."""
    if not getattr(tk.current_user, "is_authenticated", False):
        return tk.h.url_for("user.login",
                            came_from=tk.h.url_for("tjregistry_workflow.landing"))
    roles = tjregistry_portal_roles()
    if roles.registrant:
        return tk.h.url_for("tjregistry_workflow.mine")
    if roles.any:
        return tk.h.url_for("tjregistry_workflow.index")
    return tk.h.url_for("tjregistry_workflow.register_registrant")


@registry.helper
def tjregistry_portal_home() -> dict[str, Any]:
    """The home page's figures, latest registrations and running publicity notices."""
    notices = home.latest_notices()
    return {
        "figures": asdict(home.figures()),
        "registrations": home.latest_registrations(),
        "notices": notices["results"],
        "notice_count": notices["count"],
    }


@registry.helper
def tjregistry_portal_groups() -> bool:
    """Whether CKAN's groups are offered (off unless configured)."""
    return tk.asbool(tk.config.get(GROUPS_OPTION))


@registry.helper
def tjregistry_portal_without_groups(nav: str, *group_urls: str) -> Markup:
    """A rendered list of navigation items without the ones leading to ``group_urls``,
    unless groups are configured; templates pass their parent's tabs through it, so what
    other plugins add to the tabs stays."""
    html = Markup(nav)
    if tjregistry_portal_groups():
        return html
    for url in group_urls:
        item = re.compile(r"<li\b[^>]*>\s*<a\b[^>]*\bhref=\"" + re.escape(url)
                          + r"\"[^>]*>.*?</a>\s*</li>", re.DOTALL)
        html = Markup(item.sub("", str(html)))
    return html
