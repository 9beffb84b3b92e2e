"""API actions of this extension (registered by ``tk.blanket.actions``)."""
from __future__ import annotations

from ckanext.tjregistry.access import (
    dataset_followee_list,
    followee_list,
    organization_followee_list,
    organization_show,
)
from ckanext.tjregistry.logic.certificate_action import (
    certificate_key_list,
    certificate_renew,
    certificate_show,
    certificate_verify,
)

__all__: list[str] = [
    "certificate_key_list",
    "certificate_renew",
    "certificate_show",
    "certificate_verify",
]
# Core actions wrapped so that restricted fields never leak (access.py).
__all__ += [
    "dataset_followee_list",
    "followee_list",
    "organization_followee_list",
    "organization_show",
]
