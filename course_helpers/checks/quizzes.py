"""Quick "check your understanding" quizzes: a multiple-choice widget with immediate feedback.

>>> quiz("Which temperature makes the model always pick its most likely token?",
...      ["0", "0.7", "2"], answer="0",
...      explanation="At temperature 0 sampling becomes greedy.")  # doctest: +NORMALIZE_WHITESPACE
**Which temperature makes the model always pick its most likely token?**
<BLANKLINE>
- A. 0
- B. 0.7
- C. 2
<BLANKLINE>
<details><summary>Show the answer</summary>
<BLANKLINE>
**A. 0**: At temperature 0 sampling becomes greedy.
<BLANKLINE>
</details>

In Jupyter the learner clicks an option and sees ✅ or ❌ at once. Where
widgets do not render (GitHub, nbviewer, a notebook opened without its
kernel) the same output carries a fallback: the question and its options, with
the answer folded in a ``<details>`` block. In a plain console, that fallback
is printed.

Used in: every lesson's "check your understanding" cells (notebooks/*.ipynb)
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from .quiz_bank import QUIZZES

__all__ = ["lesson_quiz", "quiz", "quiz_widget"]

_LETTERS = "ABCDEFGHIJ"


def _answer_index(options: Sequence[str], answer: int | str) -> int:
    if isinstance(answer, int) and not isinstance(answer, bool):
        if not 0 <= answer < len(options):
            raise ValueError(f"answer={answer} is not an index of the {len(options)} options")
        return answer
    if answer not in options:
        raise ValueError(f"answer={answer!r} is not one of the options {list(options)}")
    return list(options).index(str(answer))  # a str here: a bool is not among the options


def _validate(options: Sequence[str], answer: int | str) -> int:
    if not 2 <= len(options) <= len(_LETTERS):
        raise ValueError(f"a quiz needs 2 to {len(_LETTERS)} options, got {len(options)}")
    return _answer_index(options, answer)


def _markdown(question: str, options: Sequence[str], index: int, explanation: str) -> str:
    lines = [f"**{question}**", ""]
    lines += [f"- {_LETTERS[i]}. {option}" for i, option in enumerate(options)]
    lines += [
        "",
        "<details><summary>Show the answer</summary>",
        "",
        f"**{_LETTERS[index]}. {options[index]}**: {explanation}",
        "",
        "</details>",
    ]
    return "\n".join(lines)


def _html(question: str, options: Sequence[str], index: int, explanation: str) -> str:
    items = "".join(f"<li>{_LETTERS[i]}. {html.escape(o)}</li>" for i, o in enumerate(options))
    return (
        f"<p><b>{html.escape(question)}</b></p><ul style='list-style:none'>{items}</ul>"
        f"<details><summary>Show the answer</summary><p><b>{_LETTERS[index]}. "
        f"{html.escape(options[index])}</b>: {html.escape(explanation)}</p></details>"
    )


def quiz_widget(question: str, options: Sequence[str], answer: int | str, explanation: str = ""):
    """The quiz as an ipywidgets box; choosing an option shows the feedback right away.

    The feedback is the box's last child (an ``HTML`` widget):

    >>> box = quiz_widget("2 + 2?", ["3", "4"], answer=1, explanation="Arithmetic.")
    >>> box.children[1].value = "3"; "Not quite" in box.children[2].value
    True
    >>> box.children[1].value = "4"; "Correct" in box.children[2].value
    True
    """
    import ipywidgets as widgets

    index = _validate(options, answer)
    choices = widgets.RadioButtons(options=list(options), value=None, layout={"width": "max-content"})
    feedback = widgets.HTML()

    def on_choice(change) -> None:
        if change["new"] is None:
            feedback.value = ""
        elif change["new"] == options[index]:
            feedback.value = f"✅ <b>Correct!</b> {html.escape(explanation)}"
        else:
            feedback.value = "❌ Not quite. Think again and try another option."

    choices.observe(on_choice, names="value")
    return widgets.VBox([widgets.HTML(f"<b>{html.escape(question)}</b>"), choices, feedback])


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return getattr(shell, "kernel", None) is not None  # a Jupyter kernel, not a terminal IPython


def quiz(question: str, options: Sequence[str], answer: int | str, explanation: str = "") -> None:
    """Show a multiple-choice question; ``answer`` is the right option's text or index.

    In a Jupyter kernel this displays :func:`quiz_widget`, with the plain
    question and a folded answer as the fallback for renderers without widgets;
    elsewhere it prints that fallback (Markdown).
    """
    index = _validate(options, answer)
    markdown = _markdown(question, options, index, explanation)
    if not _in_kernel():
        print(markdown)
        return
    from IPython.display import display

    bundle = dict(quiz_widget(question, options, index, explanation)._repr_mimebundle_())
    bundle["text/html"] = _html(question, options, index, explanation)
    bundle["text/markdown"] = markdown
    bundle["text/plain"] = markdown
    display(bundle, raw=True)


def lesson_quiz(key: str) -> None:
    """Show the lesson quiz stored under ``key`` in ``quiz_bank.py`` ("02.1": lesson 02, first quiz).

    The question and its answer live in the package, so the lesson's cell
    gives nothing away before the learner chooses.
    """
    if key not in QUIZZES:
        raise KeyError(f"No quiz {key!r}; the quizzes are {', '.join(QUIZZES)} (course_helpers/checks/quiz_bank.py).")
    stored = QUIZZES[key]
    quiz(stored.question, stored.options, stored.answer, stored.explanation)
