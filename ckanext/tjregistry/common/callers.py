"""Who an action or auth function runs for."""
from __future__ import annotations

from typing import Any

import ckan.model as model


def user_of(context: dict[str, Any]) -> model.User | None:
    """The user object CKAN (or the caller) put in the context, else the user it names;
    None for anonymous calls and calls that name no user."""
    user = context.get("auth_user_obj")
    if isinstance(user, model.User):
        return user
    name = context.get("user")
    return model.User.get(name) if name else None
