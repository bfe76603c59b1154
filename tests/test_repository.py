"""Tests over the repository itself: no key-like string in any tracked file, secrets git-ignored."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# OpenAI keys: sk-..., sk-proj-..., sk-svcacct-..., sk-admin-... followed by a long random tail.
KEY_PATTERN = re.compile(r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}")
# Clearly fake keys that tests and docs may show (they contain these words).
ALLOWED = ("fake", "test", "example", "wrong", "demo", "made-up", "not-a-real")


def _looks_random(key: str) -> bool:
    """Real keys are random: upper- and lower-case letters and digits all appear in them."""
    return all(re.search(kind, key) for kind in ("[A-Z]", "[a-z]", "[0-9]"))


def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [ROOT / name for name in listed.stdout.decode().split("\0") if name]


def find_keys(text: str) -> list[str]:
    """Key-like strings in ``text`` that are not obviously fake."""
    return [m for m in KEY_PATTERN.findall(text) if _looks_random(m) and not any(word in m.lower() for word in ALLOWED)]


def test_the_scanner_finds_real_looking_keys():
    random_tail = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"  # joined at run time, so this file holds no key
    assert find_keys("OPENAI_API_KEY=sk-proj-" + random_tail) != []
    assert find_keys("key = 'sk-" + random_tail + "'") != []
    assert find_keys("OPENAI_API_KEY=sk-...") == [] and find_keys("sk-proj-FAKEfakeFAKEfake0123456789") == []
    assert find_keys("sk-demo-not-a-real-key-1234") == [] and find_keys("sk-proj-abcdefghijklmnop1234") == []


def test_no_tracked_file_contains_a_key():
    found = {}
    for path in _tracked_files():
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        keys = find_keys(path.read_bytes().decode("utf-8", errors="ignore"))
        if keys:
            found[str(path.relative_to(ROOT))] = [k[:8] + "…" for k in keys]  # never echo the key itself
    assert not found, f"key-like strings in tracked files: {found}"


@pytest.mark.parametrize("path", [".env", "my_work/01_messages.ipynb"])
def test_secrets_and_learner_work_are_git_ignored(path):
    assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0


def test_env_example_documents_every_setting():
    text = (ROOT / ".env.example").read_text()
    for name in ["OPENAI_API_KEY", "COURSE_BACKEND", "OPENAI_BASE_URL", "COURSE_MODEL", "COURSE_MODEL_CACHE"]:
        assert re.search(rf"^#?\s*{name}=", text, re.MULTILINE), name
    assert find_keys(text) == []


def test_nbval_leaves_stderr_out_of_output_comparison():
    """The root conftest.py keeps warnings and progress bars from failing a check cell."""
    import nbformat
    import nbval.plugin

    outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="✅ Correct!\n"),
        nbformat.v4.new_output("stream", name="stderr", text="DeprecationWarning: ...\n"),
    ]
    assert nbval.plugin.transform_streams_for_comparison(outputs) == [
        {"output_type": "stream", "stdout": "✅ Correct!\n"}
    ]
