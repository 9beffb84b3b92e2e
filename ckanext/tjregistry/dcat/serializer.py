"""ckanext-dcat's serializer, with each dataset's profiles bound to its own schema.

ckanext-dcat's ``RDFSerializer`` builds every profile for the scheming type
``dataset``. This platform has no such type (only ``data-resource`` and
``data-product``, without fallback), so the stock serializer cannot build a
profile at all; this one passes each dataset's type, and a published type for
the catalogue.
"""
from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef

from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.utils import catalog_uri, dataset_uri

from ckanext.tjregistry.dcat import publication


class RegistrySerializer(RDFSerializer):
    # Nodes the document describes elsewhere (see TjRegistryProfile.shared_subjects).
    shared_subjects: frozenset[Any] = frozenset()
    # Registration code -> published dataset id for the datasets being serialised.
    source_index: dict[str, str] | None = None

    def graph_from_dataset(self, dataset_dict: dict[str, Any]) -> URIRef:
        dataset_ref = URIRef(dataset_uri(dataset_dict))
        dataset_type = dataset_dict.get("type") or publication.PUBLISHED_TYPES[0]
        for profile_class in self._profiles:
            profile = profile_class(self.g, dataset_type=dataset_type,
                                    compatibility_mode=self.compatibility_mode)
            if hasattr(profile, "shared_subjects"):
                profile.shared_subjects = self.shared_subjects
                profile.source_index = self.source_index
            profile.graph_from_dataset(dataset_dict, dataset_ref)
        return dataset_ref

    def graph_from_catalog(self, catalog_dict: dict[str, Any] | None = None) -> URIRef:
        catalog_ref = URIRef(catalog_uri())
        for profile_class in self._profiles:
            profile = profile_class(self.g, dataset_type=publication.PUBLISHED_TYPES[0],
                                    compatibility_mode=self.compatibility_mode)
            profile.graph_from_catalog(catalog_dict, catalog_ref)
        return catalog_ref

    def reset(self) -> Graph:
        """Start a new, empty graph (the profiles stay loaded)."""
        self.g = Graph()
        return self.g
