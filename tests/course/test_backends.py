"""Tests for course_helpers/course/backends.py: setup() picks a backend, prints one line, never leaks the key."""

import os
import sys

import pytest
from openai import OpenAI

from conftest import GOOD_KEY
from course_helpers.course import backends
from course_helpers.course.backends import BackendInfo, SetupError, describe_backend, setup
from course_helpers.course.settings import Settings

# Built by concatenation so no key-shaped literal sits in a tracked file (the repository scan looks).
FAKE_KEY = "sk-proj-" + "FAKEfakeFAKEfake0123456789abcdef" + "WXYZ"


def _lines(capsys):
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.out + captured.err


def test_key_in_env_file_means_openai_with_the_default_model(course_env, capsys):
    (course_env / ".env").write_text(f"OPENAI_API_KEY={FAKE_KEY}\n")
    info = setup()
    lines, _ = _lines(capsys)
    assert (info.backend, info.model, info.effort) == ("openai", "gpt-6-luna", "none")
    assert lines == [
        "Backend: OpenAI API · chat model gpt-6-luna, reasoning_effort none (reasoning demos: reasoning_effort medium) "
        "· https://api.openai.com/v1 · key …WXYZ"
    ]
    assert "OPENAI_BASE_URL" not in os.environ  # the SDK's own default applies
    assert os.environ["OPENAI_API_KEY"] == FAKE_KEY


def test_course_model_overrides_the_model(course_env, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COURSE_MODEL", "gpt-4.1-nano")
    assert setup().model == "gpt-4.1-nano"
    assert "gpt-4.1-nano" in capsys.readouterr().out


def test_setup_line_shows_the_overridden_choices(course_env, monkeypatch, capsys):
    (course_env / ".env").write_text(f"OPENAI_API_KEY={FAKE_KEY}\nCOURSE_REASONING_EFFORT=high\n")
    info = setup()
    assert info.models is not None and info.models.reasoning.effort == "high"
    assert (
        "chat model gpt-6-luna, reasoning_effort none (reasoning demos: reasoning_effort high)"
        in capsys.readouterr().out
    )


def test_misspelled_effort_is_a_setup_error(course_env, monkeypatch):
    monkeypatch.setenv("COURSE_SAMPLING_EFFORT", "zero")
    with pytest.raises(SetupError, match="COURSE_SAMPLING_EFFORT='zero'"):
        setup()


def test_setup_never_prints_a_fake_key(course_env, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    info = setup()
    _, everything = _lines(capsys)
    for text in (everything, repr(info), str(info)):
        assert FAKE_KEY not in text
        assert FAKE_KEY[:-4] not in text and FAKE_KEY[-8:] not in text


def test_openai_backend_without_key_explains_where_the_key_goes(course_env, monkeypatch):
    monkeypatch.setenv("COURSE_BACKEND", "openai")
    with pytest.raises(SetupError, match=r"OPENAI_API_KEY=sk-\.\.\..*\.env.*COURSE_BACKEND=local"):
        setup()


def test_misspelled_backend_is_a_setup_error(course_env, monkeypatch):
    monkeypatch.setenv("COURSE_BACKEND", "gpt")
    with pytest.raises(SetupError, match="COURSE_BACKEND='gpt'"):
        setup()


def test_compatible_server_is_used_as_it_is(course_env, fake_api, monkeypatch, capsys):
    (course_env / ".env").write_text(f"OPENAI_BASE_URL={fake_api}\nOPENAI_API_KEY={GOOD_KEY}\n")
    info = setup()
    lines, _ = _lines(capsys)
    assert info.backend == "server" and info.base_url == fake_api
    assert info.model == "fake-model"  # the first model the server lists
    assert len(lines) == 1 and "OpenAI-compatible server" in lines[0]
    reply = OpenAI(max_retries=0).chat.completions.create(
        model=info.model, messages=[{"role": "user", "content": "Hi"}]
    )
    assert reply.choices[0].message.content == "Hi"


def test_keyless_server_gets_a_placeholder_key_so_the_sdk_starts(course_env, refused_url, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", refused_url)
    monkeypatch.setenv("COURSE_MODEL", "llama3.2")
    info = setup()
    assert info.key == "(none)" and info.model == "llama3.2"
    assert OpenAI().api_key == backends.PLACEHOLDER_KEY


def test_calling_setup_twice_gives_the_same_answer(course_env, fake_api, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", fake_api)
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    assert setup() == setup()
    lines, _ = _lines(capsys)
    assert len(lines) == 2 and lines[0] == lines[1]


def test_local_backend_fails_clearly_when_the_server_is_missing(course_env, monkeypatch):
    import course_helpers.local

    monkeypatch.setattr(backends, "_local_server", None)
    monkeypatch.delattr(course_helpers.local, "server", raising=False)
    monkeypatch.setitem(sys.modules, "course_helpers.local.server", None)  # import fails
    with pytest.raises(SetupError, match="local backend is not available.*OPENAI_API_KEY"):
        setup()


class TestLocalBackend:
    """The real embedded server (needs the chat model in COURSE_MODEL_CACHE)."""

    def test_no_key_starts_the_local_server_and_a_plain_client_works(self, course_env, capsys):
        info = setup()
        lines, everything = _lines(capsys)
        assert info.backend == "local" and info.base_url.startswith("http://127.0.0.1:")
        assert os.environ["OPENAI_BASE_URL"] == info.base_url
        assert len(lines) == 1 and "SmolLM2-135M-Instruct" in lines[0]
        assert os.environ["OPENAI_API_KEY"] not in everything  # the random token stays hidden
        reply = OpenAI().chat.completions.create(
            model=info.model,
            reasoning_effort=info.effort,
            max_completion_tokens=3,
            messages=[{"role": "user", "content": "Say hi"}],
        )
        assert reply.choices[0].message.content

    def test_second_call_starts_nothing_new(self, course_env, capsys):
        first = setup()
        handle = backends._local_server
        second = setup()
        assert backends._local_server is handle and second.base_url == first.base_url

    def test_adding_a_key_to_env_switches_to_openai_and_clears_the_local_address(self, course_env, capsys):
        setup()
        (course_env / ".env").write_text(f"OPENAI_API_KEY={FAKE_KEY}\n")
        info = setup()
        assert info.backend == "openai"
        assert "OPENAI_BASE_URL" not in os.environ and os.environ["OPENAI_API_KEY"] == FAKE_KEY


def test_info_hands_out_each_purposes_model_and_effort_with_not_given_for_none():
    import openai

    from course_helpers.course.models import read_choices

    choices = read_choices({"COURSE_MODEL": "gpt-6-luna", "COURSE_EFFORT": "none"})
    info = BackendInfo("local", "gpt-6-luna", "http://127.0.0.1:1/v1", "…abcd", None, models=choices)
    assert info.effort == "none"
    assert info.sampling.effort == "none" and info.reasoning.effort == "medium"
    bare = BackendInfo("server", "llama3.2", "http://localhost:11434/v1", "…", None)
    assert bare.effort is openai.NOT_GIVEN and bare.sampling.model == "llama3.2"


def test_a_compatible_server_gets_no_reasoning_effort_unless_one_is_set(monkeypatch):
    import openai

    monkeypatch.delenv("COURSE_EFFORT", raising=False)
    monkeypatch.delenv("COURSE_SAMPLING_EFFORT", raising=False)
    settings = Settings("auto", "", "http://localhost:11434/v1", "llama3.2", None)
    info = describe_backend(settings)
    assert (info.model, info.effort, info.sampling.effort) == ("llama3.2", openai.NOT_GIVEN, openai.NOT_GIVEN)
