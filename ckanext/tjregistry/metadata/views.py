"""``/dataset/new``: the choice of what to register, instead of CKAN's generic form."""
from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

import ckan.plugins.toolkit as tk
from ckan.views.dataset import CreateView

from ckanext.tjregistry.common import registry
from ckanext.tjregistry.metadata import dataset_types

# Registered before CKAN's own dataset blueprint, so this rule answers /dataset/new.
dataset_choice = registry.blueprint(Blueprint("tjregistry_dataset_types", __name__))


@dataset_choice.route("/dataset/new", methods=["GET", "POST"])
def choose_type() -> ResponseReturnValue:
    if dataset_types.generic_datasets_allowed():
        return CreateView.as_view("new")(package_type="dataset")
    if request.method == "POST":
        return tk.abort(400, tk._("Choose what to register: a public data resource or a "
                                  "data product or service."))
    owner = request.args.get("group") or request.args.get("owner_org") or ""
    return tk.render("tjregistry/metadata/choose_type.html", {
        "types": dataset_types.REGISTRATION_TYPES, "owner_org": owner})
