"""The container files, checked without a Docker engine: what a user would check by reading them.

docker-compose.yml must match the Compose specification, lay Airflow out as Airflow's own compose
file does (api-server, scheduler, dag-processor, triggerer, airflow-init, Postgres metadata), build
the pipeline's services from the repo's Dockerfile, run only scripts that exist (and are
executable), mount the data volume where HOTLINE_DATA_DIR points, take every secret from the host
environment only, give Superset the warehouse through the read-only role, start nothing before what
it waits for can be healthy, and import the same DAGs in the image's layout as on a laptop.
Where a Postgres server can be started here, the warehouse's init script and airflow-init run on it.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
MAKEFILE = ROOT / "Makefile"
# required from the host: `${HOTLINE_HASH_KEY:?message}`; a `:-default` would be a literal key in the repo
PROJECT_IMAGE = "hotline-warehouse:local"
ENV_EXAMPLE = ROOT / ".env.example"
SUPERSET_DIR = ROOT / "docker" / "superset"
WAREHOUSE_INIT = ROOT / "docker" / "warehouse" / "initdb" / "10-reader.sh"
# scripts a container runs from a copy of the repo: they must be executable in the copy
EXECUTED_SCRIPTS = ["docker/superset/superset-init.sh", "docker/warehouse/initdb/10-reader.sh"]
HASH_KEY_FROM_HOST = re.compile(r"^\$\{HOTLINE_HASH_KEY:\?[^}]*\}$")


@pytest.fixture(scope="module")
def compose() -> dict:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    return document


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    services = compose.get("services")
    assert isinstance(services, dict) and services, "docker-compose.yml defines no services"
    return services


@pytest.fixture(scope="module")
def hotline_services(services: dict[str, dict]) -> dict[str, dict]:
    """The services that run the pipeline's code: those built as the project's image."""
    found = {name: service for name, service in services.items() if service.get("image") == PROJECT_IMAGE}
    assert found, f"no service runs {PROJECT_IMAGE}"
    return found


def dockerfile_instructions(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            for assignment in shlex.split(arguments):
                name, _, value = assignment.partition("=")
                env[name] = value
    return env


def environment(service: dict) -> dict[str, str | None]:
    """A service's environment in either compose form (mapping or KEY=VALUE list)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return {name: value for name, _, value in (item.partition("=") for item in env)}
    return {name: None if value is None else str(value) for name, value in env.items()}


def command_lines(service: dict) -> list[list[str]]:
    """The command lines a service runs: its command, and each `&&`/`;` part of a `sh -c` script."""
    command = service.get("command")
    if command is None:
        command = next(json_args(arguments) for keyword, arguments in dockerfile_instructions() if keyword == "CMD")
    words = shlex.split(command) if isinstance(command, str) else [str(word) for word in command]
    if len(words) == 3 and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and words[1] == "-c":
        return [shlex.split(part) for part in re.split(r"&&|\|\||;", words[2]) if part.strip()]
    return [words]


def json_args(arguments: str) -> list[str]:
    return yaml.safe_load(arguments)  # a Dockerfile exec-form array is JSON, which YAML reads


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE))


def test_compose_parses_with_airflow_and_bi_by_default_and_pipeline_on_demand(services):
    by_default = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
    by_default |= {"airflow-init", "airflow-db", "warehouse", "superset", "superset-init"}
    assert by_default | {"pipeline"} <= set(services)
    for name in by_default:
        assert not services[name].get("profiles"), f"{name} must start with a plain `docker compose up`"
    assert services["pipeline"].get("profiles") == ["manual"]


