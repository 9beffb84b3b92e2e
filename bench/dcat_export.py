"""Full-catalogue DCAT export: stock ckanext-dcat against the tjregistry export, same data.

Run by hand, never in CI (about 20 minutes for 10,000 registrations, mostly loading)::

    .venv/bin/python bench/dcat_export.py run            # N = 10000, Turtle
    .venv/bin/python bench/dcat_export.py run -n 2000 --format jsonld

``run`` uses its own PostgreSQL database and Solr core (``bench_dcat``, emptied first)
and Redis database 12, loads N registrations, then measures each variant in a fresh
process, on 1/16 of the catalogue and on all of it:

* ``stock_single``: ckanext-dcat's ``/catalog.<format>`` with one page holding the
  whole catalogue (``package_search`` in pages of 1000, then ``RDFSerializer.
  serialize_catalog`` with ``euro_dcat_ap_3``), i.e. the stock full-catalogue export;
* ``stock_paged``: the same, page by page as ckanext-dcat serves it by default
  (100 datasets a page), summed over all pages;
* ``tj_paged``: this platform's ``/catalog.<format>`` pages (publication filter,
  registration facts, ``euro_dcat_ap_3`` + ``tjregistry``), summed over all pages;
* ``tj_export_cold``: ``/catalog/export.<format>`` with an empty cache;
* ``tj_export_warm``: the same with the cache filled by an earlier export;
* ``tj_export_1pct``: warm, after 1% of the registrations changed (their entries dropped).

Every variant writes the document to a byte-counting sink. Time is wall-clock of the
export alone; memory is the peak of Python allocations during the export
(``tracemalloc``, in a second pass so that tracing does not slow the timed pass) and
the growth of the process's peak RSS during the timed pass.

ckanext-dcat's serializer builds profiles for the scheming type ``dataset``, which
this platform does not have; the stock variants therefore use ckanext-dcat's
serializer with each dataset's own type passed to the profile (``RegistrySerializer``
with only ``euro_dcat_ap_3``): the stock profile and serialisation, otherwise untouched.

Registrations are created with ``package_create`` (full validation; indexing is
deferred to one rebuild at the end) and given a registration row and a valid
certificate row with a genuine registration code (``certificates.codes``). The review
steps, signing and PDF are not replayed: they cost about a second per registration
and the export reads none of what they add.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = sys.executable
DB_NAME = "bench_dcat"
CORE_NAME = "bench_dcat"
REDIS_DB = 12
VARIANTS = ("stock_single", "stock_paged", "tj_paged", "tj_export_cold", "tj_export_warm",
            "tj_export_1pct")
SUBSETS = {"1/16": ["+id:0*"], "all": []}
STOCK_PAGE = 100
URL_FORMATS = {"ttl": "ttl", "jsonld": "jsonld", "rdf": "rdf", "nt": "nt"}


def log(message: str) -> None:
    print(f"[dcat-bench] {message}", file=sys.stderr, flush=True)


def service_env() -> dict[str, str]:
    env = dict(os.environ)
    pg = env.get("PG_PORT", "5432")
    solr = env.get("SOLR_PORT", "8983")
    redis = env.get("REDIS_PORT", "6379")
    env["CKAN_SQLALCHEMY_URL"] = f"postgresql://ckan_default:pass@127.0.0.1:{pg}/{DB_NAME}"
    env["CKAN_SOLR_URL"] = f"http://127.0.0.1:{solr}/solr/{CORE_NAME}"
    env["CKAN_REDIS_URL"] = f"redis://127.0.0.1:{redis}/{REDIS_DB}"
    env["CKAN_INI"] = os.path.join(ROOT, "test.ini")
    return env


# --------------------------------------------------------------- CKAN in-process ---
class Ckan:
    def __init__(self) -> None:
        from ckan.cli import load_config
        from ckan.config.middleware import make_app

        config = load_config(os.environ["CKAN_INI"])
        config["testing"] = False
        config["ckan.search.solr_commit"] = False  # one commit after loading
        config["ckan.search.rows_max"] = 1000
        self.app = make_app(config)._wsgi_app

    def request(self) -> Any:
        return self.app.test_request_context()

    def site_user(self) -> str:
        from ckan.logic import get_action

        return get_action("get_site_user")({"ignore_auth": True}, {})["name"]


class Sink:
    """Where a document goes: only its size is kept."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> None:
        self.bytes += len(text.encode("utf-8"))


