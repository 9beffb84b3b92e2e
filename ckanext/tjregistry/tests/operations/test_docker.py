"""The production deployment in docker/ agrees with what the test suite runs.

There is no container engine where the suite runs, so these tests read docker/ and hold
it to the development stack and the test configuration: same Solr minor and
configuration, same CKAN release, same plugins and platform settings, only declared
options. The scripts the images run are executed here for real where they do not need a
container: the database init script against PostgreSQL, the worker health check against
Redis, the environment check in bash, the scheduler's command with its health check.
"""
from __future__ import annotations

import configparser
import importlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redis
import requests
import yaml
from psycopg2 import sql
from rq import Worker

import ckan
from ckan.common import config, config_declaration
from ckan.config.environment import CONFIG_FROM_ENV_VARS

from ckanext.tjregistry.publicity import scheduler as publicity_scheduler

ROOT = Path(__file__).resolve().parents[4]
DOCKER = ROOT / "docker"
SOLR_SRC = ROOT / "services" / "solr"
CKAN_DOCKERFILE = DOCKER / "ckan" / "Dockerfile"
SOLR_DOCKERFILE = DOCKER / "solr" / "Dockerfile"

# test.ini / ckan-dev.ini options that differ per deployment or exist for tests and
# development only; every other option of theirs must be set the same way in docker/.
NOT_PLATFORM_SETTINGS = {
    "use", "testing", "SECRET_KEY", "WTF_CSRF_ENABLED",
    "ckan.site_url", "ckan.site_id", "ckan.storage_path", "sqlalchemy.url", "solr_url",
    "ckan.redis.url", "ckanext.dcat.base_uri",
    # development and tests only: demo accounts, keys made on the fly, no rate limits
    "tjregistry.demo.password", "tjregistry.certificate.auto_generate_keys",
    "tjregistry.ratelimit.enabled",
}
# Variables that are not CKAN options: read by docker-compose.yml (checked below) or by
# the ckan-base image (prerun.py creates the first sysadmin, start_ckan.sh runs uWSGI).
BASE_IMAGE_VARIABLES = {
    "CKAN_SYSADMIN_NAME", "CKAN_SYSADMIN_PASSWORD", "CKAN_SYSADMIN_EMAIL", "UWSGI_HARAKIRI",
}
COMPOSE_VARIABLES = {
    "TJREGISTRY_IMAGE", "TJREGISTRY_TAG", "CKAN_PORT_HOST", "SOLR_HEAP",
    "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "CKAN_DB_USER", "CKAN_DB_PASSWORD",
    "CKAN_DB",
}


