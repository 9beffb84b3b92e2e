"""Fixtures shared by this extension's tests (CKAN's own pytest plugin supplies the rest)."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import socket
import zoneinfo
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

import ckan.model as model
import ckan.plugins
from ckan.tests import factories

from ckanext.tjregistry.registration import workflow
from ckanext.tjregistry.tests import live_server
from ckanext.tjregistry.tests.workflow_helpers import World, build_world

_MIGRATED_PLUGINS = ("activity", "tjregistry")


def pytest_report_header(config) -> str:
    """The wall clock the run sees (``make test-clock`` moves it), in Tianjin time."""
    now = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M %a")
    moved = " (moved by TJ_TEST_CLOCK)" if os.environ.get("TJ_TEST_CLOCK_OFFSET") else ""
    return f"tjregistry: wall clock {now} in Tianjin{moved}"


_schema_ready = False


def _truncate_everything() -> None:
    """Empty every table of the test database except the migration bookkeeping,
    in one statement (much faster than CKAN's table-by-table DELETE)."""
    model.Session.remove()
    engine = model.meta.engine
    assert engine is not None
    with engine.begin() as connection:
        names = [name for name in sa.inspect(connection).get_table_names()
                 if not name.endswith("alembic_version")]
        quoted = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)
        connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """An empty database with CKAN's, activity's and this extension's tables.

    The first use in a test session rebuilds the schema the CKAN way (drop, CKAN
    migrations, then the plugins' migrations); later uses only empty the tables.
    """
    global _schema_ready
    if not _schema_ready:
        reset_db()
        for plugin in _MIGRATED_PLUGINS:
            migrate_db_for(plugin)
        _schema_ready = True
    else:
        _truncate_everything()
        factories.fake.unique.clear()


@pytest.fixture(scope="session")
def _plugins_of_test_ini() -> Iterator[None]:
    """test.ini's plugins, loaded once: CKAN's pytest plugin unloads every plugin before
    the test loop, and reloading them for each test (``with_plugins``) re-runs every
    plugin's ``update_config`` and re-parses all schemas three times per test."""
    ckan.plugins.load_all()
    yield
    # CKAN 2.11 keeps its system plugins loaded between tests; 2.12 has only unload_all.
    getattr(ckan.plugins, "unload_non_system_plugins", ckan.plugins.unload_all)()


@pytest.fixture(autouse=True)
def _load_plugins(_plugins_of_test_ini, ckan_config):
    """Each test sees the configuration as the plugins left it, with its own
    ``ckan_config`` marks applied; ``ckan_config`` restores it afterwards. Options set
    by marks are read when used, as this extension's are (``app`` also reloads the
    plugins, through ``make_app``)."""
    yield


@pytest.fixture
def ckan_server_options() -> dict[str, str]:
    """Options a test module adds to its live server's configuration (override it)."""
    return {}


@pytest.fixture
def ckan_server(tmp_path, ckan_server_options) -> Iterator[live_server.LiveServer]:
    """A real ``ckan run`` server on a free port with the test configuration
    (see live_server.py). Request it after ``clean_db`` so that it starts on the
    fresh database."""
    with live_server.running(tmp_path, ckan_server_options) as server:
        yield server


class Inbox:
    """The messages a real SMTP server on the loopback interface received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # the name aiosmtpd calls
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


@pytest.fixture
def smtp(ckan_config, monkeypatch) -> Iterator[Inbox]:
    """CKAN's mailer pointed at a real SMTP server (aiosmtpd) on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{port}")
    monkeypatch.setitem(ckan_config, "smtp.mail_from", "registry@example.org")
    monkeypatch.setitem(ckan_config, "smtp.starttls", False)
    yield inbox
    controller.stop()


@pytest.fixture
def world() -> World:
    """Institutions, registrants, their staff and an authority officer (``build_world``);
    a module extends it by defining ``world(world)``."""
    return build_world()


@pytest.fixture
def manual_issuance(monkeypatch) -> None:
    """Approval does not issue the certificate: the test issues (``workflow.on_issued``)."""
    monkeypatch.setattr(workflow, "_call_issuer", lambda application_id: None)


@pytest.fixture
def own_key_dir(ckan_config, monkeypatch, tmp_path) -> None:
    """Signing keys generated for this test in its own directory."""
    monkeypatch.setitem(ckan_config, "tjregistry.certificate.key_dir", str(tmp_path / "keys"))


@pytest.fixture
def own_dirs(own_key_dir, ckan_config, monkeypatch, tmp_path) -> None:
    """Signing keys and objection evidence stored in this test's own directories."""
    monkeypatch.setitem(ckan_config, "tjregistry.objection.storage_dir", str(tmp_path / "obj"))
