"""Exports for the national platform: exchange records and the full catalogue.

Exchange records (:func:`record`) are the JSON form of one published
registration: codes, status, certificate validity, registrant, category and the
public registration fields.

The full-catalogue export (:func:`stream_catalog`) writes every published
registration as one RDF document without building it in memory. Registrations
are read from Solr in batches (cursor paging, so no deep offsets) and each
dataset is serialised on its own, with the same profiles as ``/catalog.ttl``.
Each dataset's serialisation is cached in Redis under a fingerprint of
everything it depends on (the dataset's modification time, its registration and
certificate facts, its registrant, the profiles and schemas, the catalogue URI),
so an unchanged registration is never serialised twice and the document is
written from the cache. Memory stays at one batch whatever the catalogue size.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

import ckan.lib.plugins as lib_plugins
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.lib.search.common import make_connection
from ckanext.dcat.processors import RDF_PROFILES_CONFIG_OPTION
from ckanext.dcat.profiles import DCAT, FOAF
from ckanext.dcat.profiles.base import namespaces as dcat_namespaces
from ckanext.dcat.utils import catalog_uri, dataset_uri
from ckanext.scheming import helpers as scheming_helpers

from ckanext.tjregistry.certificates import codes
from ckanext.tjregistry.dcat import profile as registry_profile
from ckanext.tjregistry.dcat import publication, terms
from ckanext.tjregistry.dcat.serializer import RegistrySerializer
from ckanext.tjregistry.metadata import access, vocabularies
from ckanext.tjregistry.model.certificate import Certificate

# Bump when the profile's output changes for the same input (invalidates the cache).
OUTPUT_VERSION = "2"
CACHE_PREFIX = "tjregistry:dcat:fragment"
BATCH_SIZE = 500
PROVINCE_CODE = vocabularies.CITY_CODE


@dataclass(frozen=True)
class Format:
    rdflib: str
    mimetype: str


FORMATS: dict[str, Format] = {
    "ttl": Format("turtle", "text/turtle"),
    "nt": Format("nt", "application/n-triples"),
    "jsonld": Format("json-ld", "application/ld+json"),
    "rdf": Format("xml", "application/rdf+xml"),
}


# ------------------------------------------------------------- look-ups ---
def package_for_code(text: str) -> str | None:
    """The dataset of a registration code typed in any grouping, or None."""
    try:
        code = str(codes.parse(text))
    except codes.InvalidCode:
        return None
    row = (model.Session.query(Certificate.package_id)
           .filter(Certificate.code == code).first())
    return row[0] if row else None


def _solr_filters(today: dt.date) -> list[str]:
    labels = lib_plugins.get_permission_labels().get_user_dataset_labels(None)
    return [
        f'+site_id:"{tk.config.get("ckan.site_id")}"',
        "+entity_type:package",
        "+state:active",
        "+capacity:public",
        "+permission_labels:(" + " OR ".join(f'"{label}"' for label in labels) + ")",
        *publication.search_filters(today),
    ]


def catalog_modified() -> str | None:
    """When the most recently changed published registration changed."""
    field = publication.RECORD_MODIFIED_FIELD
    result = make_connection().search(
        q="*:*", fq=_solr_filters(publication.local_today()), fl=field,
        sort=f"{field} desc", rows=1)
    for doc in result.docs:
        if doc.get(field):
            return str(doc[field]).rstrip("Z")
    return None


# ------------------------------------------------------ exchange records ---
def _labelled(vocabulary: str, value: Any) -> dict[str, Any] | None:
    if value in (None, ""):
        return None
    zh, en = terms.concept_labels(vocabulary, str(value))
    return {"code": value, "name": zh, "name_en": en}


def national_regist_type(dataset: dict[str, Any]) -> int:
    """The national platform's ``dataRegistType``: 1 resource, 2 product, 3 open data."""
    if dataset.get("type") == "data-product":
        return 2
    return 3 if dataset.get("regist_object_type") == "open_data_resource" else 1


