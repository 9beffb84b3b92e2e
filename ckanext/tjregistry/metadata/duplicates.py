"""Likely duplicates of an application's dataset (Art. 23 (1) 重复登记), found through Solr.

Two kinds are reported to the reviewer: another dataset of the same registrant whose
title is similar (character-bigram overlap at or above
``tjregistry.duplicates.title_similarity``), and any dataset with the same
government-catalogue code (``gov_catalog_code``).
"""
from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk

_WORD = re.compile(r"[0-9A-Za-z]+|[\u3400-\u9fff]")
_CANDIDATES = 50


def _tokens(title: str) -> set[str]:
    """Lower-cased words and Chinese character bigrams (and the character of a 1-char run)."""
    tokens: set[str] = set()
    run = ""
    for match in _WORD.finditer(title or ""):
        piece = match.group(0)
        if len(piece) == 1 and "\u3400" <= piece <= "\u9fff":
            run += piece
            continue
        tokens |= _bigrams(run)
        run = ""
        tokens.add(piece.lower())
    tokens |= _bigrams(run)
    return tokens


def _bigrams(run: str) -> set[str]:
    if len(run) == 1:
        return {run}
    return {run[i:i + 2] for i in range(len(run) - 1)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two titles' token sets (1.0 = same tokens)."""
    left, right = _tokens(a), _tokens(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def _search(fq: str, q: str = "*:*") -> list[dict[str, Any]]:
    # As the site user: candidates come from every registrant, whoever submits.
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    result = tk.get_action("package_search")(
        {"ignore_auth": True, "user": site_user},
        {"q": q, "fq": fq, "rows": _CANDIDATES, "include_private": True,
         "fl": "id,name,title,owner_org,type"})
    return result["results"]


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find(package_id: str, registrant_id: str, dataset: dict[str, Any]) -> list[dict[str, Any]]:
    threshold = float(tk.config.get("tjregistry.duplicates.title_similarity"))
    found: dict[str, dict[str, Any]] = {}
    exclude = f" -id:{_quote(package_id)}"

    code = (dataset.get("gov_catalog_code") or "").strip()
    if code:
        for hit in _search(f"gov_catalog_code:{_quote(code)}" + exclude):
            found[hit["id"]] = {"id": hit["id"], "name": hit["name"], "title": hit["title"],
                                "reasons": ["gov_catalog_code"], "similarity": None}

    title = dataset.get("title") or ""
    tokens = sorted(_tokens(title))
    if tokens:
        query = " OR ".join(f"title:{_quote(token)}" for token in tokens)
        for hit in _search(f"owner_org:{_quote(registrant_id)}" + exclude, query):
            score = similarity(title, hit.get("title") or "")
            if score < threshold:
                continue
            entry = found.setdefault(hit["id"], {
                "id": hit["id"], "name": hit["name"], "title": hit["title"], "reasons": [],
                "similarity": None})
            entry["reasons"].append("similar_title")
            entry["similarity"] = round(score, 2)
    return sorted(found.values(), key=lambda e: (-(e["similarity"] or 1.0), e["name"]))
