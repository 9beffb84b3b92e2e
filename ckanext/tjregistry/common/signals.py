"""The platform's signals (blinker, in CKAN's ``ckanext`` namespace).

Lower layers announce what happened; features subscribe in the plugin's
``get_signal_subscriptions``, so nothing below has to know who reacts.
"""
from __future__ import annotations

from ckan.lib.signals import ckanext

# Sent with the dataset id (as sender) after a committed change to its registration
# (status, certificate) once the dataset has been re-indexed.
registration_changed = ckanext.signal("tjregistry_registration_changed")

# Sent with the application id (as sender) after the commit of a transition into
# ``approved``: certificates are issued in reaction (a failure leaves the application
# approved, awaiting issuance).
application_approved = ckanext.signal("tjregistry_application_approved")

# Sent with the workflow's ``Outcome`` (as sender), ``session`` and ``event`` inside the
# transition's transaction, after its history event; each receiver returns a list of
# steps to run after the commit (or None). Notifications are recorded this way.
transition_recorded = ckanext.signal("tjregistry_transition_recorded")

# Sent with the session (as sender) by ``history.verify`` after it walked the chain;
# each receiver returns None or ``{"problems": [...], "summary": {...}}``, problems in the
# chain's own form (``event_id``, ``problem``, ``detail``). The signed checkpoints check
# the chain against the heads they signed this way (operations/checkpoints.py).
history_checked = ckanext.signal("tjregistry_history_checked")

# Sent with the scheduler's clock reading (an aware datetime, as sender) at every step
# of ``ckan tjregistry workflow scheduler`` (at least once a minute): periodic work other
# than the publicity sweep (history checkpoints) is queued in reaction.
scheduler_tick = ckanext.signal("tjregistry_scheduler_tick")