def record(dataset: dict[str, Any]) -> dict[str, Any]:
    """The exchange record of a published registration (``public_dataset`` + facts)."""
    registrant = registry_profile.registrant(dataset.get("owner_org")) or {}
    fields, resource_fields = publication.public_field_names(dataset.get("type"))
    skip = {"title", "name", "notes", "owner_org", "tag_string"}
    return {
        "registration_code": dataset.get("registration_code"),
        "national_code": dataset.get("national_code"),
        "registration_status": dataset.get("registration_status"),
        "registered_at": dataset.get("registration_issued"),
        "record_modified": max(
            (str(v) for v in (dataset.get("registration_modified"),
                              dataset.get("metadata_modified")) if v), default=None),
        "certificate": {
            "status": dataset.get("certificate_status"),
            "valid_until": dataset.get("certificate_valid_until"),
        },
        "category": _labelled("dataset_type", dataset.get("type")),
        "data_regist_type": national_regist_type(dataset),
        "province_code": PROVINCE_CODE,
        "title": dataset.get("title"),
        "summary": dataset.get("notes"),
        "registrant": {
            "name": registrant.get("title"),
            "uscc": registrant.get("uscc"),
            "district": _labelled("district", registrant.get("district_code")),
            "registrant_type": _labelled("registrant_type", registrant.get("registrant_type")),
        },
        "industry": _labelled("industry", dataset.get("industry_code")),
        "keywords": [tag["name"] for tag in dataset.get("tags") or []],
        "fields": {name: dataset[name] for name in sorted(fields - skip)
                   if dataset.get(name) not in (None, "", [])},
        "resources": [
            {key: resource.get(key) for key in
             sorted((resource_fields | {"id", "format", "url"}) & set(resource))}
            for resource in dataset.get("resources") or []
        ],
        "links": {
            "dataset": dataset_uri(dataset),
            "landing_page": f"{registry_profile.site_url()}/{dataset.get('type')}/"
                            f"{dataset.get('name')}",
            "rdf": f"{registry_profile.site_url()}/dataset/{dataset.get('id')}.ttl",
        },
        "metadata_modified": dataset.get("metadata_modified"),
    }


# ----------------------------------------------------- full catalogue ---
def _profiles() -> list[str] | None:
    configured = tk.config.get(RDF_PROFILES_CONFIG_OPTION)
    return configured.split() if configured else None


def _static_fingerprint() -> str:
    """Everything besides the dataset that a fragment depends on."""
    schemas = {}
    for dataset_type in publication.PUBLISHED_TYPES:
        dataset_fields, resource_fields = publication.public_field_names(dataset_type)
        schemas[dataset_type] = [sorted(dataset_fields), sorted(resource_fields)]
    state = {
        "version": OUTPUT_VERSION,
        "catalog": catalog_uri(),
        "site": tk.config.get("ckan.site_url"),
        "profiles": _profiles(),
        "schemas": schemas,
        "restricted": sorted(access.restricted_dataset_fields()),
    }
    return hashlib.sha1(json.dumps(state, sort_keys=True).encode()).hexdigest()