# ------------------------------------------------------------------- readers ---
def env_file(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(set, documented-but-commented) variables of an env file, quotes removed as compose does."""
    active: dict[str, str] = {}
    commented: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(#\s*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if not match:
            continue
        value = match.group(3)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        (commented if match.group(1) else active)[match.group(2)] = value
    return active, commented


def ini_app_main(path: Path) -> dict[str, str]:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return {k: v for k, v in parser.items("app:main") if k not in parser.defaults()}


def declared_options() -> set[str]:
    """Options declared by CKAN and the plugins test.ini loads (this extension, dcat, ...)."""
    return {str(key) for key in config_declaration.iter_options()} | {"SECRET_KEY"}


def option_for(variable: str, declared: set[str]) -> str:
    """The ini option ckanext-envvars sets from a variable (CKAN__A__B -> ckan.a.b,
    CKAN___A__B -> a.b, a declared upper-case option kept as it is)."""
    key = variable[len("CKAN___"):] if variable.startswith("CKAN___") else variable
    return key if key in declared else key.lower().replace("__", ".")


def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text(encoding="utf-8"))


def dockerfile_arg(path: Path, name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path} declares no ARG {name}"
    return match.group(1)


def copy_instructions(path: Path) -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY of a Dockerfile (options dropped)."""
    result = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            words = [w for w in line.split()[1:] if not w.startswith("--")]
            result.append((words[:-1], words[-1]))
    return result


def docker_settings() -> dict[str, str]:
    active, _ = env_file(DOCKER / ".env.example")
    return active


def pom_solr_minor() -> str:
    version = re.search(r"<solr.version>([\d.]+)</solr.version>",
                        (SOLR_SRC / "pom.xml").read_text(encoding="utf-8"))
    assert version
    return ".".join(version.group(1).split(".")[:2])


def tested_ckan_version() -> str:
    match = re.search(r'CKAN_VERSION="\$\{CKAN_VERSION:-([\d.]+)\}"',
                      (ROOT / "services" / "env.sh").read_text(encoding="utf-8"))
    assert match
    return match.group(1)


# -------------------------------------------------------------------- images ---
def test_solr_image_is_ckan_solr_of_the_development_solr_minor():
    minor = pom_solr_minor()
    ckan_minor = ".".join(tested_ckan_version().split(".")[:2])
    expected = f"ckan/ckan-solr:{ckan_minor}-solr{minor}"
    assert dockerfile_arg(SOLR_DOCKERFILE, "SOLR_IMAGE") == expected
    solrconfig = (SOLR_SRC / "configsets" / "common" / "solrconfig.xml").read_text(encoding="utf-8")
    assert f"<luceneMatchVersion>{minor}</luceneMatchVersion>" in solrconfig


def test_solr_image_replaces_the_ckan_configset_with_the_project_configuration():
    text = SOLR_DOCKERFILE.read_text(encoding="utf-8")
    assert 'rm -rf "${SOLR_CONFIG_DIR}/ckan/conf"' in text
    copies = {src: dest for sources, dest in copy_instructions(SOLR_DOCKERFILE) for src in sources}
    conf = "${SOLR_CONFIG_DIR}/ckan/conf/"
    assert copies["services/solr/configsets/common/"] == conf
    assert copies["services/solr/configsets/tjregistry/"] == conf
    copied = {p.name for d in ("common", "tjregistry")
              for p in (SOLR_SRC / "configsets" / d).iterdir()}
    assert {"solrconfig.xml", "schema.xml", "synonyms.txt", "protwords.txt"} <= copied
    schema = (SOLR_SRC / "configsets" / "tjregistry" / "schema.xml").read_text(encoding="utf-8")
    ckan_minor = ".".join(tested_ckan_version().split(".")[:2])
    assert f'<schema name="ckan-{ckan_minor}"' in schema


@pytest.mark.parametrize("name", ["schema.xml", "solrconfig.xml", "synonyms.txt", "protwords.txt"])
def test_the_solr_of_the_test_run_serves_the_files_the_image_ships(name):
    """The core this suite runs on has byte for byte the configuration docker/ copies."""
    folder = "tjregistry" if name == "schema.xml" else "common"
    shipped = (SOLR_SRC / "configsets" / folder / name).read_bytes()
    served = requests.get(f"{config['solr_url']}/admin/file",
                          params={"file": name, "contentType": "text/plain;charset=utf-8"},
                          timeout=10)
    served.raise_for_status()
    assert served.content == shipped


def test_ckan_image_is_the_official_base_of_the_tested_release():
    assert dockerfile_arg(CKAN_DOCKERFILE, "CKAN_BASE_IMAGE") == \
        f"ckan/ckan-base:{tested_ckan_version()}"


def test_ckan_image_installs_the_extension_with_the_pinned_requirements():
    text = CKAN_DOCKERFILE.read_text(encoding="utf-8")
    assert "pip3 install --no-cache-dir -r requirements.txt ." in text
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert "ckanext-scheming==3.1.0" in requirements
    assert "ckanext-dcat==2.4.4" in requirements
    # start_ckan.sh of the base image runs from /srv/app.
    assert text.rstrip().splitlines()[-1] == "WORKDIR ${APP_DIR}"


@pytest.mark.parametrize("dockerfile", [CKAN_DOCKERFILE, SOLR_DOCKERFILE])
def test_every_copied_path_exists_and_is_in_the_build_context(dockerfile):
    ignore = Path(f"{dockerfile}.dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [p.strip() for p in ignore if p.strip() and not p.startswith("#")]
    assert patterns[0] == "*", "the context starts empty and lists what it needs"
    included = [p[1:].rstrip("/") for p in patterns if p.startswith("!")]
    excluded = [p.rstrip("/") for p in patterns[1:] if not p.startswith("!")]
    for sources, _ in copy_instructions(dockerfile):
        for source in sources:
            path = source.rstrip("/") if source not in ("./",) else ""
            assert (ROOT / path).exists(), f"{dockerfile.name} copies missing {source}"
            assert any(path == inc or path.startswith(inc + "/") for inc in included), \
                f"{source} is not in the build context of {dockerfile.name}"
            assert path not in excluded


# ------------------------------------------------------------------- compose ---
def test_compose_runs_every_service_with_a_healthcheck_and_volumes():
    spec = compose()
    services = spec["services"]
    assert set(services) == {"ckan", "ckan-worker", "scheduler", "db", "solr", "redis"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped"
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for name in ("ckan", "ckan-worker", "scheduler", "solr"):
        build = services[name]["build"]
        assert build["context"] == ".."
        assert (DOCKER / ".." / build["dockerfile"]).is_file()
    assert services["ckan"]["image"] == services["ckan-worker"]["image"]
    assert services["ckan-worker"]["command"] == ["/srv/app/tjregistry/start_worker.sh"]
    assert (DOCKER / "ckan" / "setup" / "start_worker.sh").stat().st_mode & 0o111
    assert {d: c["condition"] for d, c in services["ckan"]["depends_on"].items()} == \
        {"db": "service_healthy", "solr": "service_healthy", "redis": "service_healthy"}
    assert services["ckan-worker"]["depends_on"]["ckan"]["condition"] == "service_healthy"
    assert services["scheduler"]["image"] == services["ckan"]["image"]
    assert services["scheduler"]["command"] == ["/srv/app/tjregistry/start_scheduler.sh"]
    assert (DOCKER / "ckan" / "setup" / "start_scheduler.sh").stat().st_mode & 0o111
    assert services["scheduler"]["depends_on"]["ckan"]["condition"] == "service_healthy"
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])
             if not v.startswith(".")}
    assert named == set(spec["volumes"])
    assert "./postgres/initdb:/docker-entrypoint-initdb.d:ro" in services["db"]["volumes"]


