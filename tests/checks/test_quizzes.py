"""Tests for course_helpers/checks/quizzes.py: a widget with immediate feedback, a readable fallback elsewhere."""

import re
from pathlib import Path

import nbformat
import pytest

import course_helpers
from course_helpers.checks import quizzes
from course_helpers.checks.quiz_bank import QUIZZES
from course_helpers.checks.quizzes import quiz, quiz_widget

ROOT = Path(__file__).resolve().parents[2]

QUESTION = "Which parameter makes the output reproducible?"
OPTIONS = ["temperature", "seed", "n"]


def _choose(box, option):
    box.children[1].value = option
    return box.children[2].value


def test_right_option_shows_correct_and_the_explanation():
    box = quiz_widget(QUESTION, OPTIONS, answer="seed", explanation="Same seed, same sample.")
    assert _choose(box, "seed") == "✅ <b>Correct!</b> Same seed, same sample."


def test_wrong_option_invites_another_try_without_giving_the_answer():
    box = quiz_widget(QUESTION, OPTIONS, answer=1, explanation="Same seed, same sample.")
    feedback = _choose(box, "temperature")
    assert feedback.startswith("❌") and "seed" not in feedback


def test_nothing_is_shown_before_a_choice():
    assert quiz_widget(QUESTION, OPTIONS, answer=1).children[2].value == ""


def test_console_prints_question_options_and_a_folded_answer(capsys):
    quiz(QUESTION, OPTIONS, answer="seed", explanation="Same seed, same sample.")
    out = capsys.readouterr().out
    question_at, answer_at = out.index(QUESTION), out.index("**B. seed**: Same seed, same sample.")
    assert question_at < out.index("<details><summary>Show the answer</summary>") < answer_at
    assert out.rstrip().endswith("</details>")
    assert "- A. temperature" in out and "- C. n" in out


def test_kernel_display_has_the_widget_and_fallbacks(monkeypatch):
    from course_helpers.checks import quizzes as quiz_module

    shown = []
    monkeypatch.setattr(quiz_module, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    quiz(QUESTION, OPTIONS, answer=1, explanation="Same seed, same sample.")
    bundle = shown[0]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<details>" in bundle["text/html"] and QUESTION in bundle["text/html"]
    assert "<details>" in bundle["text/markdown"]


@pytest.mark.parametrize("options, answer", [(OPTIONS, "top_p"), (OPTIONS, 3), (["only one"], 0)])
def test_a_broken_quiz_fails_loudly_for_the_author(options, answer):
    with pytest.raises(ValueError):
        quiz("?", options, answer)


def test_every_stored_quiz_is_valid():
    for key, stored in QUIZZES.items():
        assert re.fullmatch(r"\d\d\.\d+", key), key
        assert stored.question and stored.explanation, key
        quizzes._validate(stored.options, stored.answer)  # raises for an answer that is not an option


def _quiz_cells():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and "quiz(" in cell.source:
                yield path, cell.source


def test_lessons_show_quizzes_without_their_answers():
    """A quiz cell names its quiz; the answer stays in the package, out of the learner's sight."""
    used = []
    for path, source in _quiz_cells():
        match = re.fullmatch(r'course_helpers\.lesson_quiz\("(\d\d\.\d+)"\)', source.strip())
        assert match, f"{path.name}: a quiz cell shows more than its key: {source[:80]!r}"
        assert match.group(1).startswith(path.name[:2]), f"{path.name} shows another lesson's quiz {match.group(1)}"
        used.append(match.group(1))
    assert sorted(used) == sorted(QUIZZES), "every stored quiz is shown once, and only stored quizzes are shown"


def test_a_lessons_quizzes_are_numbered_in_the_order_they_appear():
    """05.1, 05.2, 05.3 from the top of the notebook down: a learner who meets 05.3 before 05.2 thinks one is missing."""
    shown: dict[str, list[tuple[int, int]]] = {}
    for path, source in _quiz_cells():
        key = re.search(r'"(\d\d)\.(\d+)"', source)
        assert key, source
        shown.setdefault(path.name, []).append((int(key.group(1)), int(key.group(2))))
    for name, keys in shown.items():
        assert [number for _, number in keys] == list(range(1, len(keys) + 1)), f"{name} shows quizzes {keys}"


def test_lesson_quiz_prints_the_stored_quiz_outside_a_kernel(capsys):
    course_helpers.lesson_quiz("02.1")
    out = capsys.readouterr().out
    assert QUIZZES["02.1"].question in out and "<details>" in out


def test_an_unknown_quiz_names_the_known_ones():
    with pytest.raises(KeyError, match="00.1"):
        course_helpers.lesson_quiz("99.9")