def test_every_pipeline_service_builds_from_the_repo_dockerfile(hotline_services):
    assert DOCKERFILE.is_file()
    for name, service in hotline_services.items():
        build = service.get("build")
        assert build is not None, f"{name}: no build section"
        if isinstance(build, str):
            build = {"context": build}
        context = (ROOT / build.get("context", ".")).resolve()
        assert context == ROOT, f"{name}: builds from {context}, not the repo"
        assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE, name
    base = next(arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM")
    assert base == "python:3.11-slim"


def test_dockerfile_copies_the_repo_into_its_workdir(hotline_services):
    instructions = dockerfile_instructions()
    workdirs = [arguments for keyword, arguments in instructions if keyword == "WORKDIR"]
    copies = [shlex.split(arguments) for keyword, arguments in instructions if keyword == "COPY"]
    assert workdirs, "no WORKDIR: relative paths in the commands would not resolve"
    assert any(words[-2:] == [".", "."] for words in copies), "the repo is not copied into the WORKDIR"
    for name, service in hotline_services.items():
        assert service.get("working_dir", workdirs[-1]) == workdirs[-1], f"{name}: runs outside the repo copy"


def test_every_path_a_command_runs_exists_and_is_executable(hotline_services):
    venv_scripts = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"])
    for name, service in hotline_services.items():
        for words in command_lines(service):
            program, arguments = words[0], words[1:]
            if program.startswith(".venv/bin/"):  # made by `make setup` in the image
                assert re.search(r"^VENV := \.venv$", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE)
                assert program.removeprefix(".venv/bin/") in venv_scripts, f"{name}: {program} is not installed"
            elif "/" in program:
                path = ROOT / program
                assert path.is_file(), f"{name}: {program} is not in the repo"
                assert os.access(path, os.X_OK), f"{name}: {program} is not executable"
            elif program == "make":
                missing = {target for target in arguments if "=" not in target} - makefile_targets()
                assert not missing, f"{name}: no Makefile target {missing}"
            for argument in arguments:  # relative paths handed to the program
                if re.fullmatch(r"[\w.-]+/[\w./-]+", argument) and not argument.startswith("/"):
                    assert (ROOT / argument).exists(), f"{name}: {argument} is not in the repo"


@pytest.mark.parametrize("script", ["scripts/airflow.sh", *EXECUTED_SCRIPTS])
def test_scripts_are_executable_in_git_too(script):
    """A clean clone (CI, another laptop) builds from git's file modes, not this working tree's."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        ["git", "ls-files", "-s", script], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    if not listing:
        pytest.skip(f"{script} is not tracked yet")
    assert listing.startswith("100755"), f"{script} is not executable in git (git update-index --chmod=+x)"


def test_data_volume_is_mounted_where_hotline_data_dir_points(compose, hotline_services):
    image_data_dir = dockerfile_env().get("HOTLINE_DATA_DIR")
    volumes = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "VOLUME"]
    assert image_data_dir, "the Dockerfile does not set HOTLINE_DATA_DIR"
    assert any(image_data_dir in (json_args(v) if v.startswith("[") else v.split()) for v in volumes)
    named_volumes = set(compose.get("volumes") or {})
    for name, service in hotline_services.items():
        data_dir = environment(service).get("HOTLINE_DATA_DIR") or image_data_dir
        assert data_dir == image_data_dir, f"{name}: HOTLINE_DATA_DIR differs from the image's"
        mounts = {}
        for volume in service.get("volumes") or []:
            if isinstance(volume, str):
                source, _, target = volume.partition(":")
                mounts[target.split(":")[0]] = source
            else:
                mounts[volume["target"]] = volume.get("source")
        assert data_dir in mounts, f"{name}: nothing mounted at HOTLINE_DATA_DIR={data_dir}"
        assert mounts[data_dir] in named_volumes, f"{name}: {data_dir} is not a named volume"


def hash_key_values(node) -> list[str | None]:
    """Every value the compose file gives HOTLINE_HASH_KEY: environment, build args, anywhere."""
    if isinstance(node, dict):
        found = [node[key] for key in node if key == "HOTLINE_HASH_KEY"]
        return found + [value for child in node.values() for value in hash_key_values(child)]
    if isinstance(node, list):
        return [value for child in node for value in hash_key_values(child)]
    if isinstance(node, str) and node.startswith("HOTLINE_HASH_KEY="):
        return [node.partition("=")[2]]
    return []


def test_hash_key_is_never_given_a_literal_value(compose, services, hotline_services):
    for name, service in services.items():
        assert "env_file" not in service, f"{name}: env_file could carry a literal secret"
    for name, service in hotline_services.items():
        assert "HOTLINE_HASH_KEY" in environment(service), f"{name}: the hash key is not passed in"
    values = hash_key_values(compose)
    assert values
    for value in values:
        assert isinstance(value, str) and HASH_KEY_FROM_HOST.match(value), f"HOTLINE_HASH_KEY={value!r}"
    for keyword, arguments in dockerfile_instructions():
        assert "HOTLINE_HASH_KEY" not in arguments, f"the Dockerfile sets the hash key ({keyword})"


def test_dockerfile_runs_the_makefile_setup_target():
    makefile = MAKEFILE.read_text(encoding="utf-8")
    assert "setup" in makefile_targets()
    assert "sync --frozen" in makefile, "`make setup` no longer installs the lock file exactly"
    runs = " ".join(arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN")
    assert re.search(r"\bmake setup\b", runs), "the Dockerfile does not run `make setup`"
    assert re.search(r"apt-get install .*\bmake\b", runs), "the Dockerfile does not install make"
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    # a host .venv/.synced in the image would make `make setup` a no-op over a venv built for the host
    assert {".venv", ".tools", "data"} <= ignored
    assert ".env" in ignored, "the compose stack's secrets (.env) would be copied into the image"


def test_manual_profile_runs_the_hotline_daily_dag(services):
    manual = {name: service for name, service in services.items() if "manual" in (service.get("profiles") or [])}
    assert manual, "no service in the `manual` profile"
    for name, service in manual.items():
        assert "hotline_daily" in " ".join(" ".join(words) for words in command_lines(service)), name
    dag_file = ROOT / "dags" / "hotline_daily.py"
    assert dag_file.is_file()
    assert re.search(r"dag_id\s*=\s*[\"']hotline_daily[\"']", dag_file.read_text(encoding="utf-8"))


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client")
def test_docker_compose_accepts_the_file():
    """Where the compose plugin exists, let it validate the file (needs no engine)."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "--profile", "manual", "config", "--quiet"],
        cwd=ROOT,
        env={**os.environ, **{name: "placeholder-for-validation" for name in env_example()}},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- the Compose specification, references, secrets ---------------------------------------------

# `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`, `${NAME?message}`; `$$` escapes
VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<rest>[^}]*)\}")


