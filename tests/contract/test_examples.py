"""The Docker sidecar: the Dockerfile, its build context and the examples in docs/examples.

No Docker engine runs in the suite (`.ci/run` builds and starts the image with buildah);
here the files are read as Docker, Compose and GitHub Actions read them, and held to the
project: the settings they name exist and their values parse, the health checks they run
answer against a live mock, the requests the examples make are answered 200 with the
credentials they use, and the build context holds what `pip install .` needs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from mockserver import Settings, create_app
from mockserver.scenario import load_scenario
from mockserver.settings import PARSERS, env_var
from mockserver.version import __version__
from tests.contract.test_workflows import IMAGE, REPOSITORY, actionlint
from tests.support.live import serve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
COMPOSE_FILE = EXAMPLES / "docker-compose.yml"
ACTIONS_FILE = EXAMPLES / "github-actions.yml"
PROBE = ROOT / ".ci" / "image-probe"
SETTING_VARS = {env_var(name) for name in PARSERS}
MOCK = "numbers-mock"


# Dockerfile ---------------------------------------------------------------------------------


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, instruction: str) -> list[str]:
        return [args for name, args in self.instructions if name == instruction]

    def env(self) -> dict[str, str]:
        pairs = (item.split("=", 1) for args in self.args("ENV") for item in shlex.split(args))
        return dict(pairs)


def dockerfile_stages() -> list[Stage]:
    """Instructions per build stage, continuation lines joined and comments dropped."""
    stages: list[Stage] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        name, _, args = (pending + line).partition(" ")
        pending = ""
        instruction, args = name.upper(), args.strip()
        if instruction == "FROM":
            base, _, alias = args.partition(" AS ")
            stages.append(Stage(base.strip(), alias.strip() or None))
        else:
            assert stages, f"{instruction} before the first FROM"
            stages[-1].instructions.append((instruction, args))
    assert not pending, "the Dockerfile ends in a continuation line"
    return stages


def exec_form(args: str) -> list[str]:
    """The JSON array of an exec-form instruction; fails on the shell form."""
    try:
        value = json.loads(args)
    except ValueError:
        pytest.fail(f"not exec form (a JSON array): {args}")
    assert isinstance(value, list), args
    assert all(isinstance(item, str) for item in value), args
    return value


def healthcheck_command(stage: Stage) -> list[str]:
    [healthcheck] = stage.args("HEALTHCHECK")
    _, _, command = healthcheck.partition("CMD ")
    return exec_form(command)


def test_the_image_is_two_stages_on_one_python_base() -> None:
    build, final = dockerfile_stages()
    # The runtime copies the build stage's virtualenv, whose interpreter is the base's.
    assert build.base == final.base
    assert re.fullmatch(r"python:3\.1[1-9][.\w-]*-slim[\w-]*", final.base), final.base
    assert build.name is not None
    copied = [args for args in final.args("COPY") if args.startswith("--from=")]
    assert copied == [f"--from={build.name} /opt/numbers-mock /opt/numbers-mock"]
    assert str(final.env()["PATH"]).startswith("/opt/numbers-mock/bin:")


def test_the_dependencies_come_from_pyproject_alone() -> None:
    build, final = dockerfile_stages()
    installs = " && ".join(build.args("RUN"))
    assert re.search(r"pip (--python \S+ )?install \.( |$)", installs), installs
    assert not list(ROOT.glob("requirements*.txt"))
    assert "requirements" not in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    # No compiler, package manager run or pip install in the image that ships.
    shipped = " ".join(final.args("RUN"))
    assert not re.search(r"apt-get|apk |gcc|build-essential|pip install", shipped), shipped


def test_the_build_stage_copies_what_pip_install_needs() -> None:
    """pyproject's readme, its wheel packages and the force-included specs and fixtures."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = {"pyproject.toml", project["project"]["readme"], *wheel["packages"]}
    needed |= set(wheel["force-include"])
    build, _ = dockerfile_stages()
    copied = {src for args in build.args("COPY") for src in shlex.split(args)[:-1]}
    assert needed <= copied, needed - copied


def test_the_image_runs_mockserver_as_a_non_root_user() -> None:
    _, final = dockerfile_stages()
    [user] = final.args("USER")
    uid, _, gid = user.partition(":")
    assert uid not in ("", "0", "root"), user
    assert gid not in ("0", "root"), user
    assert uid.isdigit(), "a numeric uid lets Kubernetes check runAsNonRoot"
    created = " ".join(final.args("RUN"))
    assert re.search(rf"useradd .*--uid {uid}\b", created), created
    if gid:
        assert re.search(rf"groupadd .*--gid {gid}\b", created), created


