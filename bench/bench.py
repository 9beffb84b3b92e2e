"""CKAN benchmark harness (run by hand through ``bench/run.sh``, never in CI).

``bench.py run`` loads one CKAN configuration in this process (CKAN's config is
global, so every configuration gets a process of its own), creates N datasets and
times the real action functions in-process: ``ckan.logic.get_action`` called inside a
Flask request context, as a CKAN request or CLI command would; no HTTP in between.

* package_create: every one of the N datasets, as the site user (a sysadmin).
* package_show: a sample of the datasets, anonymously (public reads).
* package_search: Chinese keywords from the generated titles, anonymously, without and
  with CKAN's default facet fields.

``bench.py report`` prints medians, 95th percentiles and tj/stock ratios.
``bench.py migration-plugins`` lists the plugins of an ini that have migrations.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import datasets

DEFAULT_FACETS = ["organization", "groups", "tags", "res_format", "license_id"]
REPAIR_ROUNDS = 8
CORE_KEYS = {"name", "title", "notes", "owner_org", "type", "resources"}
OPERATIONS = [
    ("package_create", "package_create"),
    ("package_show", "package_show"),
    ("search_keyword", "package_search (keyword)"),
    ("search_facets", "package_search (keyword + facets)"),
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------- CKAN side ---
class Ckan:
    """One loaded CKAN configuration and the action API of it."""

    def __init__(self, ini: str):
        from ckan.cli import load_config
        from ckan.config.middleware import make_app

        self.app = make_app(load_config(ini))._wsgi_app
        with self.request():
            self.site_user = self.action("get_site_user", context={"ignore_auth": True})["name"]

    def request(self) -> Any:
        """A fresh request context per call: its teardown ends the DB session, as a request does."""
        return self.app.test_request_context()

    def action(self, name: str, data: dict[str, Any] | None = None, *, sysadmin: bool = False,
               context: dict[str, Any] | None = None) -> Any:
        from ckan.logic import get_action

        ctx = context if context is not None else {"user": self.site_user if sysadmin else ""}
        return get_action(name)(ctx, data or {})

    def timed(
        self, name: str, data: dict[str, Any], *, sysadmin: bool = False
    ) -> tuple[float, Any]:
        with self.request():
            started = time.perf_counter()
            result = self.action(name, data, sysadmin=sysadmin)
            return (time.perf_counter() - started) * 1000.0, result

    def plugins(self) -> list[str]:
        from ckan.common import config

        return config.get("ckan.plugins")

    def has_action(self, name: str) -> bool:
        from ckan.logic import get_action

        try:
            get_action(name)
        except KeyError:
            return False
        return True


def field_choices(field: dict[str, Any]) -> list[dict[str, Any]] | None:
    from ckanext.scheming.helpers import scheming_field_choices

    return scheming_field_choices(field)


# ----------------------------------------------------------------- the builder ---
class Builder:
    """Turns the shared records into data dicts valid for this configuration's schemas."""

    def __init__(self, ckan: Ckan, types: list[str] | None, seed: int):
        self.ckan = ckan
        self.seed = seed
        self.filler = datasets.SchemaFiller(field_choices)
        self.repairs = 0
        with ckan.request():
            offered = (ckan.action("scheming_dataset_schema_list")
                       if ckan.has_action("scheming_dataset_schema_list") else ["dataset"])
            self.types = [t for t in (types or offered) if t in offered]
            if not self.types:
                raise SystemExit(f"none of the dataset types {types} is offered ({offered})")
            self.schemas = {t: ckan.action("scheming_dataset_schema_show",
                                           {"type": t, "expanded": True}) for t in self.types}
            self.org_schema = None
            if ckan.has_action("scheming_organization_schema_show"):
                self.org_schema = ckan.action("scheming_organization_schema_show",
                                              {"type": "organization", "expanded": True})

    def organization(self, record: dict[str, Any]) -> dict[str, Any]:
        data = {k: record[k] for k in ("name", "title", "description")}
        if self.org_schema:
            rng = random.Random(f"{self.seed}-{record['name']}")
            data.update(self.filler.fill(self.org_schema["fields"], set(data), rng, record))
        return data

    def create_organization(self, record: dict[str, Any]) -> None:
        """Create an organization (not timed), adjusting it to the validators' messages."""
        from ckan.logic import ValidationError

        data = self.organization(record)
        fields = self.org_schema["fields"] if self.org_schema else []
        for attempt in range(REPAIR_ROUNDS):
            try:
                with self.ckan.request():
                    self.ckan.action("organization_create", data, sysadmin=True)
                return
            except ValidationError as error:
                errors = error.error_dict
                if not self._repair_fields(data, errors, fields, record, attempt):
                    break
        raise SystemExit(f"cannot create organization {record['name']}: {errors}")

    def dataset(self, index: int, record: dict[str, Any]) -> dict[str, Any]:
        dataset_type = self.types[index % len(self.types)]
        schema = self.schemas[dataset_type]
        field_names = {f["field_name"] for f in schema["dataset_fields"]}
        base = datasets.stock_dataset(record)
        # Core keys the schema does not have would only be rejected or dropped.
        data = {k: v for k, v in base.items() if k in field_names or k in CORE_KEYS}
        data["type"] = dataset_type
        rng = random.Random(f"{self.seed}-{index}-{dataset_type}")
        data.update(self.filler.fill(schema["dataset_fields"], set(data), rng, record))
        resource_fields = schema.get("resource_fields") or []
        data["resources"] = [
            {**res, **self.filler.fill(resource_fields, set(res), rng, record)}
            for res in base["resources"]
        ]
        return data

    def validation_errors(self, data: dict[str, Any]) -> dict[str, Any]:
        """What package_create's validation (scheming and plugins) rejects, without writing."""
        from ckan import model
        from ckan.lib import plugins as lib_plugins

        plugin = lib_plugins.lookup_package_plugin(data["type"])
        context = {"model": model, "session": model.Session, "user": self.ckan.site_user}
        with self.ckan.request():
            _, errors = lib_plugins.plugin_validate(
                plugin, context, copy.deepcopy(data), plugin.create_package_schema(),
                "package_create")
        return errors

    def repair(self, data: dict[str, Any], errors: dict[str, Any], record: dict[str, Any],
               attempt: int) -> bool:
        """Adjust ``data`` to the field messages of a failed validation; False if stuck."""
        schema = self.schemas[data["type"]]
        changed = self._repair_fields(data, errors, schema["dataset_fields"], record, attempt)
        resource_errors = errors.get("resources") or []
        for res, res_errors in zip(data.get("resources", []), resource_errors, strict=False):
            if res_errors:
                changed |= self._repair_fields(
                    res, res_errors, schema.get("resource_fields") or [], record, attempt)
        return changed

    def _repair_fields(self, data: dict[str, Any], errors: dict[str, Any],
                       fields: list[dict[str, Any]], record: dict[str, Any],
                       attempt: int) -> bool:
        # A field with choices whose value a rule rejects gets another of its choices; a
        # rejected optional free value is left out (a rule allows it only with other
        # values); a field reported without a value is filled (a rule requires it given
        # the other values); a rejected required free value is drawn again.
        by_name = {f["field_name"]: f for f in fields}
        changed = False
        for key in errors:
            field = by_name.get(key)
            if field is None or key in CORE_KEYS:
                continue
            rng = random.Random(f"{self.seed}-{record['name']}-{key}-{attempt}")
            current = data.get(key)
            choices = [str(c["value"]) for c in (field_choices(field) or [])
                       if c.get("value") != ""]
            others = [c for c in choices if [c] != current and c != current]
            if current not in (None, "", []) and others:
                data[key] = self.filler.value(field, rng, {**record, key: rng.choice(others)})
            elif current not in (None, "", []) and not self.filler.is_required(field):
                del data[key]
            else:
                data[key] = self.filler.value(field, rng, record)
            changed = True
        return changed

    def valid_dataset(self, index: int, record: dict[str, Any]) -> dict[str, Any]:
        """A data dict for dataset ``index`` that passes validation (checked before timing)."""
        data = self.dataset(index, record)
        for attempt in range(REPAIR_ROUNDS):
            errors = self.validation_errors(data)
            if not errors:
                return data
            self.repairs += 1
            if not self.repair(data, errors, record, attempt):
                break
        raise SystemExit(
            f"cannot fill a valid {data['type']} dataset; CKAN says {errors}.\n"
            "Teach bench/datasets.py (PREFERRED or SchemaFiller.free_value) a valid value.")