def env_example() -> dict[str, str]:
    """The variables .env.example lists (commented-out optional ones excluded), with their values."""
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def interpolate(value: str, values: dict[str, str]) -> str:
    """What compose makes of a value, given the host's variables (defaults where a variable is unset)."""
    return VARIABLE.sub(lambda m: values.get(m["name"]) or (m["rest"] if m["op"] in (":-", "-") else ""), value)


def test_compose_file_matches_the_compose_specification():
    """check-jsonschema ships the Compose specification's own JSON schema (vendor.compose-spec)."""
    checker = ROOT / ".venv" / "bin" / "check-jsonschema"
    assert checker.is_file(), "check-jsonschema (a dev dependency) is not installed: make setup"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_file(tmp_path):
    """The check above can fail: a misspelt key and a made-up depends_on condition are reported."""
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    document["services"]["superset"]["depends_on"]["warehouse"]["condition"] = "service_ready"
    document["services"]["warehouse"]["helthcheck"] = document["services"]["warehouse"].pop("healthcheck")
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "service_ready" in result.stdout and "helthcheck" in result.stdout, result.stdout


def test_every_variable_is_defaulted_or_documented_and_secrets_stay_out_of_the_repo():
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    documented = env_example()
    used = {match["name"]: match["op"] for match in VARIABLE.finditer(text)}
    assert used
    for name, op in used.items():
        if op not in (":-", "-"):
            assert name in documented, f"${{{name}}} has no default and is not in .env.example"
    for name, op in used.items():
        if op in (":?", "?"):
            # a required variable is a secret or a key: the template leaves it empty
            assert documented.get(name) == "", f".env.example gives {name} a value; leave it empty"
    assert not set(documented) - set(used), f".env.example lists unused {set(documented) - set(used)}"
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored, ".env (the filled-in secrets) is not git-ignored"
    # every password is required from the host: none has a default, none is written out
    for match in VARIABLE.finditer(text):
        if re.search(r"PASSWORD|SECRET|KEY", match["name"]):
            assert match["op"] in (":?", "?"), f"${{{match['name']}}} may not default"
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        if re.search(r"PASSWORD|SECRET|KEY$", key) and value.strip():
            assert VARIABLE.fullmatch(value.strip()), f"{key} is given a literal value"


