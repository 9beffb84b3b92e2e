"""The ``tjregistry`` CKAN plugin: wiring only; behaviour lives in the modules it names."""
from __future__ import annotations

import os
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation
from ckanext.dcat.interfaces import IDCATRDFHarvester

from ckanext.tjregistry import i18n, indexing, subscriptions
from ckanext.tjregistry.cli import tjregistry as tjregistry_command
from ckanext.tjregistry.common import registry
from ckanext.tjregistry.dcat.harvesting import RDFHarvesterHooks
from ckanext.tjregistry.metadata import activity_privacy
from ckanext.tjregistry.metadata import fields as metadata
from ckanext.tjregistry.registration import freeze, visibility, workflow
from ckanext.tjregistry.safeguards import input_guard, login_guard


def _merged(*sources: dict[str, Any]) -> dict[str, Any]:
    """One mapping from several; a name defined twice would silently drop one of them."""
    merged: dict[str, Any] = {}
    for source in sources:
        twice = sorted(set(merged) & set(source))
        if twice:
            raise RuntimeError(f"defined more than once: {', '.join(twice)}")
        merged.update(source)
    return merged


# Each feature marks its parts where it defines them (common/registry.py).
def actions() -> dict[str, Any]:
    return registry.collect("action")


def auth_functions() -> dict[str, Any]:
    # The freeze's guards of CKAN's own writes are generated from its table (freeze.py).
    return _merged(registry.collect("auth"), freeze.auth_functions())


def helpers() -> dict[str, Any]:
    return registry.collect("helper")


def validators() -> dict[str, Any]:
    return registry.collect("validator")


def blueprints() -> list[Any]:
    return list(registry.collect("blueprint").values())


def commands() -> list[Any]:
    return [tjregistry_command]


@tk.blanket.actions(actions)
@tk.blanket.auth_functions(auth_functions)
@tk.blanket.helpers(helpers)
@tk.blanket.validators(validators)
@tk.blanket.blueprints(blueprints)
@tk.blanket.cli(commands)
@tk.blanket.config_declarations
class TjRegistryPlugin(p.SingletonPlugin, DefaultTranslation, RDFHarvesterHooks):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.ITranslation)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IFacets, inherit=True)
    # Harvested by ckanext-dcat's RDF harvester: dcat/harvesting.py.
    p.implements(IDCATRDFHarvester)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.IPermissionLabels)
    p.implements(p.ISignal)
    p.implements(p.IAuthenticator, inherit=True)

    _labels = visibility.RegistryPermissionLabels()

    # IConfigurer
    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "tjregistry")
        # After logging in (without came_from), registrants land on 我的登记
        # (registration/views.py landing); a site that chose another page keeps it.
        if config.get("ckan.auth.route_after_login") in (None, "", "dashboard.datasets"):
            config["ckan.auth.route_after_login"] = "tjregistry_workflow.landing"
        # CKAN exempts extensions' blueprints from CSRF checks by default; every form of
        # the platform carries its token, and its decisions must not be postable from
        # another site.
        config["ckan.csrf_protection.ignore_extensions"] = False
        # Users (names, e-mail hashes, activity) are not public: user_list, user_show and
        # the /user pages answer 403 to anonymous callers; logged-in users see what CKAN
        # shows them.
        config["ckan.auth.public_user_details"] = False

    # IConfigurable: no activity row holds or hands out a restricted value (activity_privacy.py).
    # The features' guards and effects are registered when their modules are imported:
    # import them all, then refuse to start if the declaration names an unregistered one.
    def configure(self, config: Any) -> None:
        activity_privacy.install()
        for _module in registry.modules():
            pass
        missing = workflow.unregistered_steps()
        if missing:
            raise RuntimeError("workflow steps not registered: " + ", ".join(missing))

    # IMiddleware: requests with NUL characters get a 400 (input_guard.py).
    def make_middleware(self, app: Any, config: Any) -> Any:
        return input_guard.install(app)

    # IAuthenticator: a locked account or address gets the login form again, without
    # its password being checked (login_guard.py).
    def login(self) -> Any:
        return login_guard.login()

    # ITranslation: the catalogues ship as the ckanext.tjregistry.i18n package.
    def i18n_directory(self) -> str:

        i18n.compile_catalogues()  # a source checkout has no built .mo files
        return os.path.dirname(os.path.abspath(i18n.__file__))

    def i18n_domain(self) -> str:
        return "ckanext-tjregistry"

    # IPackageController: see indexing.py for what each hook does.
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return indexing.before_dataset_index(pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        freeze.recheck_write(context, pkg_dict.get("id") or "")

    def after_dataset_show(self, context: Any, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return indexing.after_dataset_show(pkg_dict, context)

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        return indexing.before_dataset_search(search_params)

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        return indexing.after_dataset_search(search_results, search_params)

    # IPermissionLabels: the public catalogue is the register (visibility.py).
    def get_dataset_labels(self, dataset_obj: Any) -> list[str]:
        return self._labels.get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: Any) -> list[str]:
        return self._labels.get_user_dataset_labels(user_obj)

    # ISignal: reactions to what the lower layers announce (subscriptions.py).
    def get_signal_subscriptions(self) -> dict[Any, list[Any]]:
        return subscriptions.get_subscriptions()

    # IFacets: the registration catalogue's facets (metadata.py).
    def dataset_facets(self, facets_dict: Any, package_type: str) -> Any:
        return metadata.dataset_facets(facets_dict, package_type)

    def organization_facets(
        self, facets_dict: Any, organization_type: str, package_type: str | None
    ) -> Any:
        return metadata.organization_facets(facets_dict, organization_type, package_type)
