"""API actions of this extension (registered by ``tk.blanket.actions``)."""
from __future__ import annotations

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
