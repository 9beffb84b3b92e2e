"""Every page each role can reach, in Chinese and in English: no server error, and no
English in the Chinese interface.

A real CKAN server (``ckan_server``, live_server.py; CSRF protection on) holds data like
the demo's: the institutions, registrants and staff of ``build_world``, a registered record
with its certificate, a record in publicity with an objection, and applications waiting
for review. For each role (anonymous, a registrant's clerk, a district reviewer, the city
institution's reviewer, the data authority's officer) a ``requests`` session logs in
through CKAN's login form (with its CSRF token) and visits breadth-first every same-site
link it finds, GET only, in the Chinese interface (the default) and the English one
(``/en/``). Logout, downloads, the API, static assets and other languages are not
followed; links are grouped by URL pattern (names and ids replaced) and only a few pages
of each pattern are visited, at most PER_CRAWL pages per role and language and for
CRAWL_SECONDS in all, so the crawl stays bounded. ``TJ_CRAWL_REPORT=<dir>`` writes what
was visited (with response times) and found to ``<dir>/crawl.txt``.

It fails on any 5xx or traceback, on a raw timestamp (``2026-12-06T18:34:56``) in either
language, and on a Chinese page whose interface text (header, navigation, headings,
labels, buttons, table headers, flash messages, the page title) is English once data
values (names, codes, addresses) and the platform's proper nouns (CKAN, API, DCAT,
PDF ...) are set aside. (test_i18n.py checks that every message has its Chinese.)
"""
from __future__ import annotations

import collections
import concurrent.futures
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjregistry.tests.live_server import LiveServer
from ckanext.tjregistry.tests.publicity_helpers import filing, in_publicity
from ckanext.tjregistry.tests.workflow_helpers import (
    World,
    build_world,
    call_as,
    colleague,
    make_dataset,
    submit,
)

PASSWORD = "Tianjin-crawler-2026"
# Pages of one URL pattern visited per crawl, and pages per crawl at most. The English
# crawl looks for server errors only, so one page of a kind is enough there.
PER_PATTERN = {"zh_Hans_CN": 2, "en": 1}
PER_CRAWL = {"zh_Hans_CN": 50, "en": 25}
# The whole crawl stops after this many seconds, however busy the machine is.
CRAWL_SECONDS = 150
TIMEOUT = 60
# Responses larger than this are downloads, not pages.
MAX_PAGE_BYTES = 2_000_000

ROLES = ("anonymous", "hp_clerk", "hp_reviewer", "city_reviewer", "officer")
FULL_NAMES = {"hp_clerk": "王丽(和平区教育局)", "hp_reviewer": "李强(和平区登记机构)",
              "city_reviewer": "赵敏(市数据发展中心)", "officer": "陈静(市数据局)"}
SEEDS = ("/", "/dashboard/", "/dataset/", "/organization/", "/user/", "/registration/mine",
         "/registration/queue", "/registration/publicity", "/registration/query",
         "/registration/verify", "/registration/objections", "/registration/notifications",
         "/registration/statistics")

SKIPPED_PREFIXES = ("/api/", "/webassets/", "/base/", "/uploads/", "/images/",
                    "/_debug", "/favicon", "/fanstatic/", "/catalog")
SKIPPED_WORDS = ("logout", "_logout", "/download", "/dump", "reset_config", "/purge")
SKIPPED_SUFFIXES = (".pdf", ".csv", ".xlsx", ".xls", ".zip", ".json", ".jsonld", ".ttl",
                    ".rdf", ".xml", ".n3", ".png", ".jpg", ".jpeg", ".svg", ".gif", ".js",
                    ".css", ".ico", ".txt", ".atom")
# Query parameters that make another kind of page; any other one is a search facet.
PAGE_KINDS = {"q", "sort", "page", "scope", "status", "tab", "activity_type", "type"}
DOWNLOAD_FORMATS = {"csv", "xlsx", "json", "pdf", "xml", "ttl", "rdf", "jsonld", "atom"}

# Interface text: what the platform says, as opposed to what the data says.
INTERFACE = ("header", "nav", "h1", "h2", "h3", "h4", "h5", "h6", "label", "button", "th",
             "legend", ".flash-messages", ".alert", ".breadcrumb", "a.btn", "title",
             "input[type=submit]")
# Not interface text even inside an interface element: people's names, data values.
DATA_ELEMENTS = (".username", ".tjr-data", "code", "kbd", "samp", ".dataset-heading a",
                 ".tjr-code", "time")