def volume_mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each mount, either form."""
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            mounts.append((source, rest.split(":")[0]))
        else:
            mounts.append((volume.get("source", ""), volume["target"]))
    return mounts


def test_every_image_build_and_volume_resolves(compose, services):
    named = set(compose.get("volumes") or {})
    mounted = set()
    for name, service in services.items():
        assert "image" in service or "build" in service, f"{name}: neither image nor build"
        build = service.get("build")
        if build is not None:
            build = {"context": build} if isinstance(build, str) else build
            context = ROOT / build.get("context", ".")
            assert context.is_dir(), f"{name}: build context {context} is missing"
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
            for keyword, arguments in dockerfile_instructions(dockerfile):
                if keyword == "COPY" and "--from" not in arguments:
                    for source in shlex.split(arguments)[:-1]:
                        if not source.startswith("--"):
                            assert (context / source).exists(), f"{name}: {dockerfile} copies missing {source}"
        else:
            # an upstream image, pinned: a new major version must be a decision, not a pull
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), f"{name}: {image} is not pinned"
        for source, target in volume_mounts(service):
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind mount {source} is not in the repo"
            else:
                assert source in named, f"{name}: volume {source} is not declared"
                mounted.add(source)
            assert target.startswith("/"), f"{name}: {target} is not an absolute path"
    assert named == mounted, f"declared but never mounted: {named - mounted}"
    # the upstream Superset image, at a pinned version, is what docker/superset extends
    base = next(a for k, a in dockerfile_instructions(SUPERSET_DIR / "Dockerfile") if k == "FROM")
    assert re.fullmatch(r"apache/superset:\d+\.\d+\.\d+", base), base


def test_depends_on_and_healthchecks_agree(services):
    """A dependency exists; `service_healthy` only on a service with a healthcheck; `completed` only on a one-off."""
    graph = {}
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {dependency: {"condition": "service_started"} for dependency in depends}
        graph[name] = set(depends)
        for dependency, how in depends.items():
            assert dependency in services, f"{name} depends on undefined service {dependency}"
            target = services[dependency]
            condition = how.get("condition", "service_started")
            if condition == "service_healthy":
                check = target.get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), f"{name} waits for {dependency}'s health"
            if condition == "service_completed_successfully":
                assert target.get("restart") == "no", f"{dependency} is waited for to finish but restarts"
                assert "ports" not in target and "healthcheck" not in target, f"{dependency} is not a one-off"
            if not service.get("profiles"):
                assert not target.get("profiles"), f"{name} starts by default but needs {dependency} (a profile)"
    # no cycle: compose could start nothing
    done: set[str] = set()
    while len(done) < len(graph):
        ready = {name for name, needs in graph.items() if name not in done and needs <= done}
        assert ready, f"depends_on has a cycle among {set(graph) - done}"
        done |= ready
    # every long-running service says when it is healthy; one-offs finish instead
    for name, service in services.items():
        if service.get("restart") != "no":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def airflow_package_dir() -> Path:
    spec = importlib.util.find_spec("airflow")  # finds the package without importing it
    assert spec and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0])


def airflow_config_options() -> dict[tuple[str, str], str | None]:
    """(section, option) → default, from the installed Airflow's own config template."""
    template = airflow_package_dir() / "config_templates" / "config.yml"
    sections = yaml.safe_load(template.read_text(encoding="utf-8"))
    return {
        (section, option): (entry or {}).get("default")
        for section, body in sections.items()
        for option, entry in (body.get("options") or {}).items()
    }


