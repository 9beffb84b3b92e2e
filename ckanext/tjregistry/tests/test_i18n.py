"""The catalogues: every message has its Chinese, and the corrections of CKAN's own strings
(i18n/<locale>/LC_MESSAGES/ckan-overrides.po) reach the pages."""
from __future__ import annotations

import functools
import gettext
import os
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import ckan
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
    overrides = _read(directory / "ckan-overrides.po")
    # A CKAN msgid the extension also uses may take its Chinese from the overrides, or
    # from CKAN's own catalogue where that one is right (the wrong ones are overridden).
    ckan_chinese = _read(Path(ckan.i18n.__file__).parent / "zh_Hans_CN" / "LC_MESSAGES"
                         / "ckan.po")
    corrected = {repr(m.id) for catalogue in (overrides, ckan_chinese)
                 for m in catalogue if m.id and m.string and not _untranslated([m])}
    missing = [message for message in _untranslated(catalog) if message not in corrected]
    missing += _untranslated(overrides)
    template = _read(REPO / "i18n" / "ckanext-tjregistry.pot")
    missing += [f"not in the catalogue: {m.id!r}" for m in template
                if m.id and catalog.get(m.id, m.context) is None]
    assert not missing, "\n".join(missing)


def _built_from_a_dataset_type(msgid: str | tuple[str, ...]) -> bool:
    """CKAN's search_result_text.html makes its msgids of a custom dataset type's name."""
    text = msgid if isinstance(msgid, str) else msgid[0]
    return "data-resource" in text or "data-product" in text


@functools.cache
def _ckan_template_text() -> str:
    templates = Path(ckan.__file__).parent / "templates"
    return "\n".join(path.read_text(encoding="utf-8") for path in templates.rglob("*.html"))


def _in_ckans_templates(msgid: str | tuple[str, ...]) -> bool:
    """A msgid CKAN's templates translate although CKAN's .pot lacks it."""
    text = msgid if isinstance(msgid, str) else msgid[0]
    return f"_('{text}')" in _ckan_template_text() or f'_("{text}")' in _ckan_template_text()


@pytest.mark.parametrize("locale", CORRECTED)
def test_overrides_correct_existing_ckan_messages(locale):
    """A correction whose msgid CKAN does not use (a typo, a string CKAN changed) would
    silently do nothing."""
    overrides = REPO / "i18n" / locale / "LC_MESSAGES" / "ckan-overrides.po"
    ckan_messages = _read(CKAN_POT)
    unknown = [m.id for m in _read(overrides)
               if m.id and ckan_messages.get(m.id, m.context) is None
               and not _built_from_a_dataset_type(m.id) and not _in_ckans_templates(m.id)]
    assert not unknown, unknown


def test_compiling_merges_the_overrides_and_the_own_catalogue_wins(tmp_path):
    directory = tmp_path / "i18n"
    messages = directory / "zh_Hans_CN" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    header = ('msgid ""\nmsgstr ""\n"Language: zh_Hans_CN\\n"\n'
              '"Content-Type: text/plain; charset=utf-8\\n"\n\n')
    (messages / "ckanext-tjregistry.po").write_text(
        header + 'msgid "Search the register"\nmsgstr "查询登记信息"\n\n'
        'msgid "Log in"\nmsgstr "登录平台"\n\nmsgid "Username or Email"\nmsgstr ""\n',
        encoding="utf-8")
    (messages / "ckan-overrides.po").write_text(
        header + 'msgid "Log in"\nmsgstr "登录"\n\nmsgid "Value"\nmsgstr "值"\n\n'
        'msgid "Follow"\nmsgstr ""\n\n'
        'msgid "Username or Email"\nmsgstr "用户名或电子邮箱"\n', encoding="utf-8")

    assert i18n.compile_catalogues(directory) == [messages / "ckanext-tjregistry.mo"]
    catalogue = gettext.translation(i18n.DOMAIN, str(directory), languages=["zh_Hans_CN"])
    assert catalogue.gettext("Search the register") == "查询登记信息"
    assert catalogue.gettext("Value") == "值"            # added from the overrides
    assert catalogue.gettext("Log in") == "登录平台"      # the extension's own wins
    assert catalogue.gettext("Follow") == "Follow"        # an empty correction is none
    # The extension uses this CKAN msgid too, untranslated: the correction fills it.
    assert catalogue.gettext("Username or Email") == "用户名或电子邮箱"

    # Up to date: nothing to do; a newer overrides file makes the catalogue stale.
    assert i18n.compile_catalogues(directory) == []
    mo_time = (messages / "ckanext-tjregistry.mo").stat().st_mtime
    os.utime(messages / "ckan-overrides.po", (mo_time + 10, mo_time + 10))
    assert i18n.is_stale(messages / "ckanext-tjregistry.po")
    assert i18n.compile_catalogues(directory) == [messages / "ckanext-tjregistry.mo"]

    # A catalogue compiled without the overrides (pybabel compile) is stale however new.
    from babel.messages.mofile import write_mo
    with (messages / "ckanext-tjregistry.po").open("rb") as po_file:
        plain = read_po(po_file, locale="zh_Hans_CN")
    with (messages / "ckanext-tjregistry.mo").open("wb") as mo_file:
        write_mo(mo_file, plain)
    os.utime(messages / "ckanext-tjregistry.mo", (mo_time + 20, mo_time + 20))
    assert i18n.is_stale(messages / "ckanext-tjregistry.po")
    assert i18n.compile_catalogues(directory) == [messages / "ckanext-tjregistry.mo"]
    os.utime(messages / "ckanext-tjregistry.mo", (mo_time + 30, mo_time + 30))
    assert not i18n.is_stale(messages / "ckanext-tjregistry.po")


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