# Proper nouns, formats and abbreviations that stay in Latin letters in Chinese text.
ALLOWED_WORDS = {
    "ckan", "api", "dcat", "url", "uri", "pdf", "csv", "json", "jsonl", "jsonld", "ld", "id", "rdf",
    "xml", "ttl", "html", "xlsx", "excel", "zip", "sm", "sha", "qr", "utc", "uscc", "http",
    "https", "rss", "atom", "ok", "sql", "doi", "email", "e-mail", "mb", "kb", "gb",
    "markdown", "app", "ip", "www", "org", "cn", "gov", "tj", "js", "ca", "ukey", "tianjin",
}
# Times are shown as 2026年12月7日 10:34 / 7 Dec 2026, 10:34 (common/dates.py), never as
# the stored UTC value.
RAW_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
VALUE_PATTERNS = (
    re.compile(r"\S+@\S+"),                                  # e-mail addresses
    re.compile(r"https?://\S+"),                             # addresses
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),  # ids
    re.compile(r"\b[\w-]*\d[\w-]*\b"),                       # codes: anything with a digit
    re.compile(r"^[\w./-]*[-/][\w./-]*$"),                    # a lone slug or path example
)


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def ckan_server_options(tmp_path, ckan_config, monkeypatch) -> dict[str, str]:
    """Signing keys and objection evidence of this test, for the server and this process."""
    options = {"tjregistry.certificate.key_dir": str(tmp_path / "keys"),
               "tjregistry.objection.storage_dir": str(tmp_path / "objections")}
    for key, value in options.items():
        monkeypatch.setitem(ckan_config, key, value)
    return options


@dataclass
class Site:
    world: World
    data_values: set[str]


def _demo_like_world() -> Site:
    """The world plus a registered record (with its certificate), a record in publicity
    with an objection, and applications waiting for their reviewers."""
    world = build_world()
    registered = make_dataset(world.hp_reg, title="和平区中小学校基本信息")
    application = submit(world.hp_clerk, registered)
    call_as(world.hp_reviewer, "registration_accept", id=application["id"])
    issued = call_as(colleague(world.hp_reviewer), "registration_approve", id=application["id"])
    assert issued["state"] == "issued", issued["state"]

    published, publicity = in_publicity(world, title="和平区公交线路站点")
    call_as(None, "objection_create", **filing(publicity["id"]))

    waiting = make_dataset(world.city_reg, title="天津市公共交通客流统计")
    submit(world.city_clerk, waiting)
    accepted = make_dataset(world.hp_reg, title="和平区学校招生范围")
    call_as(world.hp_reviewer, "registration_accept",
            id=submit(world.hp_clerk, accepted)["id"])
    make_dataset(world.hp_reg, title="和平区教育经费统计(草稿)")

    values: set[str] = set()
    for name, user in world.users.items():
        db_user = model.User.get(user["id"])
        db_user.password = PASSWORD
        db_user.fullname = FULL_NAMES.get(name, db_user.fullname)
        values.update({db_user.name, db_user.email or "", db_user.fullname or ""})
    model.Session.commit()
    values.add(tk.config.get("ckan.site_id") or "")  # the site user, an actor in histories
    for org in world.orgs.values():
        values.update({org["name"], org["title"]})
    for dataset in (registered, published, waiting, accepted):
        values.update({dataset["name"], dataset["title"]})
    return Site(world=world, data_values={v for v in values if v})


# ---------------------------------------------------------------------------
# The crawler


@dataclass
class Finding:
    role: str
    language: str
    path: str
    problem: str

    def __str__(self) -> str:
        return f"[{self.role} {self.language}] {self.path}: {self.problem}"


@dataclass
class Crawl:
    role: str
    language: str
    visited: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(self, path: str, problem: str) -> None:
        self.findings.append(Finding(self.role, self.language, path, problem))


def _other_language_prefixes() -> tuple[str, ...]:
    import ckan.i18n
    directory = Path(ckan.i18n.__file__).parent
    return tuple(f"/{entry.name}/" for entry in directory.iterdir() if entry.is_dir())


def _login(server: LiveServer, user_name: str) -> requests.Session:
    """A session logged in through CKAN's login form, as a person does."""
    session = requests.Session()
    form = BeautifulSoup(session.get(server.url("/user/login"), timeout=TIMEOUT).text,
                         "html.parser")
    token = form.select_one("input[name=_csrf_token]")
    assert token is not None, "the login form has no CSRF token"
    answer = session.post(server.url("/user/login"), timeout=TIMEOUT, data={
        "_csrf_token": token["value"], "login": user_name, "password": PASSWORD})
    assert answer.status_code == 200, answer.status_code
    me = session.get(server.url("/user/me"), timeout=TIMEOUT)
    assert f"/user/{user_name}" in me.url or user_name in me.text, f"{user_name} not logged in"
    return session