def test_airflow_services_are_laid_out_as_airflows_own_compose(services, hotline_services):
    components = {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }
    for name, component in components.items():
        assert command_lines(services[name]) == [["scripts/airflow.sh", component]], name
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert command_lines(services["airflow-init"]) == [["scripts/airflow.sh", "init"]]
    assert re.search(r"^  init\) init ;;$", (ROOT / "scripts" / "airflow.sh").read_text(), re.MULTILINE)

    options = airflow_config_options()
    env = environment(services["airflow-scheduler"])
    for name, service in hotline_services.items():
        # one configuration for every component: the same metadata database, secrets, executor
        airflow_settings = {(k, v) for k, v in env.items() if k.startswith("AIRFLOW")}
        assert airflow_settings <= set(environment(service).items()), f"{name}: Airflow settings differ"
    for key in env:
        if key.startswith("AIRFLOW__"):
            section, _, option = key.removeprefix("AIRFLOW__").lower().partition("__")
            assert (section, option) in options, f"{key}: Airflow has no [{section}] {option}"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    # the auth manager class is where the setting says (read, not imported: importing Airflow is slow)
    auth_module, _, auth_class = env["AIRFLOW__CORE__AUTH_MANAGER"].rpartition(".")
    source = airflow_package_dir().joinpath(*auth_module.split(".")[1:]).with_suffix(".py")
    assert auth_class == "SimpleAuthManager" and f"class {auth_class}(" in source.read_text(encoding="utf-8")

    # the metadata database is the airflow-db service, as its own user, in its own database
    url = make_url(interpolate(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], {}))
    database = services[url.host]
    assert database["image"].startswith("postgres:") and url.port == 5432
    assert (url.username, url.database) == (
        environment(database)["POSTGRES_USER"],
        environment(database)["POSTGRES_DB"],
    )
    assert url.drivername == "postgresql+psycopg", "psycopg (3) is the driver the lock installs"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert password_variable(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) == password_variable(
        environment(database)["POSTGRES_PASSWORD"]
    )

    # task runners reach the api-server's execution API by its service name and container port
    api = make_url(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].replace("http", "postgresql", 1))
    assert api.host == "airflow-apiserver" and str(api.port) == options[("api", "port")]
    published = [str(port).rpartition(":")[2] for port in services["airflow-apiserver"]["ports"]]
    assert options[("api", "port")] in published
    # healthchecks ask the ports Airflow listens on
    assert f":{options[('api', 'port')]}/" in " ".join(services["airflow-apiserver"]["healthcheck"]["test"])
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    port = options[("scheduler", "scheduler_health_check_server_port")]
    assert f":{port}/health" in " ".join(services["airflow-scheduler"]["healthcheck"]["test"])
    # the healthchecks' `airflow` and `python` are the venv's, on the image's PATH
    assert dockerfile_env()["PATH"].startswith("/app/.venv/bin:")


def password_variable(url: str) -> str:
    """The host variable a connection URL or password takes its password from."""
    match = VARIABLE.search(url)
    assert match and match["op"] == ":?", f"{url}: the password is not required from the host"
    return match["name"]


def test_pipeline_publishes_to_the_warehouse_service_and_superset_reads_it_as_the_reader(services):
    warehouse = environment(services["warehouse"])
    for name, service in services.items():
        if "HOTLINE_PG_DSN" in environment(service):
            dsn = make_url(interpolate(environment(service)["HOTLINE_PG_DSN"], {}))
            assert (dsn.host, dsn.port, dsn.database) == ("warehouse", 5432, warehouse["POSTGRES_DB"]), name
            assert dsn.username == warehouse["POSTGRES_USER"], f"{name}: publishes as another role than the owner"
            assert password_variable(environment(service)["HOTLINE_PG_DSN"]) == password_variable(
                warehouse["POSTGRES_PASSWORD"]
            )
    assert "HOTLINE_PG_DSN" in environment(services["airflow-scheduler"]), "the tasks cannot publish"

    init_script = (SUPERSET_DIR / "superset-init.sh").read_text(encoding="utf-8")
    for name in ("superset", "superset-init"):
        reader_uri = environment(services[name])["HOTLINE_WAREHOUSE_READER_URI"]
        url = make_url(interpolate(reader_uri, {}))
        assert url.host == "warehouse" and services[url.host]["image"].startswith("postgres:")
        assert (url.username, url.port, url.database) == ("hotline_reader", 5432, warehouse["POSTGRES_DB"])
        # the reader's password is the one the warehouse's init script gives the role
        assert password_variable(reader_uri) == password_variable(warehouse["HOTLINE_READER_PASSWORD"])
    assert re.search(r'set-database-uri .*--uri "\$HOTLINE_WAREHOUSE_READER_URI"', init_script)
    reader_sql = WAREHOUSE_INIT.read_text(encoding="utf-8")
    assert "CREATE ROLE hotline_reader LOGIN" in reader_sql and "CREATE SCHEMA IF NOT EXISTS published" in reader_sql
    mounts = {target: source for source, target in volume_mounts(services["warehouse"])}
    assert (ROOT / mounts["/docker-entrypoint-initdb.d"]).resolve() == WAREHOUSE_INIT.parent


