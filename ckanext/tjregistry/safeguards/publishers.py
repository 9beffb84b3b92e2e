"""Who may appear as a publisher: reserved organization names, and nothing public from an
organization the city has not verified.

*Reserved names.* Registration institutions (登记机构) and data authorities (数据局) are
set up by sysadmins (``org_kind`` is a platform-managed field). Nobody else may create an
organization or group, or rename one, to

* a title containing a reserved word (``tjregistry.reserved.title_words``: 登记机构,
  数据局, 数据管理局, 大数据管理 ...), or a name (URL) containing one of
  ``tjregistry.reserved.name_words``;
* a title equal to an existing organization's title, or containing (or contained in,
  from four characters) the title of an institution or authority; a name equal to or
  containing the name of an institution or authority.

Titles are compared after NFKC (full-width letters), lower case, traditional forms of the
characters of the reserved words (數據局 reads 数据局), without spaces and punctuation;
names without ``-`` and ``_``. A sysadmin, or the platform itself (an internal call
without a user, the site user), may. An edit that keeps the current title and name is
not checked, so an institution's own staff can still edit its profile.

*Unverified organizations* (``verified`` not true on a registrant; an organization
without ``org_kind``): their datasets stay private. ``private: false`` is a field error,
a dataset created or updated without ``private`` is made private (the dataset schemas'
after-validator ``tjregistry_unverified_private``), ``bulk_update_public`` and moving a
public dataset into such an organization are refused. Institutions, authorities and
agencies are set up by sysadmins and count as verified. Who may create groups: ``groups.py``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjregistry.common import jurisdiction, registry, texts

TRUSTED_KINDS = ("institution", "authority", "agency")
PROTECTED_KINDS = ("institution", "authority")
MIN_CONTAINED = 4  # a shorter title inside an institution's title is not an imitation

# Traditional (and a few variant) forms of the characters reserved words are made of.
_TRADITIONAL = str.maketrans({
    "數": "数", "據": "据", "記": "记", "機": "机", "構": "构", "資": "资", "源": "源",
    "發": "发", "展": "展", "務": "务", "體": "体", "區": "区", "廳": "厅", "辦": "办",
    "處": "处", "營": "营", "網": "网", "訊": "讯", "標": "标", "準": "准", "證": "证",
    "員": "员", "會": "会", "車": "车", "國": "国", "亊": "事", "錄": "录", "检": "检",
    "驗": "验", "審": "审", "査": "查", "監": "监", "門": "门", "長": "长"})
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def normalized_title(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text).lower().translate(_TRADITIONAL)
    return _NOT_TEXT.sub("", text)


def normalized_name(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return re.sub(r"[-_\s]+", "", unicodedata.normalize("NFKC", text).lower())


def _words(option: str) -> list[str]:
    value = tk.config.get(option)
    words = value.split() if isinstance(value, str) else list(value or [])
    return [word for word in words if word]


def reserved_title_words() -> list[str]:
    return [normalized_title(word) for word in _words("tjregistry.reserved.title_words")]


def reserved_name_words() -> list[str]:
    return [normalized_name(word) for word in _words("tjregistry.reserved.name_words")]


# ----------------------------------------------------------------- callers ---
def caller(context: Context) -> model.User | None:
    user = context.get("auth_user_obj")
    if isinstance(user, model.User):
        return user
    name = context.get("user")
    return model.User.get(name) if isinstance(name, str) and name else None


def trusted(context: Context) -> bool:
    """A sysadmin, or the platform itself (an ``ignore_auth`` call naming no user)."""
    user = caller(context)
    if user is not None:
        return bool(user.sysadmin)
    return bool(context.get("ignore_auth"))


# ----------------------------------------------------------- reserved names ---
TITLE_RESERVED = ("名称含有登记机构或数据主管部门的保留字「{word}」,只有平台管理员可以使用 / "
                  "The title contains “{word}”, which is reserved for registration "
                  "institutions and data authorities; only a platform administrator may use it")
TITLE_IMITATES = ("名称与「{title}」相同或相近,不能使用 / The title is the same as or "
                  "imitates “{title}”; it cannot be used")
NAME_RESERVED = ("网址名称含有保留词「{word}」,只有平台管理员可以使用 / The URL name "
                 "contains “{word}”, which is reserved; only a platform administrator may "
                 "use it")
NAME_IMITATES = ("网址名称与「{title}」的网址名称相同或相近,不能使用 / The URL name is the same "
                 "as or imitates that of “{title}”; it cannot be used")


def _others(exclude_id: str | None) -> list[jurisdiction.OrgProfile]:
    rows = (model.Session.query(model.Group)
            .filter(model.Group.is_organization.is_(True), model.Group.state == "active"))
    found = []
    for group in rows:
        if group.id == exclude_id:
            continue
        profile = jurisdiction.profile(group)
        if profile is not None:
            found.append(profile)
    return found


def name_errors(title: Any, name: Any, exclude_id: str | None = None,
                check_title: bool = True, check_name: bool = True) -> dict[str, list[str]]:
    """Why ``title``/``name`` may not be used by an organization or group (empty if it may)."""
    errors: dict[str, list[str]] = {}
    others = _others(exclude_id)
    title_n = normalized_title(title) if check_title else ""
    if title_n:
        word = next((w for w in reserved_title_words() if w and w in title_n), None)
        if word:
            errors["title"] = [TITLE_RESERVED.format(word=word)]
        else:
            for other in others:
                other_n = normalized_title(other.title)
                if not other_n:
                    continue
                imitates = title_n == other_n or (
                    other.kind in PROTECTED_KINDS
                    and (other_n in title_n
                         or (len(title_n) >= MIN_CONTAINED and title_n in other_n)))
                if imitates:
                    errors["title"] = [TITLE_IMITATES.format(title=other.title)]
                    break
    name_n = normalized_name(name) if check_name else ""
    if name_n:
        word = next((w for w in reserved_name_words() if w and w in name_n), None)
        if word:
            errors["name"] = [NAME_RESERVED.format(word=word)]
        else:
            for other in others:
                other_n = normalized_name(other.name)
                if other.kind in PROTECTED_KINDS and other_n and other_n in name_n:
                    errors["name"] = [NAME_IMITATES.format(title=other.title)]
                    break
    return errors


def _check_names(context: Context, data_dict: DataDict, current: model.Group | None) -> None:
    if trusted(context):
        return
    data_dict = data_dict or {}
    title, name = data_dict.get("title"), data_dict.get("name")
    check_title = title is not None and (current is None or title != current.title)
    check_name = name is not None and (current is None or name != current.name)
    errors = name_errors(title, name, current.id if current is not None else None,
                         check_title=check_title, check_name=check_name)
    if errors:
        raise tk.ValidationError(errors)


def _current(data_dict: DataDict) -> model.Group | None:
    ident = (data_dict or {}).get("id") or (data_dict or {}).get("name")
    return model.Group.get(ident) if isinstance(ident, str) and ident else None


@registry.action
@tk.chained_action
def organization_create(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    _check_names(context, data_dict, None)
    return original_action(context, data_dict)


@registry.action
@tk.chained_action
def organization_update(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    _check_names(context, data_dict, _current(data_dict))
    return original_action(context, data_dict)


@registry.action
@tk.chained_action
def group_create(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    _check_names(context, data_dict, None)
    return original_action(context, data_dict)


@registry.action
@tk.chained_action
def group_update(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    _check_names(context, data_dict, _current(data_dict))
    return original_action(context, data_dict)


# ------------------------------------------------ unverified organizations ---
def publishes(org_id: Any) -> bool:
    """Whether the organization may have public datasets (verified by the city, or an
    institution, authority or agency set up by a sysadmin)."""
    if not isinstance(org_id, str) or not org_id:
        return False
    profile = jurisdiction.profile(org_id)
    if profile is None:
        return False
    if profile.kind in TRUSTED_KINDS:
        return True
    return profile.kind == "registrant" and profile.verified


UNVERIFIED_PRIVATE = texts.bilingual(
    "登记主体尚未通过市级登记机构核验,其数据只能设为私有",
    "The registrant has not been verified by the city registration institution yet: its "
    "datasets must stay private")


@registry.validator
def tjregistry_unverified_private(key: Any, data: dict[Any, Any], errors: dict[Any, Any],
                                  context: Context) -> None:
    """After-validator of the dataset schemas: an unverified organization's dataset is
    private (made so when ``private`` is not given; ``private: false`` is an error)."""
    owner = data.get(("owner_org",))
    if not owner or publishes(owner) or trusted(context):
        return
    private = data.get(("private",))
    if private in (None, "", tk.missing):
        data[("private",)] = True
    elif not tk.asbool(private):
        errors.setdefault(("private",), []).append(UNVERIFIED_PRIVATE)


@registry.action
@tk.chained_action
def bulk_update_public(original_action: Any, context: Context, data_dict: DataDict) -> Any:
    org_id = (data_dict or {}).get("org_id")
    group = model.Group.get(org_id) if isinstance(org_id, str) and org_id else None
    if group is not None and not publishes(group.id) and not trusted(context):
        raise tk.ValidationError({"org_id": [UNVERIFIED_PRIVATE]})
    return original_action(context, data_dict)


@registry.action
@tk.chained_action
def package_owner_org_update(original_action: Any, context: Context,
                             data_dict: DataDict) -> Any:
    target = (data_dict or {}).get("organization_id")
    group = model.Group.get(target) if isinstance(target, str) and target else None
    package_id = (data_dict or {}).get("id")
    package = model.Package.get(package_id) if isinstance(package_id, str) else None
    if (group is not None and package is not None and not package.private
            and not publishes(group.id) and not trusted(context)):
        raise tk.ValidationError({"organization_id": [UNVERIFIED_PRIVATE]})
    return original_action(context, data_dict)
