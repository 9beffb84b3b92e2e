"""The platform's signals (blinker, in CKAN's ``ckanext`` namespace).

Lower layers announce what happened; features subscribe in the plugin's
``get_signal_subscriptions``, so nothing below has to know who reacts.
"""
from __future__ import annotations

from ckan.lib.signals import ckanext

# Sent with the dataset id (as sender) after a committed change to its registration
# (status, certificate) once the dataset has been re-indexed.
registration_changed = ckanext.signal("tjregistry_registration_changed")
