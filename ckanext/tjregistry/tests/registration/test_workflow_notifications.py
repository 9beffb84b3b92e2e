"""Workflow e-mails through CKAN's mailer to a real SMTP server on the loopback interface."""
from __future__ import annotations

import email
import email.header
import email.policy

import pytest

import ckan.model as model

from ckanext.tjregistry.model import Notification
from ckanext.tjregistry.tests.workflow_helpers import build_world, call_as, make_dataset, submit

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "manual_issuance")


def test_reviewers_and_registrant_are_mailed_in_both_languages(smtp):
    world = build_world()
    ds = make_dataset(world.hp_reg)
    app = submit(world.hp_clerk, ds)
    (to_reviewer,) = smtp.to("hp_reviewer@example.org")
    subject = str(email.header.make_header(email.header.decode_header(to_reviewer["Subject"])))
    assert ds["title"] in subject and "提交登记申请" in subject and "Submit application" in subject
    body = to_reviewer.get_content()
    assert "待受理 / Awaiting acceptance" in body
    assert f"/registration/application/{app['id']}" in body
    assert not smtp.to("bh_reviewer@example.org")  # outside the jurisdiction
    assert not smtp.to("hp_clerk@example.org")  # the actor is not told of their own step

    call_as(world.hp_reviewer, "registration_request_supplement", id=app["id"],
            items=["补充数据字典", "补充样例数据"])
    (to_clerk,) = smtp.to("hp_clerk@example.org")
    body = to_clerk.get_content()
    assert "1. 补充数据字典" in body and "2. 补充样例数据" in body


def test_no_mail_without_smtp_but_the_dashboard_notice_is_kept(ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "smtp.server", "")
    world = build_world()
    submit(world.hp_clerk, make_dataset(world.hp_reg))
    notices = model.Session.query(Notification).filter_by(user_id=world.hp_reviewer["id"]).all()
    assert [n.action for n in notices] == ["submit"]


def test_no_mail_without_a_sender_address(ckan_config, monkeypatch):
    """CKAN's default smtp.server (localhost) alone does not switch mail on: without
    smtp.mail_from CKAN's mailer cannot send (it fails on the From header)."""
    monkeypatch.setitem(ckan_config, "smtp.server", "localhost")
    monkeypatch.setitem(ckan_config, "smtp.mail_from", None)  # not configured
    attempts = []
    monkeypatch.setattr("ckan.lib.mailer.mail_recipient",
                        lambda *args, **kwargs: attempts.append(args))
    world = build_world()
    app = submit(world.hp_clerk, make_dataset(world.hp_reg))
    call_as(world.hp_reviewer, "registration_accept", id=app["id"])
    assert attempts == []
    notices = model.Session.query(Notification).filter_by(user_id=world.hp_reviewer["id"]).all()
    assert [n.action for n in notices] == ["submit"]


def test_mail_can_be_switched_off(smtp, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "tjregistry.notifications.email", False)
    world = build_world()
    submit(world.hp_clerk, make_dataset(world.hp_reg))
    assert smtp.messages == []