# ------------------------------------------------------------------------- run ---
def run(args: argparse.Namespace) -> None:
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_at_start = os.getloadavg()
    wall = time.perf_counter()
    ckan = Ckan(args.ini)
    builder = Builder(ckan, args.types.split(",") if args.types else None, args.seed)
    log(f"{args.label}: plugins {' '.join(ckan.plugins())}; dataset types {builder.types}")

    org_records = datasets.organization_records(args.organizations)
    for record in org_records:
        builder.create_organization(record)

    # Every data dict is generated and validated first, so a schema the generator cannot
    # fill stops the run before anything is timed, and the timed loop only creates.
    prepared = []
    for index in range(args.n):
        prepared.append(builder.valid_dataset(
            index, datasets.dataset_record(index, org_records, args.seed)))
        if (index + 1) % 1000 == 0:
            log(f"{args.label}: prepared {index + 1}/{args.n} valid datasets")

    timings: dict[str, list[float]] = {key: [] for key, _ in OPERATIONS}
    hits: dict[str, list[int]] = {"search_keyword": [], "search_facets": []}
    names: list[str] = []
    create_started = time.perf_counter()
    for index, data in enumerate(prepared):
        elapsed, created = ckan.timed("package_create", data, sysadmin=True)
        timings["package_create"].append(elapsed)
        names.append(created["name"])
        if (index + 1) % 500 == 0 or index + 1 == args.n:
            rate = (index + 1) / (time.perf_counter() - create_started)
            log(f"{args.label}: created {index + 1}/{args.n} ({rate:.1f}/s, "
                f"about {(args.n - index - 1) / rate / 60:.1f} min left)")

    rng = random.Random(args.seed)
    shown = rng.sample(names, min(len(names), args.show_samples))
    for name in shown[:args.warmup]:
        ckan.timed("package_show", {"id": name})
    for name in shown:
        elapsed, _ = ckan.timed("package_show", {"id": name})
        timings["package_show"].append(elapsed)
    log(f"{args.label}: {len(shown)} package_show done")

    keywords = [rng.choice(datasets.KEYWORDS) for _ in range(args.search_samples)]
    searches: list[tuple[str, Callable[[str], dict[str, Any]]]] = [
        ("search_keyword", lambda q: {"q": q, "rows": 20}),
        ("search_facets", lambda q: {"q": q, "rows": 20, "facet.field": DEFAULT_FACETS,
                                     "facet.limit": 50}),
    ]
    for key, params in searches:
        for q in keywords[:args.warmup]:
            ckan.timed("package_search", params(q))
        for q in keywords:
            elapsed, result = ckan.timed("package_search", params(q))
            timings[key].append(elapsed)
            hits[key].append(result["count"])
        log(f"{args.label}: {len(keywords)} {key} done")

    result = {
        "label": args.label,
        "load_average": [load_at_start, os.getloadavg()],
        "ini": os.path.relpath(args.ini),
        "started_at": started_at,
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "n": args.n,
        "seed": args.seed,
        "organizations": args.organizations,
        "ckan_version": metadata.version("ckan"),
        "python": platform.python_version(),
        "plugins": ckan.plugins(),
        "dataset_types": builder.types,
        "repaired_records": builder.repairs,
        "facets": DEFAULT_FACETS,
        "timings_ms": timings,
        "mean_hits": {k: round(statistics.fmean(v), 1) for k, v in hits.items()},
    }
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out, ensure_ascii=False)
    log(f"{args.label}: done in {result['wall_seconds']} s -> {args.out}")


