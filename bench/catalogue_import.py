"""Government data catalogue import: how long `ckan tjregistry catalogue import` takes.

Run by hand, never in CI::

    .venv/bin/python bench/catalogue_import.py run              # 10,000 rows, CSV
    .venv/bin/python bench/catalogue_import.py run -n 2000 --format xlsx

``run`` uses its own PostgreSQL database and Solr core (``bench_catalogue``, emptied
first) and Redis database 13. It creates 20 registrants, writes a catalogue file of N
rows in the documented layout (a few rows per thousand deliberately invalid, a few
with an unknown provider), and runs the real command line three times, each in a
fresh process, timing the whole command (start-up included):

* ``first``: every row new: catalogue entries and draft registrations created;
* ``again``: the same file: every row unchanged;
* ``changed``: 10% of the rows changed: those drafts updated.

Afterwards it checks the counts in the database (one draft per valid row, no
duplicates) and writes the figures to ``bench/results/catalogue-import-<time>.{json,md}``.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CKAN = os.path.join(os.path.dirname(sys.executable), "ckan")
DB_NAME = "bench_catalogue"
CORE_NAME = "bench_catalogue"
REDIS_DB = 13
REGISTRANTS = 20
SUBJECTS = ("中小学名录", "道路交通流量", "空气质量监测", "企业登记注册", "食品经营许可",
            "医疗机构", "就业岗位信息", "不动产登记", "农产品价格", "公交线路")
INDUSTRIES = ("教育", "交通运输、仓储和邮政业", "水利、环境和公共设施管理业", "批发和零售业",
              "卫生和社会工作", "公共管理、社会保障和社会组织", "农、林、牧、渔业")
FREQUENCIES = ("实时", "每日", "每周", "每月", "每季度", "每年", "不定期")
DISTRICTS = ("和平区", "河东区", "河西区", "南开区", "滨海新区", "天津市(市级)")
HEADER = ("目录编码", "资源名称", "资源摘要", "提供方名称", "所属行业", "数据类型", "来源系统",
          "更新周期", "共享属性", "共享条件", "开放属性", "数据量(条)", "信息项数量",
          "覆盖区域", "关键词")


def log(message: str) -> None:
    print(f"[catalogue-bench] {message}", file=sys.stderr, flush=True)


def service_env(storage: str) -> dict[str, str]:
    env = dict(os.environ)
    pg = env.get("PG_PORT", "5432")
    solr = env.get("SOLR_PORT", "8983")
    redis = env.get("REDIS_PORT", "6379")
    env["CKAN_SQLALCHEMY_URL"] = f"postgresql://ckan_default:pass@127.0.0.1:{pg}/{DB_NAME}"
    env["CKAN_SOLR_URL"] = f"http://127.0.0.1:{solr}/solr/{CORE_NAME}"
    env["CKAN_REDIS_URL"] = f"redis://127.0.0.1:{redis}/{REDIS_DB}"
    env["CKAN_INI"] = os.path.join(ROOT, "test.ini")
    env["CKAN_STORAGE_PATH"] = storage
    return env


def reset_services(env: dict[str, str]) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=int(env.get("PG_PORT", "5432")),
                                  user="ckan_default", password="pass", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", (DB_NAME,))
        cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
    connection.close()
    for command in (["ensure-db", DB_NAME], ["ensure-core", CORE_NAME]):
        subprocess.run(["bash", "services/stack.sh", *command], cwd=ROOT, check=True)
    subprocess.run([CKAN, "-c", env["CKAN_INI"], "db", "init"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([CKAN, "-c", env["CKAN_INI"], "search-index", "clear"], cwd=ROOT, env=env,
                   check=True, capture_output=True)


REGISTRANT_SETUP = """
import os, sys
from ckan.cli import load_config
from ckan.config.middleware import make_app
app = make_app(load_config(os.environ["CKAN_INI"]))
with app._wsgi_app.test_request_context():
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    for index in range(int(sys.argv[1])):
        org = tk.get_action("organization_create")(
            {"ignore_auth": True, "user": site},
            {"name": f"bench-unit-{index:02d}", "title": f"基准测试委办局{index:02d}"})
        group = model.Group.get(org["id"])
        for key, value in {"org_kind": "registrant", "admin_level": "city",
                           "district_code": "120000", "registrant_type": "party_gov",
                           "verified": "true"}.items():
            group.extras[key] = value
    model.Session.commit()
