"""API actions of the portal: the register's announcements (公告)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.common.validation import validated
from ckanext.tjregistry.portal import announcements
from ckanext.tjregistry.portal.logic import schema


@registry.action
@tk.side_effect_free
def announcement_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The register's announcements (公告, Art. 11), newest first, with their total:
    revocations (and reversed revocations), cancellations, expiries, and registration
    institutions suspended, reinstated or whose qualification was cancelled. Each holds
    only public facts: kind, date (Tianjin time), the data's registered name, registrant,
    registration code, institution and, for a revocation, its ground.

    :param kind: optional, one of revocation, revocation_reversed, cancellation, expiry,
        institution_suspended, institution_reinstated, institution_qualification_cancelled
    :param since: optional date (YYYY-MM-DD, Tianjin time): announcements from that day on
    :param limit: default 20, at most 100
    :param offset: default 0
    """
    tk.check_access("announcement_list", context, data_dict)
    data = validated(data_dict, schema.announcement_list(), context)
    return announcements.listing(kinds=[data["kind"]] if data.get("kind") else None,
                                 since=data.get("since"), limit=data["limit"],
                                 offset=data["offset"])