# ------------------------------------------------------------------------ data ---
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
DISTRICTS = ("120000", "120101", "120102", "120103", "120104", "120116")
SUBJECTS = ("公交线路", "道路交通流量", "中小学学籍", "空气质量监测", "企业登记注册",
            "食品经营许可", "医疗机构", "就业岗位信息", "不动产登记", "农产品价格")
INDUSTRIES = ("G", "P", "N", "L", "F", "Q", "M", "K", "A", "S")
FREQUENCIES = ("realtime", "hourly", "daily", "weekly", "monthly", "quarterly", "annual")


def uscc(seed: int) -> str:
    rng = random.Random(seed)
    body = "9112" + "".join(rng.choice(USCC_ALPHABET) for _ in range(13))
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def resource_record(index: int, org_id: str) -> dict[str, Any]:
    rng = random.Random(index)
    subject = SUBJECTS[index % len(SUBJECTS)]
    opened = index % 3 == 0
    record = {
        "type": "data-resource",
        "name": f"bench-res-{index:06d}",
        "title": f"{subject}数据(第{index}号)",
        "notes": f"{subject}相关的公共数据资源,编号 {index},用于基准测试。",
        "owner_org": org_id,
        "regist_object_type": "open_data_resource" if opened else "public_data_resource",
        "data_kind": rng.choice(("structured", "semi_structured", "unstructured")),
        "industry_code": INDUSTRIES[index % len(INDUSTRIES)],
        "data_source": f"{subject}业务系统",
        "gov_catalog_code": f"120000-BM-{index:06d}",
        "tag_string": f"{subject},基准测试",
        "update_frequency": rng.choice(FREQUENCIES),
        "data_scale_records": rng.randint(1000, 10_000_000),
        "data_scale_bytes": rng.randint(10_000, 10_000_000_000),
        "data_scale_fields": rng.randint(5, 80),
        "temporal_start": "2020-01-01",
        "temporal_end": "2025-12-31",
        "spatial": sorted(rng.sample(DISTRICTS, 2)),
        "share_type": "conditional",
        "share_condition": "仅限履职需要使用",
        "open_type": "unconditional" if opened else "not_open",
        "access_method": "open" if opened else "apply",
        "open_platform_url": f"https://data.tj.gov.cn/dataset/bench-{index}" if opened else "",
        "in_authorized_operation": False,
        "activity_start_date": "2025-03-01",
        "security_level": "general",
        "has_personal_info": False,
        "storage_location": "天津市政务云",
        "storage_mode": "gov_cloud",
        "contact_name": "联系人",
        "contact_phone": "022-23456789",
        "contact_email": f"contact{index}@example.org",
        "internal_review_done": True,
        "resources": [{
            "url": f"https://data.tj.gov.cn/api/bench/{index}",
            "name": f"{subject}接口",
            "description": "按条件查询",
            "resource_kind": "data",
            "format": rng.choice(("JSON", "CSV", "XLSX")),
            "data_dictionary": [{"name": "id", "type": "string", "description": "编号"},
                                {"name": "updated_at", "type": "datetime",
                                 "description": "更新时间"}],
        }],
    }
    return record


def product_record(index: int, org_id: str, sources: list[str]) -> dict[str, Any]:
    return {
        "type": "data-product",
        "name": f"bench-prod-{index:06d}",
        "title": f"数据产品(第{index}号)",
        "notes": f"基于授权运营公共数据加工形成的数据产品,编号 {index}。",
        "owner_org": org_id,
        "regist_object_type": "data_product",
        "product_form": "data_model",
        "industry_code": INDUSTRIES[index % len(INDUSTRIES)],
        "operator_name": "天津数据运营有限公司",
        "application_scenarios": "城市治理、商业分析",
        "update_frequency": "daily",
        "spatial": ["120000"],
        "tag_string": "数据产品,基准测试",
        "in_authorized_operation": True,
        "implementing_body": "天津市数据局",
        "authorization_scope": "授权范围内的加工使用",
        "authorization_start": "2025-01-01",
        "authorization_end": "2029-12-31",
        "source_regist_codes": sources,
        "delivery_mode": ["api"],
        "first_delivery_date": "2025-04-01",
        "use_restrictions": "不得用于识别特定个人",
        "fee_standard": "按次计费",
        "security_level": "general",
        "has_personal_info": False,
        "evidence_provider": "天津市数据存证服务中心",
        "evidence_time": "2025-03-10T09:00:00",
        "evidence_hash": "b" * 64,
        "contact_name": "联系人",
        "internal_review_done": True,
        "resources": [{"url": f"https://api.example.org/bench/{index}", "name": "产品接口",
                       "resource_kind": "data", "format": "JSON"}],
    }


