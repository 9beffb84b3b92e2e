"""How CKAN's pages name the registration dataset types, in Chinese and English.

CKAN words its breadcrumbs, page titles, buttons and placeholders for a dataset type
with ``h.humanize_entity_type``, which by default makes a name out of the type's
machine name ("Create Data-resource", "Data-resources"), and CKAN's own catalogue
has no Chinese for those phrases. For the registration types the helper below says
"新建公共数据资源" / "Create public data resource" instead; everything else goes on
to CKAN's helper. CKAN's dataset templates also translate the title-cased type name
itself (``_(dataset_type.title())``, in breadcrumbs and page titles, and its plural
on the search page): those messages are in this extension's catalogues, the Chinese
one and a small English one.
"""
from __future__ import annotations

from typing import Any

import ckan.lib.helpers as h
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import registry


def N_(message: str) -> str:
    """Mark a message for the catalogue (``make i18n``) without translating it."""
    return message


# CKAN's templates translate ``dataset_type.title()`` (page titles, breadcrumbs) and
# ``dataset_type.title() + 's'`` (the search page's breadcrumb). English has its own
# small catalogue (i18n/en) for these four, so that no page shows the machine name.
TYPE_TITLES = (N_("Data-Resource"), N_("Data-Product"), N_("Data-Resources"),
               N_("Data-Products"))

# type: ((Chinese name), (English singular, English plural))
TYPE_NAMES: dict[str, tuple[str, tuple[str, str]]] = {
    "data-resource": ("公共数据资源", ("public data resource", "public data resources")),
    "data-product": ("公共数据产品和服务",
                     ("public data product or service", "public data products and services")),
}

# purpose: (Chinese, English); {name} is the singular, {names} the plural. The purposes
# are those CKAN's helper knows for datasets (ckan/lib/helpers.py).
PHRASES: dict[str, tuple[str, str]] = {
    "add link": ("新建{name}", "Add {name}"),
    "breadcrumb": ("{name}", "{names}"),
    "content tab": ("{name}", "{names}"),
    "create label": ("新建{name}", "Create {name}"),
    "create title": ("新建{name}", "Create {name}"),
    "delete confirmation": ("确定要删除该{name}吗?",
                            "Are you sure you want to delete this {name}?"),
    "description placeholder": ("简要介绍该{name}……", "A little information about this {name}..."),
    "edit label": ("编辑{name}", "Edit {name}"),
    "facet label": ("{name}", "{names}"),
    "form label": ("{name}表单", "{name} form"),
    "main nav": ("{name}", "{names}"),
    "my label": ("我的{name}", "My {names}"),
    "name placeholder": ("我的{name}", "My {name}"),
    "no any objects": ("本平台暂无{name}", "There are currently no {names} on this site"),
    "no label": ("无{name}", "No {name}"),
    "page title": ("{name}", "{names}"),
    "save label": ("保存{name}", "Save {name}"),
    "search placeholder": ("搜索{name}……", "Search {names}..."),
    "update label": ("更新{name}", "Update {name}"),
    "view label": ("查看{name}", "View {name}"),
}


def label(object_type: str, purpose: str, lang: str) -> str | None:
    """The phrase for a registration type, or None for any other type."""
    names = TYPE_NAMES.get(object_type)
    if names is None:
        return None
    chinese, (singular, plural) = names
    if lang.startswith("zh"):
        return PHRASES[purpose][0].format(name=chinese) if purpose in PHRASES else chinese
    text = (PHRASES[purpose][1].format(name=singular, names=plural)
            if purpose in PHRASES else singular)
    return text[:1].upper() + text[1:]


@registry.helper
@tk.chained_helper
def humanize_entity_type(next_helper: Any, entity_type: str, object_type: str,
                         purpose: str) -> str | None:
    if entity_type == "package":
        text = label(object_type, purpose, h.lang() or "zh_Hans_CN")
        if text is not None:
            return text
    return next_helper(entity_type, object_type, purpose)


@registry.helper
def tjregistry_dataset_type_label(dataset_type: str) -> str:
    """The name of a registration type in the page's language ("公共数据资源")."""
    text = label(dataset_type, "name", h.lang() or "zh_Hans_CN")
    return text if text is not None else dataset_type
