"""The catalogues: every message has its Chinese, and the corrections of CKAN's own strings
(i18n/<locale>/LC_MESSAGES/ckan-overrides.po) reach the pages."""
from __future__ import annotations

import gettext
import os
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import ckan.i18n

from ckanext.tjregistry import i18n

REPO = Path(__file__).resolve().parents[3]
CKAN_POT = Path(ckan.i18n.__file__).parent / "ckan.pot"
# The locales that correct CKAN's own strings.
CORRECTED = sorted(path.parent.parent.name for path in
                   (REPO / "i18n").glob("*/LC_MESSAGES/ckan-overrides.po"))


def _read(path: Path):
    with path.open("rb") as po_file:
        return read_po(po_file)


def _untranslated(catalog) -> list[str]:
    found = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and (message.fuzzy or not all(strings)):
            found.append(repr(message.id))
    return found


def test_every_message_has_its_chinese():
    """No message of the extension is left untranslated (or fuzzy) in the Chinese
    catalogue, and every message the code uses is in it (``make i18n`` was run)."""
    directory = REPO / "i18n" / "zh_Hans_CN" / "LC_MESSAGES"
    catalog = _read(directory / "ckanext-tjregistry.po")
    missing = _untranslated(catalog) + _untranslated(_read(directory / "ckan-overrides.po"))
    template = _read(REPO / "i18n" / "ckanext-tjregistry.pot")
    missing += [f"not in the catalogue: {m.id!r}" for m in template
                if m.id and catalog.get(m.id, m.context) is None]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("locale", CORRECTED)
def test_overrides_correct_existing_ckan_messages(locale):
    """A correction whose msgid CKAN does not use (a typo, a string CKAN changed) would
    silently do nothing."""
    overrides = REPO / "i18n" / locale / "LC_MESSAGES" / "ckan-overrides.po"
    ckan_messages = _read(CKAN_POT)
    unknown = [m.id for m in _read(overrides)
               if m.id and ckan_messages.get(m.id, m.context) is None]
    assert not unknown, unknown


def test_compiling_merges_the_overrides_and_the_own_catalogue_wins(tmp_path):
    directory = tmp_path / "i18n"
    messages = directory / "zh_Hans_CN" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    header = ('msgid ""\nmsgstr ""\n"Language: zh_Hans_CN\\n"\n'
              '"Content-Type: text/plain; charset=utf-8\\n"\n\n')
    (messages / "ckanext-tjregistry.po").write_text(
        header + 'msgid "Search the register"\nmsgstr "查询登记信息"\n\n'
        'msgid "Log in"\nmsgstr "登录平台"\n', encoding="utf-8")
    (messages / "ckan-overrides.po").write_text(
        header + 'msgid "Log in"\nmsgstr "登录"\n\nmsgid "Value"\nmsgstr "值"\n\n'
        'msgid "Follow"\nmsgstr ""\n', encoding="utf-8")

    assert i18n.compile_catalogues(directory) == [messages / "ckanext-tjregistry.mo"]
    catalogue = gettext.translation(i18n.DOMAIN, str(directory), languages=["zh_Hans_CN"])
    assert catalogue.gettext("Search the register") == "查询登记信息"
    assert catalogue.gettext("Value") == "值"            # added from the overrides
    assert catalogue.gettext("Log in") == "登录平台"      # the extension's own wins
    assert catalogue.gettext("Follow") == "Follow"        # an empty correction is none

    # Up to date: nothing to do; a newer overrides file makes the catalogue stale.
    assert i18n.compile_catalogues(directory) == []
    mo_time = (messages / "ckanext-tjregistry.mo").stat().st_mtime
    os.utime(messages / "ckan-overrides.po", (mo_time + 10, mo_time + 10))
    assert i18n.is_stale(messages / "ckanext-tjregistry.po")
    assert i18n.compile_catalogues(directory) == [messages / "ckanext-tjregistry.mo"]


def test_the_shipped_catalogue_compiles_with_the_overrides(tmp_path):
    directory = tmp_path / "i18n"
    shutil.copytree(REPO / "i18n", directory)
    i18n.compile_catalogues(directory, only_stale=False)
    chinese = gettext.translation(i18n.DOMAIN, str(directory), languages=["zh_Hans_CN"])
    assert chinese.gettext("Log in") == "登录"
    assert chinese.gettext("Followers") == "关注者"
    assert chinese.gettext("Username or Email") == "用户名或电子邮箱"


@pytest.mark.usefixtures("clean_db")
def test_ckan_pages_show_the_corrected_chinese(app):
    """Flask-Babel merges the extension's domain over CKAN's: the login page says 登录
    (CKAN: 登陆) and translates what CKAN left in English; English stays English."""
    chinese = app.get("/user/login").get_data(as_text=True)
    assert "登录" in chinese and "登陆" not in chinese
    assert "用户名或电子邮箱" in chinese and "Username or Email" not in chinese
    english = app.get("/en/user/login").get_data(as_text=True)
    assert "Username or Email" in english and "用户名或电子邮箱" not in english