def test_the_entrypoint_is_the_console_script_in_exec_form() -> None:
    """Exec form: mockserver itself is PID 1 and receives docker stop's SIGTERM."""
    _, final = dockerfile_stages()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [entrypoint] = final.args("ENTRYPOINT")
    assert exec_form(entrypoint) == ["mockserver"]
    assert "mockserver" in project["project"]["scripts"]
    # An explicit empty CMD: the base image's CMD (python3) must not become arguments.
    assert [exec_form(cmd) for cmd in final.args("CMD")] == [[]]


def test_the_image_listens_on_all_interfaces_on_the_exposed_port() -> None:
    _, final = dockerfile_stages()
    env = final.env()
    assert final.args("EXPOSE") == ["8080"]
    assert env["MOCKSERVER_PORT"] == "8080"
    assert env["MOCKSERVER_HOST"] == "0.0.0.0"
    assert {name for name in env if name.startswith("MOCKSERVER_")} <= SETTING_VARS
    settings = Settings.from_env({k: v for k, v in env.items() if k in SETTING_VARS})
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)


def test_the_healthcheck_asks_the_control_plane_without_curl() -> None:
    _, final = dockerfile_stages()
    command = healthcheck_command(final)
    assert command[:2] == ["python", "-c"]
    assert "/_mock/health" in command[2]
    assert "MOCKSERVER_PORT" in command[2]


# .dockerignore ------------------------------------------------------------------------------


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(is an exception, pattern) per line, with Docker's `*`, `?` and `**`."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        for token in re.findall(r"\*\*/|\*\*|\*|\?|\[[^]]*\]|[^*?[]+", pattern):
            regex += {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                token, token if token.startswith("[") else re.escape(token)
            )
        rules.append((negated, re.compile(regex)))
    return rules


def ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    verdict = False
    for negated, regex in rules:
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            verdict = not negated
    return verdict


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        ".venv/bin/python",
        ".mypy_cache/3.11/cache.db",
        ".ruff_cache/CACHEDIR.TAG",
        ".pytest_cache/v/cache/nodeids",
        ".hypothesis/examples/abc",
        ".schemathesis/state.json",
        "bench/out/bench-20261123T115220Z.json",
        "tests/conftest.py",
        "dist/numbers_mock-0.1.0-py3-none-any.whl",
        "mockserver/__pycache__/cli.cpython-311.pyc",
        "numbers_mock.egg-info/PKG-INFO",
    ],
)
def test_the_build_context_leaves_out(path: str) -> None:
    assert ignored(path, dockerignore_rules())


def test_the_build_context_holds_every_file_the_dockerfile_copies() -> None:
    rules = dockerignore_rules()
    build, _ = dockerfile_stages()
    sources = [src for args in build.args("COPY") for src in shlex.split(args)[:-1]]
    files = []
    for source in sources:
        top = ROOT / source
        files += [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]
    shipped = [p.relative_to(ROOT).as_posix() for p in files if "__pycache__" not in p.parts]
    assert "mockserver/cli.py" in shipped
    assert "specs/bird-numbers.yaml" in shipped
    assert [path for path in shipped if ignored(path, rules)] == []


# docker-compose.yml -------------------------------------------------------------------------


def compose() -> Any:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def valid_settings(environment: dict[str, Any]) -> Settings:
    """Every MOCKSERVER_* name is a setting and its value parses (SettingError otherwise)."""
    names = {name for name in environment if name.startswith("MOCKSERVER_")}
    assert names <= SETTING_VARS, names - SETTING_VARS
    return Settings.from_env({name: str(environment[name]) for name in names})