def test_the_ckan_services_share_the_environment():
    """The web app, the worker and the scheduler read the same .env and services."""
    spec = compose()
    for name in ("ckan", "ckan-worker", "scheduler"):
        service = spec["services"][name]
        assert service["env_file"] == spec["x-ckan-env"]["env_file"], name
        assert service["environment"] == spec["x-ckan-env"]["environment"], name


def test_compose_points_ckan_at_its_services():
    environment = compose()["x-ckan-env"]["environment"]
    assert environment["CKAN_SOLR_URL"] == "http://solr:8983/solr/ckan"
    assert environment["CKAN_REDIS_URL"].startswith("redis://redis:6379/")
    assert environment["CKAN_SQLALCHEMY_URL"].startswith("postgresql://${CKAN_DB_USER")
    assert environment["CKAN_SQLALCHEMY_URL"].endswith("@db:5432/${CKAN_DB:?}")


def test_compose_and_env_file_variables_are_used_where_declared():
    text = (DOCKER / "docker-compose.yml").read_text(encoding="utf-8")
    initdb = (DOCKER / "postgres" / "initdb" / "10-create-ckan-db.sh").read_text(encoding="utf-8")
    for variable in COMPOSE_VARIABLES:
        assert "${" + variable in text, f"{variable} is not used by docker-compose.yml"
    for variable in ("CKAN_DB_USER", "CKAN_DB_PASSWORD", "CKAN_DB", "POSTGRES_USER"):
        assert "$" + variable in initdb or "${" + variable in initdb


