"""Who reacts to what: every signal subscription of the platform in one place.

Lower layers announce (``common/signals.py``); the features' reactions are listed here
and connected by the plugin (``ISignal``), as CKAN's ``ckanext/activity`` does.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.certificates import expiry as certificate_expiry
from ckanext.tjregistry.certificates import procedure as certificate_procedure
from ckanext.tjregistry.certificates import renewal as certificate_renewal
from ckanext.tjregistry.common import signals
from ckanext.tjregistry.metadata import fields as metadata_fields
from ckanext.tjregistry.operations import calendar_upkeep, checkpoints
from ckanext.tjregistry.registration import notifications, submissions, visibility
from ckanext.tjregistry.safeguards import login_guard
from ckanext.tjregistry.supervision import digest as institution_digest


def get_subscriptions() -> dict[Any, list[Any]]:
    return {
        # A transition's notices, written in its transaction (e-mails after the commit).
        signals.transition_recorded: [notifications.on_transition_recorded,
                                      # Each round's submitted content, for comparison.
                                      submissions.on_transition_recorded],
        # An approval is followed by the certificate's issuance.
        signals.application_approved: [certificate_procedure.on_application_approved],
        # Activity rows follow the dataset's visibility when its registration changes.
        signals.registration_changed: [visibility.relabel_activities],
        # The history chain is checked against its signed checkpoints; the scheduler's
        # steps queue a new checkpoint every interval.
        signals.history_checked: [checkpoints.on_history_checked],
        # The first step of each Tianjin day queues that day's certificate expiry.
        # and each working morning the institutions' digest of decisions falling due.
        signals.scheduler_tick: [checkpoints.on_scheduler_tick,
                                 certificate_expiry.on_scheduler_tick,
                                 # and the day's reminders to request renewal (续展),
                                 certificate_renewal.on_scheduler_tick,
                                 institution_digest.on_scheduler_tick,
                                 # and daily: next year's calendar, a corrected calendar.
                                 calendar_upkeep.on_scheduler_tick],
        # A renamed registrant is found under its new name (metadata/fields.py).
        tk.signals.action_succeeded: [{"sender": "organization_update",
                                       "receiver": metadata_fields.reindex_renamed_registrant}],
        # Failed logins are counted and lock the account or address; a login clears the
        # account's count (safeguards/login_guard.py).
        tk.signals.failed_login: [login_guard.on_failed_login],
        tk.signals.user_logged_in: [login_guard.on_logged_in],
    }