"""


def catalogue_rows(count: int, changed: float = 0.0) -> list[list[str]]:
    rows = []
    for index in range(count):
        rng = random.Random(index)
        subject = SUBJECTS[index % len(SUBJECTS)]
        title = f"{subject}(目录第{index}号)"
        if changed and random.Random(f"change-{index}").random() < changed:
            title += "(修订)"
        provider = f"基准测试委办局{index % REGISTRANTS:02d}"
        if index % 500 == 7:
            provider = "未在平台注册的单位"
        frequency = rng.choice(FREQUENCIES)
        if index % 1000 == 13:
            frequency = "偶尔"  # not an allowed value: reported as an error
        rows.append([
            f"120000-BM-{index:06d}", title, f"{subject}相关数据,目录编号 {index}。", provider,
            INDUSTRIES[index % len(INDUSTRIES)], "结构化数据", f"{subject}业务系统", frequency,
            "有条件共享", "仅限履职使用", "不予开放", str(rng.randint(1000, 10_000_000)),
            str(rng.randint(5, 80)), "、".join(rng.sample(DISTRICTS, 2)), f"{subject}、基准测试",
        ])
    return rows


def write_file(path: str, rows: list[list[str]], file_format: str) -> None:
    if file_format == "xlsx":
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("政务数据目录")
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        workbook.save(path)
        return
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


def import_once(env: dict[str, str], path: str, report: str, workers: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([CKAN, "-c", env["CKAN_INI"], "tjregistry", "catalogue", "import",
                             path, "--report", report, "--workers", str(workers)], cwd=ROOT,
                            env=env, capture_output=True,
                            text=True)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if result.returncode not in (0, 1):
        raise RuntimeError(result.stderr[-3000:])
    counts = {key: int(value) for key, value in
              re.findall(r"^(rows|created|updated|unchanged|locked|other_registrant|"
                         r"catalogue_only|error): (\d+)$", result.stdout, re.MULTILINE)}
    # The command's own CPU time does not depend on what else the machine runs; the
    # load average says how busy it was (PostgreSQL and Solr work in other processes).
    return {"seconds": round(seconds, 1), "rows_per_second": round(counts["rows"] / seconds, 1),
            "command_cpu_seconds": round(cpu, 1),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "counts": counts}


COUNT_QUERY = """
import os, json
from ckan.cli import load_config
from ckan.config.middleware import make_app
app = make_app(load_config(os.environ["CKAN_INI"]))
with app._wsgi_app.test_request_context():
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckanext.tjregistry.model.catalogue import CatalogueEntry
    drafts = model.Session.query(model.Package).filter(model.Package.state == "draft").count()
    names = model.Session.query(model.Package.name).distinct().count()
    site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    indexed = tk.get_action("package_search")({"ignore_auth": True, "user": site},
        {"include_drafts": True, "include_private": True, "rows": 0})["count"]
    print(json.dumps({"draft_datasets": drafts, "distinct_names": names,
                      "catalogue_entries": model.Session.query(CatalogueEntry).count(),
                      "indexed": indexed}))
"""


def run(count: int, file_format: str, workers: int) -> dict[str, Any]:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    work = os.path.join(ROOT, ".run", "bench-catalogue", stamp)
    os.makedirs(work, exist_ok=True)
    env = service_env(os.path.join(work, "storage"))
    log(f"resetting database and core {DB_NAME}")
    reset_services(env)
    subprocess.run([sys.executable, "-c", REGISTRANT_SETUP, str(REGISTRANTS)], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    path = os.path.join(work, f"catalogue.{file_format}")
    write_file(path, catalogue_rows(count), file_format)
    results: dict[str, Any] = {"rows": count, "format": file_format, "workers": workers}
    for name, changed in (("first", 0.0), ("again", 0.0), ("changed", 0.1)):
        if changed:
            write_file(path, catalogue_rows(count, changed), file_format)
        log(f"import: {name}")
        results[name] = import_once(env, path, os.path.join(work, f"report-{name}.csv"),
                                    workers)
        log(f"  {results[name]}")
    checked = subprocess.run([sys.executable, "-c", COUNT_QUERY], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True)
    results["database"] = json.loads(checked.stdout.strip().splitlines()[-1])
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()}
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [f"# Catalogue import: {results['rows']} rows ({results['format']}, "
             f"--workers {results['workers']})", "",
             "| run | seconds | rows/s | command CPU s | load avg (start, end) | created | "
             "updated | unchanged | catalogue only | errors |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for name in ("first", "again", "changed"):
        row = results[name]
        counts = row["counts"]
        load = ", ".join(str(value) for value in row["load_average"])
        lines.append(f"| {name} | {row['seconds']} | {row['rows_per_second']} | "
                     f"{row['command_cpu_seconds']} | {load} | "
                     f"{counts.get('created', 0)} | {counts.get('updated', 0)} | "
                     f"{counts.get('unchanged', 0)} | {counts.get('catalogue_only', 0)} | "
                     f"{counts.get('error', 0)} |")
    database = results["database"]
    lines += ["", f"Database afterwards: {database['draft_datasets']} draft registrations, "
                  f"{database['catalogue_entries']} catalogue entries, "
                  f"{database['indexed']} datasets in Solr.",
              f"Machine: {results['machine']['cpus']} CPUs, Python "
              f"{results['machine']['python']}, {results['machine']['platform']}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    command = sub.add_parser("run", help="measure the import")
    command.add_argument("-n", "--rows", type=int, default=10_000)
    command.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    command.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                         help="the command's --workers (default: one per CPU, as the command)")
    args = parser.parse_args()
    results = run(args.rows, args.format, args.workers)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = os.path.join(HERE, "results", f"catalogue-import-{stamp}")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out + ".json", "w", encoding="utf-8") as handle:
        json.dump(results, handle, ensure_ascii=False, indent=2)
    with open(out + ".md", "w", encoding="utf-8") as handle:
        handle.write(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