def _set_org_fields(org_id: str, **fields: str) -> None:
    import ckan.model as model

    group = model.Group.get(org_id)
    for key, value in fields.items():
        group.extras[key] = value
    model.Session.commit()


def load(n: int) -> None:
    """Create and certify ``n`` registrations (about one in seven a product)."""
    import ckan.model as model
    import ckan.plugins as plugins
    from ckan.lib.search import commit as solr_commit
    from ckan.lib.search import rebuild
    from ckan.logic import get_action

    from ckanext.tjregistry.certificates import codes as code_rules
    from ckanext.tjregistry.certificates import validity
    from ckanext.tjregistry.metadata.validators import CODE_PATTERN
    from ckanext.tjregistry.model import Registration
    from ckanext.tjregistry.model.certificate import Certificate

    ckan = Ckan()
    plugins.unload("synchronous_search")  # indexed once, after loading
    with ckan.request():
        user = ckan.site_user()
        context = {"user": user, "ignore_auth": True}
        institutions = {}
        for district in DISTRICTS:
            org = get_action("organization_create")(dict(context), {
                "name": f"inst-{district}", "title": f"登记机构{district}"})
            _set_org_fields(org["id"], org_kind="institution",
                            admin_level="city" if district == "120000" else "district",
                            district_code=district, qualification_status="active")
            institutions[district] = org["id"]
        registrants = []
        for number in range(48):
            district = DISTRICTS[number % len(DISTRICTS)]
            org = get_action("organization_create")(dict(context), {
                "name": f"registrant-{number:02d}", "title": f"登记主体{number:02d}"})
            _set_org_fields(org["id"], org_kind="registrant",
                            admin_level="city" if district == "120000" else "district",
                            district_code=district, registrant_type="party_gov",
                            uscc=uscc(number), verified="true")
            registrants.append((org["id"], institutions[district], district))

    codes: list[str] = []
    sequences: dict[str, int] = {}
    started = time.perf_counter()
    today = dt.date.today()
    period = validity.first_period(today)
    for index in range(n):
        org_id, institution_id, district = registrants[index % len(registrants)]
        with ckan.request():
            if index % 7 == 6 and len(codes) >= 2:
                data = product_record(index, org_id, random.Random(index).sample(codes, 2))
            else:
                data = resource_record(index, org_id)
            package = get_action("package_create")(
                {"user": user, "ignore_auth": True, "defer_commit": True}, data)
            category = code_rules.category_letter(data["type"])
            scope = code_rules.sequence_scope(district, today.year, category)
            sequences[scope] = sequences.get(scope, 0) + 1
            code = str(code_rules.make_code(district, today.year, category, sequences[scope]))
            now = dt.datetime.utcnow()
            model.Session.add(Certificate(
                code=code, version=1, package_id=package["id"], registrant_id=org_id,
                institution_id=institution_id, object_type=data["type"],
                registration_type="initial", status="valid", issued_at=now,
                valid_from=period.valid_from, valid_until=period.valid_until,
                term_end=period.term_end, envelope={"bench": True}, canonical="{}"))
            model.Session.add(Registration(
                package_id=package["id"], status="registered", registrant_id=org_id,
                institution_id=institution_id, registered_at=now, modified=now))
            model.Session.commit()
            if data["type"] == "data-resource" and CODE_PATTERN.match(code):
                codes.append(code)
        if (index + 1) % 500 == 0 or index + 1 == n:
            rate = (index + 1) / (time.perf_counter() - started)
            log(f"registered {index + 1}/{n} ({rate:.1f}/s)")
    log("re-indexing with the registration facts")
    with ckan.request():
        rebuild(defer_commit=True, quiet=True)
        solr_commit()


# ------------------------------------------------------------------- variants ---
def _stock_search(subset: list[str], rows: int, start: int) -> dict[str, Any]:
    """The search ckanext-dcat's catalogue endpoint runs (anonymous, newest first)."""
    from ckan.logic import get_action

    return get_action("package_search")({"user": ""}, {
        "q": "*:*", "rows": rows, "start": start, "sort": "metadata_modified desc",
        "fq_list": ["-dataset_type:harvest", "-dataset_type:showcase", *subset]})


def stock_single(fmt: str, subset: list[str], sink: Sink) -> int:
    from ckanext.tjregistry.dcat.serializer import RegistrySerializer

    datasets: list[dict[str, Any]] = []
    while True:
        page = _stock_search(subset, 1000, len(datasets))
        datasets += page["results"]
        if len(datasets) >= page["count"] or not page["results"]:
            break
    serializer = RegistrySerializer(profiles=["euro_dcat_ap_3"])
    sink.write(serializer.serialize_catalog({}, datasets, _format=fmt))
    return len(datasets)


