"""The Binder / repo2docker configuration is consistent: it installs this course and pulls its models.

repo2docker reads only the files in ``binder/`` when that folder exists; it
runs ``pip install -r binder/requirements.txt`` from the repository's root,
then ``binder/postBuild`` (once, at build time), and ``binder/start`` before
every session. These tests read those files; they build no image.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
CACHE_LINE = re.compile(r"^export COURSE_MODEL_CACHE=(.+)$", re.MULTILINE)


def _commands(script: str) -> list[list[str]]:
    """The script's shell commands as word lists (comments and heredoc bodies skipped)."""
    commands, in_heredoc, end = [], False, ""
    for line in script.splitlines():
        if in_heredoc:
            in_heredoc = line.strip() != end
            continue
        words = shlex.split(line, comments=True)
        if words:
            commands.append(words)
        heredoc = re.search(r"<<-?\s*'?(\w+)'?", line)
        if heredoc:
            in_heredoc, end = True, heredoc.group(1)
    return commands


def _requirement_lines(path: Path) -> list[str]:
    """Lines of a requirements file with ``-r`` files followed (pip resolves them next to the file)."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            lines += _requirement_lines((path.parent / line[3:].strip()).resolve())
        elif line:
            lines.append(line)
    return lines


def test_repo2docker_reads_only_the_binder_folder_so_nothing_at_the_root_is_silently_ignored():
    assert BINDER.is_dir()
    # a Dockerfile anywhere repo2docker looks would override every other file; environment.yml
    # would replace requirements.txt
    for name in ["Dockerfile", "environment.yml"]:
        assert not (BINDER / name).exists(), name
    for name in ["apt.txt", "postBuild", "start", "runtime.txt", "environment.yml", "Dockerfile"]:
        assert not (ROOT / name).exists(), f"{name} at the root is ignored once binder/ exists"


def test_requirements_install_this_checkout_of_the_course_and_everything_the_readme_installs():
    binder_lines = _requirement_lines(BINDER / "requirements.txt")
    root_lines = _requirement_lines(ROOT / "requirements.txt")
    assert "-e ." in binder_lines, "the course's own package (course_helpers) must be installed"
    assert set(root_lines) <= set(binder_lines), "Binder must install what the README installs"
    # repo2docker copies the whole repository before pip only when a line refers to a local path
    raw = (BINDER / "requirements.txt").read_text().splitlines()
    assert any(line.startswith(("-r", "-e")) for line in raw)


@pytest.mark.parametrize("name", ["postBuild", "start"])
def test_scripts_are_executable_bash_with_valid_syntax(name):
    path = BINDER / name
    assert os.access(path, os.X_OK), f"chmod +x binder/{name}"
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    tracked = subprocess.run(["git", "ls-files", "-s", f"binder/{name}"], cwd=ROOT, capture_output=True, text=True)
    if tracked.stdout:  # git keeps the executable bit: a clone on Binder must get it too
        assert tracked.stdout.startswith("100755"), f"git update-index --chmod=+x binder/{name}"
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash to check the syntax with")
    subprocess.run([bash, "-n", str(path)], check=True)


def test_post_build_pulls_the_models_and_stops_on_the_first_failure():
    script = (BINDER / "postBuild").read_text()
    commands = _commands(script)
    assert ["set", "-euo", "pipefail"] in commands
    assert ["python", "-m", "course_helpers", "pull"] in commands


def test_build_and_sessions_use_the_same_model_folder():
    build = CACHE_LINE.findall((BINDER / "postBuild").read_text())
    session = CACHE_LINE.findall((BINDER / "start").read_text())
    assert len(build) == 1 and build == session
    assert (BINDER / "start").read_text().rstrip().endswith('exec "$@"'), "start must hand over to Jupyter"


def test_start_exports_the_model_folder_to_the_command_it_runs(tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NB_PYTHON_PREFIX": "/srv/conda/envs/notebook"}
    result = subprocess.run(
        [bash, str(BINDER / "start"), "printenv", "COURSE_MODEL_CACHE"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "/srv/conda/envs/notebook/share/course-models"
