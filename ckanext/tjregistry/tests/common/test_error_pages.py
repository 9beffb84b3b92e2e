"""Error pages in the user's language, with a way forward, and nothing of the exception
but its message (templates/error_document_template.html, common/helpers.py)."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk

pytestmark = pytest.mark.usefixtures("clean_db")


def _page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _ways(page: BeautifulSoup) -> list[str]:
    return [a["href"] for a in page.select(".tjr-error-ways a")]


def test_page_not_found_in_chinese_and_english(app):
    response = app.get("/registration/no-such-page", status=404)
    page = _page(response)
    assert page.select_one(".tjr-error-title").get_text(" ", strip=True) == "404 页面不存在"
    assert page.select_one(".tjr-error-message").text == "您访问的页面不存在,或已被移动、删除。"
    assert "Not Found" not in response.get_data(as_text=True)
    assert _ways(page)[:3] == ["/user/login", "/", "/dataset/"]

    english = _page(app.get("/en/registration/no-such-page", status=404))
    assert english.select_one(".tjr-error-title").get_text(" ", strip=True) == \
        "404 Page not found"
    assert _ways(english)[:3] == ["/en/user/login", "/en/", "/en/dataset/"]


def test_forbidden_shows_the_views_own_message(app):
    page = _page(app.get("/registration/notifications", status=403))
    assert page.select_one(".tjr-error-title").get_text(" ", strip=True) == "403 没有权限"
    # The view's abort message, translated, and a way to log in.
    assert page.select_one(".tjr-error-message").text == "请先登录"
    assert page.select_one(".tjr-error-login") is not None
    assert "/user/login" in _ways(page)


def test_logged_in_users_are_not_offered_to_log_in(app, world):
    headers = {"Authorization": world.hp_clerk["token"]}
    page = _page(app.get("/registration/no-such-page", headers=headers, status=404))
    assert "/user/login" not in _ways(page)
    assert "/" in _ways(page)


@pytest.mark.parametrize(("code", "content", "title", "message"), [
    # CKAN's handler of an unexpected exception: a fixed text, never the exception.
    ([500], "Internal server error", "服务器内部错误", "平台出现故障,错误已记录,请稍后再试。"),
    # Flask-WTF's refusal of a form without its CSRF token.
    (400, "The CSRF token is missing.", "请求有误",
     "表单已过期或来自其他页面,未通过安全校验。请返回并刷新页面后重新提交。"),
    # werkzeug's stock English description is replaced.
    (403, "You don't have the permission to access the requested resource. It is either "
          "read-protected or not readable by the server.", "没有权限",
     "您没有权限查看此页面或执行此操作。"),
    # A status without a title of its own: a plain 错误, not werkzeug's "Gone".
    (410, "The requested URL is no longer available on this server and there is no "
          "forwarding address. If you followed a link from a foreign page, please contact "
          "the author of this page.", "错误", ""),
])
def test_stock_english_is_replaced(app, code, content, title, message):
    with app.flask_app.test_request_context("/"):
        app.flask_app.preprocess_request()
        error = tk.h.tjregistry_error_page(code, content, "Whatever")
    assert (error["title"], error["message"]) == (title, message)
    status = code[0] if isinstance(code, list) else code
    assert error["code"] == status