# ------------------------------------------------------------------ settings ---
def test_docker_loads_the_plugins_of_test_ini_with_envvars_last():
    plugins = ini_app_main(ROOT / "test.ini")["ckan.plugins"].split()
    assert docker_settings()["CKAN__PLUGINS"].split() == [*plugins, "envvars"]
    baked = re.search(r'^ENV CKAN__PLUGINS="([^"]+)"$',
                      CKAN_DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert baked and baked.group(1).split() == [*plugins, "envvars"]


@pytest.mark.parametrize("ini", ["test.ini", "services/ckan-dev.ini"])
def test_docker_sets_the_platform_settings_of(ini):
    declared = declared_options()
    docker = {option_for(k, declared): v for k, v in docker_settings().items()}
    docker["ckan.plugins"] = docker["ckan.plugins"].removesuffix(" envvars")
    differences = {
        key: (value, docker.get(key))
        for key, value in ini_app_main(ROOT / ini).items()
        if key not in NOT_PLATFORM_SETTINGS and docker.get(key, "").split() != value.split()
    }
    assert not differences, f"{ini} and docker/.env.example disagree (ini, docker): {differences}"


def test_production_keeps_the_safeguards_tests_switch_off():
    declared = declared_options()
    _, commented = env_file(DOCKER / ".env.example")
    settings = {option_for(k, declared): v for k, v in docker_settings().items()}
    assert settings.get("tjregistry.certificate.auto_generate_keys", "false") == "false"
    assert commented["CKAN___TJREGISTRY__CERTIFICATE__AUTO_GENERATE_KEYS"] == "false"
    assert settings.get("tjregistry.ratelimit.enabled", "true") == "true"
    assert commented["CKAN___TJREGISTRY__RATELIMIT__ENABLED"] == "true"


DECLARED_IN_2_11_ONLY = {"ckan.csrf_protection.ignore_extensions"}


def test_every_variable_docker_passes_is_a_ckan_option_or_a_deployment_variable():
    declared = declared_options()
    scheming_dir = Path(importlib.import_module("ckanext.scheming").__file__).parent
    scheming_source = "\n".join(p.read_text(encoding="utf-8") for p in scheming_dir.glob("*.py"))
    active, commented = env_file(DOCKER / ".env.example")
    variables = set(active) | set(commented)
    for service in ("ckan", "ckan-worker", "scheduler"):
        variables |= set(compose()["services"][service].get("environment") or {})
    variables |= set(compose()["x-ckan-env"]["environment"])
    from_env = set(CONFIG_FROM_ENV_VARS.values())
    unknown = []
    for variable in sorted(variables):
        if variable in from_env | BASE_IMAGE_VARIABLES | COMPOSE_VARIABLES:
            continue
        option = option_for(variable, declared)
        # scheming 3.1.0 declares no options; it reads these names itself.
        read_by_scheming = option.startswith("scheming.") and f"'{option}'" in scheming_source
        if option in declared or read_by_scheming:
            continue
        # The image runs CKAN 2.11; this option of 2.11 is gone from 2.12's declarations.
        if option in DECLARED_IN_2_11_ONLY and not ckan.__version__.startswith("2.11"):
            continue
        unknown.append(f"{variable} -> {option}")
    assert not unknown, f"not CKAN options: {unknown}"


def test_env_file_documents_every_tjregistry_option_with_its_default():
    active, commented = env_file(DOCKER / ".env.example")
    declaration = yaml.safe_load(
        (ROOT / "ckanext" / "tjregistry" / "config_declaration.yaml").read_text(encoding="utf-8"))
    missing, wrong_default = [], []
    for group in declaration["groups"]:
        for option in group["options"]:
            variable = "CKAN___" + option["key"].upper().replace(".", "__")
            default = option.get("default", "")
            default = str(default).lower() if isinstance(default, bool) else str(default)
            if variable in commented:
                if commented[variable] != default:
                    wrong_default.append(f"{variable}: {commented[variable]!r} != {default!r}")
            elif variable not in active:
                missing.append(f"# {variable}={default}")
    assert not missing, "add to docker/.env.example:\n" + "\n".join(missing)
    assert not wrong_default, wrong_default


# ------------------------------------------------------------------- scripts ---
def run_require_env(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = DOCKER / "ckan" / "setup" / "require-env.sh"
    return subprocess.run(
        ["bash", "-c", f'. "{script}" && tjregistry_check_env'],
        env={"PATH": os.environ["PATH"], **environment}, capture_output=True, text=True,
        check=False)


def test_containers_refuse_to_start_with_the_example_placeholders():
    environment = {**docker_settings(), "CKAN_SQLALCHEMY_URL": "postgresql://u:p@db/ckan",
                   "CKAN_SOLR_URL": "http://solr:8983/solr/ckan",
                   "CKAN_REDIS_URL": "redis://redis:6379/0"}
    refused = run_require_env(environment)
    assert refused.returncode != 0
    for variable in ("CKAN___SECRET_KEY", "POSTGRES_PASSWORD", "CKAN_SYSADMIN_PASSWORD"):
        assert f"{variable} still has the example value" in refused.stderr

    real = {k: v.replace("change-me", f"real-{k.lower()}") for k, v in environment.items()}
    real["CKAN___API_TOKEN__JWT__DECODE__SECRET"] = real["CKAN___API_TOKEN__JWT__ENCODE__SECRET"]
    accepted = run_require_env(real)
    assert accepted.returncode == 0, accepted.stderr

    without_envvars = {**real, "CKAN__PLUGINS": real["CKAN__PLUGINS"].removesuffix(" envvars")}
    assert "end with envvars" in run_require_env(without_envvars).stderr


def test_postgres_init_script_creates_the_ckan_role_and_database():
    """The script the postgres image runs on its first start, against the real server."""
    # As the image runs it: as the cluster's superuser (services/test.sh names it).
    url = os.environ["TJ_PG_ADMIN_URL"]
    admin = psycopg2.connect(url)
    admin.autocommit = True
    suffix = uuid.uuid4().hex[:8]
    role, database, password = f"tjr_initdb_{suffix}", f"tjr_initdb_{suffix}", "p'w\"d $x"
    dsn = psycopg2.extensions.parse_dsn(url)
    environment = {
        "PATH": os.environ["PATH"], "PGHOST": dsn.get("host", "127.0.0.1"),
        "PGPORT": str(dsn.get("port", 5432)), "PGPASSWORD": dsn.get("password", ""),
        "POSTGRES_USER": dsn["user"], "POSTGRES_DB": dsn["dbname"],
        "CKAN_DB_USER": role, "CKAN_DB_PASSWORD": password, "CKAN_DB": database,
    }
    try:
        script = DOCKER / "postgres" / "initdb" / "10-create-ckan-db.sh"
        done = subprocess.run(["bash", str(script)], env=environment, capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr
        with psycopg2.connect(host=environment["PGHOST"], port=environment["PGPORT"], user=role,
                              password=password, dbname=database) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding) "
                        "FROM pg_database WHERE datname = current_database()")
            assert cur.fetchone() == (role, "UTF8")
            cur.execute("CREATE TABLE probe (id int)")  # the owner can build CKAN's tables
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                        .format(sql.Identifier(database)))
            cur.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        admin.close()


