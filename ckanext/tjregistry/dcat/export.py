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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

import ckan.lib.plugins as lib_plugins
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.lib.search.common import make_connection
from ckanext.dcat.processors import RDF_PROFILES_CONFIG_OPTION
from ckanext.dcat.profiles import DCAT, FOAF
from ckanext.dcat.profiles.base import namespaces as dcat_namespaces
from ckanext.dcat.utils import catalog_uri, dataset_uri

from ckanext.tjregistry import access, vocabularies
from ckanext.tjregistry.certificates import codes
from ckanext.tjregistry.dcat import profile as registry_profile
from ckanext.tjregistry.dcat import publication, terms
from ckanext.tjregistry.dcat.serializer import RegistrySerializer
from ckanext.tjregistry.model.certificate import Certificate

# Bump when the profile's output changes for the same input (invalidates the cache).
OUTPUT_VERSION = "1"
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
            "landing_page": f"{registry_profile._site_url()}/{dataset.get('type')}/"
                            f"{dataset.get('name')}",
            "rdf": f"{registry_profile._site_url()}/dataset/{dataset.get('id')}.ttl",
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
    spaces.update({"rdf": str(RDF), "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                   "xsd": "http://www.w3.org/2001/XMLSchema#",
                   "skos": "http://www.w3.org/2004/02/skos/core#"})
    return spaces


def _header(fmt: str, catalog_graph: Graph) -> tuple[str, str, str]:
    """(document start, catalogue part, document end) of an export in ``fmt``."""
    if fmt == "jsonld":
        context = _graph_namespaces()
        nodes = _jsonld_nodes(catalog_graph, context)
        start = '{"@context": ' + json.dumps(context) + ', "@graph": ['
        return start, nodes, "]}\n"
    if fmt == "rdf":
        spaces = " ".join(f'xmlns:{p}="{u}"' for p, u in sorted(_graph_namespaces().items()))
        start = f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF {spaces}>\n'
        return start, _xml_children(catalog_graph), "</rdf:RDF>\n"
    return "", _fragment_text(fmt, catalog_graph), ""


def _jsonld_nodes(graph: Graph, context: dict[str, str]) -> str:
    data = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
    nodes = data.get("@graph", [data]) if isinstance(data, dict) else data
    nodes = [{k: v for k, v in node.items() if k != "@context"} for node in nodes]
    return ",\n".join(json.dumps(node, ensure_ascii=False) for node in nodes)


def _xml_children(graph: Graph) -> str:
    root = etree.fromstring(graph.serialize(format="xml").encode("utf-8"))
    return "".join(etree.tostring(child, encoding="unicode") for child in root)


def _fragment_text(fmt: str, graph: Graph) -> str:
    if fmt == "jsonld":
        return _jsonld_nodes(graph, _graph_namespaces())
    if fmt == "rdf":
        return _xml_children(graph)
    text = graph.serialize(format=FORMATS[fmt].rdflib)
    if fmt == "ttl":
        # Turtle allows @prefix anywhere; the shared ones are declared once at the top.
        shared = set(_turtle_prefixes())
        text = "\n".join(line for line in text.splitlines() if line not in shared)
    return text.strip() + "\n"


def _turtle_prefixes() -> list[str]:
    return [f"@prefix {p}: <{u}> ." for p, u in sorted(_graph_namespaces().items())]


def _bind(graph: Graph) -> Graph:
    for prefix, uri in _graph_namespaces().items():
        graph.bind(prefix, uri, override=True)
    return graph


def render_fragment(serializer: RegistrySerializer, dataset: dict[str, Any], fmt: str,
                    catalog_ref: URIRef) -> str:
    """One dataset (with its record and its links from the catalogue) in ``fmt``."""
    graph = _bind(serializer.reset())
    dataset_ref = serializer.graph_from_dataset(dataset)
    graph.add((catalog_ref, DCAT.dataset, dataset_ref))
    for record_ref in list(graph.subjects(FOAF.primaryTopic, dataset_ref)):
        graph.add((catalog_ref, DCAT.record, record_ref))
    return _fragment_text(fmt, graph)


def _catalog_graph(serializer: RegistrySerializer) -> tuple[Graph, URIRef]:
    graph = _bind(serializer.reset())
    catalog_ref = serializer.graph_from_catalog({"modified": catalog_modified()})
    return graph, catalog_ref


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


def stream_catalog(fmt: str, modified_since_fq: str | None = None,
                   use_cache: bool = True) -> Iterator[str]:
    """The whole published catalogue in ``fmt`` (``ttl``, ``nt``, ``jsonld``, ``rdf``).

    Yields text chunks; the caller writes them out as they come.
    """
    if fmt not in FORMATS:
        raise tk.ValidationError({"format": [f"不支持的格式 / unsupported format: {fmt}"]})
    today = publication.local_today()
    serializer = RegistrySerializer(profiles=_profiles())
    catalog_graph, catalog_ref = _catalog_graph(serializer)
    start, catalog_part, end = _header(fmt, catalog_graph)
    yield start
    if fmt == "ttl":
        yield "\n".join(_turtle_prefixes()) + "\n\n"
    yield catalog_part

    orgs = (model.Session.query(model.Group)
            .filter(model.Group.is_organization.is_(True), model.Group.state == "active").all())
    registry_profile.prime_registrants(
        {"id": g.id, "name": g.name, "title": g.title, **(g.extras or {})} for g in orgs)
    static = _static_fingerprint()
    redis = connect_to_redis() if use_cache else None
    ttl = tk.asint(tk.config.get("tjregistry.dcat.export_cache_ttl"))
    solr = make_connection()
    filters = _solr_filters(today) + ([modified_since_fq] if modified_since_fq else [])
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
