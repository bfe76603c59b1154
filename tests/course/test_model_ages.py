"""Tests for course_helpers/course/model_ages.py: shutdown dates read from the installed SDK's "Deprecated values"."""

from __future__ import annotations

import datetime
import doctest
import re
from pathlib import Path

import openai
import pytest

from course_helpers.course import model_ages
from course_helpers.course.model_ages import (
    deprecation_docstrings,
    is_shut_down,
    parse_deprecated_values,
    shutdown_dates,
)

TYPES = Path(openai.__file__).parent / "types"
# Files whose "Deprecated values" docstrings are about models (the others: image quality, sizes, batch endpoints).
MODEL_FILES = sorted(path for path in TYPES.rglob("*.py") if deprecation_docstrings(path.read_text(encoding="utf-8")))


def test_the_sdk_has_model_deprecation_docstrings_to_read():
    names = {path.relative_to(TYPES).as_posix() for path in MODEL_FILES}
    assert {"shared/chat_model.py", "audio_model.py", "image_model.py", "audio/speech_model.py"} <= names


def _dated_names(docstring: str) -> set[str]:
    """The quoted names of entries that carry a date, found another way than the parser's."""
    names: set[str] = set()
    for entry in re.split(r"\n\s*- ", docstring)[1:]:
        text = " ".join(entry.split())
        if re.search(r"shutdown date: \d{4}-|shut down on [A-Z]|retired on [A-Z]", text):
            names |= set(re.findall(r'"([^"]+)"', text.split('":')[0] + '"'))
    return names


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda path: path.relative_to(TYPES).as_posix())
def test_every_model_file_is_parsed_whole_and_in_the_table(path):
    for docstring in deprecation_docstrings(path.read_text(encoding="utf-8")):
        dates = parse_deprecated_values(docstring)
        assert set(dates) == _dated_names(docstring)
        for name, day in dates.items():
            assert shutdown_dates()[name] <= day


@pytest.mark.parametrize(
    ("model", "day"),
    [
        ("gpt-4o-mini", datetime.date(2027, 1, 14)),
        ("gpt-4o-mini-2024-07-18", datetime.date(2027, 1, 14)),
        ("gpt-4.1", datetime.date(2027, 1, 14)),
        ("o4-mini", datetime.date(2026, 10, 23)),
        ("gpt-4.1-nano", datetime.date(2026, 10, 23)),
        ("gpt-5", datetime.date(2026, 12, 11)),
        ("gpt-5-chat-latest", datetime.date(2026, 7, 23)),  # its names wrap over three lines
        ("gpt-4-0314", datetime.date(2026, 3, 26)),  # "Announced shutdown" / "date:" split over two lines
        ("whisper-1", datetime.date(2027, 2, 26)),
        ("tts-1", datetime.date(2027, 1, 6)),
        ("gpt-image-1", datetime.date(2026, 10, 23)),  # "was shut down on October 23, 2026"
        ("dall-e-3", datetime.date(2026, 5, 12)),  # "was retired on May 12, 2026"
    ],
)
def test_known_dates(model, day):
    assert shutdown_dates()[model] == day


@pytest.mark.parametrize("model", ["gpt-6-luna", "gpt-5.5", "gpt-5.1-mini", "omni-moderation-latest", "standard"])
def test_current_models_and_dateless_values_have_no_date(model):
    assert model not in shutdown_dates()


def test_the_table_is_read_once():
    assert shutdown_dates() is shutdown_dates()


def test_past_means_after_the_announced_day():
    assert not is_shut_down("o4-mini", today=datetime.date(2026, 10, 23))
    assert is_shut_down("o4-mini", today=datetime.date(2026, 10, 24))
    assert not is_shut_down("gpt-4o-mini", today=datetime.date(2026, 12, 4))
    assert not is_shut_down("my-local-model", today=datetime.date(2099, 1, 1))


def test_docstring_examples_run():
    assert doctest.testmod(model_ages, optionflags=doctest.ELLIPSIS).failed == 0