# ---------------------------------------------------------------------- report ---
def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def report(args: argparse.Namespace) -> None:
    runs = {}
    for path in args.results:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        runs[data["label"]] = data
    stock, tj = runs["stock"], runs["tj"]
    lines = [
        f"N = {stock['n']} datasets per configuration, CKAN {stock['ckan_version']}, "
        f"Python {stock['python']}, {stock['started_at'][:10]}",
        f"stock: {' '.join(stock['plugins'])} (types {', '.join(stock['dataset_types'])})",
        f"tj:    {' '.join(tj['plugins'])} (types {', '.join(tj['dataset_types'])})",
        "",
        "| operation | samples | stock median ms | stock p95 ms | tj median ms | tj p95 ms "
        "| tj/stock median | tj/stock p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, title in OPERATIONS:
        a, b = stock["timings_ms"][key], tj["timings_ms"][key]
        a_med, b_med = statistics.median(a), statistics.median(b)
        a_p95, b_p95 = percentile(a, 0.95), percentile(b, 0.95)
        lines.append(
            f"| {title} | {len(a)} | {a_med:.1f} | {a_p95:.1f} | {b_med:.1f} | {b_p95:.1f} "
            f"| {b_med / a_med:.2f} | {b_p95 / a_p95:.2f} |"
        )
    lines += [
        "",
        "Mean hits per search (numFound): "
        + "; ".join(f"{k}: stock {stock['mean_hits'][k]}, tj {tj['mean_hits'][k]}"
                    for k in ("search_keyword", "search_facets")),
        f"Wall time: stock {stock['wall_seconds']} s, tj {tj['wall_seconds']} s; "
        f"load average (1 min) at start/end: stock {stock['load_average'][0][0]:.1f}/"
        f"{stock['load_average'][1][0]:.1f}, tj {tj['load_average'][0][0]:.1f}/"
        f"{tj['load_average'][1][0]:.1f}",
    ]
    lines.append(f"Generated records adjusted to validator messages before timing: "
                 f"stock {stock['repaired_records']}, tj {tj['repaired_records']}")
    print("\n".join(lines))


# ----------------------------------------------------------- migration plugins ---
def migration_plugins(args: argparse.Namespace) -> None:
    """The plugins of an ini that ship migrations, located as `ckan db upgrade -p` does."""
    import importlib.util

    from ckan.cli import CKANConfigLoader

    plugins = CKANConfigLoader(args.ini).get_config().get("ckan.plugins", "").split()
    entry_points = {ep.name: ep for ep in metadata.entry_points(group="ckan.plugins")}
    for name in plugins:
        module = entry_points[name].value.split(":")[0]
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            continue
        # ckanext/<package>/migration/<plugin>/alembic.ini, wherever the plugin class lives
        path = os.path.dirname(spec.origin)
        end = path.find("/", path.rfind("/ckanext/") + len("/ckanext/"))
        root = path[:end] if end != -1 else path
        if os.path.isfile(os.path.join(root, "migration", name, "alembic.ini")):
            print(name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="benchmark one configuration (one per process)")
    r.add_argument("--ini", required=True)
    r.add_argument("--label", required=True, choices=["stock", "tj"])
    r.add_argument("--out", required=True)
    r.add_argument("-n", type=int, default=10_000)
    r.add_argument("--seed", type=int, default=20261127)
    r.add_argument("--organizations", type=int, default=20)
    r.add_argument("--types", default="", help="comma-separated dataset types (default: all)")
    r.add_argument("--show-samples", type=int, default=2000)
    r.add_argument("--search-samples", type=int, default=500)
    r.add_argument("--warmup", type=int, default=20)
    r.set_defaults(func=run)
    p = sub.add_parser("report", help="print the table for a stock and a tj result")
    p.add_argument("results", nargs=2)
    p.set_defaults(func=report)
    m = sub.add_parser("migration-plugins", help="plugins of an ini that have migrations")
    m.add_argument("ini")
    m.set_defaults(func=migration_plugins)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