def _fingerprint(static: str, doc: dict[str, Any], facts: publication.RegistrationFacts,
                 registrant: dict[str, Any] | None, sources: dict[str, str]) -> str:
    state = [static, doc["id"], str(doc.get("metadata_modified")),
             facts.as_dict(), registrant or {}, sorted(sources.items())]
    return hashlib.sha1(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def _graph_namespaces() -> dict[str, str]:
    spaces = {prefix: str(uri) for prefix, uri in dcat_namespaces.items()}
    spaces.update({prefix: str(uri) for prefix, uri in terms.NAMESPACES.items()})
    spaces.update({"rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "skos": str(SKOS)})
    return spaces


# Writers. Each dataset is written as a flat list of statements: N-Triples lines
# (which are also Turtle), expanded JSON-LD node objects, or RDF/XML descriptions.
# Pretty-printing a graph (rdflib's Turtle, JSON-LD compaction) costs far more than
# building it and gains nothing for a harvester.
def _term_id(term: Any) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _jsonld_value(term: Any) -> dict[str, Any]:
    if not isinstance(term, Literal):
        return {"@id": _term_id(term)}
    value: dict[str, Any] = {"@value": str(term)}
    if term.language:
        value["@language"] = term.language
    elif term.datatype:
        value["@type"] = str(term.datatype)
    return value


def _jsonld_nodes(graph: Graph) -> str:
    """Expanded JSON-LD node objects of ``graph``, comma-separated."""
    nodes: dict[Any, dict[str, Any]] = {}
    for subject, predicate, obj in graph:
        node = nodes.setdefault(subject, {"@id": _term_id(subject)})
        if predicate == RDF.type and not isinstance(obj, Literal):
            node.setdefault("@type", []).append(_term_id(obj))
        else:
            node.setdefault(str(predicate), []).append(_jsonld_value(obj))
    return ",\n".join(json.dumps(node, ensure_ascii=False) for node in nodes.values())


def _xml_name(uri: str, spaces: dict[str, str]) -> tuple[str, str]:
    """(qualified element name, extra namespace declaration) of a property or class."""
    for prefix, namespace in spaces.items():
        if uri.startswith(namespace) and _NCNAME.match(uri[len(namespace):]):
            return f"{prefix}:{uri[len(namespace):]}", ""
    match = _LOCAL_NAME.search(uri)
    if not match:
        raise ValueError(f"{uri} cannot be written as an XML element name")
    namespace = uri[:match.start()]
    return f"ns0:{match.group()}", f' xmlns:ns0="{xml_escape(namespace, _QUOTE)}"'


_NCNAME = re.compile(r"^[A-Za-z_][\w.-]*$")
_LOCAL_NAME = re.compile(r"[A-Za-z_][\w.-]*$")
_QUOTE = {'"': "&quot;"}


def _xml_descriptions(graph: Graph) -> str:
    """One ``rdf:Description`` per subject of ``graph``."""
    spaces = _graph_namespaces()
    by_subject: dict[Any, list[tuple[Any, Any]]] = {}
    for subject, predicate, obj in graph:
        by_subject.setdefault(subject, []).append((predicate, obj))
    out = []
    for subject, statements in by_subject.items():
        about = (f'rdf:nodeID="{subject}"' if isinstance(subject, BNode)
                 else f'rdf:about="{xml_escape(str(subject), _QUOTE)}"')
        out.append(f"<rdf:Description {about}>")
        for predicate, obj in statements:
            name, declaration = _xml_name(str(predicate), spaces)
            if isinstance(obj, BNode):
                out.append(f'<{name}{declaration} rdf:nodeID="{obj}"/>')
            elif isinstance(obj, URIRef):
                out.append(f'<{name}{declaration} '
                           f'rdf:resource="{xml_escape(str(obj), _QUOTE)}"/>')
            else:
                attribute = ""
                if obj.language:
                    attribute = f' xml:lang="{obj.language}"'
                elif obj.datatype:
                    attribute = f' rdf:datatype="{xml_escape(str(obj.datatype), _QUOTE)}"'
                out.append(f"<{name}{declaration}{attribute}>{xml_escape(str(obj))}</{name}>")
        out.append("</rdf:Description>")
    return "\n".join(out) + "\n"


def _fragment_text(fmt: str, graph: Graph) -> str:
    if fmt == "jsonld":
        return _jsonld_nodes(graph)
    if fmt == "rdf":
        return _xml_descriptions(graph)
    return graph.serialize(format="nt")


def _header(fmt: str, catalog_graph: Graph) -> tuple[str, str, str]:
    """(document start, catalogue and shared part, document end) of an export in ``fmt``."""
    if fmt == "jsonld":
        return '{"@graph": [\n', _jsonld_nodes(catalog_graph), "\n]}\n"
    if fmt == "rdf":
        spaces = " ".join(f'xmlns:{p}="{u}"' for p, u in sorted(_graph_namespaces().items()))
        start = f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF {spaces}>\n'
        return start, _xml_descriptions(catalog_graph), "</rdf:RDF>\n"
    if fmt == "ttl":
        prefixes = "".join(f"@prefix {p}: <{u}> .\n" for p, u in sorted(
            _graph_namespaces().items()))
        return prefixes + "\n", catalog_graph.serialize(format="turtle"), ""
    return "", catalog_graph.serialize(format="nt"), ""


def _bind(graph: Graph) -> Graph:
    for prefix, uri in _graph_namespaces().items():
        graph.bind(prefix, uri, override=True)
    return graph


def render_fragment(serializer: RegistrySerializer, dataset: dict[str, Any], fmt: str,
                    catalog_ref: URIRef) -> str:
    """One dataset (with its record and its links from the catalogue) in ``fmt``."""
    graph = serializer.reset()
    dataset_ref = serializer.graph_from_dataset(dataset)
    graph.add((catalog_ref, DCAT.dataset, dataset_ref))
    for record_ref in list(graph.subjects(FOAF.primaryTopic, dataset_ref)):
        graph.add((catalog_ref, DCAT.record, record_ref))
    return _fragment_text(fmt, graph)


def _shared_vocabularies() -> dict[str, list[str]]:
    """The controlled values published datasets may link to, by vocabulary."""
    wanted = {"dataset_type": list(publication.PUBLISHED_TYPES),
              "registration_status": [publication.REGISTERED],
              "certificate_status": ["valid"],
              "registrant_type": vocabularies.values("registrant_type"),
              "district": vocabularies.values("district")}
    for dataset_type in publication.PUBLISHED_TYPES:
        schema = scheming_helpers.scheming_get_dataset_schema(dataset_type) or {}
        public, public_resource = publication.public_field_names(dataset_type)
        fields = [f for f in schema.get("dataset_fields", []) if f["field_name"] in public]
        fields += [f for f in schema.get("resource_fields", [])
                   if f["field_name"] in public_resource]
        for field in fields:
            name = field.get("vocabulary")
            if name in vocabularies.VOCABULARIES and name not in wanted:
                wanted[name] = vocabularies.values(name)
    return wanted


def _catalog_graph(serializer: RegistrySerializer, solr: Any,
                   filters: list[str]) -> tuple[Graph, URIRef, frozenset[Any]]:
    """The catalogue, and what its datasets share (described here, once)."""
    graph = _bind(serializer.reset())
    catalog_ref = serializer.graph_from_catalog({"modified": catalog_modified()})
    shared = _bind(Graph())
    result = solr.search(q="*:*", fq=filters, rows=0, facet="true",
                         **{"facet.field": "owner_org", "facet.limit": -1,
                            "facet.mincount": 1})
    owners = result.facets["facet_fields"]["owner_org"][::2]
    registrants = [f for f in (registry_profile.registrant(o) for o in owners) if f]
    describer = registry_profile.TjRegistryProfile(
        shared, dataset_type=publication.PUBLISHED_TYPES[0])
    describer.graph_shared(_shared_vocabularies(), registrants)
    for triple in shared:
        graph.add(triple)
    return graph, catalog_ref, frozenset(shared.subjects())


def _separator(fmt: str) -> str:
    return ",\n" if fmt == "jsonld" else ""


def _load_datasets(solr: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    result = solr.search(q="*:*", fq=["{!terms f=id}" + ",".join(ids)],
                         fl="id,validated_data_dict", rows=len(ids))
    return {doc["id"]: json.loads(doc["validated_data_dict"]) for doc in result.docs}


class _Batches:
    """Fragments of one batch of Solr documents, from the cache or freshly serialised."""

    def __init__(self, fmt: str, serializer: RegistrySerializer, catalog_ref: URIRef,
                 static: str, solr: Any, redis: Any, ttl: int, today: dt.date) -> None:
        self.fmt, self.serializer, self.catalog_ref = fmt, serializer, catalog_ref
        self.static, self.solr, self.redis, self.ttl, self.today = (
            static, solr, redis, ttl, today)

    def _key(self, package_id: str) -> str:
        return f"{CACHE_PREFIX}:{self.fmt}:{package_id}"

    def fragments(self, docs: list[dict[str, Any]]) -> Iterator[str]:
        facts = publication.registration_facts([d["id"] for d in docs], self.today)
        docs = [d for d in docs if d["id"] in facts]
        # A product's fragment links the published resources it uses: which of its
        # sources are published is part of what it depends on.
        loaded = _load_datasets(self.solr, [d["id"] for d in docs
                                            if d.get("dataset_type") == "data-product"])
        codes = {d["id"]: [str(c) for c in registry_profile.as_list(
            loaded[d["id"]].get("source_regist_codes"))] for d in docs if d["id"] in loaded}
        resolved = registry_profile.source_datasets(c for cs in codes.values() for c in cs)
        prints = {
            d["id"]: _fingerprint(
                self.static, d, facts[d["id"]], registry_profile.registrant(d.get("owner_org")),
                {c: resolved.get(c, "") for c in codes.get(d["id"], [])})
            for d in docs
        }
        cached: dict[str, str] = {}
        if self.redis is not None and docs:
            raws = self.redis.mget([self._key(d["id"]) for d in docs])
            for doc, raw in zip(docs, raws, strict=True):
                if raw is not None:
                    stamp, _, text = raw.decode("utf-8").partition("\n")
                    if stamp == prints[doc["id"]]:
                        cached[doc["id"]] = text
        missing = [d["id"] for d in docs if d["id"] not in cached]
        loaded.update(_load_datasets(self.solr, [i for i in missing if i not in loaded]))
        fresh: dict[str, str] = {}
        self.serializer.source_index = resolved
        for package_id in missing:
            if package_id in loaded:
                dataset = publication.public_dataset(loaded[package_id])
                dataset.update(facts[package_id].as_dict())
                fresh[package_id] = render_fragment(self.serializer, dataset, self.fmt,
                                                    self.catalog_ref)
        if self.redis is not None and fresh:
            pipe = self.redis.pipeline(transaction=False)
            for package_id, text in fresh.items():
                value = f"{prints[package_id]}\n{text}"
                if self.ttl > 0:
                    pipe.setex(self._key(package_id), self.ttl, value)
                else:
                    pipe.set(self._key(package_id), value)
            pipe.execute()
        for doc in docs:
            text = cached.get(doc["id"]) or fresh.get(doc["id"])
            if text:
                yield text


def stream_catalog(fmt: str, filters: Sequence[str] = (),
                   use_cache: bool = True) -> Iterator[str]:
    """The whole published catalogue in ``fmt`` (``ttl``, ``nt``, ``jsonld``, ``rdf``).

    ``filters`` are extra Solr filter queries (e.g. ``modified_since``). Yields text
    chunks; the caller writes them out as they come.
    """
    if fmt not in FORMATS:
        raise tk.ValidationError({"format": [f"不支持的格式 / unsupported format: {fmt}"]})
    today = publication.local_today()
    orgs = (model.Session.query(model.Group)
            .filter(model.Group.is_organization.is_(True), model.Group.state == "active").all())
    registry_profile.prime_registrants(
        {"id": g.id, "name": g.name, "title": g.title, **(g.extras or {})} for g in orgs)
    solr = make_connection()
    filters = [*_solr_filters(today), *filters]
    serializer = RegistrySerializer(profiles=_profiles())
    catalog_graph, catalog_ref, shared = _catalog_graph(serializer, solr, filters)
    serializer.shared_subjects = shared
    start, catalog_part, end = _header(fmt, catalog_graph)
    yield start
    yield catalog_part

    static = _static_fingerprint()
    redis = connect_to_redis() if use_cache else None
    ttl = tk.asint(tk.config.get("tjregistry.dcat.export_cache_ttl"))
    batches = _Batches(fmt, serializer, catalog_ref, static, solr, redis, ttl, today)
    cursor = "*"
    while True:
        page = solr.search(q="*:*", fq=filters, fl="id,metadata_modified,owner_org,dataset_type",
                           sort="index_id asc", rows=BATCH_SIZE, cursorMark=cursor)
        for text in batches.fragments(page.docs):
            yield _separator(fmt) + text
        if page.nextCursorMark == cursor or not page.docs:
            break
        cursor = page.nextCursorMark
    yield end