def stock_paged(fmt: str, subset: list[str], sink: Sink) -> int:
    from ckanext.tjregistry.dcat.serializer import RegistrySerializer

    count = 0
    page_number = 1
    while True:
        page = _stock_search(subset, STOCK_PAGE, STOCK_PAGE * (page_number - 1))
        if not page["results"]:
            break
        serializer = RegistrySerializer(profiles=["euro_dcat_ap_3"])
        sink.write(serializer.serialize_catalog(
            {}, page["results"], _format=fmt,
            pagination_info={"count": page["count"], "items_per_page": STOCK_PAGE}))
        count += len(page["results"])
        page_number += 1
    return count


def tj_paged(fmt: str, subset: list[str], sink: Sink) -> int:
    from ckanext.tjregistry.dcat import export, logic
    from ckanext.tjregistry.dcat.serializer import RegistrySerializer

    count = 0
    page_number = 1
    while True:
        query, datasets = logic.published_page(
            {"page": page_number, "fq": " ".join(subset)}, STOCK_PAGE,
            "record_modified_date desc, id asc")
        if not query["results"]:
            break
        serializer = RegistrySerializer()
        sink.write(serializer.serialize_catalog(
            {"modified": export.catalog_modified()}, datasets, _format=fmt,
            pagination_info=logic.pagination(query["count"], page_number, STOCK_PAGE)))
        count += len(datasets)
        page_number += 1
    return count


def tj_export(fmt: str, subset: list[str], sink: Sink) -> int:
    from ckanext.tjregistry.dcat import export

    for chunk in export.stream_catalog(URL_FORMATS[fmt], filters=subset):
        sink.write(chunk)
    return -1  # counted after the timed pass


def _published_count(subset: list[str]) -> int:
    from ckanext.tjregistry.dcat import logic

    query, _datasets = logic.published_page({"fq": " ".join(subset)}, 1, "id asc")
    return query["count"]


def _drop_cache(fraction: float, fmt: str) -> None:
    from ckan.lib.redis import connect_to_redis

    from ckanext.tjregistry.dcat import export

    redis = connect_to_redis()
    keys = sorted(redis.scan_iter(f"{export.CACHE_PREFIX}:{fmt}:*"))
    if fraction < 1:
        keys = keys[::max(1, round(1 / fraction))] if keys else []
    for start in range(0, len(keys), 1000):
        redis.delete(*keys[start:start + 1000])


PREPARE: dict[str, Callable[[str], None]] = {
    "tj_export_cold": lambda fmt: _drop_cache(1.0, fmt),
    "tj_export_1pct": lambda fmt: _drop_cache(0.01, fmt),
}
RUN: dict[str, Callable[[str, list[str], Sink], int]] = {
    "stock_single": stock_single,
    "stock_paged": stock_paged,
    "tj_paged": tj_paged,
    "tj_export_cold": tj_export,
    "tj_export_warm": tj_export,
    "tj_export_1pct": tj_export,
}


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(variant: str, fmt: str, subset_name: str) -> dict[str, Any]:
    """One variant in this (fresh) process: a timed pass, then a traced pass."""
    subset = SUBSETS[subset_name]
    ckan = Ckan()
    with ckan.request():
        _stock_search([], 1, 0)  # Solr and the database connection warmed alike
        if variant.startswith("tj_export") and variant != "tj_export_cold":
            tj_export(fmt, subset, Sink())  # fills the cache
        prepare = PREPARE.get(variant, lambda fmt: None)

        prepare(fmt)
        sink = Sink()
        rss_before = _rss_kib()
        started = time.perf_counter()
        count = RUN[variant](fmt, subset, sink)
        seconds = time.perf_counter() - started
        if count < 0:
            count = _published_count(subset)
        rss_growth = max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before)

        prepare(fmt)
        tracemalloc.start()
        RUN[variant](fmt, subset, Sink())
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"variant": variant, "subset": subset_name, "format": fmt, "datasets": count,
            "seconds": round(seconds, 3), "bytes": sink.bytes,
            "peak_traced_mib": round(peak / 2**20, 1),
            "rss_growth_mib": round(rss_growth / 1024, 1)}


# ------------------------------------------------------------------ orchestration ---
def _run(cmd: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)


