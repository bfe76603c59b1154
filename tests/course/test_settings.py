"""Tests for course_helpers/course/settings.py: .env discovery and loading, backend choice, key masking."""

import os

import pytest

from course_helpers.course.settings import Settings, find_env_file, load_env_file, mask_key, read_settings


@pytest.mark.parametrize(
    "key, shown",
    [
        ("sk-proj-" + "abcdefghijklmnopqrstuvwxyz" + "1234", "…1234"),  # concatenated: no key-shaped literal
        ("sk-abcdefgh", "…"),  # too short to show any of it
        ("", "(none)"),
        (None, "(none)"),
    ],
)
def test_mask_key_shows_at_most_the_last_four_characters(key, shown):
    assert mask_key(key) == shown


def test_env_file_is_found_from_a_subfolder_upward(course_env):
    (course_env / ".env").write_text("COURSE_MODEL=from-root\n")
    nested = course_env / "my_work" / "deeper"
    nested.mkdir(parents=True)
    assert find_env_file(nested) == course_env / ".env"
    os.chdir(nested)
    assert load_env_file() == course_env / ".env"
    assert os.environ["COURSE_MODEL"] == "from-root"


def test_no_env_file_is_not_an_error(course_env):
    assert load_env_file() is None


def test_real_environment_wins_over_env_file(course_env, monkeypatch):
    (course_env / ".env").write_text("COURSE_MODEL=from-file\n")
    monkeypatch.setenv("COURSE_MODEL", "from-shell")
    load_env_file()
    assert os.environ["COURSE_MODEL"] == "from-shell"


def test_editing_env_file_and_loading_again_takes_the_new_value(course_env):
    env = course_env / ".env"
    env.write_text("OPENAI_API_KEY=sk-old-key-000000000000\nCOURSE_MODEL=gpt-4o\n")
    load_env_file()
    env.write_text("OPENAI_API_KEY=sk-new-key-111111111111\n")
    load_env_file()
    assert os.environ["OPENAI_API_KEY"] == "sk-new-key-111111111111"
    assert "COURSE_MODEL" not in os.environ  # the line was removed from .env


def test_misspelled_backend_names_the_accepted_values():
    with pytest.raises(ValueError, match="auto, openai, local"):
        read_settings({"COURSE_BACKEND": "ollama"})


@pytest.mark.parametrize(
    "env, backend",
    [
        ({}, "local"),
        ({"OPENAI_API_KEY": "sk-x"}, "openai"),
        ({"OPENAI_API_KEY": "sk-x", "COURSE_BACKEND": "local"}, "local"),
        ({"COURSE_BACKEND": "openai"}, "openai"),
        ({"OPENAI_BASE_URL": "http://localhost:11434/v1"}, "server"),
        ({"OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_API_KEY": "sk-x"}, "server"),
        ({"OPENAI_BASE_URL": "http://localhost:11434/v1", "COURSE_BACKEND": "local"}, "local"),
        ({"OPENAI_BASE_URL": "https://api.openai.com/v1", "OPENAI_API_KEY": "sk-x"}, "openai"),
    ],
)
def test_backend_choice(env, backend):
    assert read_settings(env).wants_backend() == backend


def test_settings_repr_never_shows_the_key():
    key = "sk-proj-secretsecretsecret9876"
    text = repr(Settings("auto", key, "", "", None))
    assert key not in text and "…9876" in text