def superset_copies() -> dict[str, Path]:
    """Path in the Superset image → the repo file docker/superset/Dockerfile copies there."""
    copies = {}
    for keyword, arguments in dockerfile_instructions(SUPERSET_DIR / "Dockerfile"):
        if keyword == "COPY":
            *sources, target = [word for word in shlex.split(arguments) if not word.startswith("--")]
            for source in sources:
                copies[f"{target.rstrip('/')}/{Path(source).name}"] = SUPERSET_DIR / source
    return copies


def test_superset_provisioning_files_are_valid(services, tmp_path):
    copies = superset_copies()
    env = environment(services["superset"])
    config = copies[env["SUPERSET_CONFIG_PATH"]]
    # the config compiles and takes its secret from the environment
    namespace = runpy_with_env(config, {"SUPERSET_SECRET_KEY": "from-the-environment"})
    assert namespace["SECRET_KEY"] == "from-the-environment"
    assert namespace["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:////app/superset_home/")
    mounts = dict((target, source) for source, target in volume_mounts(services["superset"]))
    assert mounts.get("/app/superset_home") == "superset-home", "Superset's metadata would not survive a restart"
    assert namespace["BABEL_DEFAULT_LOCALE"] == "zh"

    # the init script is a copied, executable, well-formed bash script doing the documented steps in order
    (command,) = command_lines(services["superset-init"])
    script = copies[command[0]]
    assert os.access(script, os.X_OK), f"{script} is not executable"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True, check=False).returncode == 0
    text = script.read_text(encoding="utf-8")
    steps = ["superset db upgrade", "superset fab create-admin", "superset init", "superset set-database-uri"]
    positions = [text.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), positions
    for variable in re.findall(r"\$\{?([A-Z_]+):\?", text):  # what the script requires, compose passes
        assert variable in environment(services["superset-init"]), f"superset-init is not given {variable}"
    run = " ".join(a for k, a in dockerfile_instructions(SUPERSET_DIR / "Dockerfile") if k == "RUN")
    assert "psycopg2" in run, "the Superset image has no Postgres driver for the warehouse connection"


def runpy_with_env(path: Path, env: dict[str, str]) -> dict:
    import runpy

    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return runpy.run_path(str(path))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- the DAGs inside the image's layout ------------------------------------------------------------


