"""The RDF vocabulary of the registration catalogue.

Standard terms are used wherever DCAT-AP 3 has one (``dct:identifier``,
``adms:identifier``, ``dct:publisher``, ``dct:spatial``, ``dct:accrualPeriodicity``
with the EU frequency authority table, ``dct:accessRights`` with the EU
access-right table, ``dcat:theme``, ``dcat:CatalogRecord``). Registration facts
without a standard term are properties of the platform's own namespace ``TJR``;
controlled values become SKOS concepts under ``TJRV``, labelled in Chinese and
English from ``ckanext.tjregistry.metadata.vocabularies`` so that a harvester needs no
other source to display them.
"""
from __future__ import annotations

import re

from rdflib import Namespace, URIRef
from rdflib.namespace import SKOS

from ckanext.tjregistry.certificates import content as certificate_content
from ckanext.tjregistry.metadata import vocabularies

TJR = Namespace("https://w3id.org/tjregistry/ns#")
TJRV = Namespace("https://w3id.org/tjregistry/vocab/")
PROV = Namespace("http://www.w3.org/ns/prov#")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")
ADMS_IDENTIFIER = URIRef("http://www.w3.org/ns/adms#identifier")
SKOS_NOTATION = SKOS.notation
DCAT_AP_3 = URIRef("https://semiceu.github.io/DCAT-AP/releases/3.0.0/")

# Extra prefixes bound in every graph (ckanext-dcat binds its own set).
NAMESPACES: dict[str, Namespace] = {
    "tjr": TJR,
    "tjrv": TJRV,
    "prov": PROV,
}

# Language tags of the labels: BCP 47 primary subtags, as ckanext-dcat's parser
# expects ("zh" is what it derives from the zh_Hans_CN locale).
ZH = "zh"
EN = "en"

# Datatypes of adms:Identifier notations: DCAT-AP identifies the scheme of an
# identifier by the datatype of its skos:notation.
NATIONAL_CODE_SCHEME = TJR.NationalRegistrationCode
GOV_CATALOG_CODE_SCHEME = TJR.GovernmentCatalogueCode

# update_frequency -> EU frequency authority table.
FREQUENCY_TO_EU: dict[str, str] = {
    "realtime": "UPDATE_CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "semiannual": "ANNUAL_2",
    "annual": "ANNUAL",
    "irregular": "IRREG",
    "static": "NEVER",
}
# Codes other catalogues use for the same frequencies.
EU_TO_FREQUENCY: dict[str, str] = {
    **{code: value for value, code in FREQUENCY_TO_EU.items()},
    "CONT": "realtime",
    "1MIN": "realtime",
    "5MIN": "realtime",
    "10MIN": "realtime",
    "15MIN": "realtime",
    "30MIN": "realtime",
    "SEMIANNUAL": "semiannual",
}


def frequency_uri(value: str | None) -> URIRef | None:
    code = FREQUENCY_TO_EU.get(value or "")
    return EU_FREQUENCY[code] if code else None


def frequency_value(uri: str) -> str | None:
    if not uri.startswith(str(EU_FREQUENCY)):
        return None
    return EU_TO_FREQUENCY.get(uri[len(str(EU_FREQUENCY)):])


def access_right_uri(share_type: str | None, open_type: str | None) -> URIRef | None:
    """EU access right of a resource from its sharing and opening attributes.

    Unconditionally open data is public; data shared or opened on conditions is
    restricted; data neither shared nor opened is non-public.
    """
    if not share_type and not open_type:
        return None
    if open_type == "unconditional":
        return EU_ACCESS_RIGHT.PUBLIC
    if open_type == "conditional" or share_type in ("unconditional", "conditional"):
        return EU_ACCESS_RIGHT.RESTRICTED
    return EU_ACCESS_RIGHT.NON_PUBLIC


# Concept schemes of the values the catalogue publishes: (zh, en) titles.
# ``dataset_type`` is the registration object category (公共数据资源 / 产品和服务).
SCHEME_TITLES: dict[str, tuple[str, str]] = {
    "dataset_type": ("公共数据登记对象类别", "Registration object categories"),
    "industry": ("国民经济行业分类(GB/T 4754-2017)门类",
                 "Industrial classification for national economic activities (GB/T 4754-2017)"),
    "district": ("天津市行政区划代码(GB/T 2260)", "Tianjin administrative divisions (GB/T 2260)"),
    "registration_status": ("登记状态", "Registration statuses"),
    "certificate_status": ("登记凭证状态", "Certificate statuses"),
    "registrant_type": ("登记主体类型", "Registrant types"),
}
# Themes published in dcat:theme and declared as the catalogue's theme taxonomies.
THEME_SCHEMES = ("dataset_type", "industry")


def _slug(name: str) -> str:
    return name.replace("_", "-")


def scheme_uri(vocabulary: str) -> URIRef:
    return TJRV[_slug(vocabulary)]


def concept_uri(vocabulary: str, value: str) -> URIRef:
    return TJRV[f"{_slug(vocabulary)}/{value}"]


_CONCEPT = re.compile(r"^(?P<scheme>[a-z0-9-]+)/(?P<value>[^/]+)$")


def concept_value(uri: str, vocabulary: str | None = None) -> tuple[str, str] | None:
    """``(vocabulary, value)`` of a concept URI of this vocabulary, else None."""
    if not uri.startswith(str(TJRV)):
        return None
    match = _CONCEPT.match(uri[len(str(TJRV)):])
    if not match:
        return None
    scheme = match["scheme"].replace("-", "_")
    if vocabulary is not None and scheme != vocabulary:
        return None
    return scheme, match["value"]


def concept_labels(vocabulary: str, value: str) -> tuple[str, str]:
    """(zh, en) labels of a value; the value itself when the vocabulary lacks it."""
    if vocabulary == "dataset_type":
        return certificate_content.CATEGORY_LABELS.get(value, (value, value))
    if vocabulary == "certificate_status":
        return certificate_content.STATUS_LABELS.get(value, (value, value))
    for term in vocabularies.VOCABULARIES.get(vocabulary, ()):
        if term.value == value:
            return term.zh, term.en
    return value, value


def scheme_titles(vocabulary: str) -> tuple[str, str]:
    if vocabulary in SCHEME_TITLES:
        return SCHEME_TITLES[vocabulary]
    return vocabulary, vocabulary.replace("_", " ")


def camel(field_name: str) -> str:
    """``data_scale_records`` -> ``dataScaleRecords`` (property names of ``TJR``)."""
    head, *rest = field_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(local_name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", local_name).lower()


def field_property(field_name: str) -> URIRef:
    return TJR[camel(field_name)]


def property_field(uri: str) -> str | None:
    if not uri.startswith(str(TJR)):
        return None
    local = uri[len(str(TJR)):]
    if not local or not local[0].islower():
        return None
    return snake(local)