def reset(env: dict[str, str]) -> None:
    ckan = os.path.join(os.path.dirname(PYTHON), "ckan")
    _run(["bash", "services/stack.sh", "ensure-db", DB_NAME], env)
    _run(["bash", "services/stack.sh", "ensure-core", CORE_NAME], env)
    _run(["curl", "-fsS", "-o", "/dev/null", "-H", "Content-Type: application/json", "--data",
          '{"delete": {"query": "*:*"}, "commit": {}}', f"{env['CKAN_SOLR_URL']}/update"], env)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    _run([ckan, "-c", env["CKAN_INI"], "db", "clean", "--yes"], env, **quiet)
    _run([ckan, "-c", env["CKAN_INI"], "db", "init"], env, **quiet)
    for plugin in ("activity", "tjregistry"):
        _run([ckan, "-c", env["CKAN_INI"], "db", "upgrade", "-p", plugin], env, **quiet)
    _run([PYTHON, "-c", "import redis, os; redis.Redis.from_url(os.environ['CKAN_REDIS_URL'])"
          ".flushdb()"], env)


def table(results: list[dict[str, Any]], n: int, fmt: str) -> str:
    by = {(r["variant"], r["subset"]): r for r in results}
    lines = [
        f"DCAT full-catalogue export, {n} registrations, format {fmt} "
        f"({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs)",
        "",
        "| variant | subset | datasets | seconds | peak traced MiB | RSS growth MiB | MB out |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for variant in VARIANTS:
        for subset in SUBSETS:
            r = by.get((variant, subset))
            if r:
                lines.append(f"| {variant} | {subset} | {r['datasets']} | {r['seconds']:.2f} | "
                             f"{r['peak_traced_mib']:.1f} | {r['rss_growth_mib']:.1f} | "
                             f"{r['bytes'] / 1e6:.1f} |")
    lines += ["", "Ratios on the whole catalogue (stock_single / variant; higher is better):", "",
              "| variant | time ratio | peak memory ratio |", "|---|---:|---:|"]
    base = by.get(("stock_single", "all"))
    for variant in VARIANTS[1:]:
        r = by.get((variant, "all"))
        if base and r:
            lines.append(f"| {variant} | {base['seconds'] / max(r['seconds'], 1e-9):.1f}x | "
                         f"{base['peak_traced_mib'] / max(r['peak_traced_mib'], 0.1):.1f}x |")
    lines += ["", "Memory growth from 1/16 of the catalogue to all of it "
              "(peak traced, all / 1/16):", ""]
    for variant in VARIANTS:
        small, large = by.get((variant, "1/16")), by.get((variant, "all"))
        if small and large:
            growth = large["peak_traced_mib"] / max(small["peak_traced_mib"], 0.1)
            lines.append(f"- {variant}: {growth:.1f}x")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> None:
    env = service_env()
    if not args.reuse:
        log(f"resetting {DB_NAME} (PostgreSQL, Solr, Redis db {REDIS_DB})")
        reset(env)
        log(f"loading {args.n} registrations")
        _run([PYTHON, __file__, "load", "-n", str(args.n)], env)
    results = []
    for subset in SUBSETS:
        for variant in VARIANTS:
            log(f"measuring {variant} on {subset}")
            out = _run([PYTHON, __file__, "measure", variant, "--format", args.format,
                        "--subset", subset], env, stdout=subprocess.PIPE, text=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            log(json.dumps(results[-1], ensure_ascii=False))
    report = table(results, args.n, args.format)
    print(report)
    out_dir = os.path.join(HERE, "results")
    os.makedirs(out_dir, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(out_dir, f"dcat-export-{stamp}.json"), "w", encoding="utf-8") as f:
        json.dump({"n": args.n, "format": args.format, "results": results}, f, indent=1)
    with open(os.path.join(out_dir, f"dcat-export-{stamp}.md"), "w", encoding="utf-8") as f:
        f.write(report)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="reset, load, measure every variant, report")
    p_run.add_argument("-n", type=int, default=10000)
    p_run.add_argument("--format", default="ttl", choices=sorted(URL_FORMATS))
    p_run.add_argument("--reuse", action="store_true", help="measure the data already loaded")
    p_load = sub.add_parser("load")
    p_load.add_argument("-n", type=int, default=10000)
    p_measure = sub.add_parser("measure")
    p_measure.add_argument("variant", choices=VARIANTS)
    p_measure.add_argument("--format", default="ttl", choices=sorted(URL_FORMATS))
    p_measure.add_argument("--subset", default="all", choices=sorted(SUBSETS))
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "run":
        run(args)
    elif args.command == "load":
        load(args.n)
    else:
        print(json.dumps(measure(args.variant, args.format, args.subset)))


if __name__ == "__main__":
    main()