def docker_context_copy(destination: Path) -> None:
    """`COPY . .` of the repo as docker builds it: the build context less what .dockerignore names."""
    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns), "exceptions in .dockerignore: teach this copy about them"

    def ignored(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(ROOT)
        skip = set()
        for name in names:
            path = (relative / name).as_posix().removeprefix("./")
            for pattern in patterns:
                if fnmatch.fnmatch(path, pattern) or (
                    pattern.startswith("**/") and fnmatch.fnmatch(name, pattern.removeprefix("**/"))
                ):
                    skip.add(name)
        return skip

    shutil.copytree(ROOT, destination, ignore=ignored, symlinks=True)


DAGBAG_PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
import core, pipeline
bag = DagBag()  # the folder from AIRFLOW__CORE__DAGS_FOLDER, as the components read it
import sqlalchemy
from airflow import settings
print(json.dumps({
    "dag_ids": sorted(bag.dag_ids),
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "modules": [core.__file__, pipeline.__file__],
    "dags_folder": settings.DAGS_FOLDER,
    "metadata_driver": settings.engine.dialect.driver,
}))
"""


@pytest.mark.slow
def test_the_dags_import_inside_the_image_layout(hotline_services, tmp_path):
    """The image's /app is the build context less .dockerignore; its venv finds the code through the
    editable install (uv sync puts the project's root, the WORKDIR, on sys.path). Rebuild that layout
    in a temporary folder, give Airflow the compose file's environment re-rooted there, and parse."""
    workdir = next(a for k, a in dockerfile_instructions() if k == "WORKDIR")
    app = tmp_path / workdir.strip("/")
    docker_context_copy(app)
    assert (app / "dags").is_dir() and not (app / ".venv").exists() and not (app / "data").exists()
    # the venv's editable install points at the project root, which in the image is the WORKDIR
    pth = next((ROOT / ".venv").glob("lib/python3.11/site-packages/_editable_impl_hotline_warehouse.pth"))
    assert {line.strip() for line in pth.read_text().splitlines() if line.strip()} == {str(ROOT)}

    data = tmp_path / "data"
    compose_env = environment(hotline_services["airflow-dag-processor"])
    secrets = {name: "placeholder" for name in env_example()}
    env = {name: interpolate(value or "", secrets) for name, value in compose_env.items()}
    env = {name: value.replace("/data", str(data)).replace(workdir, str(app)) for name, value in env.items()}
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(app / "dags")
    env |= {"PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}", "PYTHONPATH": str(app), "HOME": str(tmp_path)}
    data.mkdir()
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", DAGBAG_PROBE],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["import_errors"] == {}
    expected = {
        re.search(r"dag_id\s*=\s*[\"']([\w.-]+)[\"']", path.read_text(encoding="utf-8"))[1]
        for path in (ROOT / "dags").glob("*.py")
    }
    assert set(found["dag_ids"]) == expected == {"hotline_daily", "member_scoring_quarterly"}
    assert found["dags_folder"] == str(app / "dags")
    for module in found["modules"]:
        assert Path(module).is_relative_to(app), f"{module} was imported from outside the image's copy"
    # the metadata URL's driver loads (the engine is made at import, without connecting)
    assert found["metadata_driver"] == "psycopg"


# --- on a real Postgres server, where this machine has one -----------------------------------------


@pytest.fixture(scope="module")
def postgres_server():
    """A throwaway PostgreSQL cluster: superuser `hotline` (the warehouse image's POSTGRES_USER), local
    socket trusted, TCP by password as in the containers. Skipped where no server binaries exist."""
    tools = {name: shutil.which(name) for name in ("initdb", "pg_ctl", "psql")}
    if not all(tools.values()):
        pytest.skip(f"no PostgreSQL server here (missing {[n for n, p in tools.items() if not p]})")
    base = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    # the server refuses to run as root: run it as the `postgres` account where we are root
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(base, "postgres")
        base.chmod(0o755)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = base / "db"
    subprocess.run(
        [*run_as, tools["initdb"], "-D", str(database), "-U", "hotline", "-E", "UTF8"]
        + ["--auth-local=trust", "--auth-host=scram-sha-256"],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base}"
    subprocess.run(
        [*run_as, tools["pg_ctl"], "-D", str(database), "-o", options, "-l", str(base / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield {"socket_dir": str(base), "port": port}
    finally:
        subprocess.run([*run_as, tools["pg_ctl"], "-D", str(database), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def as_superuser(server: dict, database: str, *statements: str) -> None:
    """Statements one by one (CREATE DATABASE refuses a transaction) as the cluster's superuser."""
    import psycopg

    with psycopg.connect(host=server["socket_dir"], port=server["port"], user="hotline", dbname=database) as db:
        db.autocommit = True
        for statement in statements:
            db.execute(statement)


def on_test_server(url: str, server: dict) -> str:
    """A compose connection URL, pointed at the test server instead of its service name."""
    parsed = make_url(url)
    return parsed.set(host="127.0.0.1", port=server["port"]).render_as_string(hide_password=False)


def test_warehouse_init_gives_bi_a_read_only_role_on_the_published_schema(services, postgres_server):
    import psycopg

    secrets = {name: f"{name.lower()}-Secret1" for name in env_example()}
    warehouse = {name: interpolate(value or "", secrets) for name, value in environment(services["warehouse"]).items()}
    # what the postgres image does before running docker-entrypoint-initdb.d: POSTGRES_USER's
    # password, POSTGRES_DB
    as_superuser(
        postgres_server,
        "postgres",
        f"ALTER ROLE \"{warehouse['POSTGRES_USER']}\" PASSWORD '{warehouse['POSTGRES_PASSWORD']}'",
        f'CREATE DATABASE "{warehouse["POSTGRES_DB"]}"',
    )
    result = subprocess.run(
        [str(WAREHOUSE_INIT)],
        env={
            **os.environ,
            **warehouse,
            "PGHOST": postgres_server["socket_dir"],
            "PGPORT": str(postgres_server["port"]),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # the publisher (the owner) writes a mart, and a next version beside it that it renames onto `published`
    as_superuser(
        postgres_server,
        warehouse["POSTGRES_DB"],
        "CREATE TABLE published.kpi_monthly (month_date date, cases integer)",
        "INSERT INTO published.kpi_monthly VALUES ('2024-01-01', 12)",
        "CREATE SCHEMA published_next",
        "CREATE TABLE published_next.kpi_monthly AS SELECT * FROM published.kpi_monthly",
        "ALTER SCHEMA published RENAME TO published_old",
        "ALTER SCHEMA published_next RENAME TO published",
    )
    reader_uri = interpolate(environment(services["superset"])["HOTLINE_WAREHOUSE_READER_URI"], secrets)
    with psycopg.connect(on_test_server(reader_uri, postgres_server)) as reader:
        assert reader.execute("SELECT cases FROM kpi_monthly").fetchall() == [(12,)]  # search_path: published
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader.execute("INSERT INTO published.kpi_monthly VALUES ('2024-02-01', 1)")
    # the read-only default is a guard; the grants alone refuse writes too
    with psycopg.connect(on_test_server(reader_uri, postgres_server), autocommit=True) as reader:
        reader.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("CREATE TABLE published.mine (x integer)")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(on_test_server(reader_uri.replace("hotline_reader:", "hotline_reader:x"), postgres_server))
    # the publisher's DSN logs in as the owner with the warehouse password
    dsn = interpolate(environment(services["airflow-scheduler"])["HOTLINE_PG_DSN"], secrets)
    with psycopg.connect(on_test_server(dsn, postgres_server)) as owner:
        assert owner.execute("SELECT count(*) FROM published.kpi_monthly").fetchone() == (1,)


@pytest.mark.slow
def test_airflow_init_migrates_postgres_and_sets_the_pool_and_admin_password(services, postgres_server, tmp_path):
    """airflow-init's command on a Postgres like airflow-db, twice (compose runs it on every `up`)."""
    import psycopg

    secrets = {name: f"{name.lower()}-Secret1" for name in env_example()}
    metadata = {name: interpolate(value or "", secrets) for name, value in environment(services["airflow-db"]).items()}
    user, password, database = metadata["POSTGRES_USER"], metadata["POSTGRES_PASSWORD"], metadata["POSTGRES_DB"]
    as_superuser(
        postgres_server,
        "postgres",
        f"CREATE ROLE {user} LOGIN PASSWORD '{password}'",
        f"CREATE DATABASE {database} OWNER {user}",
    )
    env = {name: interpolate(value or "", secrets) for name, value in environment(services["airflow-init"]).items()}
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"):
        env[key] = on_test_server(env[key], postgres_server)
    data = tmp_path / "data"
    env = {name: value.replace("/data", str(data)) for name, value in env.items()}
    env |= {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    url = make_url(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).set(drivername="postgresql")
    for attempt in (1, 2):
        result = subprocess.run(
            [str(ROOT / "scripts" / "airflow.sh"), "init"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        log = (data / "airflow" / "migrate.log").read_text(encoding="utf-8", errors="replace")
        assert result.returncode == 0, f"run {attempt}: {result.stderr}\n{log[-2000:]}"
        with psycopg.connect(url.render_as_string(hide_password=False)) as db:
            pool = db.execute("SELECT slots FROM slot_pool WHERE pool = 'warehouse_writes'").fetchall()
            # created with one slot; a size an operator set is kept by the next `up`
            assert pool == ([(1,)] if attempt == 1 else [(2,)])
            db.execute("UPDATE slot_pool SET slots = 2 WHERE pool = 'warehouse_writes'")
            assert db.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    passwords = json.loads((data / "airflow" / "simple_auth_manager_passwords.json.generated").read_text())
    assert passwords == {"admin": secrets["AIRFLOW_ADMIN_PASSWORD"]}