def commented_yaml(path: Path, first: str) -> Any:
    """The YAML a file shows in comments, from the commented line starting `first` to the
    end of that comment block, uncommented and parsed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    [start] = [
        i
        for i, line in enumerate(lines)
        if line.lstrip().startswith("#") and line.lstrip()[1:].strip().startswith(first)
    ]
    block = []
    for line in lines[start:]:
        stripped = line.lstrip()
        if not stripped.startswith("#"):
            break
        block.append(stripped[1:])
    return yaml.safe_load("\n".join(block))


def test_compose_uses_the_published_image_or_builds_this_repository() -> None:
    mock = compose()["services"][MOCK]
    assert mock["image"] == f"{IMAGE}:{__version__}"
    assert "build" not in mock
    alternative = commented_yaml(COMPOSE_FILE, "build:")
    assert (COMPOSE_FILE.parent / alternative["build"]).resolve() == ROOT
    assert not str(alternative["image"]).startswith(IMAGE)  # a local tag, not the registry's
    published = [str(port).rsplit(":", 1) for port in mock["ports"]]
    assert ["8080", "8080"] in published


def test_compose_starts_the_client_once_the_mock_is_healthy() -> None:
    services = compose()["services"]
    mock, client = services[MOCK], services["client"]
    assert client["depends_on"][MOCK]["condition"] == "service_healthy"
    test = mock["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert "/_mock/health" in " ".join(test)
    # By service name, on the port the mock listens on inside the network.
    port = valid_settings(mock.get("environment", {})).port
    for name in ("BIRD_BASE_URL", "VOBIZ_BASE_URL", "NUMBERS_MOCK_URL"):
        assert client["environment"][name] == f"http://{MOCK}:{port}"


def test_compose_names_a_scenario_the_mock_can_load() -> None:
    mock = compose()["services"][MOCK]
    settings = valid_settings(mock["environment"])
    assert settings.scenario == "default"  # a built-in one, by name: nothing to mount
    assert load_scenario(settings.scenario_source).name == "default"
    # The commented alternative mounts a file where its variable points.
    [volume] = commented_yaml(COMPOSE_FILE, "volumes:")["volumes"]
    target = volume.split(":")[1]
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert f"#   MOCKSERVER_SCENARIO: {target}" in text


def compose_client_script() -> tuple[str, dict[str, str]]:
    client = compose()["services"]["client"]
    assert client["entrypoint"] == ["/bin/sh", "-c"]
    [script] = client["command"]
    return script, {name: str(value) for name, value in client["environment"].items()}


def test_compose_leaves_the_client_variables_to_the_container_shell() -> None:
    """Compose substitutes `$X` from the host when it reads the file; `$$` is a literal `$`."""
    script, environment = compose_client_script()
    assert not re.search(r"(?<!\$)\$(?!\$)", script.replace("$$", "")), script
    used = set(re.findall(r"\$\$\{?(\w+)", script))
    assert used, "the client uses its environment"
    assert used <= set(environment), used - set(environment)


# github-actions.yml -------------------------------------------------------------------------


def workflow() -> Any:
    return yaml.safe_load(ACTIONS_FILE.read_text(encoding="utf-8"))


def job_steps() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    [job] = workflow()["jobs"].values()
    return job, job["steps"]


def step_index(steps: list[dict[str, Any]], pattern: str) -> int:
    found = [i for i, step in enumerate(steps) if re.search(pattern, step.get("run", ""))]
    assert found, f"no step runs {pattern!r}"
    return found[0]


def test_actions_runs_on_pushes_and_pull_requests() -> None:
    document = workflow()
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    job, _ = job_steps()
    assert str(job["runs-on"]).startswith("ubuntu-")


def test_actions_serves_the_published_image_as_a_service() -> None:
    job, steps = job_steps()
    service = job["services"][MOCK]
    assert service["image"] == f"{IMAGE}:{__version__}"
    host_port, container_port = service["ports"][0].split(":")
    assert valid_settings(service["env"]).port == int(container_port) == 8080
    assert load_scenario(valid_settings(service["env"]).scenario_source).name
    # The runner waits for the image's HEALTHCHECK; the options only make it poll faster.
    assert "--health-interval" in service["options"]
    for name in ("BIRD_BASE_URL", "VOBIZ_BASE_URL", "NUMBERS_MOCK_URL"):
        assert job["env"][name] == f"http://localhost:{host_port}"
    # The plugin comes from the same release as the image.
    tests = steps[step_index(steps, r"pytest")]["run"]
    assert f'"numbers-mock[pytest] @ git+{REPOSITORY}@v{__version__}"' in tests
    [logs] = [s for s in steps if "docker logs" in s.get("run", "")]
    assert logs["if"] == "failure()"
    assert "job.services.numbers-mock.id" in logs["run"]


def test_actions_builds_from_source_as_its_commented_alternative(tmp_path: Path) -> None:
    """The steps shown in the header, uncommented in place of `services:`, are a workflow
    actionlint passes, which builds with a cache, starts the mock and waits for it."""
    alternative = commented_yaml(ACTIONS_FILE, "- name: Check out numbers-mock")
    [checkout] = [s for s in alternative if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["repository"] == REPOSITORY.removeprefix("https://github.com/")
    [build] = [s for s in alternative if s.get("uses", "").startswith("docker/build-push-action@")]
    assert build["with"]["context"] == checkout["with"]["path"]
    assert build["with"]["load"] is True
    assert build["with"]["cache-from"].startswith("type=gha")
    assert build["with"]["cache-to"].startswith("type=gha")
    start = step_index(alternative, r"docker run ")
    wait = step_index(alternative, r"/_mock/health")
    assert start < wait
    argv = shlex.split(alternative[start]["run"])
    assert argv[-1] == build["with"]["tags"]
    environment = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "-e")
    assert valid_settings(environment).port == 8080
    loop = alternative[wait]["run"]
    assert re.search(r"^\s*(for|until|while) ", loop, re.M), "the wait is a bounded loop"
    assert "exit 1" in loop
    assert "docker logs" in loop
    document = workflow()
    job, steps = job_steps()
    del job["services"]
    job["steps"] = [
        *alternative,
        *steps[:-1],
        {"if": "failure()", "run": "docker logs numbers-mock"},
    ]
    assembled = tmp_path / "from-source.yml"
    assembled.write_text(
        yaml.safe_dump({"name": "from-source", "on": ["push"], "jobs": {"it": job}})
    )
    assert document["jobs"]
    lint = actionlint(assembled)
    assert lint.returncode == 0, lint.stdout + lint.stderr


# What the examples send, against the mock ---------------------------------------------------


def curl_requests(script: str, environment: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """(URL, headers) of each `curl` in a shell script, its variables expanded."""
    requests = []
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(Template(line).substitute(environment))
        if not words or words[0] != "curl":
            continue
        headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
        [url] = [
            w for i, w in enumerate(words[1:], 1) if not w.startswith("-") and words[i - 1] != "-H"
        ]
        requests.append((url, headers))
    return requests


def example_requests() -> list[tuple[str, str, dict[str, str]]]:
    script, environment = compose_client_script()
    found = [
        ("compose", url, h) for url, h in curl_requests(script.replace("$$", "$"), environment)
    ]
    job, steps = job_steps()
    for step in steps:
        if "curl" in step.get("run", "") and "_mock/health" not in step["run"]:
            job_env = {name: str(value) for name, value in job["env"].items()}
            found += [("actions", url, h) for url, h in curl_requests(step["run"], job_env)]
    return found


def test_the_examples_call_both_providers() -> None:
    paths = {(source, urlsplit(url).path.split("/")[1]) for source, url, _ in example_requests()}
    assert paths == {(s, p) for s in ("compose", "actions") for p in ("organizations", "api")}


def declared_query_parameters(path: str) -> set[str]:
    """The query parameters the specs declare for GET `path` (the mock ignores others)."""
    for spec_name in ("bird-numbers.yaml", "vobiz-numbers.yaml", "vobiz-account.yaml"):
        spec = yaml.safe_load((ROOT / "specs" / spec_name).read_text(encoding="utf-8"))
        for template, item in spec["paths"].items():
            if re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)), path):
                parameters = item.get("parameters", []) + item["get"].get("parameters", [])
                resolved = [
                    spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
                    if "$ref" in p
                    else p
                    for p in parameters
                ]
                return {p["name"] for p in resolved if p["in"] == "query"}
    pytest.fail(f"no GET {path} in the specs")


@pytest.mark.parametrize(
    ("source", "url", "headers"),
    [
        pytest.param(*request, id=f"{request[0]}-{urlsplit(request[1]).path}")
        for request in example_requests()
    ],
)
async def test_the_examples_requests_are_answered(
    client: httpx.AsyncClient, source: str, url: str, headers: dict[str, str]
) -> None:
    parts = urlsplit(url)
    sent = set(parse_qs(parts.query))
    assert sent <= declared_query_parameters(parts.path), sent
    response = await client.get(f"{parts.path}?{parts.query}", headers=headers)
    assert response.status_code == 200, (source, url, response.text)
    body = response.json()
    assert body.get("results") or body.get("items"), f"{source} found nothing: {url}"


# Health checks and the image probe, against a live mock --------------------------------------


def health_checks() -> list[tuple[str, str]]:
    _, final = dockerfile_stages()
    compose_test = compose()["services"][MOCK]["healthcheck"]["test"]
    assert compose_test[1:3] == ["python", "-c"]
    return [("Dockerfile", healthcheck_command(final)[2]), ("compose", compose_test[3])]


def run_python(code: str, port: int) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MOCKSERVER_PORT": str(port)}
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=30
    )


@pytest.mark.socket
@pytest.mark.parametrize(("source", "code"), [pytest.param(*c, id=c[0]) for c in health_checks()])
def test_the_health_checks_pass_on_a_live_mock_only(source: str, code: str) -> None:
    with serve(create_app(Settings(seed=1))) as base_url:
        port = int(urlsplit(base_url).port or 0)
        healthy = run_python(code, port)
        assert healthy.returncode == 0, (source, healthy.stderr)
    down = run_python(code, port)
    assert down.returncode != 0, source


@pytest.mark.socket
def test_the_image_probe_passes_against_the_default_scenario() -> None:
    with serve(create_app(Settings(seed=1))) as base_url:
        result = subprocess.run(
            [sys.executable, str(PROBE)],
            env={**os.environ, "BASE_URL": base_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout


def test_the_image_probe_fails_loudly_when_nothing_answers() -> None:
    result = subprocess.run(
        [sys.executable, str(PROBE)],
        env={**os.environ, "BASE_URL": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "FAILED" in result.stderr
    assert "/_mock/health" in result.stderr