def url_pattern(path: str, query: str, names: Iterable[str] = ()) -> str:
    """The page's kind: the route's words kept, names and ids replaced; of the query, the
    parameters that change what a page is, every search facet counting as one."""
    names = set(names)
    words = []
    for segment in path.strip("/").split("/"):
        literal = re.fullmatch(r"[a-z_]{1,24}", segment) and segment not in names
        words.append(segment if literal else "*")
    keys = sorted({key if key in PAGE_KINDS else "facet"
                   for key, _value in parse_qsl(query, keep_blank_values=True)})
    return "/" + "/".join(words) + ("?" + "&".join(keys) if keys else "")


def _followed(path: str, query: str, language: str, other_languages: tuple[str, ...]) -> bool:
    lowered = path.lower()
    if language == "en":
        if not (path == "/en" or path.startswith("/en/")):
            return False
        lowered = lowered[3:] or "/"
    elif any(lowered.startswith(prefix) or lowered + "/" == prefix
             for prefix in other_languages):
        return False
    if lowered.startswith(SKIPPED_PREFIXES) or lowered.endswith(SKIPPED_SUFFIXES):
        return False
    if any(word in lowered for word in SKIPPED_WORDS):
        return False
    formats = {value.lower() for key, value in parse_qsl(query) if key in ("format", "fmt")}
    return not formats & DOWNLOAD_FORMATS


def _interface_texts(soup: BeautifulSoup) -> Iterable[str]:
    for element in soup.select(", ".join(DATA_ELEMENTS)):
        element.decompose()
    for element in soup.select("script, style, noscript, [hidden], .visually-hidden-data"):
        element.decompose()
    for element in soup.select(", ".join(INTERFACE)):
        text = element.get("value") if element.name == "input" else element.get_text(" ")
        text = " ".join((text or "").split())
        if text:
            yield text
    for element in soup.select("[placeholder], [aria-label], [title]"):
        for attribute in ("placeholder", "aria-label", "title"):
            if element.get(attribute):
                yield " ".join(element[attribute].split())


def english_words(text: str, data_values: Iterable[str]) -> list[str]:
    """The Latin-letter words of ``text`` that are neither data values nor allowed nouns."""
    for value in sorted(data_values, key=len, reverse=True):
        text = text.replace(value, " ")
    for pattern in VALUE_PATTERNS:
        text = pattern.sub(" ", text)
    return [word for word in LATIN_WORD.findall(text)
            if word.lower().strip("'’") not in ALLOWED_WORDS]


def crawl(server: LiveServer, session: requests.Session, role: str, language: str,
          data_values: set[str], deadline: float) -> Crawl:
    result = Crawl(role, language)
    prefix = "/en" if language == "en" else ""
    other_languages = tuple(p for p in _other_language_prefixes() if p != "/zh_Hans_CN/")
    queue = collections.deque(prefix + seed for seed in SEEDS)
    seen_urls: set[str] = set(queue)
    per_pattern: collections.Counter[str] = collections.Counter()
    english_reported: set[str] = set()
    while queue and len(result.visited) < PER_CRAWL[language] and time.monotonic() < deadline:
        target = queue.popleft()
        parts = urlsplit(target)
        pattern = url_pattern(parts.path, parts.query, data_values)
        if per_pattern[pattern] >= PER_PATTERN[language]:
            continue
        per_pattern[pattern] += 1
        asked = time.monotonic()
        try:
            response = session.get(server.url(target), timeout=TIMEOUT, stream=True,
                                   allow_redirects=True)
        except requests.RequestException as error:
            result.add(target, f"no answer: {error}")
            continue
        result.visited.append(f"{target} {time.monotonic() - asked:.2f}s")
        if response.status_code >= 500:
            result.add(target, f"HTTP {response.status_code}")
        content_type = response.headers.get("Content-Type", "")
        size = int(response.headers.get("Content-Length") or 0)
        if "text/html" not in content_type or size > MAX_PAGE_BYTES:
            response.close()
            continue
        final = urlsplit(response.url)
        if final.netloc != urlsplit(server.base_url).netloc:
            response.close()
            continue
        if b"Traceback (most recent call last)" in response.content:
            result.add(target, "the page shows a Python traceback")
            continue
        soup = BeautifulSoup(response.content, "html.parser")
        links = [a.get("href") for a in soup.select("a[href]")]
        shown = soup.body.get_text(" ") if soup.body else ""
        for stamp in sorted(set(RAW_TIMESTAMP.findall(shown)))[:1]:
            result.add(target, f"a raw timestamp instead of the platform's format: {stamp}")
        if language == "zh_Hans_CN":
            for text in _interface_texts(soup):
                words = english_words(text, data_values)
                if words and text not in english_reported:
                    english_reported.add(text)
                    result.add(final.path + (f"?{final.query}" if final.query else ""),
                               f"English in the Chinese interface: {text[:160]!r}")
        for href in links:
            absolute, _fragment = urldefrag(urljoin(response.url, href))
            link = urlsplit(absolute)
            if link.scheme not in ("http", "https") or link.netloc != final.netloc:
                continue
            if not _followed(link.path, link.query, language, other_languages):
                continue
            local = link.path + (f"?{link.query}" if link.query else "")
            if local not in seen_urls:
                seen_urls.add(local)
                queue.append(local)
    return result


