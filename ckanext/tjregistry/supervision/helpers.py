"""Template helpers of the supervision pages."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.supervision import statistics


@registry.helper
def tjregistry_may_see_statistics() -> bool:
    """Whether the logged-in user may open the supervision pages (statistics, reports)."""
    user = tk.current_user
    if not (user and user.is_authenticated):
        return False
    return statistics.viewer_area(tk.g.userobj or None) is not None
