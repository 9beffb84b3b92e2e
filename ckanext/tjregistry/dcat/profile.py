"""The ``tjregistry`` RDF profile, chained after ckanext-dcat's ``euro_dcat_ap_3``.

Serialising (``graph_from_dataset``) it adds and replaces, on top of DCAT-AP 3:

==========================  =====================================================
registration code           ``dct:identifier`` (replaces the CKAN id)
national code               ``adms:identifier`` whose ``skos:notation`` has the
                            datatype ``tjr:NationalRegistrationCode``
government catalogue code   ``adms:identifier`` (``tjr:GovernmentCatalogueCode``)
registrant                  ``dct:publisher``: ``foaf:Agent`` with ``foaf:name``,
                            the credit code as ``dct:identifier``, its type
                            (``dct:type``) and district (``tjr:district``)
spatial (GB/T 2260)         ``dct:spatial``: district concepts typed ``dct:Location``
update frequency            ``dct:accrualPeriodicity``: EU frequency table
sharing and opening         ``dct:accessRights``: a ``dct:RightsStatement`` with
                            labels, the EU access right (``dct:type``) and
                            ``tjr:shareType``/``openType``/``accessMethod``/...
object category, industry   ``dcat:theme`` concepts
data kind / product form    ``dct:type``
resources used by products  ``prov:wasDerivedFrom`` and ``dct:relation``, each
                            source carrying its registration code
registration and validity   a ``dcat:CatalogRecord`` per registration:
                            ``dct:issued``/``dct:modified``,
                            ``tjr:registrationStatus``, ``tjr:certificateStatus``,
                            ``tjr:certificateValidUntil``
other public schema fields  ``tjr:<camelCaseName>``, typed by their preset
==========================  =====================================================

Parsing (``parse_dataset``) maps all of it back to the dataset fields, so a CKAN
with ckanext-dcat's RDF harvester and this profile harvests into the same schema.
The profile never writes a field marked ``restricted: true``.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.dcat.profiles import ADMS, DCAT, DCT, FOAF, RDFProfile
from ckanext.dcat.utils import catalog_uri, publisher_uri_organization_fallback, resource_uri
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.dcat import publication, terms
from ckanext.tjregistry.dcat.terms import EN, PROV, TJR, ZH
from ckanext.tjregistry.metadata import access
from ckanext.tjregistry.model.certificate import Certificate

# Fields with a dedicated mapping (not written as generic tjr: properties).
RIGHTS_FIELDS = ("share_type", "share_condition", "open_type", "open_condition",
                 "access_method")
DEDICATED_FIELDS = frozenset({
    "title", "name", "notes", "owner_org", "tag_string", "tags", "url", "version",
    "license_id", "temporal_start", "temporal_end", "spatial", "update_frequency",
    "industry_code", "gov_catalog_code", "source_regist_codes", "data_kind", "product_form",
    *RIGHTS_FIELDS,
})
DEDICATED_RESOURCE_FIELDS = frozenset({"url", "name", "description", "format"})
# Keys a parsed registration keeps besides its schema fields.
PARSED_CORE_KEYS = frozenset({
    "type", "title", "notes", "tags", "resources", "extras", "url", "version", "license_id",
    "registration_code", "national_code", "registration_status", "certificate_status",
    "certificate_valid_until", "registration_issued", "registration_modified",
})

NATIONAL_PLATFORM = {ZH: "国家公共数据资源登记平台",
                     EN: "National public data resource registration platform"}
GOV_CATALOGUE = {ZH: "天津市政务数据目录", EN: "Tianjin government data catalogue"}

EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
# CKAN format labels -> EU file-type codes (others are written as labelled nodes).
FILE_TYPES = {
    "CSV": "CSV", "TSV": "TSV", "JSON": "JSON", "JSONL": "JSON_LINES", "XML": "XML",
    "XLS": "XLS", "XLSX": "XLSX", "ODS": "ODS", "PDF": "PDF", "DOC": "DOC",
    "DOCX": "DOCX", "ODT": "ODT", "TXT": "TXT", "HTML": "HTML", "ZIP": "ZIP",
    "GZIP": "GZIP", "TAR": "TAR", "RDF": "RDF_XML", "TTL": "RDF_TURTLE",
    "JSON-LD": "JSON_LD", "N3": "N3", "GEOJSON": "GEOJSON", "KML": "KML", "GML": "GML",
    "SHP": "SHP", "PNG": "PNG", "JPEG": "JPEG", "TIFF": "TIFF", "MP4": "MP4",
    "PPT": "PPT", "PPTX": "PPTX", "SQL": "SQL", "PARQUET": "PARQUET",
}
FILE_TYPE_LABELS = {code: label for label, code in FILE_TYPES.items()}

# Presets of the registration schemas and how their values are typed in RDF.
CONCEPT_PRESETS = ("tjregistry_select", "tjregistry_multiple_select",
                   "tjregistry_platform_managed_select")
DATE_PRESETS = ("tjregistry_date",)
DATETIME_PRESETS = ("tjregistry_datetime",)
INTEGER_PRESETS = ("tjregistry_count",)
BOOLEAN_PRESETS = ("tjregistry_yes_no",)
URL_PRESETS = ("tjregistry_url",)
LIST_PRESETS = ("tjregistry_multiple_select", "tjregistry_code_list")
JSON_PRESETS = ("tjregistry_data_dictionary",)

REGISTRANT_KEYS = ("id", "name", "title", "uscc", "district_code", "registrant_type")
_REGISTRANT_TTL = 60.0
_registrants: dict[str, tuple[float, dict[str, Any] | None]] = {}


# --------------------------------------------------------------- look-ups ---
def registrant(org_id: str | None) -> dict[str, Any] | None:
    """Public facts of a registrant organization (cached for a minute)."""
    if not org_id:
        return None
    cached = _registrants.get(org_id)
    now = time.monotonic()
    if cached and now - cached[0] < _REGISTRANT_TTL:
        return cached[1]
    group = model.Group.get(org_id)
    facts = None
    if group is not None and group.state == "active":
        extras = group.extras or {}
        facts = {"id": group.id, "name": group.name, "title": group.title, **extras}
        restricted = access.restricted_organization_fields()
        facts = {k: facts.get(k) for k in REGISTRANT_KEYS if k not in restricted}
    _registrants[org_id] = (now, facts)
    return facts


def prime_registrants(orgs: Iterable[dict[str, Any]]) -> None:
    """Fill the registrant cache from organization dicts loaded in bulk."""
    now = time.monotonic()
    restricted = access.restricted_organization_fields()
    for org in orgs:
        facts = {k: org.get(k) for k in REGISTRANT_KEYS if k not in restricted}
        _registrants[org["id"]] = (now, facts)


def source_datasets(codes: Iterable[str]) -> dict[str, str]:
    """Registration code -> id of the dataset holding it, if that one is published."""

    codes = [c for c in dict.fromkeys(codes) if c]
    if not codes:
        return {}
    rows = (
        model.Session.query(Certificate.code, Certificate.package_id)
        .join(model.Package, model.Package.id == Certificate.package_id)
        .filter(Certificate.code.in_(codes))
        .filter(model.Package.state == "active", model.Package.private.is_(False))
        .distinct()
        .all()
    )
    published = publication.registration_facts(package_id for _code, package_id in rows)
    return {code: package_id for code, package_id in rows
            if package_id in published and published[package_id].registration_code == code}


def site_url() -> str:
    return (tk.config.get("ckan.site_url") or catalog_uri()).rstrip("/")


def _schema(dataset_type: str | None) -> dict[str, Any]:
    schema = scheming_helpers.scheming_get_dataset_schema(dataset_type) if dataset_type else None
    return schema or {"dataset_fields": [], "resource_fields": []}


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v not in (None, "")]
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [v for v in parsed if v not in (None, "")] if isinstance(parsed, list) else [parsed]
    return [value]


def _datetime_literal(value: Any) -> Literal:
    """An ``xsd:dateTime`` (UTC times as CKAN stores them, without a zone)."""
    try:
        moment = dt.datetime.fromisoformat(str(value).rstrip("Z"))
    except ValueError:
        return Literal(str(value))
    return Literal(moment.isoformat(), datatype=XSD.dateTime)


# ---------------------------------------------------------------- profile ---
class TjRegistryProfile(RDFProfile):
    """Registration metadata on top of DCAT-AP 3 (see the module docstring)."""

    # Nodes described once elsewhere in the same document (the shared part of the
    # full export): the profile links to them without describing them again.
    shared_subjects: frozenset[Any] = frozenset()
    # Registration code -> published dataset id, when the caller resolved them in bulk.
    source_index: dict[str, str] | None = None

    # ------------------------------------------------------------ helpers
    def _bind(self) -> None:
        if self.g.store.namespace("tjr") is not None:
            return
        for prefix, namespace in terms.NAMESPACES.items():
            self.g.bind(prefix, namespace)

    def _labels(self, node: URIRef | BNode, predicate: URIRef, zh: str, en: str) -> None:
        self.g.add((node, predicate, Literal(zh, lang=ZH)))
        if en and en != zh:
            self.g.add((node, predicate, Literal(en, lang=EN)))

    def _concept(self, vocabulary: str, value: str) -> URIRef:
        """A concept of the platform vocabulary, typed and labelled in the graph."""
        node = terms.concept_uri(vocabulary, str(value))
        if node not in self.shared_subjects and (node, RDF.type, SKOS.Concept) not in self.g:
            zh, en = terms.concept_labels(vocabulary, str(value))
            self.g.add((node, RDF.type, SKOS.Concept))
            self._labels(node, SKOS.prefLabel, zh, en)
            self.g.add((node, SKOS.notation, Literal(str(value))))
            self.g.add((node, SKOS.inScheme, terms.scheme_uri(vocabulary)))
        return node

    def _district(self, code: str) -> URIRef:
        node = self._concept("district", code)
        if node not in self.shared_subjects:
            self.g.add((node, RDF.type, DCT.Location))
        return node

    def _remove_node(self, subject: Any, predicate: URIRef, node: Any) -> None:
        """Remove a link and, for a blank node nothing else uses, its description."""
        self.g.remove((subject, predicate, node))
        if isinstance(node, BNode) and not any(self.g.subjects(None, node)):
            for child_predicate, child in list(self.g.predicate_objects(node)):
                self._remove_node(node, child_predicate, child)

    def _replace(self, subject: Any, predicate: URIRef) -> None:
        for node in list(self.g.objects(subject, predicate)):
            self._remove_node(subject, predicate, node)

    # ---------------------------------------------------- serialisation
    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        self._bind()
        dataset_type = dataset_dict.get("type")
        schema = _schema(dataset_type)
        restricted = access.restricted_dataset_fields(dataset_type)
        data = {k: v for k, v in dataset_dict.items() if k not in restricted}

        self.g.add((dataset_ref, RDF.type, DCAT.Resource))
        self._graph_identifiers(data, dataset_ref)
        self._graph_publisher(data, dataset_ref)
        self._graph_spatial(data, dataset_ref)
        self._graph_frequency(data, dataset_ref)
        self._graph_access_rights(data, dataset_ref)
        self._graph_themes(data, dataset_ref)
        self._graph_sources(data, dataset_ref)
        self._graph_fields(schema["dataset_fields"], data, dataset_ref, DEDICATED_FIELDS)
        self._graph_distributions(schema, data, dataset_ref)
        self._graph_landing_page(data, dataset_ref)
        self._graph_record(data, dataset_ref)
        self._drop_restricted_values(dataset_dict, restricted, dataset_ref)

    def _graph_identifiers(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        code = data.get("registration_code")
        if code:
            self._replace(dataset_ref, DCT.identifier)
            self.g.add((dataset_ref, DCT.identifier, Literal(code)))
        for key, scheme, agency in (
            ("national_code", terms.NATIONAL_CODE_SCHEME, NATIONAL_PLATFORM),
            ("gov_catalog_code", terms.GOV_CATALOG_CODE_SCHEME, GOV_CATALOGUE),
        ):
            value = data.get(key)
            if not value:
                continue
            identifier = BNode()
            self.g.add((dataset_ref, ADMS.identifier, identifier))
            self.g.add((identifier, RDF.type, ADMS.Identifier))
            self.g.add((identifier, SKOS.notation, Literal(value, datatype=scheme)))
            self._labels(identifier, ADMS.schemaAgency, agency[ZH], agency[EN])

    def _graph_publisher(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        facts = registrant(data.get("owner_org"))
        if not facts:
            return
        agent = self.registrant_ref(facts)
        self._replace(dataset_ref, DCT.publisher)
        for predicate, node in list(self.g.predicate_objects(agent)):
            self._remove_node(agent, predicate, node)
        self.g.add((dataset_ref, DCT.publisher, agent))
        if agent not in self.shared_subjects:
            self.graph_registrant(facts)

    @staticmethod
    def registrant_ref(facts: dict[str, Any]) -> URIRef:
        return URIRef(publisher_uri_organization_fallback(
            {"organization": {"id": facts["id"]}, "owner_org": facts["id"]}))

    def graph_registrant(self, facts: dict[str, Any]) -> URIRef:
        """A registrant as a ``foaf:Agent`` (name, credit code, type, district)."""
        agent = self.registrant_ref(facts)
        self.g.add((agent, RDF.type, FOAF.Agent))
        self.g.add((agent, RDF.type, FOAF.Organization))
        self.g.add((agent, FOAF.name, Literal(facts["title"] or facts["name"], lang=ZH)))
        if facts.get("uscc"):
            self.g.add((agent, DCT.identifier, Literal(facts["uscc"])))
        if facts.get("registrant_type"):
            self.g.add((agent, DCT.type, self._concept("registrant_type",
                                                       facts["registrant_type"])))
        if facts.get("district_code"):
            self.g.add((agent, TJR.district, self._district(facts["district_code"])))
        return agent

    def _graph_spatial(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        codes = as_list(data.get("spatial"))
        # ckanext-dcat reads ``spatial`` as a geometry: drop the empty location it
        # creates for a list of district codes.
        for node in list(self.g.objects(dataset_ref, DCT.spatial)):
            if isinstance(node, BNode) and set(self.g.predicates(node)) <= {RDF.type}:
                self._remove_node(dataset_ref, DCT.spatial, node)
        for code in codes:
            self.g.add((dataset_ref, DCT.spatial, self._district(str(code))))

    def _graph_frequency(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        uri = terms.frequency_uri(data.get("update_frequency"))
        if uri is None:
            return
        self._replace(dataset_ref, DCT.accrualPeriodicity)
        self.g.add((dataset_ref, DCT.accrualPeriodicity, uri))
        if uri not in self.shared_subjects:
            self.g.add((uri, RDF.type, DCT.Frequency))

    def _graph_access_rights(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        if not any(data.get(key) for key in RIGHTS_FIELDS):
            return
        self._replace(dataset_ref, DCT.accessRights)
        statement = BNode()
        self.g.add((dataset_ref, DCT.accessRights, statement))
        self.g.add((statement, RDF.type, DCT.RightsStatement))
        zh_parts, en_parts = [], []
        for key, predicate, vocabulary, zh_label, en_label in (
            ("share_type", TJR.shareType, "share_type", "共享属性", "Sharing"),
            ("open_type", TJR.openType, "open_type", "开放属性", "Opening"),
            ("access_method", TJR.accessMethod, "access_method", "获取方式", "Access"),
        ):
            if data.get(key):
                self.g.add((statement, predicate, self._concept(vocabulary, data[key])))
                zh, en = terms.concept_labels(vocabulary, data[key])
                zh_parts.append(f"{zh_label}:{zh}")
                en_parts.append(f"{en_label}: {en}")
        for key, predicate, zh_label, en_label in (
            ("share_condition", TJR.shareCondition, "共享条件", "Sharing conditions"),
            ("open_condition", TJR.openCondition, "开放条件", "Opening conditions"),
        ):
            if data.get(key):
                self.g.add((statement, predicate, Literal(data[key])))
                zh_parts.append(f"{zh_label}:{data[key]}")
                en_parts.append(f"{en_label}: {data[key]}")
        self._labels(statement, RDFS.label, ";".join(zh_parts), "; ".join(en_parts))
        eu = terms.access_right_uri(data.get("share_type"), data.get("open_type"))
        if eu is not None:
            self.g.add((statement, DCT.type, eu))

    def _graph_themes(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        if data.get("type"):
            self.g.add((dataset_ref, DCAT.theme, self._concept("dataset_type", data["type"])))
        if data.get("industry_code"):
            self.g.add((dataset_ref, DCAT.theme, self._concept("industry", data["industry_code"])))
        kind_key = "product_form" if data.get("type") == "data-product" else "data_kind"
        if data.get(kind_key):
            self._replace(dataset_ref, DCT.type)
            self.g.add((dataset_ref, DCT.type, self._concept(kind_key, data[kind_key])))

    def _graph_sources(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        codes = [str(c) for c in as_list(data.get("source_regist_codes"))]
        if not codes:
            return
        from ckanext.dcat.utils import dataset_uri

        resolved = self.source_index
        if resolved is None:
            resolved = source_datasets(codes)
        for code in codes:
            package_id = resolved.get(code)
            source: URIRef | BNode
            if package_id:
                source = URIRef(dataset_uri({"id": package_id}))
                self.g.add((dataset_ref, DCT.relation, source))
                self.g.add((source, RDF.type, RDFS.Resource))
            else:
                source = BNode()
            self.g.add((dataset_ref, PROV.wasDerivedFrom, source))
            self.g.add((source, DCT.identifier, Literal(code)))

    def _field_objects(self, field: dict[str, Any], value: Any) -> list[Any]:
        preset = field.get("preset") or ""
        vocabulary = field.get("vocabulary")
        values = as_list(value) if preset in LIST_PRESETS or isinstance(value, list) else [value]
        objects: list[Any] = []
        for item in values:
            if item in (None, ""):
                continue
            if preset in BOOLEAN_PRESETS:
                flag = item if isinstance(item, bool) else str(item).lower() == "true"
                objects.append(Literal(flag, datatype=XSD.boolean))
            elif preset in CONCEPT_PRESETS and vocabulary:
                objects.append(self._concept(vocabulary, str(item)))
            elif preset in DATE_PRESETS:
                objects.append(Literal(str(item)[:10], datatype=XSD.date))
            elif preset in DATETIME_PRESETS:
                objects.append(Literal(str(item), datatype=XSD.dateTime))
            elif preset in INTEGER_PRESETS:
                objects.append(Literal(int(item), datatype=XSD.nonNegativeInteger))
            elif preset in URL_PRESETS:
                objects.append(URIRef(str(item).strip()))
            elif preset in JSON_PRESETS:
                objects.append(Literal(json.dumps(value, ensure_ascii=False), datatype=RDF.JSON))
                break
            else:
                objects.append(Literal(str(item)))
        return objects

    def _graph_fields(self, fields: list[dict[str, Any]], data: dict[str, Any], subject: Any,
                      dedicated: frozenset[str]) -> None:
        for field in fields:
            name = field["field_name"]
            if name in dedicated or field.get("restricted") or data.get(name) in (None, "", []):
                continue
            for obj in self._field_objects(field, data[name]):
                self.g.add((subject, terms.field_property(name), obj))

    def _graph_distributions(self, schema: dict[str, Any], data: dict[str, Any],
                             dataset_ref: URIRef) -> None:
        restricted = {f["field_name"] for f in schema["resource_fields"] if f.get("restricted")}
        for resource in data.get("resources") or []:
            if not resource.get("id"):
                continue
            resource = {k: v for k, v in resource.items() if k not in restricted}
            distribution = URIRef(resource_uri(resource))
            if (distribution, DCAT.accessURL, None) not in self.g:
                page = URIRef(f"{site_url()}/dataset/{data.get('id')}/resource/{resource['id']}")
                self.g.add((distribution, DCAT.accessURL, page))
                self.g.add((page, RDF.type, RDFS.Resource))
            for predicate in (DCAT.accessURL, DCAT.downloadURL):
                for url in list(self.g.objects(distribution, predicate)):
                    self.g.add((url, RDF.type, RDFS.Resource))
            self._graph_format(distribution, resource.get("format"))
            for media_type in list(self.g.objects(distribution, DCAT.mediaType)):
                if isinstance(media_type, Literal):
                    self.g.remove((distribution, DCAT.mediaType, media_type))
                    uri = URIRef(IANA_MEDIA_TYPES + str(media_type).strip())
                    self.g.add((distribution, DCAT.mediaType, uri))
                    self.g.add((uri, RDF.type, DCT.MediaType))
            self._graph_fields(schema["resource_fields"], resource, distribution,
                               DEDICATED_RESOURCE_FIELDS)

    def _graph_format(self, distribution: URIRef, fmt: str | None) -> None:
        if not fmt or fmt.startswith("http"):
            return
        self._replace(distribution, DCT["format"])
        code = FILE_TYPES.get(fmt.strip().upper())
        node: URIRef | BNode
        if code:
            node = URIRef(EU_FILE_TYPE + code)
        else:
            node = BNode()
            self.g.add((node, RDFS.label, Literal(fmt.strip())))
        self.g.add((distribution, DCT["format"], node))
        if node not in self.shared_subjects:
            self.g.add((node, RDF.type, DCT.MediaTypeOrExtent))

    def _graph_landing_page(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        if not data.get("name") or not data.get("type"):
            return
        page = URIRef(f"{site_url()}/{data['type']}/{data['name']}")
        self._replace(dataset_ref, DCAT.landingPage)
        self.g.add((dataset_ref, DCAT.landingPage, page))
        self.g.add((page, RDF.type, FOAF.Document))

    def _graph_record(self, data: dict[str, Any], dataset_ref: URIRef) -> None:
        code = data.get("registration_code")
        if not code:
            return
        record = URIRef(f"{dataset_ref}#record")
        g = self.g
        g.add((record, RDF.type, DCAT.CatalogRecord))
        g.add((record, FOAF.primaryTopic, dataset_ref))
        g.add((record, DCT.identifier, Literal(code)))
        g.add((record, DCT.conformsTo, terms.DCAT_AP_3))
        if terms.DCAT_AP_3 not in self.shared_subjects:
            g.add((terms.DCAT_AP_3, RDF.type, DCT.Standard))
        issued = data.get("registration_issued") or data.get("metadata_created")
        modified = max(
            (str(v) for v in (data.get("registration_modified"), data.get("metadata_modified"))
             if v),
            default=None,
        )
        if issued:
            g.add((record, DCT.issued, _datetime_literal(issued)))
        if modified:
            g.add((record, DCT.modified, _datetime_literal(modified)))
        if data.get("registration_status"):
            g.add((record, TJR.registrationStatus,
                   self._concept("registration_status", data["registration_status"])))
        if data.get("certificate_status"):
            g.add((record, TJR.certificateStatus,
                   self._concept("certificate_status", data["certificate_status"])))
        if data.get("certificate_valid_until"):
            g.add((record, TJR.certificateValidUntil,
                   Literal(str(data["certificate_valid_until"])[:10], datatype=XSD.date)))
        for catalog in list(g.subjects(RDF.type, DCAT.Catalog)):
            g.add((catalog, DCAT.record, record))

    def _drop_restricted_values(self, dataset_dict: dict[str, Any], restricted: frozenset[str],
                                dataset_ref: URIRef) -> None:
        """Defence in depth: no triple may carry a restricted field's value.

        Callers strip restricted fields before serialising; should one slip
        through, whatever another profile made of it (a contact point from
        ``contact_email``, say) is removed here.
        """
        values: set[str] = set()
        for name in restricted:
            for item in as_list(dataset_dict.get(name)):
                if isinstance(item, str) and item.strip():
                    values.add(item.strip())
        if not values:
            return
        for subject, predicate, obj in list(self.g):
            text = str(obj).removeprefix("mailto:").removeprefix("tel:").strip()
            if isinstance(obj, Literal | URIRef) and text in values:
                self.g.remove((subject, predicate, obj))
        for node in list(self.g.objects(dataset_ref, DCAT.contactPoint)):
            if not any(p for p in self.g.predicates(node) if p != RDF.type):
                self._remove_node(dataset_ref, DCAT.contactPoint, node)

    def graph_shared(self, vocabularies: dict[str, Iterable[str]],
                     registrants: Iterable[dict[str, Any]]) -> None:
        """Describe once what many datasets link to: concepts, EU authority values used
        as classes' instances, the application profile and the registrants."""
        for vocabulary, values in vocabularies.items():
            for value in values:
                if vocabulary == "district":
                    self._district(value)
                else:
                    self._concept(vocabulary, value)
        for value in terms.FREQUENCY_TO_EU:
            self.g.add((terms.frequency_uri(value), RDF.type, DCT.Frequency))
        for code in FILE_TYPES.values():
            self.g.add((URIRef(EU_FILE_TYPE + code), RDF.type, DCT.MediaTypeOrExtent))
        self.g.add((terms.DCAT_AP_3, RDF.type, DCT.Standard))
        for facts in registrants:
            self.graph_registrant(facts)

    # ----------------------------------------------------------- catalogue
    def graph_from_catalog(self, catalog_dict: dict[str, Any] | None, catalog_ref: URIRef) -> None:
        self._bind()
        g = self.g
        catalog_dict = catalog_dict or {}
        if (catalog_ref, DCT.description, None) not in g:
            self._labels(catalog_ref, DCT.description,
                         tk.config.get("tjregistry.dcat.catalog_description_zh"),
                         tk.config.get("tjregistry.dcat.catalog_description_en"))
        # DCAT-AP wants a language resource, not the locale string CKAN writes.
        self._replace(catalog_ref, DCT.language)
        for code in ("ZHO", "ENG"):
            language = URIRef(EU_LANGUAGE + code)
            g.add((catalog_ref, DCT.language, language))
            g.add((language, RDF.type, DCT.LinguisticSystem))
        for homepage in g.objects(catalog_ref, FOAF.homepage):
            g.add((homepage, RDF.type, FOAF.Document))
        publisher = URIRef(tk.config.get("tjregistry.dcat.publisher_uri")
                           or f"{catalog_uri()}#publisher")
        self._replace(catalog_ref, DCT.publisher)
        g.add((catalog_ref, DCT.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, RDF.type, FOAF.Organization))
        g.add((publisher, FOAF.name, Literal(tk.config.get("tjregistry.dcat.publisher_name"),
                                             lang=ZH)))
        if tk.config.get("tjregistry.dcat.publisher_uscc"):
            g.add((publisher, DCT.identifier, Literal(tk.config.get(
                "tjregistry.dcat.publisher_uscc"))))
        g.add((catalog_ref, DCT.spatial, self._district("120000")))
        for vocabulary in terms.THEME_SCHEMES:
            scheme = terms.scheme_uri(vocabulary)
            g.add((catalog_ref, DCAT.themeTaxonomy, scheme))
            g.add((scheme, RDF.type, SKOS.ConceptScheme))
            zh, en = terms.scheme_titles(vocabulary)
            self._labels(scheme, DCT.title, zh, en)
        if catalog_dict.get("modified"):
            self._replace(catalog_ref, DCT.modified)
            self._add_date_triple(catalog_ref, DCT.modified, catalog_dict["modified"])

    # -------------------------------------------------------------- parsing
    def _concept_of(self, node: Any, vocabulary: str) -> str | None:
        """The value of a concept node of ``vocabulary`` (by URI, else by notation)."""
        if node is None:
            return None
        found = terms.concept_value(str(node), vocabulary)
        if found:
            return found[1]
        if (node, SKOS.inScheme, terms.scheme_uri(vocabulary)) in self.g:
            notation = self._object_value(node, SKOS.notation)
            return notation or None
        return None

    def _dataset_type_of(self, dataset_ref: Any) -> str | None:
        for theme in self.g.objects(dataset_ref, DCAT.theme):
            value = self._concept_of(theme, "dataset_type")
            if value:
                return value
        return None

    def _record_of(self, dataset_ref: Any) -> Any:
        for record in self.g.subjects(FOAF.primaryTopic, dataset_ref):
            if (record, RDF.type, DCAT.CatalogRecord) in self.g:
                return record
        return None

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> dict[str, Any]:
        dataset_type = self._dataset_type_of(dataset_ref)
        if dataset_type is None:
            # Not a registration of this platform's kind: leave it to the other profiles.
            return dataset_dict
        dataset_dict["type"] = dataset_type
        schema = _schema(dataset_type)
        fields = {f["field_name"]: f for f in schema["dataset_fields"]}
        restricted = access.restricted_dataset_fields(dataset_type)
        parsed: dict[str, Any] = {}

        self._parse_identifiers(dataset_ref, parsed)
        self._parse_record(dataset_ref, parsed)
        self._parse_publisher(dataset_ref, dataset_dict)
        self._parse_rights(dataset_ref, parsed)
        for theme in self.g.objects(dataset_ref, DCAT.theme):
            industry = self._concept_of(theme, "industry")
            if industry:
                parsed["industry_code"] = industry
        for kind in ("data_kind", "product_form"):
            value = self._concept_of(self._object(dataset_ref, DCT.type), kind)
            if value:
                parsed[kind] = value
        frequency = self._object(dataset_ref, DCT.accrualPeriodicity)
        if frequency is not None and terms.frequency_value(str(frequency)):
            parsed["update_frequency"] = terms.frequency_value(str(frequency))
        spatial = [self._concept_of(node, "district")
                   for node in self.g.objects(dataset_ref, DCT.spatial)]
        if any(spatial):
            parsed["spatial"] = sorted(v for v in spatial if v)
        sources = []
        for source in self.g.objects(dataset_ref, PROV.wasDerivedFrom):
            code = self._object_value(source, DCT.identifier)
            if code:
                sources.append(code)
        if sources:
            parsed["source_regist_codes"] = sorted(sources)
        parsed.update(self._parse_fields(dataset_ref, fields))

        extras = dataset_dict.get("extras") or []
        for key, value in list(parsed.items()):
            if key in restricted:
                continue
            if key in fields or key.startswith("registration_") or key in (
                    "national_code", "certificate_status", "certificate_valid_until"):
                dataset_dict[key] = value
        for key in ("temporal_start", "temporal_end"):
            for extra in extras:
                if extra["key"] == key and key in fields:
                    dataset_dict[key] = str(extra["value"])[:10]
        consumed = {"identifier", "alternate_identifier", "frequency", "access_rights", "theme",
                    "dcat_type", "spatial_uri", "spatial_text", "temporal_start", "temporal_end",
                    "related_resource", *fields}
        dataset_dict["extras"] = [e for e in extras if e["key"] not in consumed]
        # Keys other profiles set for schemas with publisher/contact subfields, which
        # this schema keeps elsewhere (publisher_* extras, the owner organization).
        keep = {*fields, *PARSED_CORE_KEYS}
        for key in list(dataset_dict):
            if key not in keep or key in restricted:
                dataset_dict.pop(key)
        self._parse_distributions(schema, dataset_dict)
        return dataset_dict

    def _parse_identifiers(self, dataset_ref: Any, parsed: dict[str, Any]) -> None:
        code = self._object_value(dataset_ref, DCT.identifier)
        if code:
            parsed["registration_code"] = code
        for identifier in self.g.objects(dataset_ref, ADMS.identifier):
            for notation in self.g.objects(identifier, SKOS.notation):
                if not isinstance(notation, Literal):
                    continue
                if notation.datatype == terms.NATIONAL_CODE_SCHEME:
                    parsed["national_code"] = str(notation)
                elif notation.datatype == terms.GOV_CATALOG_CODE_SCHEME:
                    parsed["gov_catalog_code"] = str(notation)

    def _parse_record(self, dataset_ref: Any, parsed: dict[str, Any]) -> None:
        record = self._record_of(dataset_ref)
        if record is None:
            return
        for key, predicate, vocabulary in (
            ("registration_status", TJR.registrationStatus, "registration_status"),
            ("certificate_status", TJR.certificateStatus, "certificate_status"),
        ):
            value = self._concept_of(self._object(record, predicate), vocabulary)
            if value:
                parsed[key] = value
        until = self._object_value(record, TJR.certificateValidUntil)
        if until:
            parsed["certificate_valid_until"] = until
        for key, predicate in (("registration_issued", DCT.issued),
                               ("registration_modified", DCT.modified)):
            value = self._object_value(record, predicate)
            if value:
                parsed[key] = value

    def _parse_publisher(self, dataset_ref: Any, dataset_dict: dict[str, Any]) -> None:
        agent = self._object(dataset_ref, DCT.publisher)
        if agent is None:
            return
        extras = dataset_dict.setdefault("extras", [])
        present = {e["key"] for e in extras}
        facts = {
            "publisher_registrant_type": self._concept_of(self._object(agent, DCT.type),
                                                          "registrant_type"),
            "publisher_district_code": self._concept_of(self._object(agent, TJR.district),
                                                        "district"),
        }
        for key, value in facts.items():
            if value and key not in present:
                extras.append({"key": key, "value": value})

    def _parse_rights(self, dataset_ref: Any, parsed: dict[str, Any]) -> None:
        statement = self._object(dataset_ref, DCT.accessRights)
        if statement is None:
            return
        for key, predicate in (("share_type", TJR.shareType), ("open_type", TJR.openType),
                               ("access_method", TJR.accessMethod)):
            value = self._concept_of(self._object(statement, predicate), key)
            if value:
                parsed[key] = value
        for key, predicate in (("share_condition", TJR.shareCondition),
                               ("open_condition", TJR.openCondition)):
            value = self._object_value(statement, predicate)
            if value:
                parsed[key] = value

    def _field_value(self, field: dict[str, Any], objects: list[Any]) -> Any:
        preset = field.get("preset") or ""
        vocabulary = field.get("vocabulary")
        values: list[Any] = []
        for obj in objects:
            if preset in CONCEPT_PRESETS and vocabulary:
                value = self._concept_of(obj, vocabulary)
                if value is not None:
                    values.append(value)
            elif preset in JSON_PRESETS:
                try:
                    return json.loads(str(obj))
                except ValueError:
                    return None
            elif preset in BOOLEAN_PRESETS:
                values.append(str(obj).lower() in ("true", "1"))
            elif preset in INTEGER_PRESETS:
                try:
                    values.append(int(str(obj)))
                except ValueError:
                    continue
            else:
                values.append(str(obj))
        if not values:
            return None
        if preset in LIST_PRESETS:
            return sorted(values)
        return values[0]

    def _parse_fields(self, subject: Any, fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
        grouped: dict[str, list[Any]] = {}
        for predicate, obj in self.g.predicate_objects(subject):
            name = terms.property_field(str(predicate))
            if name and name in fields and name not in DEDICATED_FIELDS:
                grouped.setdefault(name, []).append(obj)
        parsed = {}
        for name, objects in grouped.items():
            if fields[name].get("restricted"):
                continue
            value = self._field_value(fields[name], objects)
            if value is not None:
                parsed[name] = value
        return parsed

    def _parse_distributions(self, schema: dict[str, Any], dataset_dict: dict[str, Any]) -> None:
        fields = {f["field_name"]: f for f in schema["resource_fields"]
                  if f["field_name"] not in DEDICATED_RESOURCE_FIELDS}
        for resource in dataset_dict.get("resources") or []:
            ref = resource.get("distribution_ref")
            if not ref:
                continue
            node = BNode(ref) if not ref.startswith(("http://", "https://")) else URIRef(ref)
            resource.update(self._parse_fields(node, fields))
            fmt = self._object(node, DCT["format"])
            if isinstance(fmt, URIRef) and str(fmt).startswith(EU_FILE_TYPE):
                code = str(fmt)[len(EU_FILE_TYPE):]
                resource["format"] = FILE_TYPE_LABELS.get(code, code)
            elif isinstance(fmt, BNode):
                label = self._object_value(fmt, RDFS.label)
                if label:
                    resource["format"] = label
