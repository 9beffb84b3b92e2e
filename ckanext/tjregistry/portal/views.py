"""The announcements page and its Atom feed (公告, Art. 11)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

import ckan.lib.helpers as h
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.portal.announcements import KINDS

PAGE_SIZE = 20
FEED_SIZE = 50

announcement_pages = registry.blueprint(
    Blueprint("tjregistry_announcements", __name__, url_prefix="/registration"))


def _anonymous() -> dict[str, Any]:
    # Public facts, the same for everyone: asked as nobody in particular.
    return {"user": "", "auth_user_obj": None}


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@announcement_pages.route("/announcements")
def index() -> ResponseReturnValue:
    kind = (request.args.get("kind") or "").strip()
    page = _page()
    try:
        result = tk.get_action("announcement_list")(_anonymous(), {
            "kind": kind, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
    except tk.ValidationError:
        return tk.abort(400, tk._("Unknown kind of announcement"))
    pager = h.Page(collection=result["results"], page=page, item_count=result["count"],
                   items_per_page=PAGE_SIZE, presliced_list=True,
                   url=lambda page: h.url_for("tjregistry_announcements.index",
                                              kind=kind or None, page=page))
    return tk.render("tjregistry/portal/announcements.html", {
        "items": result["results"], "count": result["count"], "kind": kind,
        "kinds": KINDS, "page": pager})


def _entry_text(item: dict[str, Any], lang: str) -> str:
    lines = [item["kind_label"][lang]]
    labels = {
        "zh_Hans_CN": ("登记数据名称", "登记主体", "登记编号", "依据", "登记机构", "日期"),
        "en": ("Data name", "Registrant", "Registration code", "Ground", "Institution", "Date"),
    }[lang]
    values = (item.get("data_name"), item.get("registrant_name"),
              item.get("registration_code"),
              (item.get("ground_label") or {}).get(lang), item.get("institution_name"),
              item["date"])
    lines += [f"{label}: {value}" for label, value in zip(labels, values, strict=True)
              if value]
    return "\n".join(lines)


@announcement_pages.route("/announcements.atom")
def feed() -> ResponseReturnValue:
    result = tk.get_action("announcement_list")(_anonymous(), {"limit": FEED_SIZE})
    site = tk.config.get("ckan.site_url").rstrip("/")
    page_url = f"{site}/registration/announcements"
    generator = FeedGenerator()
    generator.id(page_url)
    generator.title(f"{tk.config.get('ckan.site_title')} · 公告 / Announcements")
    generator.link(href=page_url, rel="alternate")
    generator.link(href=f"{page_url}.atom", rel="self")
    generator.language("zh-CN")
    newest = (dt.datetime.fromisoformat(result["results"][0]["published"])
              if result["results"] else dt.datetime.now(dt.timezone.utc))
    generator.updated(newest)
    for item in reversed(result["results"]):  # feedgen prepends each new entry
        entry = generator.add_entry()
        entry.id(f"{page_url}#{item['id']}")
        title = item.get("data_name") or item.get("institution_name") or ""
        entry.title(f"{item['kind_label']['zh_Hans_CN']}:{title}")
        entry.link(href=f"{page_url}#{item['id']}", rel="alternate")
        published = dt.datetime.fromisoformat(item["published"])
        entry.published(published)
        entry.updated(published)
        entry.category(term=item["kind"], label=item["kind_label"]["zh_Hans_CN"])
        entry.content(_entry_text(item, "zh_Hans_CN") + "\n\n" + _entry_text(item, "en"),
                      type="text")
    response = current_app.response_class(generator.atom_str(pretty=True),
                                          mimetype="application/atom+xml")
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response
