"""The container files, checked without a Docker engine: what a user would check by reading them.

docker-compose.yml must parse, build every service from the repo's Dockerfile, run only scripts that
exist (and are executable), mount the data volume where HOTLINE_DATA_DIR points, take the hash key
from the host environment only, and offer a `manual` one-off run of the hotline_daily DAG.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
MAKEFILE = ROOT / "Makefile"
# required from the host: `${HOTLINE_HASH_KEY:?message}`; a `:-default` would be a literal key in the repo
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


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
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


def test_compose_parses_with_airflow_by_default_and_pipeline_on_demand(services):
    assert {"airflow", "pipeline"} <= set(services)
    assert not services["airflow"].get("profiles"), "airflow must start with a plain `docker compose up`"
    assert services["pipeline"].get("profiles") == ["manual"]


def test_every_service_builds_from_the_repo_dockerfile(services):
    assert DOCKERFILE.is_file()
    for name, service in services.items():
        build = service.get("build")
        assert build is not None, f"{name}: no build section"
        if isinstance(build, str):
            build = {"context": build}
        context = (ROOT / build.get("context", ".")).resolve()
        assert context == ROOT, f"{name}: builds from {context}, not the repo"
        assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE, name
    base = next(arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM")
    assert base == "python:3.11-slim"


def test_dockerfile_copies_the_repo_into_its_workdir(services):
    instructions = dockerfile_instructions()
    workdirs = [arguments for keyword, arguments in instructions if keyword == "WORKDIR"]
    copies = [shlex.split(arguments) for keyword, arguments in instructions if keyword == "COPY"]
    assert workdirs, "no WORKDIR: relative paths in the commands would not resolve"
    assert any(words[-2:] == [".", "."] for words in copies), "the repo is not copied into the WORKDIR"
    for name, service in services.items():
        assert service.get("working_dir", workdirs[-1]) == workdirs[-1], f"{name}: runs outside the repo copy"


def test_every_path_a_command_runs_exists_and_is_executable(services):
    venv_scripts = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"])
    for name, service in services.items():
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


def test_scripts_are_executable_in_git_too():
    """A clean clone (CI, another laptop) builds from git's file modes, not this working tree's."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        ["git", "ls-files", "-s", "scripts/airflow.sh"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    if not listing:
        pytest.skip("scripts/airflow.sh is not tracked yet")
    assert listing.startswith("100755"), "scripts/airflow.sh is not executable in git (git update-index --chmod=+x)"


def test_data_volume_is_mounted_where_hotline_data_dir_points(compose, services):
    image_data_dir = dockerfile_env().get("HOTLINE_DATA_DIR")
    volumes = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "VOLUME"]
    assert image_data_dir, "the Dockerfile does not set HOTLINE_DATA_DIR"
    assert any(image_data_dir in (json_args(v) if v.startswith("[") else v.split()) for v in volumes)
    named_volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
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


def test_hash_key_is_never_given_a_literal_value(compose, services):
    for name, service in services.items():
        assert "env_file" not in service, f"{name}: env_file could carry a literal HOTLINE_HASH_KEY"
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
        env={**os.environ, "HOTLINE_HASH_KEY": "placeholder-for-validation"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
