"""Registration certificates (登记凭证, TJ Art. 12, 22, 28–29).

Modules: ``codes`` (registration codes), ``signing`` (SM2/SM3 signatures and keys),
``validity`` (terms, renewal, statuses), ``content`` (what is signed and printed),
``pdf`` (the Chinese PDF), ``files`` (the issued PDF files and their digests),
``register`` (the signed register record of each version), ``issuance`` (the
Python API below), ``verification`` (by code or PDF), ``hooks`` (dataset fields)
and ``cli``.

Python API for the registration workflow (all run in the caller's transaction and
never commit; see :mod:`issuance`):

* ``issue_certificate(package_id, *, institution_id, registration_type="initial",
  application_id=None, actor_id=None, dataset_changes=None, today=None) -> dict``
* ``revoke_certificate(package_id, *, reason, actor_id=None) -> dict | None``
* ``cancel_certificate(package_id, *, reason, actor_id=None) -> dict | None``
* ``reinstate_certificate(package_id, *, reason, actor_id=None) -> dict | None``
  (a reversed revocation)
* ``expire_due(today=None) -> list[(code, package_id)]`` (``expire_and_notify`` also
  moves the workflow's registrations to expired and commits per certificate)
* ``set_national_code(code, national_code) -> dict``
* ``reindex(package_ids)`` after the commit.

The procedure's side (issuance after approval, the expiry sweep, the certificate
effects of revocation and cancellation) is ``procedure``.
"""
from __future__ import annotations

import logging

from ckanext.tjregistry.certificates.issuance import (
    cancel_certificate,
    current_for_code,
    current_for_package,
    due_for_expiry,
    expire_code,
    expire_due,
    issue_certificate,
    reindex,
    reinstate_certificate,
    renew_certificate,
    revoke_certificate,
    set_national_code,
)

log = logging.getLogger(__name__)

__all__ = [
    "cancel_certificate",
    "current_for_code",
    "current_for_package",
    "due_for_expiry",
    "expire_code",
    "expire_due",
    "issue_certificate",
    "reindex",
    "reinstate_certificate",
    "renew_certificate",
    "revoke_certificate",
    "set_national_code",
]