# ---------------------------------------------------------------------------
# Tests


def test_url_patterns_and_english_detection():
    assert url_pattern("/dataset/hp-school-2026", "") == "/dataset/*"
    assert url_pattern("/registration/application/0f8e", "tab=history&x=1&y=2") == \
        "/registration/application/*?facet&tab"
    assert url_pattern("/user/hp_clerk", "", {"hp_clerk"}) == "/user/*"
    values = {"王丽(和平区教育局)", "hp_clerk"}
    assert english_words("登录 hp_clerk 王丽(和平区教育局)", values) == []
    assert english_words("下载 PDF · CKAN API · 编码 12010120260001", values) == []
    assert english_words("News feed 动态", values) == ["News", "feed"]
    assert english_words("tj-mobility-index", values) == []
    assert english_words("4 data-resources found", values) == ["data", "resources", "found"]


def _a_form_with_a_bad_token_is_refused_in_the_users_language(
        server: LiveServer, session: requests.Session, user_name: str) -> None:
    """The CSRF check's refusal is an error page in the user's language, with a way on."""
    for prefix, title, message in (("", "400 请求有误", "未通过安全校验"),
                                   ("/en", "400 Bad request", "security check")):
        refused = session.post(server.url(f"{prefix}/user/edit/{user_name}"),
                               data={"fullname": "改名", "_csrf_token": "expired"},
                               timeout=TIMEOUT)
        assert refused.status_code == 400
        page = BeautifulSoup(refused.text, "html.parser")
        assert page.select_one(".tjr-error-title").get_text(" ", strip=True) == title
        assert message in page.select_one(".tjr-error-message").text
        assert page.select(".tjr-error-ways a")
        assert "CSRF token" not in refused.text


def test_every_page_of_every_role_in_both_languages(clean_db, clean_index, ckan_server):
    site = _demo_like_world()
    started = time.monotonic()
    jobs = [(role, language) for role in ROLES for language in ("zh_Hans_CN", "en")]
    # A session per crawl: a flash message queued in one language is shown in that one.
    sessions = {job: requests.Session() if job[0] == "anonymous" else _login(ckan_server, job[0])
                for job in jobs}
    _a_form_with_a_bad_token_is_refused_in_the_users_language(
        ckan_server, sessions["hp_clerk", "en"], "hp_clerk")
    # All crawls at once, so that each gets its share of the time budget.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        crawls = list(pool.map(
            lambda job: crawl(ckan_server, sessions[job], job[0], job[1],
                              site.data_values, started + CRAWL_SECONDS), jobs))
    elapsed = time.monotonic() - started

    visited = {(c.role, c.language): len(c.visited) for c in crawls}
    report_dir = os.environ.get("TJ_CRAWL_REPORT")
    findings = [finding for c in crawls for finding in c.findings]
    if report_dir:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
        (Path(report_dir) / "crawl.txt").write_text(
            "\n".join([f"{key}: {count} pages" for key, count in visited.items()]
                      + [str(finding) for finding in findings]
                      + ["", *[f"{c.role} {c.language} {p}" for c in crawls
                               for p in c.visited]]), encoding="utf-8")
    # Each role reached its own pages, in both languages.
    for (role, language), count in visited.items():
        assert count >= 10, f"{role} in {language} reached only {count} pages"
    assert elapsed < CRAWL_SECONDS + TIMEOUT, f"the crawl took {elapsed:.0f} s"
    assert not findings, f"{len(findings)} problems:\n" + "\n".join(map(str, findings))

