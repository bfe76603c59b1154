"""Tests for course_helpers/checks/hints.py: a failing call ends with a hint on how to fix the set-up."""

import subprocess
import sys
import textwrap

import httpx
import openai
import pytest

from conftest import GOOD_KEY
from course_helpers.checks import hints
from course_helpers.course.backends import BackendInfo

OPENAI = BackendInfo("openai", "gpt-4o-mini", "https://api.openai.com/v1", "…WXYZ", None)
SERVER = BackendInfo("server", "llama3.2", "http://localhost:11434/v1", "(none)", None)
LOCAL = BackendInfo("local", "gpt-4o-mini", "http://127.0.0.1:5000/v1", "…abcd", None)


def _status_error(cls, status, code):
    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    body = {"error": {"message": "nope", "type": "invalid_request_error", "code": code}}
    return cls("nope", response=httpx.Response(status, request=request, json=body), body=body)


def _connection_error():
    return openai.APIConnectionError(request=httpx.Request("POST", "https://api.openai.com/v1/chat/completions"))


def test_rejected_key_says_how_to_fix_env():
    hint = hints.explain(_status_error(openai.AuthenticationError, 401, "invalid_api_key"), OPENAI)
    assert "OPENAI_API_KEY=sk-..." in hint and ".env" in hint and "…WXYZ" in hint
    assert "COURSE_BACKEND=local" in hint


def test_no_network_suggests_the_local_backend():
    assert "COURSE_BACKEND=local" in hints.explain(_connection_error(), OPENAI)


def test_unreachable_compatible_server_names_its_address():
    hint = hints.explain(_connection_error(), SERVER)
    assert "http://localhost:11434/v1" in hint and "OPENAI_BASE_URL" in hint


def test_local_server_down_says_to_rerun_setup():
    assert "setup()" in hints.explain(_connection_error(), LOCAL)


def test_no_credit_is_told_apart_from_a_rate_limit():
    assert "credit" in hints.explain(_status_error(openai.RateLimitError, 429, "insufficient_quota"), OPENAI)
    assert "wait" in hints.explain(_status_error(openai.RateLimitError, 429, "rate_limit_exceeded"), OPENAI)


def test_unknown_model_points_to_course_model():
    assert "COURSE_MODEL" in hints.explain(_status_error(openai.NotFoundError, 404, "model_not_found"), OPENAI)


@pytest.mark.parametrize("error", [ValueError("x"), KeyError("messages")])
def test_errors_unrelated_to_the_setup_get_no_hint(error):
    assert hints.explain(error, OPENAI) is None


def test_bad_request_gets_no_hint():
    assert hints.explain(_status_error(openai.BadRequestError, 400, None), OPENAI) is None


def test_script_ends_with_the_hint_after_the_traceback(course_env, fake_api):
    script = course_env / "lesson.py"
    script.write_text(
        textwrap.dedent("""
        import course_helpers
        from openai import OpenAI
        info = course_helpers.setup()
        OpenAI(max_retries=0).chat.completions.create(model=info.model, messages=[{"role": "user", "content": "Hi"}])
    """)
    )
    (course_env / ".env").write_text(f"OPENAI_BASE_URL={fake_api}\nOPENAI_API_KEY=sk-wrong-key-000000000000\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=course_env, timeout=60)
    assert result.returncode == 1
    traceback_end = result.stderr.index("openai.AuthenticationError")
    assert result.stderr.index("💡 The server at") > traceback_end
    assert "sk-wrong-key-000000000000" not in result.stdout


def test_ipython_shows_the_hint_after_the_traceback(course_env, refused_url, monkeypatch, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", refused_url)
        monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
        shell.run_cell("import course_helpers; info = course_helpers.setup()")
        result = shell.run_cell("from openai import OpenAI\nOpenAI(max_retries=0).models.list()")
        out = capsys.readouterr().out
        assert isinstance(result.error_in_exec, openai.APIConnectionError)
        assert out.index("APIConnectionError") < out.index(f"💡 Could not reach the API server at {refused_url}")
    finally:
        shell.set_custom_exc((), None)
        InteractiveShell.clear_instance()


def test_jupyter_cell_error_output_ends_with_the_hint(course_env, refused_url, monkeypatch):
    import nbformat

    from course_helpers.course.notebooks import execute

    monkeypatch.setenv("OPENAI_BASE_URL", refused_url)
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import course_helpers\ninfo = course_helpers.setup()"),
            nbformat.v4.new_code_cell("from openai import OpenAI\nOpenAI(max_retries=0).models.list()"),
        ]
    )
    execute(nb, course_env, timeout=60, allow_errors=True)
    error = nb.cells[1].outputs[-1]
    assert error.output_type == "error" and error.ename == "APIConnectionError"
    assert error.traceback[-1].startswith(f"💡 Could not reach the API server at {refused_url}")
