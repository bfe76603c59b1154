"""Tests for course_helpers/course/doctor.py: the classroom-desk checklist and its exit status."""

import subprocess

from conftest import GOOD_KEY
from course_helpers.course.doctor import doctor


def _run(capsys, **kwargs):
    status = doctor(**kwargs)
    out = capsys.readouterr().out
    return status, out


def test_working_server_backend_passes(course_env, fake_api, capsys):
    (course_env / ".env").write_text(f"OPENAI_BASE_URL={fake_api}\nOPENAI_API_KEY={GOOD_KEY}\n")
    status, out = _run(capsys)
    assert status == 0 and out.rstrip().endswith("All set: the course can run.")
    assert f"✅ .env loaded from {course_env / '.env'}" in out
    assert "✅ OPENAI_API_KEY: …6789" in out and GOOD_KEY not in out
    assert "✅ setup() would pick: server backend" in out
    assert f"✅ {fake_api} answers (server backend)" in out
    assert out.splitlines()[0].startswith("✅ Python 3.")


def test_rejected_key_fails_with_a_hint(course_env, fake_api, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", fake_api)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-000000000000")
    status, out = _run(capsys)
    assert status == 1
    assert f"❌ {fake_api} did not answer: AuthenticationError" in out and "💡 The server at" in out
    assert "sk-wrong-key-000000000000" not in out


def test_unreachable_server_fails_with_a_hint(course_env, refused_url, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", refused_url)
    status, out = _run(capsys)
    assert status == 1 and "APIConnectionError" in out and "Is it running" in out


def test_no_request_skips_the_network(course_env, refused_url, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", refused_url)
    status, out = _run(capsys, request=False)
    assert status == 0 and "answer" not in out.replace("answers", "")


def test_misspelled_backend_is_a_problem(course_env, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_BACKEND", "cloud")
    status, out = _run(capsys, request=False)
    assert status == 1 and "❌ COURSE_BACKEND='cloud' is not one of auto, openai, local" in out


def test_committed_env_file_is_a_problem(course_env, capsys):
    (course_env / ".env").write_text("COURSE_MODEL=gpt-4o-mini\n")
    subprocess.run(["git", "init", "-q"], cwd=course_env, check=True)
    subprocess.run(["git", "add", "-f", ".env"], cwd=course_env, check=True)
    status, out = _run(capsys, request=False)
    assert status == 1 and "is committed to git: revoke the key" in out


def test_local_backend_answers(course_env, capsys):
    status, out = _run(capsys)
    assert "✅ setup() would pick: local backend, model gpt-6-luna" in out
    assert "✅ course models: chat gpt-6-luna (effort none) · sampling gpt-6-luna (effort none) · reasoning" in out
    assert "✅ local model SmolLM2-135M-Instruct is cached" in out
    assert status == 0 and "(local backend)" in out
