"""Being harvested by ckanext-dcat's RDF harvester (``dcat_rdf``) into this platform.

The harvester's gather stage builds ``RDFParser()`` with no arguments, so every
profile is constructed for the scheming type ``dataset``. A site configured like
this one (only ``data-resource`` and ``data-product``, ``scheming.dataset_fallback
= false``) has no such schema, and ckanext-dcat's base profile refuses to start
("Unknown dataset schema: dataset"): nothing could be harvested.

ckanext-dcat's extension point for this is ``IDCATRDFHarvester.after_parsing``,
called with the parser after the RDF is read and before any dataset is parsed.
When the parser's type has no schema here, it parses with a registration type
instead; the ``tjregistry`` profile then sets each dataset's own type from its
``dataset-type`` theme and keeps only that type's fields (see ``profile.py``).
The other hooks of the interface leave everything as the harvester has it.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.dcat.processors import RDFParser

from ckanext.tjregistry.dcat import publication


def has_dataset_schema(dataset_type: str) -> bool | None:
    """Whether scheming knows ``dataset_type``; None when scheming is not loaded.

    Asks the action ckanext-dcat's profiles ask, so the answer is theirs.
    """
    try:
        schema_show = tk.get_action("scheming_dataset_schema_show")
    except KeyError:
        return None
    try:
        schema_show({}, {"type": dataset_type})
    except tk.ObjectNotFound:
        return False
    return True


def parse_as_registrations(parser: RDFParser) -> RDFParser:
    """Make ``parser`` build its profiles for a registration type if its own is unknown."""
    if has_dataset_schema(parser.dataset_type) is False:
        parser.dataset_type = publication.PUBLISHED_TYPES[0]
    return parser


class RDFHarvesterHooks:
    """``ckanext.dcat.interfaces.IDCATRDFHarvester`` for the plugin.

    Only ``after_parsing`` changes anything; the rest hand back what they are given.
    """

    def before_download(self, url: str, harvest_job: Any) -> tuple[str, list[str]]:
        return url, []

    def update_session(self, session: Any) -> Any:
        return session

    def after_download(self, content: str, harvest_job: Any) -> tuple[str, list[str]]:
        return content, []

    def after_parsing(self, rdf_parser: RDFParser,
                      harvest_job: Any) -> tuple[RDFParser, list[str]]:
        return parse_as_registrations(rdf_parser), []

    def before_update(self, harvest_object: Any, dataset_dict: dict[str, Any],
                      temp_dict: dict[str, Any]) -> None:
        return None

    def after_update(self, harvest_object: Any, dataset_dict: dict[str, Any],
                     temp_dict: dict[str, Any]) -> str | None:
        return None

    def before_create(self, harvest_object: Any, dataset_dict: dict[str, Any],
                      temp_dict: dict[str, Any]) -> None:
        return None

    def after_create(self, harvest_object: Any, dataset_dict: dict[str, Any],
                     temp_dict: dict[str, Any]) -> str | None:
        return None

    def update_package_schema_for_create(self, package_schema: dict[str, Any]
                                         ) -> dict[str, Any]:
        return package_schema

    def update_package_schema_for_update(self, package_schema: dict[str, Any]
                                         ) -> dict[str, Any]:
        return package_schema