def test_the_platform_role_is_an_ordinary_owner_not_a_superuser():
    with psycopg2.connect(config["sqlalchemy.url"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
                    "WHERE rolname = current_user")
        assert cur.fetchone() == (False, False, False)
        cur.execute("SELECT pg_get_userbyid(datdba) = current_user FROM pg_database "
                    "WHERE datname = current_database()")
        assert cur.fetchone() == (True,)
    conn.close()


def test_worker_healthcheck_follows_the_workers_registration_in_redis():
    script = DOCKER / "ckan" / "setup" / "worker_healthcheck.py"
    redis_url = config["ckan.redis.url"]
    environment = {"PATH": os.environ["PATH"], "CKAN_REDIS_URL": redis_url}

    def check() -> int:
        return subprocess.run([sys.executable, str(script)], env=environment,
                              capture_output=True, check=False).returncode

    connection = redis.Redis.from_url(redis_url)
    worker = Worker(["tjregistry-healthcheck-test"], connection=connection,
                    name=f"healthcheck-{uuid.uuid4().hex}")
    mine = [w for w in Worker.all(connection=connection) if w.hostname == socket.gethostname()]
    assert not mine, "a job worker of this host is registered in the test Redis database"
    assert check() == 1
    worker.register_birth()
    try:
        assert check() == 0
    finally:
        worker.register_death()
    assert check() == 1


def scheduler_command() -> tuple[list[str], str]:
    """The ckan arguments start_scheduler.sh runs (after ``ckan -c "$CKAN_INI"``) and its
    heartbeat file."""
    script = (DOCKER / "ckan" / "setup" / "start_scheduler.sh").read_text(encoding="utf-8")
    (line,) = [li for li in script.splitlines() if li.startswith("exec ")]
    words = shlex.split(line)
    assert words[:4] == ["exec", "ckan", "-c", "$CKAN_INI"]
    arguments = words[4:]
    return arguments, arguments[arguments.index("--heartbeat") + 1]


def run_scheduler_healthcheck(heartbeat: Path, max_age: str) -> int:
    script = DOCKER / "ckan" / "setup" / "scheduler_healthcheck.py"
    return subprocess.run([sys.executable, str(script), str(heartbeat), max_age],
                          capture_output=True, check=False).returncode


def test_scheduler_healthcheck_reads_the_heartbeat_the_scheduler_writes(tmp_path):
    arguments, heartbeat = scheduler_command()
    assert arguments[:3] == ["tjregistry", "workflow", "scheduler"]
    check = compose()["services"]["scheduler"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python3", "/srv/app/tjregistry/scheduler_healthcheck.py"]
    assert check[3] == heartbeat
    max_age = check[4]
    # The scheduler touches the file at least once a minute; the check allows three.
    assert float(max_age) >= 180

    beat = tmp_path / "alive"
    assert run_scheduler_healthcheck(beat, max_age) == 1
    publicity_scheduler.write_heartbeat(beat)
    assert run_scheduler_healthcheck(beat, max_age) == 0
    beat.write_text(f"{time.time() - float(max_age) - 60}\n")
    assert run_scheduler_healthcheck(beat, max_age) == 1
    beat.touch()  # the file's time does not count: what it holds does
    assert run_scheduler_healthcheck(beat, max_age) == 1
    beat.write_text("")
    assert run_scheduler_healthcheck(beat, max_age) == 1


@pytest.mark.usefixtures("clean_db", "clean_queues")
def test_the_scheduler_service_command_runs_and_stops_cleanly_on_sigterm(tmp_path):
    """The command of the scheduler service, on test.ini: it starts, keeps its health check
    green, and exits with 0 when docker stops it (SIGTERM)."""
    arguments, heartbeat = scheduler_command()
    beat = tmp_path / "alive"
    arguments[arguments.index(heartbeat)] = str(beat)
    ckan = Path(sys.executable).parent / "ckan"
    process = subprocess.Popen([str(ckan), "-c", str(ROOT / "test.ini"), *arguments],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not beat.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if not beat.exists():
            process.kill()
            pytest.fail(f"the scheduler wrote no heartbeat:\n{process.communicate()[0]}")
        max_age = compose()["services"]["scheduler"]["healthcheck"]["test"][4]
        assert run_scheduler_healthcheck(beat, max_age) == 0
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "publicity scheduler: sweeps at 23:30 (Asia/Shanghai) on working days" in output
    assert "publicity scheduler stopped" in output.splitlines()
